"""Conversions between Python values and DynamoDB's typed attribute values."""
from __future__ import annotations

from decimal import Decimal
from typing import Any, Iterator

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def _plain(value: Any) -> Any:
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def to_item(values: dict[str, Any]) -> dict[str, Any]:
    return {k: _serializer.serialize(_plain(v)) for k, v in values.items() if v is not None}


def from_item(item: dict[str, Any]) -> dict[str, Any]:
    values = {k: _deserializer.deserialize(v) for k, v in item.items()}
    return {k: (int(v) if isinstance(v, Decimal) and v == v.to_integral_value() else v) for k, v in values.items()}


class TransactionRefused(Exception):
    """A condition of the transaction failed; `failed` lists the indexes of the failed items."""

    def __init__(self, failed: list[int]):
        super().__init__(f"conditions failed at {failed}")
        self.failed = failed


def transact(dynamodb_client, items: list[dict]) -> None:
    """TransactWriteItems; a failed condition raises TransactionRefused with the failed indexes."""
    try:
        dynamodb_client.transact_write_items(TransactItems=items)
    except ClientError as error:
        if error.response["Error"]["Code"] != "TransactionCanceledException":
            raise
        reasons = error.response.get("CancellationReasons") or []
        failed = [i for i, reason in enumerate(reasons) if reason.get("Code") == "ConditionalCheckFailed"]
        raise TransactionRefused(failed) from None


JOB_PAGE = 100  # items read per Query by the scheduled jobs: a page at a time, as many pages as due


def due_items(dynamodb_client, *, table: str, partition: str, now_sort: str, projection: str | None = None,
              index: str = "gsi3", inclusive: bool = True) -> Iterator[dict]:
    """Every item of a sparse "due" partition of `index` whose due time (its sort key) is at or
    before `now_sort` (before, when not `inclusive`), oldest first, read a page at a time: a
    scheduled job drains all that is due, not the first page of it."""
    kwargs: dict[str, Any] = {"TableName": table, "IndexName": index, "Limit": JOB_PAGE,
                              "KeyConditionExpression": f"{index}pk = :due AND {index}sk {'<=' if inclusive else '<'} :now",
                              "ExpressionAttributeValues": {":due": {"S": partition}, ":now": {"S": now_sort}}}
    if projection:
        kwargs["ProjectionExpression"] = projection
    while True:
        answer = dynamodb_client.query(**kwargs)
        yield from (from_item(item) for item in answer["Items"])
        if "LastEvaluatedKey" not in answer:
            return
        kwargs["ExclusiveStartKey"] = answer["LastEvaluatedKey"]


def batch_get(db, table: str, keys: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The items of these keys (strongly consistent), by BatchGetItem's batches of 100, with what
    DynamoDB leaves unprocessed asked again; missing ones are left out. Raw items."""
    items: list[dict[str, Any]] = []
    for first in range(0, len(keys), 100):
        wanted = {table: {"Keys": keys[first:first + 100], "ConsistentRead": True}}
        while wanted:
            answer = db.batch_get_item(RequestItems=wanted)
            items += answer["Responses"].get(table, [])
            wanted = answer.get("UnprocessedKeys") or {}
    return items


def prefixed_items(db, table: str, partition: str, prefix: str) -> list[dict[str, Any]]:
    """Every item of `partition` whose sort key starts with `prefix`, in sort-key order (every page:
    a request's notes or messages, each an item of its own)."""
    items, start = [], None
    while True:
        page = db.query(TableName=table, ConsistentRead=True,
                        KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
                        ExpressionAttributeValues={":pk": {"S": partition}, ":prefix": {"S": prefix}},
                        **({"ExclusiveStartKey": start} if start else {}))
        items += [from_item(item) for item in page["Items"]]
        start = page.get("LastEvaluatedKey")
        if not start:
            return items
