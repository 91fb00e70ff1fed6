"""Production parity (issue 19, item 1): every function of the built artefacts, run the way the
Lambda runtime runs it, behaves as it does on the local stack.

The dev stage's zips are unpacked; each function of the template is started in a fresh
interpreter with nothing but its own zip on its path (no site-packages; the zip's own bytecode, never written), its template
handler string and its template environment (resource identifiers resolved to a moto server
provisioned for the stage), and invoked once with an event shaped as its source sends it: a real
SQS message, a real stream record, EventBridge's scheduled event, API Gateway's proxy and token
events, Cognito's trigger event. Each must answer, log with the event's correlation id, write its
metrics line (EMF) and send its X-Ray subsegment: what the middleware does, and what a handler
reached without app.py (no middleware) silently skipped."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import uuid
import zipfile
from pathlib import Path
from typing import Any

import pytest

from chalicelib.resources import CATALOGUE, physical_name
from infra.artefacts import cached_name
from infra.stages import STAGES
from tests.conftest import TEST_AUTHORITIES

STAGE = "dev"
BOOTSTRAP = Path(__file__).with_name("lambda_bootstrap.py")
DEPLOYED = CATALOGUE.deployed()


def _resolved(value: Any, provisioned: dict[str, str], variable: str) -> str:
    """A template value: literal as it is; an intrinsic (a Ref to a table, a queue's URL...) is the
    identifier the local provisioning gives the same variable."""
    if isinstance(value, str):
        return value
    assert variable in provisioned, f"{variable} is deployed but the local stack does not set it"
    return provisioned[variable]


@pytest.fixture(scope="module")
def artefacts(packaged, tmp_path_factory) -> dict[str, Path]:
    """Each zip of the stage (infra/artefacts.py), unpacked: its asset key -> its task root."""
    assert packaged.returncode == 0, packaged.output[-4000:]
    roots = {}
    for zip_path in packaged.assembly(STAGE).glob("asset.*.zip"):
        root = tmp_path_factory.mktemp("task")
        with zipfile.ZipFile(zip_path) as archive:
            names = set(archive.namelist())
            # Compiled for Lambda's read-only task root (infra/artefacts.py): every module of ours has its bytecode.
            missing = [n for n in names if n.endswith(".py") and n.startswith(("app.py", "chalicelib/"))
                       and cached_name(n) not in names]
            assert not missing, f"modules without their bytecode in the artefact: {missing[:5]}"
            archive.extractall(root)
        roots[zip_path.name.removeprefix("asset.")] = root
    return roots


@pytest.fixture(scope="module")
def moto_server(tmp_path_factory):
    """A moto server with the stage's resources (the deployed catalogue); yields (url, identifiers)."""
    from chalicelib.local.provision import provision
    from tests.stack_support import moto_server as started

    with started(tmp_path_factory.mktemp("moto")) as url:
        yield url, provision(STAGE, STAGES[STAGE].web_origin, endpoint_url=url, catalogue=DEPLOYED,
                             family_members=TEST_AUTHORITIES)


@pytest.fixture(scope="module")
def xray_daemon():
    """A UDP socket where the functions' X-Ray SDK sends its segments, as to Lambda's daemon."""
    receiver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    receiver.bind(("127.0.0.1", 0))
    receiver.settimeout(0.2)
    yield receiver
    receiver.close()


def _received_segments(receiver: socket.socket) -> list[dict]:
    segments = []
    while True:
        try:
            datagram = receiver.recv(65536).decode()
        except TimeoutError:
            return segments
        header, _, body = datagram.partition("\n")
        segments.append(json.loads(body))


def _client(moto_url: str, service: str):
    import boto3

    return boto3.client(service, endpoint_url=moto_url, region_name=STAGES[STAGE].region)


# --- the events each source sends ------------------------------------------------------------------

def _sqs_event(moto_url: str, queue_physical: str) -> tuple[dict, str]:
    """A message really sent to and received from the function's queue, as Lambda hands it over."""
    from chalicelib.local.pump import lambda_sqs_record

    sqs = _client(moto_url, "sqs")
    url = sqs.get_queue_url(QueueName=queue_physical)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    # An event no worker knows: each must answer for it (skip it or report it), never crash the batch.
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"id": str(uuid.uuid4()), "type": "parity.check",
                                                           "payload": {}}))
    [message] = sqs.receive_message(QueueUrl=url, AttributeNames=["All"], MessageAttributeNames=["All"],
                                    MaxNumberOfMessages=1).get("Messages", [])
    record = lambda_sqs_record(message, arn)
    return {"Records": [record]}, record["messageId"]


def _stream_event(moto_url: str, table_physical: str) -> tuple[dict, str]:
    """A record of the table's stream, after a write that is not an outbox event."""
    from chalicelib.local.pump import lambda_stream_record

    dynamodb, streams = _client(moto_url, "dynamodb"), _client(moto_url, "dynamodbstreams")
    dynamodb.put_item(TableName=table_physical, Item={"pk": {"S": "PARITY#CHECK"}, "sk": {"S": str(uuid.uuid4())}})
    stream_arn = dynamodb.describe_table(TableName=table_physical)["Table"]["LatestStreamArn"]
    [shard] = streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"]
    iterator = streams.get_shard_iterator(StreamArn=stream_arn, ShardId=shard["ShardId"],
                                          ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    records = streams.get_records(ShardIterator=iterator)["Records"]
    record = lambda_stream_record(records[-1], stream_arn)
    return {"Records": [record]}, record["eventID"]


def _api_event() -> tuple[dict, str]:
    request_id = str(uuid.uuid4())
    headers = {"Accept": "application/json", "Host": "api.example", "X-Forwarded-For": "203.0.113.9"}
    return {
        "resource": "/health", "path": "/health", "httpMethod": "GET", "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()}, "queryStringParameters": None,
        "multiValueQueryStringParameters": None, "pathParameters": None, "stageVariables": None,
        "requestContext": {"resourcePath": "/health", "httpMethod": "GET", "path": "/api/health",
                           "stage": "api", "requestId": request_id,
                           "identity": {"sourceIp": "203.0.113.9", "userAgent": "parity"}},
        "body": None, "isBase64Encoded": False}, request_id


def _token_event() -> dict:
    return {"type": "TOKEN", "authorizationToken": "Bearer not.a.token",
            "methodArn": f"arn:aws:execute-api:{STAGES[STAGE].region}:123456789012:abcdef/api/GET/me"}


def _cognito_event() -> dict:
    return {"version": "2", "triggerSource": "TokenGeneration_Authentication", "region": STAGES[STAGE].region,
            "userPoolId": "eu-west-3_parity", "userName": "parity", "callerContext": {},
            "request": {"userAttributes": {}, "groupConfiguration": {"groupsToOverride": ["candidat"]},
                        "scopes": []},
            "response": {"claimsAndScopeOverrideDetails": None}}


def _event_for(function: dict, template: dict, moto_url: str) -> tuple[dict, str | None, str]:
    """(event, the correlation id its logs must carry or None for Lambda's request id, kind)."""
    properties = function["Properties"]
    events = list(properties.get("Events", {}).values())
    if properties["Handler"] == "app.app":
        event, request_id = _api_event()
        return event, request_id, "api"
    if not events:
        if properties["Handler"].endswith(".jwt_authorizer"):
            return _token_event(), None, "authorizer"
        return _cognito_event(), None, "trigger"
    [source] = events
    if source["Type"] == "SQS":
        queue = template["Resources"][source["Properties"]["Queue"]["Fn::GetAtt"][0]]
        event, message_id = _sqs_event(moto_url, queue["Properties"]["QueueName"])
        return event, message_id, "sqs"
    if source["Type"] == "DynamoDB":
        event, event_id = _stream_event(moto_url, physical_name(DEPLOYED.tables[0].logical, STAGE))
        return event, event_id, "stream"
    assert source["Type"] == "Schedule", source
    from chalicelib.local.pump import scheduled_event

    event = scheduled_event()
    return event, event["id"], "schedule"


# --- the test --------------------------------------------------------------------------------------

def _functions(template: dict) -> dict[str, dict]:
    return {logical_id: resource for logical_id, resource in template["Resources"].items()
            if resource["Type"] == "AWS::Serverless::Function"}


def test_every_handler_is_reached_through_app_py(dev):
    handlers = sorted(f["Properties"]["Handler"] for f in _functions(dev).values())
    assert handlers and all(h.startswith("app.") for h in handlers), handlers


def test_every_deployed_function_runs_from_its_artefact_with_its_middleware(dev, artefacts, moto_server, xray_daemon,
                                                                             tmp_path):
    moto_url, provisioned = moto_server
    functions = _functions(dev)
    assert len(functions) >= 16
    problems: list[str] = []
    subsegments: dict[str, str] = {}  # the X-Ray subsegment each function's middleware opens
    for logical_id, function in sorted(functions.items()):
        properties = function["Properties"]
        event, correlation_id, kind = _event_for(function, dev, moto_url)
        subsegments[logical_id] = {"api": "## GET /health", "authorizer": "## jwt_authorizer"}.get(
            kind, f"## {properties['FunctionName']}")
        variables = properties.get("Environment", {}).get("Variables", {})
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "en_US.UTF-8", "TZ": ":UTC",
            "LAMBDA_TASK_ROOT": str(artefacts[properties["CodeUri"]["Key"]]), "_HANDLER": properties["Handler"],
            "AWS_EXECUTION_ENV": "AWS_Lambda_python3.11", "AWS_LAMBDA_FUNCTION_NAME": properties["FunctionName"],
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(properties.get("MemorySize", 128)),
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{properties['FunctionName']}",
            "AWS_REGION": STAGES[STAGE].region, "AWS_DEFAULT_REGION": STAGES[STAGE].region,
            "AWS_ACCESS_KEY_ID": "parity", "AWS_SECRET_ACCESS_KEY": "parity", "AWS_SESSION_TOKEN": "parity",
            "AWS_ENDPOINT_URL": moto_url,  # the one difference: moto instead of the regional endpoints
            "_X_AMZN_TRACE_ID": f"Root=1-{uuid.uuid4().hex[:8]}-{uuid.uuid4().hex[:24]};"
                                f"Parent={uuid.uuid4().hex[:16]};Sampled=1",
            "AWS_XRAY_DAEMON_ADDRESS": "127.0.0.1:%d" % xray_daemon.getsockname()[1],
            # As on Lambda's read-only task root: the zip's bytecode is loaded, none is written.
            "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR", "PYTHONDONTWRITEBYTECODE": "1",
            **{name: _resolved(value, provisioned, name) for name, value in variables.items()},
        }
        event_path, result_path = tmp_path / f"{logical_id}.event.json", tmp_path / f"{logical_id}.result.json"
        event_path.write_text(json.dumps(event))
        run = subprocess.run([sys.executable, "-S", str(BOOTSTRAP), str(event_path), str(result_path)],
                             env=env, capture_output=True, text=True, timeout=300, check=False)
        name = f"{logical_id} ({properties['Handler']})"
        if run.returncode or not result_path.exists():
            problems.append(f"{name}: the runtime failed: {run.stderr[-2000:]}")
            continue
        result = json.loads(result_path.read_text())
        lines = [json.loads(line) for line in run.stdout.splitlines() if line.startswith("{")]
        expected_id = correlation_id or result["request_id"]
        if kind == "authorizer":
            if result.get("errorMessage") != "Unauthorized":
                problems.append(f"{name}: a bad token must be refused with 'Unauthorized', got {result}")
        elif "ok" not in result:
            problems.append(f"{name}: {result.get('errorType')}: {result.get('errorMessage')} "
                            f"{result.get('stackTrace', [])[-6:]}")
            continue
        if kind == "api":
            response = result["ok"]
            if response["statusCode"] != 200 or response["headers"].get("X-Request-Id") != expected_id:
                problems.append(f"{name}: GET /health answered {response}")
        logs = [line for line in lines if "level" in line]
        if not [line for line in logs if line.get("correlation_id") == expected_id]:
            problems.append(f"{name}: no log line with the correlation id {expected_id}: {logs[-3:]}")
        metric = "HttpRequests" if kind == "api" else "Invocations"
        emf = [line for line in lines if "_aws" in line and metric in line]
        if not emf or emf[0]["_aws"]["CloudWatchMetrics"][0]["Namespace"] != "PermisEnLigne":
            problems.append(f"{name}: no metrics line with {metric}: {[l for l in lines if '_aws' in l]}")
    segments = _received_segments(xray_daemon)
    traced = {segment.get("name") for segment in segments}
    problems += [f"{logical_id}: no X-Ray subsegment {expected!r} (received: {sorted(traced)})"
                 for logical_id, expected in subsegments.items() if expected not in traced]
    assert not problems, "\n".join(problems)
