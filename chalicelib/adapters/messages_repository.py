"""DynamoDB storage of a request's messages (access patterns in chalicelib/resources.py):
  REQUEST#<number> / MESSAGE#<time>#<id>   one message (its own item: a thread never grows one
                                           item; read with the request's partition, oldest first;
                                           expires after MESSAGE_RETENTION, purged with the request)
  REQUEST#<number> / MESSAGE#ATTACHMENT#<id>  a file sent with a message: its upload's key, the
                                           checker's verdict, its message once sent (in the same
                                           range, so the thread's one Query brings them; "A" sorts
                                           after the messages' dates)
  REQUEST#<number> / THREAD                who wrote last and when (updated with each message): the
                                           worklist flags a request whose filer waits for an answer
A message is put in one transaction with its outbox event (the emails to the others of the
thread), its attachments marked sent (each the author's, checked or being checked, sent once) and
a check that the request's status is still the one read: a message never lands on a thread closed
meanwhile."""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from chalicelib.adapters.dynamo import from_item, prefixed_items, to_item, transact
from chalicelib.adapters.outbox import outbox_put

if TYPE_CHECKING:
    from chalicelib.domain.events import OutboxEvent
    from chalicelib.domain.messages import Attachment, Message
    from chalicelib.domain.procedures import RequestStatus

MESSAGE_PREFIX = "MESSAGE#"
ATTACHMENT_PREFIX = f"{MESSAGE_PREFIX}ATTACHMENT#"
THREAD_SORT = "THREAD"


def thread_key(request_id: str) -> dict[str, Any]:
    return {"pk": {"S": f"REQUEST#{request_id}"}, "sk": {"S": THREAD_SORT}}


def awaiting_answer(item: dict[str, Any]) -> bool:
    """A THREAD item whose last message is from the filing side: the filer waits for the agents."""
    from chalicelib.domain.messages import Side

    return from_item(item).get("last_side") == Side.FILING.value


def attachment_key(request_id: str, attachment_id: str) -> dict[str, Any]:
    return {"pk": {"S": f"REQUEST#{request_id}"}, "sk": {"S": f"{ATTACHMENT_PREFIX}{attachment_id}"}}


def _attachment(row: dict[str, Any]) -> "Attachment":
    from chalicelib.domain.messages import Attachment

    return Attachment(attachment_id=row["attachment_id"], file_name=row["file_name"], content_type=row["content_type"],
                      size=int(row["size"]), state=row["state"], reason=row.get("reason"),
                      message_id=row.get("message_id"), author_account_id=row.get("author_account_id"))


class DynamoMessagesRepository:
    def __init__(self, dynamodb_client, table_name: str):
        self._db = dynamodb_client
        self._table = table_name

    def post_items(self, message: "Message", status: "RequestStatus", event: "OutboxEvent") -> list[dict[str, Any]]:
        """The transaction: the message, its attachments marked sent with it (each still the author's,
        unsent and not refused), its event, the request still in `status`."""
        item = {"pk": f"REQUEST#{message.request_id}", "sk": f"{MESSAGE_PREFIX}{message.at.isoformat()}#"
                f"{message.message_id}", "entity": "message", "message_id": message.message_id,
                "side": message.side.value, "author_account_id": message.author_account_id,
                "author_label": message.author_label, "text": message.text, "at": message.at.isoformat(),
                "expires_at": message.expires_at(),
                "attachment_ids": [a.attachment_id for a in message.attachments] or None}
        attached = [{"Update": {
            "TableName": self._table, "Key": attachment_key(message.request_id, a.attachment_id),
            "UpdateExpression": "SET message_id = :message, expires_at = :expires",
            "ConditionExpression": "author_account_id = :author AND attribute_not_exists(message_id) "
                                   "AND #state <> :refused",
            "ExpressionAttributeNames": {"#state": "state"},
            "ExpressionAttributeValues": {":message": {"S": message.message_id},
                                          ":expires": {"N": str(message.expires_at())},
                                          ":author": {"S": message.author_account_id},
                                          ":refused": {"S": "refused"}}}} for a in message.attachments]
        return [{"Put": {"TableName": self._table, "Item": to_item(item),
                         "ConditionExpression": "attribute_not_exists(pk)"}}, *attached,
                {"ConditionCheck": {"TableName": self._table,
                                    "Key": {"pk": {"S": f"REQUEST#{message.request_id}"}, "sk": {"S": "REQUEST"}},
                                    "ConditionExpression": "#status = :status",
                                    "ExpressionAttributeNames": {"#status": "status"},
                                    "ExpressionAttributeValues": {":status": {"S": status.value}}}},
                {"Update": {"TableName": self._table, "Key": thread_key(message.request_id),
                            "UpdateExpression": "SET entity = :thread, request_id = :request, last_side = :side, "
                                                "last_at = :at",
                            "ExpressionAttributeValues": {":thread": {"S": "thread"},
                                                          ":request": {"S": message.request_id},
                                                          ":side": {"S": message.side.value},
                                                          ":at": {"S": message.at.isoformat()}}}},
                outbox_put(self._table, event)]

    def transact(self, items: list[dict[str, Any]]) -> None:
        transact(self._db, items)

    def thread(self, request_id: str) -> list["Message"]:
        """The request's messages, oldest first, each with its attachments (one Query of the
        partition's MESSAGE# range, every page)."""
        from chalicelib.domain.messages import Message, Side

        rows = prefixed_items(self._db, self._table, f"REQUEST#{request_id}", MESSAGE_PREFIX)
        sent = {row["attachment_id"]: _attachment(row) for row in rows
                if row.get("entity") == "message_attachment" and row.get("message_id")}
        return [Message(message_id=row["message_id"], request_id=request_id, side=Side(row["side"]),
                        author_account_id=row["author_account_id"], author_label=row["author_label"],
                        text=row["text"], at=datetime.fromisoformat(row["at"]),
                        attachments=tuple(sent[i] for i in row.get("attachment_ids") or () if i in sent))
                for row in rows if row.get("entity") == "message"]

    # --- attachments ---------------------------------------------------------------------------

    def expect_attachment(self, request_id: str, attachment: "Attachment", key: str, at: datetime,
                          expires_at: int) -> None:
        self._db.put_item(TableName=self._table, Item=to_item({
            "pk": f"REQUEST#{request_id}", "sk": f"{ATTACHMENT_PREFIX}{attachment.attachment_id}",
            "entity": "message_attachment", "request_id": request_id, "attachment_id": attachment.attachment_id,
            "author_account_id": attachment.author_account_id, "file_name": attachment.file_name,
            "content_type": attachment.content_type, "size": attachment.size, "key": key,
            "state": "awaiting_upload", "created_at": at.isoformat(), "expires_at": expires_at}),
            ConditionExpression="attribute_not_exists(pk)")

    def attachment_record(self, request_id: str, attachment_id: str) -> dict[str, Any] | None:
        """The stored record (with its keys), or None."""
        item = self._db.get_item(TableName=self._table, Key=attachment_key(request_id, attachment_id),
                                 ConsistentRead=True).get("Item")
        return from_item(item) if item else None

    def attachment(self, request_id: str, attachment_id: str) -> "Attachment | None":
        record = self.attachment_record(request_id, attachment_id)
        return _attachment(record) if record else None

    def record_attachment_check(self, request_id: str, attachment_id: str, key: str, state: str, reason: str | None,
                                at: datetime, clean_key: str | None) -> bool:
        """The checker's verdict; False when it was recorded already (a replayed message) or the record
        is gone (expired unsent, or purged with its request)."""
        from chalicelib.adapters.documents_repository import record_verdict

        return record_verdict(self._db, self._table, attachment_key(request_id, attachment_id), key, state, reason,
                              at, clean_key)
