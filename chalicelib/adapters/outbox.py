"""Outbox items: an event stored beside the change that caused it, in the same transaction."""
from __future__ import annotations

from datetime import timedelta
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
