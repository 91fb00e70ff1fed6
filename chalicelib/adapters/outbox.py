"""Outbox items: an event stored beside the change that caused it, in the same transaction."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from chalicelib.adapters.dynamo import from_item, to_item
from chalicelib.domain.events import OutboxEvent

OUTBOX_ENTITY = "outbox"
# Read once from the stream (24 h retention), kept a week for investigation, then expired by TTL.
OUTBOX_RETENTION = timedelta(days=7)


def outbox_put(table_name: str, event: OutboxEvent) -> dict[str, Any]:
    """The TransactWriteItems element that appends `event` to the outbox."""
    expires_at = int((event.occurred_at + OUTBOX_RETENTION).timestamp())
    item = {"pk": f"OUTBOX#{event.id}", "sk": "OUTBOX", "entity": OUTBOX_ENTITY, "expires_at": expires_at,
            **event.model_dump(mode="json")}
    return {"Put": {"TableName": table_name, "Item": to_item(item),
                    "ConditionExpression": "attribute_not_exists(pk)"}}


def event_from_stream_image(image: dict[str, Any]) -> OutboxEvent | None:
    """The event in a stream record's NewImage, or None when the record is not an outbox item."""
    values = from_item(image)
    if values.get("entity") != OUTBOX_ENTITY:
        return None
    return OutboxEvent.model_validate({k: values[k] for k in OutboxEvent.model_fields if k in values})


# DynamoDB's TTL deletes an item as this service principal (the stream record's userIdentity).
TTL_PRINCIPAL = "dynamodb.amazonaws.com"


def expired_draft_from_stream(record: dict[str, Any]) -> OutboxEvent | None:
    """A draft DynamoDB's TTL purged (3 months untouched) leaves its documents, history and files:
    the stream's REMOVE record becomes the same cue as a deletion by its filer. Its id is the stream
    record's (a redelivered record gives the same event). None for any other record."""
    from chalicelib.domain.request_events import DRAFT_DELETED

    identity = record.get("userIdentity") or {}
    if record.get("eventName") != "REMOVE" or identity.get("type") != "Service" \
            or identity.get("principalId") != TTL_PRINCIPAL:
        return None
    stream = record.get("dynamodb") or {}
    old = from_item(stream.get("OldImage") or {})
    if old.get("entity") != "request" or old.get("status") != "brouillon" or not old.get("request_id"):
        return None
    created = stream.get("ApproximateCreationDateTime")
    at = datetime.fromtimestamp(float(created), timezone.utc) if created else datetime.now(timezone.utc)
    return OutboxEvent(id=f"ttl-{record.get('eventID', old['request_id'])}", type=DRAFT_DELETED,
                       aggregate_id=old["request_id"], occurred_at=at,
                       payload={"request_id": old["request_id"], "expired": True})
