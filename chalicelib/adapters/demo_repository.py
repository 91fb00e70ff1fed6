"""DynamoDB storage of demo messages (access patterns in chalicelib/resources.py, MAIN_TABLE)."""
from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from chalicelib.adapters.dynamo import from_item, to_item
from chalicelib.adapters.outbox import outbox_put
from chalicelib.domain.demo import DemoMessage
from chalicelib.domain.events import OutboxEvent
from chalicelib.services.demo import DemoRepository

ENTITY = "demo_message"


def _key_values(message_id: str) -> dict[str, str]:
    return {"pk": f"DEMO#{message_id}", "sk": "DEMO"}


def _key(message_id: str) -> dict[str, Any]:
    return to_item(_key_values(message_id))


def _item(message: DemoMessage) -> dict[str, Any]:
    return to_item({**_key_values(message.id), "entity": ENTITY, "gsi1pk": "DEMO",
                    "gsi1sk": message.created_at.isoformat(), **message.model_dump(mode="json")})


class DynamoDemoRepository(DemoRepository):
    def __init__(self, dynamodb_client, table_name: str):
        self._db = dynamodb_client
        self._table = table_name

    def create(self, message: DemoMessage, event: OutboxEvent) -> None:
        self._db.transact_write_items(TransactItems=[
            {"Put": {"TableName": self._table, "Item": _item(message),
                     "ConditionExpression": "attribute_not_exists(pk)"}},
            outbox_put(self._table, event),
        ])

    def get(self, message_id: str) -> DemoMessage | None:
        item = self._db.get_item(TableName=self._table, Key=_key(message_id), ConsistentRead=True).get("Item")
        if item is None:
            return None
        values = from_item(item)
        return DemoMessage.model_validate({k: values.get(k) for k in DemoMessage.model_fields})

    def replace(self, message: DemoMessage, expected_version: int) -> bool:
        try:
            self._db.put_item(TableName=self._table, Item=_item(message),
                              ConditionExpression="version = :expected",
                              ExpressionAttributeValues={":expected": {"N": str(expected_version)}})
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True
