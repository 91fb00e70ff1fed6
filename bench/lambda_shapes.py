"""Lambda-shaped inputs shared by the benchmarks: a minimal context object and the events that
API Gateway (REST proxy), DynamoDB Streams and SQS hand to a function.

Kept dependency-free (standard library only): the cold-start child imports it, and anything it
imported would be counted in the cold start of both the app and the reference."""
from __future__ import annotations

import uuid
from typing import Any


class LambdaContext:
    """The attributes of the real Lambda context that Chalice and Powertools read."""

    def __init__(self, function_name: str = "permis-local", memory_limit_in_mb: int = 512,
                 timeout_ms: int = 30_000) -> None:
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.memory_limit_in_mb = memory_limit_in_mb
        self.aws_request_id = str(uuid.uuid4())
        self.invoked_function_arn = f"arn:aws:lambda:eu-west-3:123456789012:function:{function_name}"
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = "bench"
        self._timeout_ms = timeout_ms

    def get_remaining_time_in_millis(self) -> int:
        return self._timeout_ms


def api_gateway_event(method: str, resource_path: str, path: str | None = None,
                      path_parameters: dict[str, str] | None = None, body: str | None = None,
                      headers: dict[str, str] | None = None, request_id: str = "bench-request-1") -> dict[str, Any]:
    """An API Gateway REST (v1) proxy event, as the `api` stage delivers it to the API function."""
    path = path or resource_path
    headers = headers or {}
    return {
        "resource": resource_path,
        "path": path,
        "httpMethod": method,
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": path_parameters,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": resource_path,
            "httpMethod": method,
            "path": f"/api{path}",
            "stage": "api",
            "requestId": request_id,
            "accountId": "123456789012",
            "apiId": "bench",
            "protocol": "HTTP/1.1",
            "identity": {"sourceIp": "127.0.0.1", "userAgent": "bench"},
        },
        "body": body,
        "isBase64Encoded": False,
    }


def dynamodb_stream_event(records: list[dict[str, Any]], stream_arn: str, region: str) -> dict[str, Any]:
    """A DynamoDB Streams event from records as `dynamodbstreams.get_records` returns them."""
    lambda_records = []
    for record in records:
        dynamodb = dict(record["dynamodb"])
        created = dynamodb.get("ApproximateCreationDateTime")
        if created is not None and not isinstance(created, (int, float)):
            # boto3 parses it into a datetime; Lambda delivers epoch seconds.
            dynamodb["ApproximateCreationDateTime"] = int(created.timestamp())
        lambda_records.append({
            "eventID": record["eventID"],
            "eventName": record["eventName"],
            "eventVersion": record.get("eventVersion", "1.1"),
            "eventSource": "aws:dynamodb",
            "awsRegion": region,
            "dynamodb": dynamodb,
            "eventSourceARN": stream_arn,
        })
    return {"Records": lambda_records}


def sqs_event(messages: list[dict[str, Any]], queue_arn: str, region: str) -> dict[str, Any]:
    """An SQS event from messages as `sqs.receive_message` returns them (with all attributes)."""
    lambda_records = []
    for message in messages:
        attributes = {
            "ApproximateReceiveCount": "1", "SentTimestamp": "0", "SenderId": "bench",
            "ApproximateFirstReceiveTimestamp": "0", **message.get("Attributes", {}),
        }
        message_attributes = {
            name: {"stringValue": value.get("StringValue"), "binaryValue": value.get("BinaryValue"),
                   "stringListValues": [], "binaryListValues": [], "dataType": value["DataType"]}
            for name, value in message.get("MessageAttributes", {}).items()
        }
        lambda_records.append({
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message["Body"],
            "attributes": attributes,
            "messageAttributes": message_attributes,
            "md5OfBody": message.get("MD5OfBody", ""),
            "eventSource": "aws:sqs",
            "eventSourceARN": queue_arn,
            "awsRegion": region,
        })
    return {"Records": lambda_records}
