"""Conversions between Python values and DynamoDB's typed attribute values."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

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
