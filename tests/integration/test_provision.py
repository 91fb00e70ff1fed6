"""The embedded stack creates exactly the catalogue: nothing missing, nothing more."""
import json

import boto3

from chalicelib.resources import CATALOGUE, physical_name


def test_provisioning_creates_exactly_the_catalogue(aws):
    dynamodb, sqs, s3 = boto3.client("dynamodb"), boto3.client("sqs"), boto3.client("s3")
    assert sorted(dynamodb.list_tables()["TableNames"]) == sorted(physical_name(t.logical) for t in CATALOGUE.tables)
    expected_queues = set()
    for queue in CATALOGUE.queues:
        expected_queues.add(physical_name(queue.logical))
        if queue.has_dead_letter_queue:
            expected_queues.add(physical_name(queue.dead_letter_logical))
    assert {url.rsplit("/", 1)[1] for url in sqs.list_queues()["QueueUrls"]} == expected_queues
    assert {b["Name"] for b in s3.list_buckets()["Buckets"]} == {physical_name(b.logical) for b in CATALOGUE.buckets}
    assert len(boto3.client("kms").list_keys()["Keys"]) == len(CATALOGUE.keys)
    assert len(boto3.client("sns").list_topics()["Topics"]) == len(CATALOGUE.topics)


def test_tables_have_their_keys_indexes_ttl_and_stream(aws):
    dynamodb = boto3.client("dynamodb")
    for table in CATALOGUE.tables:
        described = dynamodb.describe_table(TableName=aws[table.env_name])["Table"]
        assert [k["AttributeName"] for k in described["KeySchema"]] == [table.partition_key, table.sort_key]
        assert {i["IndexName"] for i in described.get("GlobalSecondaryIndexes", [])} == {i.name for i in table.indexes}
        assert described["StreamSpecification"]["StreamViewType"] == table.stream_view
        ttl = dynamodb.describe_time_to_live(TableName=aws[table.env_name])["TimeToLiveDescription"]
        assert ttl["AttributeName"] == table.ttl_attribute


def test_queues_redrive_to_their_dead_letter_queue(aws):
    sqs = boto3.client("sqs")
    queue = CATALOGUE.queue("demo")
    attributes = sqs.get_queue_attributes(QueueUrl=aws[queue.env_url], AttributeNames=["All"])["Attributes"]
    policy = json.loads(attributes["RedrivePolicy"])
    assert int(policy["maxReceiveCount"]) == queue.max_receive_count
    assert policy["deadLetterTargetArn"].endswith(physical_name(queue.dead_letter_logical))


def test_the_documents_bucket_allows_posts_from_the_web_origin_only(aws):
    bucket = aws[CATALOGUE.bucket("documents").env_name]
    rules = boto3.client("s3").get_bucket_cors(Bucket=bucket)["CORSRules"]
    assert rules == [{"AllowedHeaders": ["*"], "AllowedMethods": ["POST"], "AllowedOrigins": [aws["WEB_ORIGIN"]],
                      "MaxAgeSeconds": 3000}]
    block = boto3.client("s3").get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert all(block.values())


def test_the_user_pool_has_every_role_group_and_the_web_client(aws):
    cognito = boto3.client("cognito-idp")
    pool = CATALOGUE.user_pool("users")
    groups = cognito.list_groups(UserPoolId=aws[pool.env_id])["Groups"]
    assert {g["GroupName"] for g in groups} == set(pool.groups)
    assert cognito.describe_user_pool_client(UserPoolId=aws[pool.env_id], ClientId=aws[pool.env_client_id])
