"""Assertions on the synthesised templates (`make package`): each security and reliability
property the deployment promises, read from what CloudFormation would receive. `dev` is the CDK
template (SAM resources as Chalice writes them, plus infra's overrides); `dev_translated` is the
same after AWS's SAM translator, i.e. the plain resources that will exist."""
from __future__ import annotations

import json
import re
import zipfile
from typing import Any

import pytest

from chalicelib.api.gateway import GATEWAY_RESPONSES
from chalicelib.api.http import ROUTE_DOCS
from chalicelib.resources import CATALOGUE as WHOLE_CATALOGUE, QueueFamily, physical_name
from infra.artefacts import DOCUMENT_PACKAGES, DOCUMENT_PATHS, cached_name, document_worker_modules
from infra.permissions import PHONE_NUMBER_ACTIONS, UNSCOPABLE_ACTIONS, kms_actions_implied
from infra.queue_families import members_by_stack, stack_of
from infra.stages import STAGES

CATALOGUE = WHOLE_CATALOGUE.deployed()  # what infra/ deploys (no local-only resource)


def deployed_routes() -> list:
    """The routes of the deployed API (once the app is imported): the demo resource's are
    registered outside the deployed stages only."""
    return [doc for doc in ROUTE_DOCS.values() if not doc.path.startswith("/demo/")]


LOCAL_ONLY_VARIABLES = {variable for queue in WHOLE_CATALOGUE.queues if queue.local_only
                        for variable in (queue.env_url, queue.env_dead_letter_url)}

STAGE = "dev"
CONFIG = STAGES[STAGE]


# --- reading templates ---------------------------------------------------------------------------

def of_type(template: dict, resource_type: str) -> dict[str, dict]:
    return {k: r for k, r in template["Resources"].items() if r["Type"] == resource_type}


def props(resource: dict) -> dict:
    return resource.get("Properties", {})


def target(value: Any) -> str | None:
    """The logical id a Ref or Fn::GetAtt points to."""
    if isinstance(value, dict):
        if "Ref" in value:
            return value["Ref"]
        if "Fn::GetAtt" in value:
            return value["Fn::GetAtt"][0]
    return None


def by_property(template: dict, resource_type: str, key: str, value: Any) -> tuple[str, dict]:
    matches = [(k, r) for k, r in of_type(template, resource_type).items() if props(r).get(key) == value]
    assert len(matches) == 1, f"expected one {resource_type} with {key}={value!r}, found {len(matches)}"
    return matches[0]


def key_id(template: dict, logical: str) -> str:
    _, alias = by_property(template, "AWS::KMS::Alias", "AliasName", f"alias/{physical_name(logical, STAGE)}")
    return target(props(alias)["TargetKeyId"])


def queue_id(template: dict, logical: str) -> str:
    return by_property(template, "AWS::SQS::Queue", "QueueName", physical_name(logical, STAGE))[0]


def as_list(value: Any) -> list:
    return value if isinstance(value, list) else [value]


def render(value: Any) -> str:
    """A value as text, references as ${...}: {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ...]]}
    -> "arn:${AWS::Partition}:..."."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and "Ref" in value:
        return "${" + value["Ref"] + "}"
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        return "${" + ".".join(value["Fn::GetAtt"]) + "}"
    if isinstance(value, dict) and "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return separator.join(render(part) for part in parts)
    return json.dumps(value)


def tls_only_queues(template: dict) -> set[str]:
    """The queues whose policy refuses every request made without TLS."""
    tls_only = set()
    for policy in of_type(template, "AWS::SQS::QueuePolicy").values():
        for statement in props(policy)["PolicyDocument"]["Statement"]:
            if statement["Effect"] == "Deny" and statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}:
                tls_only.update(target(q) for q in props(policy)["Queues"])
    return tls_only


def from_parent(parent: dict, nested_id: str, nested: dict, value: Any) -> str | None:
    """What a nested stack's {"Ref": <parameter>} points to in its parent (the logical id there)."""
    parameter = target(value)
    assert parameter in nested.get("Parameters", {}), f"{value} is not a parameter of {nested_id}"
    return target(props(parent["Resources"][nested_id])["Parameters"][parameter])


# --- make package ----------------------------------------------------------------------------------

def test_make_package_synthesises_and_lints_every_stage(packaged):
    assert packaged.returncode == 0, packaged.output[-4000:]
    assert packaged.output.count("aucun avertissement") == len(STAGES)
    for stage in STAGES:
        zips = sorted(packaged.assembly(stage).glob("asset.*.zip"), key=lambda path: path.stat().st_size)
        assert len(zips) == 2, f"{stage}: the core zip and the whole zip (infra/artefacts.py), found {zips}"
        core, whole = (zipfile.ZipFile(path).namelist() for path in zips)
        for names in (core, whole):
            assert "app.py" in names and "chalicelib/resources.py" in names
            assert "chalicelib/data/communes.json.gz" in names  # the address checks need it at run time
            assert {"joserfc/__init__.py", "altcha/__init__.py"} <= set(names)
            assert [n for n in names if n.startswith("cryptography/") and n.endswith(".abi3.so")], "no Lambda build"
            assert not [n for n in names if n.startswith(("chalicelib/local/", "chalicelib/cli/"))]
            # The only bytecode is the zip's own, compiled for Lambda beside each source (infra/artefacts.py):
            # none from the build machine's caches.
            compiled = {n for n in names if "__pycache__" in n}
            expected = {cached_name(n) for n in names if n.endswith(".py")}
            assert compiled and compiled <= expected, sorted(compiled - expected)[:5]
            assert not [n for n in names if "demo" in n.lower()], "the demo resource ships only to moto"
        assert {"fpdf/__init__.py", "fontTools/__init__.py", "PIL/__init__.py",
                "chalicelib/documents/attestation.py"} <= set(whole)
        assert "segno/__init__.py" in core  # the MFA set-up's QR code (chalicelib/api/me.py)
        assert set(whole) - set(core) == {n for n in whole if n.startswith(DOCUMENT_PATHS)}
        assert not [n for n in core if n.split("/")[0] in DOCUMENT_PACKAGES]
        assert (packaged.assembly(stage) / "account.template.json").exists()


def test_only_the_document_workers_carry_the_document_family(dev):
    from pathlib import Path

    keys: dict[str, set[str]] = {}
    for function in of_type(dev, "AWS::Serverless::Function").values():
        keys.setdefault(props(function)["CodeUri"]["Key"], set()).add(props(function)["Handler"])
    assert len(keys) == 2
    from app import app as chalice_app

    modules = {s.name: s.handler_string.rsplit(".", 1)[0] for s in chalice_app.event_sources}
    workers = document_worker_modules(Path(__file__).resolve().parents[2])
    expected = {f"app.{name}" for name, module in modules.items() if module in workers}
    assert expected and expected in keys.values()
    assert "app.app" in next(handlers for handlers in keys.values() if handlers != expected)


# --- DynamoDB --------------------------------------------------------------------------------------

def test_the_demo_resource_is_never_deployed(dev, dev_translated, prod):
    """Its anonymous write, queue, worker and un-expiring items exist on moto only (issue 19, item 5)."""
    for template in (dev, prod):
        text = json.dumps(template).lower()
        assert "demo" not in text, re.findall(r".{60}demo.{60}", text)[:3]
    [api] = [props(r) for r in of_type(dev_translated, "AWS::ApiGateway::RestApi").values()]
    assert api["Body"]["paths"] and not [path for path in api["Body"]["paths"] if "demo" in path]


def test_tables_are_on_demand_recoverable_encrypted_expiring_streamed_and_protected(dev):
    data_key = key_id(dev, "data")
    streamed_tables = {consumer.table for consumer in CATALOGUE.stream_consumers}
    for table in CATALOGUE.tables:
        _, resource = by_property(dev, "AWS::DynamoDB::Table", "TableName", physical_name(table.logical, STAGE))
        p = props(resource)
        assert p["BillingMode"] == "PAY_PER_REQUEST"
        assert p["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
        assert p["SSESpecification"]["SSEEnabled"] is True and p["SSESpecification"]["SSEType"] == "KMS"
        assert target(p["SSESpecification"]["KMSMasterKeyId"]) == data_key
        assert p["TimeToLiveSpecification"] == {"AttributeName": table.ttl_attribute, "Enabled": True}
        if table.logical in streamed_tables:
            assert p["StreamSpecification"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"
        assert p["DeletionProtectionEnabled"] is True
        assert resource["DeletionPolicy"] == "Retain"


# --- S3 --------------------------------------------------------------------------------------------

def test_the_documents_bucket_is_private_encrypted_tls_only_versioned_and_expires_per_retention(dev):
    bucket = CATALOGUE.bucket("documents")
    bucket_id, resource = by_property(dev, "AWS::S3::Bucket", "BucketName", physical_name(bucket.logical, STAGE))
    p = props(resource)
    assert p["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True, "BlockPublicPolicy": True, "IgnorePublicAcls": True, "RestrictPublicBuckets": True}
    encryption = p["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    assert encryption["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    assert target(encryption["ServerSideEncryptionByDefault"]["KMSMasterKeyID"]) == key_id(dev, "data")
    assert p["VersioningConfiguration"] == {"Status": "Enabled"}
    assert p["CorsConfiguration"]["CorsRules"] == [{
        "AllowedHeaders": ["*"], "AllowedMethods": ["POST"], "AllowedOrigins": [CONFIG.web_origin], "MaxAge": 3000}]

    rules = {rule["Id"]: rule for rule in p["LifecycleConfiguration"]["Rules"]}
    for retention in bucket.retention:
        rule = rules[f"retention-{retention.prefix.strip('/')}"]
        assert rule["Prefix"] == retention.prefix and rule["ExpirationInDays"] == retention.days
        assert rule["Status"] == "Enabled"
    housekeeping = rules["old-versions-and-unfinished-uploads"]
    assert housekeeping["NoncurrentVersionExpiration"]["NoncurrentDays"] == bucket.noncurrent_version_days
    assert housekeeping["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"] == 1

    [(_, policy)] = [(k, r) for k, r in of_type(dev, "AWS::S3::BucketPolicy").items()
                     if target(props(r)["Bucket"]) == bucket_id]
    denies = [s for s in props(policy)["PolicyDocument"]["Statement"] if s["Effect"] == "Deny"]
    assert any(s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}} and s["Action"] == "s3:*"
               for s in denies)


def test_uploads_are_announced_to_the_checker_queue_which_lets_only_this_bucket_send(dev):
    bucket = CATALOGUE.bucket("documents")
    _, resource = by_property(dev, "AWS::S3::Bucket", "BucketName", physical_name(bucket.logical, STAGE))
    [notification] = props(resource)["NotificationConfiguration"]["QueueConfigurations"]
    assert notification["Event"] == "s3:ObjectCreated:*"
    assert target(notification["Queue"]) == queue_id(dev, bucket.notify_queue)
    assert notification["Filter"]["S3Key"]["Rules"] == [{"Name": "prefix", "Value": bucket.notify_prefix}]
    policies = [r for r in of_type(dev, "AWS::SQS::QueuePolicy").values()
                if queue_id(dev, bucket.notify_queue) in [target(q) for q in props(r)["Queues"]]]
    [allow] = [s for p in policies for s in p["Properties"]["PolicyDocument"]["Statement"] if s["Effect"] == "Allow"]
    assert allow["Principal"] == {"Service": "s3.amazonaws.com"} and allow["Action"] == "sqs:SendMessage"
    assert "aws:SourceArn" in allow["Condition"]["ArnEquals"]
    # The notification waits for that permission: S3 tests it when the configuration is set.
    assert set(resource.get("DependsOn", [])) & {k for k, r in of_type(dev, "AWS::SQS::QueuePolicy").items()
                                                 if r in policies}


# --- SQS -------------------------------------------------------------------------------------------

def test_every_queue_is_encrypted_tls_only_and_redrives_to_its_dead_letter_queue_after_five_receives(dev):
    data_key = key_id(dev, "data")
    tls_only = tls_only_queues(dev)
    queues = of_type(dev, "AWS::SQS::Queue")
    expected = {physical_name(q.logical, STAGE) for q in CATALOGUE.queues} | {
        physical_name(q.dead_letter_logical, STAGE) for q in CATALOGUE.queues if q.has_dead_letter_queue}
    assert {props(r)["QueueName"] for r in queues.values()} == expected
    for logical_id, resource in queues.items():
        assert target(props(resource)["KmsMasterKeyId"]) == data_key, logical_id
        assert logical_id in tls_only, f"{logical_id} accepts requests without TLS"
    for queue in CATALOGUE.queues:
        redrive = props(queues[queue_id(dev, queue.logical)]).get("RedrivePolicy")
        if not queue.has_dead_letter_queue:
            assert redrive is None
            continue
        assert redrive["maxReceiveCount"] == 5
        assert target(redrive["deadLetterTargetArn"]) == queue_id(dev, queue.dead_letter_logical)


def test_every_sqs_consumer_reports_partial_failures_and_its_queue_outlasts_six_timeouts(dev_translated):
    functions = of_type(dev_translated, "AWS::Lambda::Function")
    queues = of_type(dev_translated, "AWS::SQS::Queue")
    mappings = [props(r) for r in of_type(dev_translated, "AWS::Lambda::EventSourceMapping").values()]
    sqs_mappings = [m for m in mappings if target(m["EventSourceArn"]) in queues]
    assert sqs_mappings, "no SQS event source found"
    for mapping in sqs_mappings:
        assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        timeout = props(functions[target(mapping["FunctionName"])])["Timeout"]
        visibility = props(queues[target(mapping["EventSourceArn"])])["VisibilityTimeout"]
        assert visibility >= 6 * timeout, f"{target(mapping['EventSourceArn'])}: {visibility} s < 6 × {timeout} s"


def family_queues(dev_nested: dict[str, dict]) -> dict[str, tuple[str, str]]:
    """Physical name of every queue of the nested stacks -> (nested stack, queue's logical id)."""
    found: dict[str, tuple[str, str]] = {}
    for nested_id, template in dev_nested.items():
        for logical_id, resource in of_type(template, "AWS::SQS::Queue").items():
            name = props(resource)["QueueName"]
            assert name not in found, f"{name} is declared twice"
            found[name] = (nested_id, logical_id)
    return found


def test_each_function_has_its_measured_memory_and_bursts_of_work_are_capped(dev_translated):
    """Issue 19, items 2 and 10: memory from bench/function_memory.py (chalicelib/sizing.py); each
    queue consumer's concurrency capped, each scheduled job one run at a time."""
    from chalicelib.sizing import DEFAULT_MEMORY_MB, MEMORY_MB, QUEUE_CONSUMER_CONCURRENCY, SCHEDULED_CONCURRENCY

    functions = of_type(dev_translated, "AWS::Lambda::Function")
    # The app's functions; the one other is CDK's, run at deployment only (it reads the version of
    # the error pages' edge function from us-east-1: infra/website.py).
    deploy_time = {k for k, f in functions.items() if "FunctionName" not in props(f)}
    assert {k.split("CustomResourceProvider")[0] for k in deploy_time} == {"CustomCrossRegionStringParameterReader"}
    by_name = {props(f)["FunctionName"]: props(f) for k, f in functions.items() if k not in deploy_time}
    for name, memory in MEMORY_MB.items():
        assert by_name[f"permis-{STAGE}-{name.replace('_', '-')}"]["MemorySize"] == memory
    assert {p["MemorySize"] for n, p in by_name.items()
            if n.removeprefix(f"permis-{STAGE}-").replace("-", "_") not in MEMORY_MB} == {DEFAULT_MEMORY_MB}
    queues = {k: props(r)["QueueName"] for k, r in of_type(dev_translated, "AWS::SQS::Queue").items()}
    sqs_mappings = [props(r) for r in of_type(dev_translated, "AWS::Lambda::EventSourceMapping").values()
                    if target(props(r)["EventSourceArn"]) in queues]
    assert sqs_mappings
    for mapping in sqs_mappings:
        queue = queues[target(mapping["EventSourceArn"])].removeprefix(f"permis-{STAGE}-")
        assert mapping["ScalingConfig"] == {"MaximumConcurrency": QUEUE_CONSUMER_CONCURRENCY[queue]}
    assert sum(QUEUE_CONSUMER_CONCURRENCY.values()) <= 250, "the workers would crowd the API out"
    rules = [props(r) for r in of_type(dev_translated, "AWS::Events::Rule").values() if "ScheduleExpression" in props(r)]
    scheduled = {target(t["Arn"]) for rule in rules for t in rule["Targets"]}
    assert scheduled
    for logical_id in scheduled:
        assert props(functions[logical_id])["ReservedConcurrentExecutions"] == SCHEDULED_CONCURRENCY


def test_a_failed_scheduled_run_is_recorded_in_the_job_failures_queue(dev_translated):
    """Issue 19, item 9: after Lambda's 2 retries, its on-failure record (and the queue's alarm)."""
    queues = {k: props(r)["QueueName"] for k, r in of_type(dev_translated, "AWS::SQS::Queue").items()}
    rules = [props(r) for r in of_type(dev_translated, "AWS::Events::Rule").values() if "ScheduleExpression" in props(r)]
    scheduled = {target(t["Arn"]) for rule in rules for t in rule["Targets"]}
    configs = {target(props(c)["FunctionName"]): props(c)
               for c in of_type(dev_translated, "AWS::Lambda::EventInvokeConfig").values()}
    assert scheduled and set(configs) == scheduled
    for function, config in configs.items():
        destination = config["DestinationConfig"]["OnFailure"]["Destination"]
        assert queues[target(destination)] == f"permis-{STAGE}-job-failures"
        assert config["MaximumRetryAttempts"] == 2 and config["Qualifier"] == "$LATEST"
        role = target(props(of_type(dev_translated, "AWS::Lambda::Function")[function])["Role"])
        statements = [st for p in of_type(dev_translated, "AWS::IAM::Policy").values()
                      if role in {target(r) for r in props(p).get("Roles", [])}
                      for st in props(p)["PolicyDocument"]["Statement"]]
        assert any("sqs:SendMessage" in st["Action"] and target(st["Resource"][0] if isinstance(st["Resource"], list)
                                                                 else st["Resource"]) == target(destination)
                   for st in statements), function


def test_every_member_of_a_queue_family_has_its_three_queues_encrypted_tls_only_and_redriven(dev, dev_nested):
    data_key = key_id(dev, "data")
    queues = family_queues(dev_nested)
    expected = {physical_name(logical, STAGE) for family in CATALOGUE.queue_families
                for logical in family.all_logicals()}
    assert set(queues) == expected and len(expected) == 3 * sum(len(f.members) for f in CATALOGUE.queue_families)
    assert not expected & {props(q)["QueueName"] for q in of_type(dev, "AWS::SQS::Queue").values()}
    for nested_id, template in dev_nested.items():
        tls_only = tls_only_queues(template)
        for logical_id, resource in of_type(template, "AWS::SQS::Queue").items():
            assert from_parent(dev, nested_id, template, props(resource)["KmsMasterKeyId"]) == data_key, logical_id
            assert logical_id in tls_only, f"{logical_id} accepts requests without TLS"
    for family in CATALOGUE.queue_families:
        for member in family.members:
            nested_id, dlq_id = queues[physical_name(family.dead_letter_logical(member), STAGE)]
            template = dev_nested[nested_id]
            dlq = props(template["Resources"][dlq_id])
            assert dlq["MessageRetentionPeriod"] == family.dead_letter_retention_seconds
            assert "RedrivePolicy" not in dlq
            for returning in (False, True):
                queue_stack, queue_id_ = queues[physical_name(family.queue_logical(member, returning), STAGE)]
                assert queue_stack == nested_id, f"{member}: its queues are not in one stack"
                queue = props(template["Resources"][queue_id_])
                assert queue["VisibilityTimeout"] == family.lease_seconds
                assert queue["MessageRetentionPeriod"] == family.message_retention_seconds
                assert queue["RedrivePolicy"]["maxReceiveCount"] == family.max_receive_count
                assert target(queue["RedrivePolicy"]["deadLetterTargetArn"]) == dlq_id


def test_a_member_stays_in_its_nested_stack_when_members_are_added_or_removed():
    """CloudFormation cannot move a named queue from one stack to another: a member's stack is a
    function of its name only."""
    family = CATALOGUE.queue_family("instruction")
    placed = {m: i for i, members in enumerate(members_by_stack(family)) for m in members}
    assert placed == {m: stack_of(m) for m in family.members}
    grown = QueueFamily(family.logical, members=("ddt-977", *family.members[1:], "ddt-978"))
    regrouped = {m: i for i, members in enumerate(members_by_stack(grown)) for m in members}
    assert all(regrouped[m] == placed[m] for m in family.members[1:])


def test_every_stack_holds_well_under_cloudformation_s_500_resources(packaged):
    counts = {}
    for stage in STAGES:
        for path in sorted(packaged.assembly(stage).glob("*.json")):
            if path.name.endswith((".template.json", ".translated.json")):
                counts[f"{stage}/{path.name}"] = len(json.loads(path.read_text())["Resources"])
    assert len([n for n in counts if ".nested." in n]) >= 2 * len(CATALOGUE.queue_families)
    assert max(counts.values()) <= 400, counts


def test_stream_consumers_report_partial_failures_retry_and_then_record_the_failure(dev_translated):
    tables = of_type(dev_translated, "AWS::DynamoDB::Table")
    mappings = [props(r) for r in of_type(dev_translated, "AWS::Lambda::EventSourceMapping").values()
                if target(props(r)["EventSourceArn"]) in tables]
    assert len(mappings) == len(CATALOGUE.stream_consumers)
    for consumer in CATALOGUE.stream_consumers:
        [mapping] = [m for m in mappings if target(m["FunctionName"]) == "".join(
            w.capitalize() for w in consumer.function.split("_"))]
        assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        assert mapping["MaximumRetryAttempts"] == consumer.max_retry_attempts
        assert mapping["BisectBatchOnFunctionError"] is True
        assert mapping["StartingPosition"] == "TRIM_HORIZON"
        assert target(mapping["DestinationConfig"]["OnFailure"]["Destination"]) == queue_id(
            dev_translated, consumer.on_failure_queue)


# --- SNS, SES --------------------------------------------------------------------------------------

def test_topics_are_encrypted_and_emails_have_a_domain_identity_and_a_configuration_set(dev, packaged):
    topics = of_type(dev, "AWS::SNS::Topic")
    names = {props(t)["TopicName"] for t in topics.values()}
    assert {physical_name(t.logical, STAGE) for t in CATALOGUE.topics} <= names
    assert f"permis-{STAGE}-operators" in names
    for logical_id, topic in topics.items():
        assert "KmsMasterKeyId" in props(topic), f"{logical_id} is not encrypted"
    for identity in CATALOGUE.email_identities:
        _, configuration_set = by_property(dev, "AWS::SES::ConfigurationSet", "Name",
                                           physical_name(identity.logical, STAGE))
        assert props(configuration_set)["DeliveryOptions"]["TlsPolicy"] == "REQUIRE"
        assert props(configuration_set)["SuppressionOptions"]["SuppressedReasons"] == ["BOUNCE", "COMPLAINT"]
        account = json.loads((packaged.assembly(STAGE) / "account.template.json").read_text())
        _, email = by_property(account, "AWS::SES::EmailIdentity", "EmailIdentity", identity.domain)
        assert props(email)["DkimSigningAttributes"]["NextSigningKeyLength"] == "RSA_2048_BIT"
        assert not of_type(dev, "AWS::SES::EmailIdentity"), "a stage must not claim the account's domain"


# --- Cognito ---------------------------------------------------------------------------------------

def test_the_user_pool_signs_in_by_email_with_long_passwords_threat_protection_and_staff_mfa(dev):
    pool = CATALOGUE.user_pool("users")
    pool_id, resource = by_property(dev, "AWS::Cognito::UserPool", "UserPoolName", physical_name(pool.logical, STAGE))
    p = props(resource)
    assert p["UsernameAttributes"] == ["email"]
    assert p["Policies"]["PasswordPolicy"] == {
        "MinimumLength": 12, "RequireLowercase": False, "RequireUppercase": False, "RequireNumbers": False,
        "RequireSymbols": False, "TemporaryPasswordValidityDays": 7, "PasswordHistorySize": 5}
    assert p["UserPoolAddOns"] == {"AdvancedSecurityMode": "ENFORCED"}  # compromised credentials, adaptive auth
    assert p["UserPoolTier"] == "PLUS"
    [risk] = [props(r) for r in of_type(dev, "AWS::Cognito::UserPoolRiskConfigurationAttachment").values()]
    assert target(risk["UserPoolId"]) == pool_id and risk["ClientId"] == "ALL"
    compromised = risk["CompromisedCredentialsRiskConfiguration"]
    assert compromised["Actions"]["EventAction"] == "BLOCK"
    assert set(compromised["EventFilter"]) == {"SIGN_IN", "PASSWORD_CHANGE", "SIGN_UP"}
    assert risk["AccountTakeoverRiskConfiguration"]["Actions"]["HighAction"]["EventAction"] == "BLOCK"
    assert p["MfaConfiguration"] == "OPTIONAL" and p["EnabledMfas"] == ["SOFTWARE_TOKEN_MFA"]
    assert p["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True
    assert p["DeletionProtection"] == "ACTIVE"
    assert "Permis en ligne" in p["VerificationMessageTemplate"]["EmailSubject"]  # French, not Cognito's English

    trigger = p["LambdaConfig"]["PreTokenGenerationConfig"]
    assert trigger["LambdaVersion"] == "V2_0"
    gate = target(trigger["LambdaArn"])
    assert props(dev["Resources"][gate])["Handler"].endswith(f".{pool.staff_mfa_function}")
    assert any(props(r)["Principal"] == "cognito-idp.amazonaws.com" and target(props(r)["SourceArn"]) == pool_id
               for r in of_type(dev, "AWS::Lambda::Permission").values())

    groups = {props(g)["GroupName"] for g in of_type(dev, "AWS::Cognito::UserPoolGroup").values()}
    assert groups == set(pool.groups)
    [(_, client)] = of_type(dev, "AWS::Cognito::UserPoolClient").items()
    assert props(client)["GenerateSecret"] is False
    assert props(client)["PreventUserExistenceErrors"] == "ENABLED"
    assert props(client)["EnableTokenRevocation"] is True


# --- API Gateway -----------------------------------------------------------------------------------

def test_the_api_is_throttled_per_stage_and_tighter_on_public_routes(dev_translated, app):
    [stage] = [props(r) for r in of_type(dev_translated, "AWS::ApiGateway::Stage").values()]
    settings = {(s["ResourcePath"], s["HttpMethod"]): s for s in stage["MethodSettings"]}
    default = settings[("/*", "*")]
    assert default["ThrottlingRateLimit"] == CONFIG.throttles["standard"].rate_per_second
    assert default["ThrottlingBurstLimit"] == CONFIG.throttles["standard"].burst
    public = [doc for doc in deployed_routes() if doc.rate_limit == "public"]
    assert public, "no public route to check"
    for doc in public:
        setting = settings[("/" + doc.path.replace("/", "~1"), doc.method)]
        assert setting["ThrottlingRateLimit"] < default["ThrottlingRateLimit"]
        assert setting["ThrottlingBurstLimit"] < default["ThrottlingBurstLimit"]
    assert all(s["DataTraceEnabled"] is False for s in stage["MethodSettings"])  # no bodies in logs
    assert target(stage["AccessLogSetting"]["DestinationArn"]) in of_type(dev_translated, "AWS::Logs::LogGroup")
    assert "$context.requestId" in stage["AccessLogSetting"]["Format"]
    assert stage["TracingEnabled"] is True


def test_gateway_refusals_carry_cors_headers_and_the_api_error_shape(dev_translated):
    [api] = [props(r) for r in of_type(dev_translated, "AWS::ApiGateway::RestApi").values()]
    responses = api["Body"]["x-amazon-apigateway-gateway-responses"]
    assert {"DEFAULT_4XX", "DEFAULT_5XX"} <= set(responses)
    for declared in GATEWAY_RESPONSES:
        response = responses[declared.gateway_type]
        assert response["statusCode"] == str(declared.status)
        headers = response["responseParameters"]
        assert headers["gatewayresponse.header.Access-Control-Allow-Origin"] == f"'{CONFIG.web_origin}'"
        assert f'"code": "{declared.code}"' in response["responseTemplates"]["application/json"]
    assert api["Name"] == f"permis-{STAGE}"
    assert api["EndpointConfiguration"]["Types"] == ["REGIONAL"]


# --- IAM -------------------------------------------------------------------------------------------

def allowed_wildcard_resources(template: dict, stage: str | None) -> list[re.Pattern]:
    """The only resources with a "*" a policy may name: the sub-resources of one resource (a log
    group's streams, a table's streams, a bucket's objects) and the queues of a queue family of
    the stage (its physical prefix)."""
    types = {k: r["Type"] for k, r in template["Resources"].items()}
    tables = "|".join(re.escape(k) for k, t in types.items() if t == "AWS::DynamoDB::Table") or "(?!)"
    buckets = "|".join(re.escape(k) for k, t in types.items() if t == "AWS::S3::Bucket") or "(?!)"
    account = r"arn:\$\{AWS::Partition\}:%s:[a-z0-9-]+:\$\{AWS::AccountId\}:"
    shapes = [account % "logs" + r"log-group:[^*:]+:\*", rf"\$\{{({tables})\.Arn\}}/stream/\*",
              rf"\$\{{({buckets})\.Arn\}}/\*"]
    if stage:
        shapes += [account % "sqs" + re.escape(family.physical_prefix(stage)) + r"\*"
                   for family in CATALOGUE.queue_families]
    return [re.compile(shape) for shape in shapes]


def sms_policies(template: dict) -> set[str]:
    """The policies of the roles of functions the catalogue gives an "sms" access: the only ones
    that may publish to "*" (an SMS goes to a phone number, which has no ARN)."""
    texting = {function for function, accesses in CATALOGUE.function_access.items()
               if any(access.kind == "sms" for access in accesses)}
    roles = set()
    for function in of_type(template, "AWS::Serverless::Function").values():
        handler = props(function)["Handler"]
        if ("api_handler" if handler == "app.app" else handler.rsplit(".", 1)[1]) in texting:
            roles.add(target(props(function)["Role"]))
    return {k for k, p in of_type(template, "AWS::IAM::Policy").items()
            if roles & {target(r) for r in props(p).get("Roles", [])}}


def wildcard_problems(template: dict, stage: str | None = None) -> list[str]:
    """Actions written with a wildcard, "*" resources for actions that can be scoped (but SNS's
    publish to phone numbers, in the policies `sms_policies` names), and any other resource with a
    "*" than the shapes `allowed_wildcard_resources` lists."""
    allowed = allowed_wildcard_resources(template, stage)
    texting = sms_policies(template)
    problems = []
    for logical_id, resource in template["Resources"].items():
        documents = []
        if resource["Type"] == "AWS::IAM::Policy":
            documents.append(props(resource)["PolicyDocument"])
        if resource["Type"] == "AWS::IAM::Role":
            documents += [p["PolicyDocument"] for p in props(resource).get("Policies", [])]
        for document in documents:
            for statement in document["Statement"]:
                actions = as_list(statement.get("Action", []))
                problems += [f"{logical_id}: wildcard action {a}" for a in actions if "*" in a]
                resources = [render(r) for r in as_list(statement.get("Resource", []))]
                unscopable = UNSCOPABLE_ACTIONS | (PHONE_NUMBER_ACTIONS if logical_id in texting else set())
                if "*" in resources and not set(actions) <= unscopable:
                    problems.append(f"{logical_id}: resource * for {sorted(set(actions) - unscopable)}")
                problems += [f"{logical_id}: wildcard resource {r}" for r in resources
                             if "*" in r and r != "*" and not any(shape.fullmatch(r) for shape in allowed)]
    return problems


def test_no_policy_has_a_wildcard_action_or_a_wildcard_resource_that_could_be_narrower(packaged, dev, dev_nested):
    assert wildcard_problems(dev, STAGE) == []
    assert wildcard_problems(packaged.template("prod"), "prod") == []
    assert [p for nested in dev_nested.values() for p in wildcard_problems(nested, STAGE)] == []
    account = json.loads((packaged.assembly(STAGE) / "account.template.json").read_text())
    assert wildcard_problems(account) == []


def _sqs_arn(name: str) -> dict:
    return {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, f":sqs:{CONFIG.region}:",
                              {"Ref": "AWS::AccountId"}, f":{name}"]]}


def test_the_wildcard_check_catches_what_it_should():
    family = CATALOGUE.queue_family("instruction")
    template = {"Resources": {
        "Table": {"Type": "AWS::DynamoDB::Table"}, "Bucket": {"Type": "AWS::S3::Bucket"},
        "Broad": {"Type": "AWS::IAM::Policy", "Properties": {"PolicyDocument": {"Statement": [
            {"Effect": "Allow", "Action": "dynamodb:*", "Resource": "arn:aws:dynamodb:::table/x"},
            {"Effect": "Allow", "Action": ["sqs:SendMessage"], "Resource": "*"},
            {"Effect": "Allow", "Action": ["xray:PutTraceSegments"], "Resource": "*"},
            # allowed: the family's queues of this stage, a table's streams, a bucket's objects
            {"Effect": "Allow", "Action": ["sqs:SendMessage"], "Resource": _sqs_arn(f"{family.physical_prefix(STAGE)}*")},
            {"Effect": "Allow", "Action": ["dynamodb:GetRecords"],
             "Resource": {"Fn::Join": ["", [{"Fn::GetAtt": ["Table", "Arn"]}, "/stream/*"]]}},
            {"Effect": "Allow", "Action": ["s3:GetObject"],
             "Resource": {"Fn::Join": ["", [{"Fn::GetAtt": ["Bucket", "Arn"]}, "/*"]]}},
            # refused: every queue of the stage, another stage's family, a prefix without its dash,
            # a wildcard in the middle, a table's every sub-resource
            {"Effect": "Allow", "Action": ["sqs:SendMessage"], "Resource": [
                _sqs_arn(f"permis-{STAGE}-*"), _sqs_arn(f"{family.physical_prefix('prod')}*"),
                _sqs_arn(f"{family.physical_prefix(STAGE).rstrip('-')}*"),
                _sqs_arn(f"{family.physical_prefix(STAGE)}*-dlq")]},
            {"Effect": "Allow", "Action": ["dynamodb:GetItem"],
             "Resource": {"Fn::Join": ["", [{"Fn::GetAtt": ["Table", "Arn"]}, "/*"]]}}]}}}}}
    arn = f"arn:${{AWS::Partition}}:sqs:{CONFIG.region}:${{AWS::AccountId}}:"
    assert wildcard_problems(template, STAGE) == [
        "Broad: wildcard action dynamodb:*",
        "Broad: resource * for ['sqs:SendMessage']",
        f"Broad: wildcard resource {arn}permis-{STAGE}-*",
        f"Broad: wildcard resource {arn}{family.physical_prefix('prod')}*",
        f"Broad: wildcard resource {arn}permis-{STAGE}-instruction*",
        f"Broad: wildcard resource {arn}{family.physical_prefix(STAGE)}*-dlq",
        "Broad: wildcard resource ${Table.Arn}/*"]
    # Without a stage (the account's stack), no family prefix is allowed either.
    assert f"Broad: wildcard resource {arn}{family.physical_prefix(STAGE)}*" in wildcard_problems(template)


def role_statements(template: dict) -> dict[str, list[dict]]:
    """Chalice function name -> the statements of its role's policies."""
    policies = of_type(template, "AWS::IAM::Policy")
    statements: dict[str, list[dict]] = {}
    for function in of_type(template, "AWS::Serverless::Function").values():
        handler = props(function)["Handler"]
        name = "api_handler" if handler == "app.app" else handler.rsplit(".", 1)[1]
        role_id = target(props(function)["Role"])
        statements[name] = [s for p in policies.values() if role_id in [target(r) for r in props(p)["Roles"]]
                            for s in props(p)["PolicyDocument"]["Statement"]]
    return statements


def test_only_the_functions_that_send_sms_may_publish_to_any_phone_number(dev):
    statements = role_statements(dev)
    publishing = {function for function, found in statements.items() for statement in found
                  if "sns:Publish" in as_list(statement["Action"]) and "*" in as_list(statement["Resource"])}
    assert publishing == {function for function, accesses in CATALOGUE.function_access.items()
                          if any(access.kind == "sms" for access in accesses)} == {"send_notifications"}
    # The exception is that one action: another "*" in the same policy is still refused.
    [policy_id] = [k for k in sms_policies(dev)]
    broken = json.loads(json.dumps(dev))
    props(broken["Resources"][policy_id])["PolicyDocument"]["Statement"].append(
        {"Effect": "Allow", "Action": ["ses:SendEmail"], "Resource": "*"})
    assert wildcard_problems(broken, STAGE) == [f"{policy_id}: resource * for ['ses:SendEmail']"]
    # And a function without an "sms" access may not publish to "*".
    other = next(k for k in of_type(dev, "AWS::IAM::Policy") if k != policy_id)
    props(broken["Resources"][other])["PolicyDocument"]["Statement"].append(
        {"Effect": "Allow", "Action": ["sns:Publish"], "Resource": "*"})
    assert f"{other}: resource * for ['sns:Publish']" in wildcard_problems(broken, STAGE)


def test_queue_family_grants_name_the_family_prefix_in_the_roles_that_declare_them_and_no_other(dev):
    data_key = key_id(dev, "data")
    statements = role_statements(dev)
    for family in CATALOGUE.queue_families:
        family_arn = f"arn:${{AWS::Partition}}:sqs:{CONFIG.region}:${{AWS::AccountId}}:{family.physical_prefix(STAGE)}*"
        declared = {function: set(access.actions) for function, accesses in CATALOGUE.function_access.items()
                    for access in accesses if access.kind == "queue_family" and access.logical == family.logical}
        granted = {function: {a for s in found for a in as_list(s["Action"])
                              if family_arn in [render(r) for r in as_list(s["Resource"])]}
                   for function, found in statements.items()}
        assert {f: actions for f, actions in granted.items() if actions} == declared
        for function, actions in declared.items():
            on_the_key = {a for s in statements[function] if target(s["Resource"]) == data_key
                          for a in as_list(s["Action"])}
            assert set(kms_actions_implied(sorted(actions))) <= on_the_key, function
    assert set(declared) == {"api_handler", "relay_outbox"}  # the instruction family, today


def test_each_function_has_its_own_role_with_the_actions_the_catalogue_declares(dev):
    functions = of_type(dev, "AWS::Serverless::Function")
    roles = {k: r for k, r in of_type(dev, "AWS::IAM::Role").items()}
    role_of = {k: target(props(f)["Role"]) for k, f in functions.items()}
    assert len(set(role_of.values())) == len(functions), "two functions share a role"
    policies = of_type(dev, "AWS::IAM::Policy")
    for function_id, role_id in role_of.items():
        assert role_id in roles, f"{function_id} does not use a role of this stack"
        assert props(roles[role_id])["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
            "Service": "lambda.amazonaws.com"}
        assert "ManagedPolicyArns" not in props(roles[role_id]), "managed policies are too broad"
        granted = {action for p in policies.values() if role_id in [target(r) for r in props(p)["Roles"]]
                   for s in props(p)["PolicyDocument"]["Statement"] for action in as_list(s["Action"])}
        handler = props(functions[function_id])["Handler"]
        name = "api_handler" if handler == "app.app" else handler.rsplit(".", 1)[1]
        for access in CATALOGUE.function_access.get(name, ()):
            assert set(access.actions) <= granted, f"{name} lacks {set(access.actions) - granted}"
        assert {"logs:CreateLogStream", "logs:PutLogEvents"} <= granted
        administrative = ("iam:", "kms:Create", "kms:Schedule", "kms:Disable", "dynamodb:DeleteTable",
                          "dynamodb:UpdateTable", "s3:DeleteBucket", "s3:PutBucket", "cognito-idp:DeleteUserPool")
        assert not {a for a in granted if a.startswith(administrative)}


# --- alarms ----------------------------------------------------------------------------------------

def _alarms(template: dict) -> list[dict]:
    return [props(r) for r in of_type(template, "AWS::CloudWatch::Alarm").values()]


def test_operators_are_alarmed_on_dead_letters_old_messages_api_5xx_and_lambda_errors(dev):
    alarms = _alarms(dev)
    _, operators = by_property(dev, "AWS::SNS::Topic", "TopicName", f"permis-{STAGE}-operators")
    operators_id = next(k for k, r in dev["Resources"].items() if r is operators)
    assert all([target(a) for a in alarm["AlarmActions"]] == [operators_id] for alarm in alarms)

    def watched(metric_name: str) -> list[dict]:
        return [a for a in alarms if a.get("MetricName") == metric_name]

    dlq_alarmed = {target(a["Dimensions"][0]["Value"]) for a in watched("ApproximateNumberOfMessagesVisible")}
    for queue in CATALOGUE.queues:
        failure_queue = queue.dead_letter_logical if queue.has_dead_letter_queue else queue.logical
        assert queue_id(dev, failure_queue) in dlq_alarmed, f"no alarm when {failure_queue} fills"
    aged = {target(a["Dimensions"][0]["Value"]): a["Threshold"] for a in watched("ApproximateAgeOfOldestMessage")}
    for queue in CATALOGUE.queues:
        if queue.max_message_age_seconds:
            assert aged[queue_id(dev, queue.logical)] == queue.max_message_age_seconds
    [api_5xx] = watched("5XXError")
    assert {d["Name"]: d["Value"] for d in api_5xx["Dimensions"]} == {"ApiName": f"permis-{STAGE}", "Stage": "api"}
    assert api_5xx["Statistic"] == "Average" and api_5xx["Threshold"] == CONFIG.api_5xx_rate_alarm
    names = {props(f)["FunctionName"] for f in of_type(dev, "AWS::Serverless::Function").values()}
    for metric_name in ("Errors", "Throttles"):
        assert {a["Dimensions"][0]["Value"] for a in watched(metric_name)} == names


def test_operators_are_alarmed_on_the_application_s_own_alerts(dev):
    from chalicelib.observability import ALERT_METRICS

    alarms = {a["MetricName"]: a for a in _alarms(dev) if a.get("Namespace") == "PermisEnLigne"}
    assert set(alarms) == set(ALERT_METRICS) and "NephExhausted" in alarms
    for alarm in alarms.values():  # the dimensions alert_metric publishes, exactly
        assert alarm["Dimensions"] == [{"Name": "service", "Value": "permis"}]
        assert alarm["Statistic"] == "Sum" and alarm["Threshold"] == 1


def test_each_member_of_a_queue_family_has_a_dead_letter_alarm_to_the_operators_and_no_age_alarm(dev, dev_nested):
    _, operators = by_property(dev, "AWS::SNS::Topic", "TopicName", f"permis-{STAGE}-operators")
    operators_id = next(k for k, r in dev["Resources"].items() if r is operators)
    queues = family_queues(dev_nested)
    alarmed: dict[str, dict] = {}
    for nested_id, template in dev_nested.items():
        for alarm in _alarms(template):
            for key in ("AlarmActions", "OKActions"):
                assert [from_parent(dev, nested_id, template, a) for a in alarm[key]] == [operators_id]
            assert alarm["MetricName"] == "ApproximateNumberOfMessagesVisible", "only dead-letter alarms here"
            [dimension] = alarm["Dimensions"]
            name = next(n for n, (stack, queue) in queues.items()
                        if stack == nested_id and queue == target(dimension["Value"]))
            alarmed[name] = alarm
    dead_letters = {physical_name(family.dead_letter_logical(member), STAGE)
                    for family in CATALOGUE.queue_families for member in family.members}
    assert set(alarmed) == dead_letters
    for alarm in alarmed.values():
        assert alarm["Statistic"] == "Maximum" and alarm["Threshold"] == 1
        assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"


# --- stages ----------------------------------------------------------------------------------------

def _shape(template: dict) -> dict[str, tuple[str, frozenset]]:
    def paths(value: Any, prefix: str = "") -> set[str]:
        if isinstance(value, dict):
            return {p for k, v in value.items() for p in paths(v, f"{prefix}/{k}")} or {prefix}
        if isinstance(value, list):
            return {p for i, v in enumerate(value) for p in paths(v, f"{prefix}[{i}]")} or {prefix}
        return {prefix}
    return {k: (r["Type"], frozenset(paths(r.get("Properties", {})))) for k, r in template["Resources"].items()}


def test_dev_and_prod_have_the_same_resources_and_properties_only_values_differ(packaged, dev, prod, dev_nested):
    assert _shape(dev) == _shape(prod)
    prod_nested = packaged.nested("prod")
    assert set(dev_nested) == set(prod_nested)
    for nested_id, template in dev_nested.items():
        assert _shape(template) == _shape(prod_nested[nested_id]), nested_id
        assert template["Parameters"] == prod_nested[nested_id]["Parameters"]


@pytest.mark.parametrize("stage", sorted(STAGES))
def test_every_stage_is_named_after_itself(packaged, stage):
    text = (packaged.assembly(stage) / f"{stage}.template.json").read_text()
    others = [s for s in STAGES if s != stage]
    assert not [s for s in others if f"permis-{s}-" in text]
    assert STAGES[stage].web_origin in text
    for nested in packaged.nested(stage).values():
        assert not [s for s in others if f"permis-{s}-" in json.dumps(nested)]


def test_deployed_functions_read_the_same_environment_as_the_local_stack(dev, aws):
    """Every variable the embedded stack sets (chalicelib/local/provision.py) is set by infra too."""
    [api] = [f for f in of_type(dev, "AWS::Serverless::Function").values() if props(f)["Handler"] == "app.app"]
    variables = props(api)["Environment"]["Variables"]
    assert LOCAL_ONLY_VARIABLES and LOCAL_ONLY_VARIABLES <= set(aws)
    assert set(aws) - LOCAL_ONLY_VARIABLES <= set(variables), sorted(set(aws) - LOCAL_ONLY_VARIABLES - set(variables))
    assert not LOCAL_ONLY_VARIABLES & set(variables)
    for family in CATALOGUE.queue_families:
        assert family.env_url_prefix in aws  # the local stack sets it too (some members are provisioned)
        # A family queue's URL is the prefix and the rest of its name (chalicelib/settings.py family_queue_url).
        assert render(variables[family.env_url_prefix]) == (
            f"https://sqs.{CONFIG.region}.${{AWS::URLSuffix}}/${{AWS::AccountId}}/{family.physical_prefix(STAGE)}")
        assert aws[family.env_url_prefix].endswith(f"/{family.physical_prefix('test')}")
        assert not [v for v in variables if v.startswith(f"QUEUE_{family.logical.upper()}")], "a variable per queue"
    assert variables["PERMIS_STAGE"] == STAGE and variables["WEB_ORIGIN"] == CONFIG.web_origin
    assert props(api)["Tracing"] == "Active"
    # The ePhoto operator's API, which make run and the tests point at the local stand-in: the stage's
    # own, for the worker that fetches the images (make_attestations) as for every function.
    assert CONFIG.ephoto_api_url.startswith("https://")
    for function in of_type(dev, "AWS::Serverless::Function").values():
        assert props(function)["Environment"]["Variables"]["EPHOTO_API_URL"] == CONFIG.ephoto_api_url


def _lint(assembly) -> "subprocess.CompletedProcess[str]":
    import subprocess

    from tests.infra.conftest import LINT_PYTHON, PROJECT_DIR

    return subprocess.run([str(LINT_PYTHON), "-m", "infra.lint", str(assembly)], cwd=PROJECT_DIR,
                          capture_output=True, text=True, check=False)


def _copy_templates(packaged, tmp_path) -> None:
    """The stage's templates and asset manifests (not the zip), to break one of them."""
    for path in packaged.assembly(STAGE).glob("*.json"):
        if not path.name.endswith(".translated.json"):
            (tmp_path / path.name).write_text(path.read_text())


@pytest.mark.parametrize("breakage", ["queue visibility over SQS's maximum", "unknown SAM event property",
                                      "family queue visibility over SQS's maximum"])
def test_the_lint_step_fails_on_a_broken_template(packaged, dev, tmp_path, breakage):
    """make package's lint is not a formality: it refuses what CloudFormation or SAM would, in the
    stage's template and in its nested stacks'."""
    from infra.lint import nested_templates

    _copy_templates(packaged, tmp_path)
    path = tmp_path / f"{STAGE}.template.json"
    if breakage.startswith("family"):
        path = next(iter(nested_templates(path).values()))
    broken = json.loads(path.read_text())
    if "queue" in breakage:
        queue = next(r for r in of_type(broken, "AWS::SQS::Queue").values())
        queue["Properties"]["VisibilityTimeout"] = 99_999
    else:
        function = next(f for f in of_type(broken, "AWS::Serverless::Function").values() if props(f).get("Events"))
        next(iter(props(function)["Events"].values()))["Properties"]["MaximumRetries"] = 3
    path.write_text(json.dumps(broken))
    result = _lint(tmp_path)
    assert result.returncode != 0, result.stdout + result.stderr
    assert "99999" in result.stdout or "MaximumRetries" in result.stdout + result.stderr


def test_the_lint_step_fails_when_a_nested_stack_template_is_missing(packaged, tmp_path):
    from infra.lint import nested_templates

    _copy_templates(packaged, tmp_path)
    next(iter(nested_templates(tmp_path / f"{STAGE}.template.json").values())).unlink()
    result = _lint(tmp_path)
    assert result.returncode != 0 and "pile imbriquée" in result.stderr, result.stdout + result.stderr


def test_secrets_are_generated_at_deployment_and_encrypted_with_the_data_key(dev):
    for secret in CATALOGUE.secrets:
        _, resource = by_property(dev, "AWS::SecretsManager::Secret", "Name", physical_name(secret.logical, STAGE))
        assert target(props(resource)["KmsKeyId"]) == key_id(dev, "data")
        assert props(resource)["GenerateSecretString"]["PasswordLength"] >= 64
        assert "SecretString" not in props(resource)  # never a value in the template


def test_the_purge_runs_on_a_schedule_and_routes_are_guarded_by_the_token_authorizer(dev_translated, app):
    rules = [props(r) for r in of_type(dev_translated, "AWS::Events::Rule").values()]
    assert any(r["ScheduleExpression"] == "rate(1 hour)" for r in rules)
    [api] = [props(r) for r in of_type(dev_translated, "AWS::ApiGateway::RestApi").values()]
    [(name, authorizer)] = api["Body"]["securityDefinitions"].items()
    assert authorizer["x-amazon-apigateway-authorizer"]["type"] == "token"
    assert authorizer["x-amazon-apigateway-authorizer"]["authorizerResultTtlInSeconds"] == 300
    protected = [(path, method) for path, methods in api["Body"]["paths"].items()
                 for method, operation in methods.items() if operation.get("security")]
    declared = {(doc.path, doc.method.lower()) for doc in deployed_routes() if doc.roles}
    assert set(protected) == declared and declared
