"""DynamoDB storage of a request's messages (access patterns in chalicelib/resources.py):
  REQUEST#<number> / MESSAGE#<time>#<id>   one message (its own item: a thread never grows one
                                           item; read with the request's partition, oldest first;
                                           expires after MESSAGE_RETENTION, purged with the request)
A message is put in one transaction with its outbox event (the emails to the others of the
thread) and a check that the request's status is still the one read: a message never lands on a
thread closed meanwhile."""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from chalicelib.adapters.dynamo import prefixed_items, to_item, transact
from chalicelib.adapters.outbox import outbox_put

if TYPE_CHECKING:
    from chalicelib.domain.events import OutboxEvent
    from chalicelib.domain.messages import Message
    from chalicelib.domain.procedures import RequestStatus

MESSAGE_PREFIX = "MESSAGE#"


class DynamoMessagesRepository:
    def __init__(self, dynamodb_client, table_name: str):
        self._db = dynamodb_client
        self._table = table_name

    def post_items(self, message: "Message", status: "RequestStatus", event: "OutboxEvent") -> list[dict[str, Any]]:
        """The transaction: the message, its event, the request still in `status`."""
        item = {"pk": f"REQUEST#{message.request_id}", "sk": f"{MESSAGE_PREFIX}{message.at.isoformat()}#"
                f"{message.message_id}", "entity": "message", "message_id": message.message_id,
                "side": message.side.value, "author_account_id": message.author_account_id,
                "author_label": message.author_label, "text": message.text, "at": message.at.isoformat(),
                "expires_at": message.expires_at()}
        return [{"Put": {"TableName": self._table, "Item": to_item(item),
                         "ConditionExpression": "attribute_not_exists(pk)"}},
                {"ConditionCheck": {"TableName": self._table,
                                    "Key": {"pk": {"S": f"REQUEST#{message.request_id}"}, "sk": {"S": "REQUEST"}},
                                    "ConditionExpression": "#status = :status",
                                    "ExpressionAttributeNames": {"#status": "status"},
                                    "ExpressionAttributeValues": {":status": {"S": status.value}}}},
                outbox_put(self._table, event)]

    def transact(self, items: list[dict[str, Any]]) -> None:
        transact(self._db, items)

    def thread(self, request_id: str) -> list["Message"]:
        """The request's messages, oldest first (every page of the partition's MESSAGE# range)."""
        from chalicelib.domain.messages import Message, Side

        rows = prefixed_items(self._db, self._table, f"REQUEST#{request_id}", MESSAGE_PREFIX)
        return [Message(message_id=row["message_id"], request_id=request_id, side=Side(row["side"]),
                        author_account_id=row["author_account_id"], author_label=row["author_label"],
                        text=row["text"], at=datetime.fromisoformat(row["at"])) for row in rows]
