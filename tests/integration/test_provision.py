"""The embedded stack creates exactly the catalogue: nothing missing, nothing more."""
import json
from urllib.parse import unquote_plus

import boto3

from chalicelib.resources import CATALOGUE, physical_name
from tests.conftest import TEST_AUTHORITIES


def test_provisioning_creates_exactly_the_catalogue(aws):
    dynamodb, sqs, s3 = boto3.client("dynamodb"), boto3.client("sqs"), boto3.client("s3")
    assert sorted(dynamodb.list_tables()["TableNames"]) == sorted(physical_name(t.logical) for t in CATALOGUE.tables)
    expected_queues = set()
    for queue in CATALOGUE.queues:
        expected_queues.add(physical_name(queue.logical))
        if queue.has_dead_letter_queue:
            expected_queues.add(physical_name(queue.dead_letter_logical))
    for family in CATALOGUE.queue_families:  # the tests provision the authorities they use
        expected_queues |= {physical_name(name) for name in family.all_logicals(TEST_AUTHORITIES)}
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


def test_an_upload_is_announced_on_the_checker_queue_and_other_keys_are_not(aws):
    bucket = CATALOGUE.bucket("documents")
    s3, sqs = boto3.client("s3"), boto3.client("sqs")
    s3.put_object(Bucket=aws[bucket.env_name], Key=f"{bucket.notify_prefix}demande-1/piece.pdf", Body=b"%PDF-1.7")
    s3.put_object(Bucket=aws[bucket.env_name], Key="exports/export.json", Body=b"{}")
    queue_url = aws[CATALOGUE.queue(bucket.notify_queue).env_url]
    messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
    # S3 URL-encodes keys in notifications (the checker decodes them the same way).
    keys = [unquote_plus(record["s3"]["object"]["key"])
            for m in messages for record in json.loads(m["Body"]).get("Records", [])]
    assert keys == [f"{bucket.notify_prefix}demande-1/piece.pdf"]


def test_the_documents_bucket_expires_objects_per_the_retention_rules(aws):
    bucket = CATALOGUE.bucket("documents")
    rules = boto3.client("s3").get_bucket_lifecycle_configuration(Bucket=aws[bucket.env_name])["Rules"]
    expirations = {r["Filter"]["Prefix"]: r["Expiration"]["Days"] for r in rules if "Expiration" in r}
    assert expirations == {rule.prefix: rule.days for rule in bucket.retention}


def test_the_email_identity_has_its_configuration_set(aws):
    identity = CATALOGUE.email_identity("notifications")
    sets = boto3.client("ses").list_configuration_sets()["ConfigurationSets"]
    assert [s["Name"] for s in sets] == [aws[identity.env_configuration_set]]


def test_make_run_creates_every_authoritys_three_instruction_queues(monkeypatch):
    """What the tests skip for speed, once: all the members of the family, as `make run` makes them."""
    import os

    from moto import mock_aws

    from chalicelib.local.provision import provision

    family = CATALOGUE.queue_family("instruction")
    with mock_aws():
        env = provision("complet", os.environ["WEB_ORIGIN"])
        sqs = boto3.client("sqs")
        names = {url.rsplit("/", 1)[1] for url in sqs.list_queues(QueueNamePrefix="permis-complet-instruction-",
                                                                   MaxResults=1000)["QueueUrls"]}
        assert names == {physical_name(name, "complet") for name in family.all_logicals()}
        assert len(names) == 3 * len(family.members) == 306
        url = env[family.env_url_prefix] + "ddt-2a-retours"
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        assert attributes["VisibilityTimeout"] == str(family.lease_seconds) and attributes["KmsMasterKeyId"]
        redrive = json.loads(attributes["RedrivePolicy"])
        assert redrive["deadLetterTargetArn"].endswith("permis-complet-instruction-ddt-2a-dlq")
        assert int(redrive["maxReceiveCount"]) == family.max_receive_count
