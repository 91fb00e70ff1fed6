"""Creates every resource of `chalicelib.resources.CATALOGUE` in moto (server or in-process) and
returns the environment variables the functions read. Exactly the catalogue, nothing more."""
from __future__ import annotations

import json
import secrets
from typing import Any, Callable

import boto3

from chalicelib.adapters.aws import CLIENT_CONFIG
from chalicelib.domain import franceconnect
from chalicelib.resources import CATALOGUE, Bucket, Catalogue, current_region, physical_name


def _client_factory(endpoint_url: str | None) -> Callable[[str], Any]:
    session = boto3.session.Session(region_name=current_region())
    return lambda service: session.client(service, endpoint_url=endpoint_url, config=CLIENT_CONFIG)


def lifecycle_rules(bucket: Bucket) -> list[dict[str, Any]]:
    """The bucket's retention rules in S3's lifecycle shape (infra/ deploys the same rules)."""
    rules: list[dict[str, Any]] = [{
        "ID": f"retention-{rule.prefix.strip('/')}", "Status": "Enabled", "Filter": {"Prefix": rule.prefix},
        "Expiration": {"Days": rule.days}} for rule in bucket.retention]
    rules.append({
        "ID": "old-versions-and-unfinished-uploads", "Status": "Enabled", "Filter": {"Prefix": ""},
        "NoncurrentVersionExpiration": {"NoncurrentDays": bucket.noncurrent_version_days},
        "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1}})
    return rules


def provision(stage: str, web_origin: str, endpoint_url: str | None = None,
              catalogue: Catalogue = CATALOGUE, family_members: tuple[str, ...] | None = None) -> dict[str, str]:
    """Create everything; returns {environment variable: physical identifier}. `family_members`:
    only these members of the queue families (the tests, which use two or three authorities and
    provision afresh for each test; `make run` creates them all)."""
    client = _client_factory(endpoint_url)
    env: dict[str, str] = {"PERMIS_STAGE": stage, "WEB_ORIGIN": web_origin}
    kms, dynamodb, sqs, s3 = client("kms"), client("dynamodb"), client("sqs"), client("s3")

    key_ids: dict[str, str] = {}
    for key in catalogue.keys:
        created = kms.create_key(KeySpec=key.spec, KeyUsage=key.usage, Description=key.description)
        key_ids[key.logical] = created["KeyMetadata"]["KeyId"]
        kms.create_alias(AliasName=f"alias/{physical_name(key.logical, stage)}", TargetKeyId=key_ids[key.logical])
        env[key.env_id] = key_ids[key.logical]
    data_key = key_ids.get("data")

    for table in catalogue.tables:
        name = physical_name(table.logical, stage)
        attributes = {table.partition_key: "S"}
        key_schema = [{"AttributeName": table.partition_key, "KeyType": "HASH"}]
        if table.sort_key:
            attributes[table.sort_key] = "S"
            key_schema.append({"AttributeName": table.sort_key, "KeyType": "RANGE"})
        indexes = []
        for index in table.indexes:
            schema = [{"AttributeName": index.partition_key, "KeyType": "HASH"}]
            attributes[index.partition_key] = "S"
            if index.sort_key:
                schema.append({"AttributeName": index.sort_key, "KeyType": "RANGE"})
                attributes[index.sort_key] = "S"
            indexes.append({"IndexName": index.name, "KeySchema": schema, "Projection": {"ProjectionType": "ALL"}})
        kwargs: dict[str, Any] = {
            "TableName": name, "KeySchema": key_schema, "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": [{"AttributeName": n, "AttributeType": t} for n, t in attributes.items()],
        }
        if indexes:
            kwargs["GlobalSecondaryIndexes"] = indexes
        if table.stream_view:
            kwargs["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": table.stream_view}
        if data_key:
            kwargs["SSESpecification"] = {"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": data_key}
        description = dynamodb.create_table(**kwargs)["TableDescription"]
        if table.ttl_attribute:
            dynamodb.update_time_to_live(TableName=name, TimeToLiveSpecification={
                "Enabled": True, "AttributeName": table.ttl_attribute})
        env[table.env_name] = name
        if table.stream_view:
            env[table.env_stream_arn] = description["LatestStreamArn"]

    queue_arns: dict[str, str] = {}
    for queue in catalogue.queues:
        attributes = {"VisibilityTimeout": str(queue.visibility_timeout_seconds),
                      "MessageRetentionPeriod": str(queue.message_retention_seconds)}
        if data_key:
            attributes["KmsMasterKeyId"] = data_key
        if queue.has_dead_letter_queue:
            dlq_url = sqs.create_queue(QueueName=physical_name(queue.dead_letter_logical, stage), Attributes={
                "MessageRetentionPeriod": str(queue.dead_letter_retention_seconds)})["QueueUrl"]
            dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
            attributes["RedrivePolicy"] = json.dumps({"deadLetterTargetArn": dlq_arn,
                                                      "maxReceiveCount": str(queue.max_receive_count)})
            env[queue.env_dead_letter_url] = dlq_url
        env[queue.env_url] = sqs.create_queue(QueueName=physical_name(queue.logical, stage), Attributes=attributes)["QueueUrl"]
        queue_arns[queue.logical] = sqs.get_queue_attributes(
            QueueUrl=env[queue.env_url], AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]

    for family in catalogue.queue_families:
        members = tuple(m for m in family.members if family_members is None or m in family_members)
        for member in members:
            dlq_url = sqs.create_queue(QueueName=physical_name(family.dead_letter_logical(member), stage), Attributes={
                "MessageRetentionPeriod": str(family.dead_letter_retention_seconds),
                **({"KmsMasterKeyId": data_key} if data_key else {})})["QueueUrl"]
            dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
            attributes = {"VisibilityTimeout": str(family.lease_seconds),
                          "MessageRetentionPeriod": str(family.message_retention_seconds),
                          "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn,
                                                       "maxReceiveCount": str(family.max_receive_count)}),
                          **({"KmsMasterKeyId": data_key} if data_key else {})}
            for returning in (False, True):
                sqs.create_queue(QueueName=physical_name(family.queue_logical(member, returning), stage),
                                 Attributes=attributes)
        if members:
            env[family.env_url_prefix] = dlq_url.rsplit("/", 1)[0] + "/" + family.physical_prefix(stage)

    for bucket in catalogue.buckets:
        name = physical_name(bucket.logical, stage)
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": current_region()})
        s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration={
            "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True})
        if bucket.versioned:
            s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
        if data_key:
            s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={"Rules": [{
                "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": data_key}}]})
        if bucket.cors:
            s3.put_bucket_cors(Bucket=name, CORSConfiguration={"CORSRules": [
                {"AllowedOrigins": [web_origin], "AllowedMethods": list(rule.methods),
                 "AllowedHeaders": list(rule.allowed_headers), "MaxAgeSeconds": rule.max_age_seconds}
                for rule in bucket.cors]})
        s3.put_bucket_lifecycle_configuration(Bucket=name, LifecycleConfiguration={"Rules": lifecycle_rules(bucket)})
        if bucket.notify_queue:
            s3.put_bucket_notification_configuration(Bucket=name, NotificationConfiguration={"QueueConfigurations": [{
                "QueueArn": queue_arns[bucket.notify_queue], "Events": ["s3:ObjectCreated:*"],
                "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": bucket.notify_prefix}]}}}]})
        env[bucket.env_name] = name

    if catalogue.topics:
        sns = client("sns")
        for topic in catalogue.topics:
            attributes = {"KmsMasterKeyId": data_key} if data_key else {}
            env[topic.env_arn] = sns.create_topic(Name=physical_name(topic.logical, stage), Attributes=attributes)["TopicArn"]

    if catalogue.email_identities:
        ses = client("ses")
        for identity in catalogue.email_identities:
            ses.verify_email_identity(EmailAddress=identity.address)
            ses.create_configuration_set(ConfigurationSet={"Name": physical_name(identity.logical, stage)})
            env[identity.env_address] = identity.address
            env[identity.env_configuration_set] = physical_name(identity.logical, stage)

    for sender in catalogue.sms_senders:  # SNS needs nothing created to publish to a phone number
        env[sender.env_sender_id] = sender.sender_id

    if catalogue.secrets:
        secretsmanager = client("secretsmanager")
        for secret in catalogue.secrets:
            created = secretsmanager.create_secret(
                Name=physical_name(secret.logical, stage), Description=secret.description,
                SecretString=secrets.token_hex(32), **({"KmsKeyId": data_key} if data_key else {}))
            env[secret.env_arn] = created["ARN"]

    if catalogue.user_pools:
        cognito = client("cognito-idp")
        if endpoint_url is None:  # moto in this process (the tests): it needs the same patches
            from chalicelib.local import cognito_oauth

            cognito_oauth.install()
        for pool in catalogue.user_pools:
            pool_id = cognito.create_user_pool(
                PoolName=physical_name(pool.logical, stage), UsernameAttributes=["email"],
                AutoVerifiedAttributes=["email"], MfaConfiguration="OPTIONAL",
                Policies={"PasswordPolicy": {"MinimumLength": 12, "RequireUppercase": False,
                                             "RequireLowercase": False, "RequireNumbers": False,
                                             "RequireSymbols": False}},
                Schema=[{"Name": name, "AttributeDataType": "String", "Mutable": True,
                         "StringAttributeConstraints": {"MinLength": "0", "MaxLength": "5"}}
                        for name in franceconnect.CUSTOM_ATTRIBUTES],
            )["UserPool"]["Id"]
            domain = physical_name(pool.logical, stage)
            cognito.create_user_pool_domain(Domain=domain, UserPoolId=pool_id)
            # The pool's OAuth endpoints: moto's own server locally (chalicelib/local/cognito_oauth.py),
            # else (moto in-process: nothing answers there) the shape of the deployed domain.
            domain_url = endpoint_url.rstrip("/") if endpoint_url else \
                f"https://{domain}.auth.{current_region()}.amazoncognito.com"
            cognito.create_identity_provider(
                UserPoolId=pool_id, ProviderName=franceconnect.PROVIDER_NAME, ProviderType="OIDC",
                ProviderDetails=franceconnect_details(endpoint_url),
                AttributeMapping=dict(franceconnect.ATTRIBUTE_MAPPING))
            client_id = cognito.create_user_pool_client(
                UserPoolId=pool_id, ClientName=physical_name(pool.client_logical, stage), GenerateSecret=False,
                ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
                PreventUserExistenceErrors="ENABLED",
                AllowedOAuthFlows=["code"], AllowedOAuthFlowsUserPoolClient=True,
                AllowedOAuthScopes=["openid", "email", "profile"],
                SupportedIdentityProviders=[franceconnect.PROVIDER_NAME],
                CallbackURLs=[f"{web_origin}/{franceconnect.CALLBACK_PAGE}"],
                LogoutURLs=[f"{web_origin}/connexion.html"],
            )["UserPoolClient"]["ClientId"]
            for group in pool.groups:
                cognito.create_group(GroupName=group, UserPoolId=pool_id)
            env[pool.env_id] = pool_id
            env[pool.env_client_id] = client_id
            env[pool.env_domain] = domain_url
    return env


# FranceConnect's integration platform (v1): what a deployed non-production stage would use; the
# local stack serves its stand-in (chalicelib/local/franceconnect_server.py) on moto's port.
FRANCECONNECT_INTEGRATION = "https://fcp.integ01.dev-franceconnect.fr"


def franceconnect_details(endpoint_url: str | None) -> dict[str, str]:
    """The identity provider's ProviderDetails: the stand-in's URLs on the moto server, a client id
    and secret made up here (the stand-in reads them back from the pool)."""
    from chalicelib.local.franceconnect_server import API_PATH, ISSUER_PATH

    issuer = endpoint_url.rstrip("/") + ISSUER_PATH if endpoint_url else FRANCECONNECT_INTEGRATION
    api = endpoint_url.rstrip("/") + API_PATH if endpoint_url else FRANCECONNECT_INTEGRATION + "/api/v1"
    return {
        "client_id": secrets.token_hex(32), "client_secret": secrets.token_hex(32),
        "authorize_scopes": " ".join(franceconnect.SCOPES), "attributes_request_method": "GET",
        "oidc_issuer": issuer,
        # Cognito sends no acr_values of its own: the level FranceConnect expects rides on the URL.
        "authorize_url": f"{api}/authorize?acr_values={franceconnect.ACR_VALUES}",
        "token_url": f"{api}/token", "attributes_url": f"{api}/userinfo",
    }
