"""Outbox events: written in the same transaction as the change they announce, relayed after
commit from the table's stream. Side effects never follow from a second write that can be lost."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import ConfigDict

from chalicelib.domain.base import Model


class OutboxEvent(Model):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    type: str  # e.g. "demo.message_received"
    aggregate_id: str
    occurred_at: datetime
    payload: dict[str, Any] = {}
