"""Assertions on the synthesised templates (`make package`): each security and reliability
property the deployment promises, read from what CloudFormation would receive. `dev` is the CDK
template (SAM resources as Chalice writes them, plus infra's overrides); `dev_translated` is the
same after AWS's SAM translator, i.e. the plain resources that will exist."""
from __future__ import annotations

import json
import zipfile
from typing import Any

import pytest

from chalicelib.api.gateway import GATEWAY_RESPONSES
from chalicelib.api.http import ROUTE_DOCS
from chalicelib.resources import CATALOGUE, physical_name
from infra.permissions import UNSCOPABLE_ACTIONS
from infra.stages import STAGES

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


# --- make package ----------------------------------------------------------------------------------

def test_make_package_synthesises_and_lints_every_stage(packaged):
    assert packaged.returncode == 0, packaged.output[-4000:]
    assert packaged.output.count("aucun avertissement") == len(STAGES)
    for stage in STAGES:
        zips = list(packaged.assembly(stage).glob("asset.*.zip"))
        assert len(zips) == 1, f"{stage}: one code zip for every function, found {zips}"
        names = zipfile.ZipFile(zips[0]).namelist()
        assert "app.py" in names and "chalicelib/resources.py" in names
        assert "chalicelib/data/communes.json.gz" in names  # the address checks need it at run time
        assert {"joserfc/__init__.py", "altcha/__init__.py"} <= set(names)
        assert [n for n in names if n.startswith("cryptography/") and n.endswith(".abi3.so")], "no Lambda build"
        assert not [n for n in names if n.startswith(("chalicelib/local/", "chalicelib/cli/")) or "__pycache__" in n]
        assert (packaged.assembly(stage) / "account.template.json").exists()


# --- DynamoDB --------------------------------------------------------------------------------------

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
    tls_only = set()
    for policy in of_type(dev, "AWS::SQS::QueuePolicy").values():
        for statement in props(policy)["PolicyDocument"]["Statement"]:
            if statement["Effect"] == "Deny" and statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}:
                tls_only.update(target(q) for q in props(policy)["Queues"])
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
    public = [doc for doc in ROUTE_DOCS.values() if doc.rate_limit == "public"]
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

def wildcard_problems(template: dict) -> list[str]:
    """Actions written with a wildcard, and "*" resources for actions that can be scoped."""
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
                if "*" in as_list(statement.get("Resource", [])) and not set(actions) <= UNSCOPABLE_ACTIONS:
                    problems.append(f"{logical_id}: resource * for {sorted(set(actions) - UNSCOPABLE_ACTIONS)}")
    return problems


def test_no_policy_has_a_wildcard_action_or_a_wildcard_resource_that_could_be_narrower(packaged, dev):
    assert wildcard_problems(dev) == []
    assert wildcard_problems(packaged.template("prod")) == []
    account = json.loads((packaged.assembly(STAGE) / "account.template.json").read_text())
    assert wildcard_problems(account) == []


def test_the_wildcard_check_catches_what_it_should():
    template = {"Resources": {
        "Broad": {"Type": "AWS::IAM::Policy", "Properties": {"PolicyDocument": {"Statement": [
            {"Effect": "Allow", "Action": "dynamodb:*", "Resource": "arn:aws:dynamodb:::table/x"},
            {"Effect": "Allow", "Action": ["sqs:SendMessage"], "Resource": "*"},
            {"Effect": "Allow", "Action": ["xray:PutTraceSegments"], "Resource": "*"}]}}}}}
    assert wildcard_problems(template) == ["Broad: wildcard action dynamodb:*",
                                           "Broad: resource * for ['sqs:SendMessage']"]


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


# --- stages ----------------------------------------------------------------------------------------

def _shape(template: dict) -> dict[str, tuple[str, frozenset]]:
    def paths(value: Any, prefix: str = "") -> set[str]:
        if isinstance(value, dict):
            return {p for k, v in value.items() for p in paths(v, f"{prefix}/{k}")} or {prefix}
        if isinstance(value, list):
            return {p for i, v in enumerate(value) for p in paths(v, f"{prefix}[{i}]")} or {prefix}
        return {prefix}
    return {k: (r["Type"], frozenset(paths(r.get("Properties", {})))) for k, r in template["Resources"].items()}


def test_dev_and_prod_have_the_same_resources_and_properties_only_values_differ(dev, prod):
    assert _shape(dev) == _shape(prod)


@pytest.mark.parametrize("stage", sorted(STAGES))
def test_every_stage_is_named_after_itself(packaged, stage):
    text = (packaged.assembly(stage) / f"{stage}.template.json").read_text()
    others = [s for s in STAGES if s != stage]
    assert not [s for s in others if f"permis-{s}-" in text]
    assert STAGES[stage].web_origin in text


def test_deployed_functions_read_the_same_environment_as_the_local_stack(dev, aws):
    """Every variable the embedded stack sets (chalicelib/local/provision.py) is set by infra too."""
    [api] = [f for f in of_type(dev, "AWS::Serverless::Function").values() if props(f)["Handler"] == "app.app"]
    variables = props(api)["Environment"]["Variables"]
    assert set(aws) <= set(variables), sorted(set(aws) - set(variables))
    assert variables["PERMIS_STAGE"] == STAGE and variables["WEB_ORIGIN"] == CONFIG.web_origin
    assert props(api)["Tracing"] == "Active"


@pytest.mark.parametrize("breakage", ["queue visibility over SQS's maximum", "unknown SAM event property"])
def test_the_lint_step_fails_on_a_broken_template(packaged, dev, tmp_path, breakage):
    """make package's lint is not a formality: it refuses what CloudFormation or SAM would."""
    import subprocess

    from tests.infra.conftest import LINT_PYTHON, PROJECT_DIR

    broken = json.loads(json.dumps(dev))
    if breakage.startswith("queue"):
        queue = next(r for r in of_type(broken, "AWS::SQS::Queue").values())
        queue["Properties"]["VisibilityTimeout"] = 99_999
    else:
        function = next(f for f in of_type(broken, "AWS::Serverless::Function").values() if props(f).get("Events"))
        next(iter(props(function)["Events"].values()))["Properties"]["MaximumRetries"] = 3
    (tmp_path / f"{STAGE}.template.json").write_text(json.dumps(broken))
    result = subprocess.run([str(LINT_PYTHON), "-m", "infra.lint", str(tmp_path)], cwd=PROJECT_DIR,
                            capture_output=True, text=True, check=False)
    assert result.returncode != 0, result.stdout + result.stderr


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
    declared = {(doc.path, doc.method.lower()) for doc in ROUTE_DOCS.values() if doc.roles}
    assert set(protected) == declared and declared
