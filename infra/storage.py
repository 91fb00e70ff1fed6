"""DynamoDB tables and S3 buckets of the catalogue: encrypted with the data key, recoverable,
never public, kept when the stack is deleted."""
from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from chalicelib.resources import Bucket, Catalogue, Table, physical_name

_STREAM_VIEWS = {"NEW_AND_OLD_IMAGES": dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
                 "NEW_IMAGE": dynamodb.StreamViewType.NEW_IMAGE}


def _string_key(name: str) -> dynamodb.Attribute:
    return dynamodb.Attribute(name=name, type=dynamodb.AttributeType.STRING)


class Storage(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, catalogue: Catalogue, stage: str,
                 data_key: kms.Key, web_origin: str, queues: dict[str, sqs.Queue]) -> None:
        super().__init__(scope, construct_id)
        self.stage = stage
        self.tables = {t.logical: self._table(t, stage, data_key) for t in catalogue.tables}
        self.buckets = {b.logical: self._bucket(b, stage, data_key, web_origin, queues) for b in catalogue.buckets}

    def _table(self, table: Table, stage: str, data_key: kms.Key) -> dynamodb.Table:
        created = dynamodb.Table(
            self, f"Table-{table.logical}",
            table_name=physical_name(table.logical, stage),
            partition_key=_string_key(table.partition_key),
            sort_key=_string_key(table.sort_key) if table.sort_key else None,
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True),
            encryption=dynamodb.TableEncryption.CUSTOMER_MANAGED,
            encryption_key=data_key,
            time_to_live_attribute=table.ttl_attribute,
            stream=_STREAM_VIEWS[table.stream_view] if table.stream_view else None,
            deletion_protection=True,
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )
        for index in table.indexes:
            created.add_global_secondary_index(
                index_name=index.name, partition_key=_string_key(index.partition_key),
                sort_key=_string_key(index.sort_key) if index.sort_key else None,
                projection_type=dynamodb.ProjectionType.ALL)
        return created

    def _bucket(self, bucket: Bucket, stage: str, data_key: kms.Key, web_origin: str,
                queues: dict[str, sqs.Queue]) -> s3.Bucket:
        created = s3.Bucket(
            self, f"Bucket-{bucket.logical}",
            bucket_name=physical_name(bucket.logical, stage),
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            encryption=s3.BucketEncryption.KMS,
            encryption_key=data_key,
            bucket_key_enabled=True,  # one KMS call per object, not per request
            enforce_ssl=True,  # bucket policy: deny any request without TLS
            minimum_tls_version=1.2,
            versioned=bucket.versioned,
            cors=[s3.CorsRule(allowed_methods=[s3.HttpMethods(m) for m in rule.methods],
                              allowed_origins=[web_origin], allowed_headers=list(rule.allowed_headers),
                              max_age=rule.max_age_seconds) for rule in bucket.cors],
            lifecycle_rules=[
                *[s3.LifecycleRule(id=f"retention-{rule.prefix.strip('/')}", prefix=rule.prefix,
                                   expiration=cdk.Duration.days(rule.days)) for rule in bucket.retention],
                s3.LifecycleRule(id="old-versions-and-unfinished-uploads",
                                 noncurrent_version_expiration=cdk.Duration.days(bucket.noncurrent_version_days),
                                 abort_incomplete_multipart_upload_after=cdk.Duration.days(1)),
            ],
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )
        if bucket.notify_queue:
            self._notify(created, bucket, queues[bucket.notify_queue])
        return created

    def _notify(self, created: s3.Bucket, bucket: Bucket, queue: sqs.Queue) -> None:
        """Native S3 notification configuration. CDK's add_event_notification would deploy a
        custom-resource Lambda allowed s3:PutBucketNotification on every bucket ("*").
        The bucket's ARN is written from its name: a reference would make a dependency cycle (the
        bucket waits for the queue policy, so S3 can check it may send)."""
        bucket_arn = f"arn:{cdk.Aws.PARTITION}:s3:::{physical_name(bucket.logical, self.stage)}"
        queue.add_to_resource_policy(iam.PolicyStatement(
            sid="UploadsFromTheBucket",
            principals=[iam.ServicePrincipal("s3.amazonaws.com")],
            actions=["sqs:SendMessage"],
            resources=[queue.queue_arn],
            conditions={"ArnEquals": {"aws:SourceArn": bucket_arn},
                        "StringEquals": {"aws:SourceAccount": cdk.Aws.ACCOUNT_ID}},
        ))
        cfn_bucket: s3.CfnBucket = created.node.default_child  # type: ignore[assignment]
        cfn_bucket.notification_configuration = s3.CfnBucket.NotificationConfigurationProperty(
            queue_configurations=[s3.CfnBucket.QueueConfigurationProperty(
                event="s3:ObjectCreated:*", queue=queue.queue_arn,
                filter=s3.CfnBucket.NotificationFilterProperty(s3_key=s3.CfnBucket.S3KeyFilterProperty(
                    rules=[s3.CfnBucket.FilterRuleProperty(name="prefix", value=bucket.notify_prefix)])))])
        # S3 checks it may send to the queue before it accepts the configuration.
        cfn_bucket.add_resource_dependency(queue.node.find_child("Policy").node.default_child)
