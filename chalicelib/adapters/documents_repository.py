"""Documents of a request (main table): REQUEST#<number> / DOC#<type>, one item per document
type holding the latest upload (its S3 key), its state and, when refused, why. A new upload of
the same type replaces the record; the checker only ever updates the record of the upload it
checked (condition on the key), so a late message about a replaced file changes nothing."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.adapters.dynamo import from_item, to_item


def document_key(request_id: str, document: str) -> dict[str, Any]:
    return {"pk": {"S": f"REQUEST#{request_id}"}, "sk": {"S": f"DOC#{document}"}}


class DynamoDocumentsRepository:
    def __init__(self, dynamodb_client, table_name: str):
        self._db = dynamodb_client
        self._table = table_name

    def expect_upload(self, request_id: str, document: str, key: str, content_type: str, at: datetime) -> None:
        self._db.put_item(TableName=self._table, Item=to_item({
            "pk": f"REQUEST#{request_id}", "sk": f"DOC#{document}", "entity": "document", "request_id": request_id,
            "document": document, "key": key, "content_type": content_type, "state": "awaiting_upload",
            "updated_at": at.isoformat()}))

    def get(self, request_id: str, document: str) -> dict[str, Any] | None:
        item = self._db.get_item(TableName=self._table, Key=document_key(request_id, document),
                                 ConsistentRead=True).get("Item")
        return from_item(item) if item else None

    def list(self, request_id: str) -> list[dict[str, Any]]:
        page = self._db.query(TableName=self._table, ConsistentRead=True,
                              KeyConditionExpression="pk = :pk AND begins_with(sk, :doc)",
                              ExpressionAttributeValues={":pk": {"S": f"REQUEST#{request_id}"}, ":doc": {"S": "DOC#"}})
        return [from_item(item) for item in page["Items"]]

    def by_type(self, request_id: str) -> dict[str, dict[str, Any]]:
        return {record["document"]: record for record in self.list(request_id)}

    def unchanged(self, record: dict[str, Any]) -> dict[str, Any]:
        """A transaction item that fails when the document changed since `record` was read: a
        submission moves the request on from what it read, so a check landing in between makes it
        read again instead of leaving the request waiting for a check that already happened."""
        return {"ConditionCheck": {"TableName": self._table, "Key": document_key(record["request_id"], record["document"]),
                                   "ConditionExpression": "#state = :state AND updated_at = :at",
                                   "ExpressionAttributeNames": {"#state": "state"},
                                   "ExpressionAttributeValues": {":state": {"S": record["state"]},
                                                                 ":at": {"S": record["updated_at"]}}}}

    def mark_pending(self, record: dict[str, Any], at: datetime) -> dict[str, Any]:
        """A transaction item: the file awaited is in S3 (the submission saw it), its check is pending.
        Fails when the checker or a new upload got there first (the submission then reads again)."""
        return {"Update": {"TableName": self._table, "Key": document_key(record["request_id"], record["document"]),
                           "UpdateExpression": "SET #state = :pending, updated_at = :now",
                           "ConditionExpression": "#state = :state AND updated_at = :at",
                           "ExpressionAttributeNames": {"#state": "state"},
                           "ExpressionAttributeValues": {":pending": {"S": "pending"}, ":now": {"S": at.isoformat()},
                                                         ":state": {"S": record["state"]},
                                                         ":at": {"S": record["updated_at"]}}}}

    def put_ephoto(self, request_id: str, code: str, at: datetime) -> None:
        """The ePhoto code is not a file: it is accepted once its format is right and it is unused."""
        self._db.put_item(TableName=self._table, Item=to_item({
            "pk": f"REQUEST#{request_id}", "sk": "DOC#ephoto", "entity": "document", "request_id": request_id,
            "document": "ephoto", "code": code, "state": "accepted", "updated_at": at.isoformat()}))

    def ephoto_fetch_items(self, request_id: str, code: str, seen_at: str | None, at: datetime,
                           event) -> list[dict[str, Any]]:
        """Transaction items of an agent's first view of the ePhoto images: DOC#ephoto marked
        `pending` on condition that its code and its last fetch are the ones read (two views at once
        ask once: the second is refused and waits for the same fetch), and the event the
        attestations worker takes."""
        from chalicelib.adapters.outbox import outbox_put
        from chalicelib.domain.ephoto import PENDING

        values = {":code": {"S": code}, ":pending": {"S": PENDING}, ":at": {"S": at.isoformat()}}
        if seen_at is None:
            condition = "code = :code AND attribute_not_exists(fetch_at)"
        else:
            condition = "code = :code AND fetch_at = :seen"
            values[":seen"] = {"S": seen_at}
        return [{"Update": {"TableName": self._table, "Key": document_key(request_id, "ephoto"),
                            "UpdateExpression": "SET fetch_state = :pending, fetch_at = :at",
                            "ConditionExpression": condition, "ExpressionAttributeValues": values}},
                outbox_put(self._table, event)]

    def record_ephoto_fetch(self, request_id: str, code: str, state: str, stored: dict[str, tuple[str, str]],
                            at: datetime) -> bool:
        """What the operator's fetch gave: its state, and the key and content type of each part
        kept (`stored`: part -> (key, content type)). False when the request's code changed
        meanwhile (the filer gave another, or the request is gone): nothing is recorded."""
        values = {":code": {"S": code}, ":state": {"S": state}, ":at": {"S": at.isoformat()}}
        expression = "SET fetch_state = :state, fetch_at = :at"
        for part, (key, content_type) in stored.items():
            values[f":{part}_key"], values[f":{part}_type"] = {"S": key}, {"S": content_type}
            expression += f", {part}_key = :{part}_key, {part}_content_type = :{part}_type"
        try:
            self._db.update_item(TableName=self._table, Key=document_key(request_id, "ephoto"),
                                 UpdateExpression=expression, ConditionExpression="code = :code",
                                 ExpressionAttributeValues=values)
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def record_check(self, request_id: str, document: str, key: str, state: str, reason: str | None,
                     at: datetime, clean_key: str | None = None) -> bool:
        """False when the record is about another upload (replaced) or was checked already."""
        return record_verdict(self._db, self._table, document_key(request_id, document), key, state, reason, at,
                              clean_key, extra="updated_at = :at")


def record_verdict(db, table: str, item_key: dict[str, Any], upload_key: str, state: str, reason: str | None,
                   at: datetime, clean_key: str | None, extra: str | None = None) -> bool:
    """The checker's verdict on the record of one upload (a request's document, a message's
    attachment): its state, why when refused, the checked copy's key. False when the record is about
    another upload (replaced), was checked already (a replayed message) or is gone."""
    values = {":key": {"S": upload_key}, ":state": {"S": state}, ":at": {"S": at.isoformat()},
              ":accepted": {"S": "accepted"}, ":refused": {"S": "refused"}}
    expression = "SET #state = :state, checked_at = :at" + (f", {extra}" if extra else "")
    if reason:
        values[":reason"] = {"S": reason}
        expression += ", reason = :reason"
    if clean_key:
        values[":clean"] = {"S": clean_key}
        expression += ", clean_key = :clean"
    try:
        db.update_item(TableName=table, Key=item_key, UpdateExpression=expression, ExpressionAttributeValues=values,
                       ConditionExpression="#key = :key AND #state <> :accepted AND #state <> :refused",
                       ExpressionAttributeNames={"#state": "state", "#key": "key"})
    except ClientError as error:
        if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return False
        raise
    return True
