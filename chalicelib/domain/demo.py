"""Demo resource of the platform: a short message that a worker processes asynchronously.

It exists to prove the plumbing every procedure will use: a change and its outbox event committed
together, relayed from the table's stream to a queue, processed once by a worker, with poison
messages ending in a dead-letter queue."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import ConfigDict, Field, field_validator

from chalicelib.domain.base import Model


class DemoStatus(StrEnum):
    RECEIVED = "received"
    PROCESSED = "processed"


STATUS_LABELS = {DemoStatus.RECEIVED: "Reçu", DemoStatus.PROCESSED: "Traité"}

# A message whose text holds this word always fails processing: the demo's poison message.
POISON_WORD = "poison"


class DemoProcessingRefused(Exception):
    """Processing cannot succeed, however often it is retried."""


class DemoMessageInput(Model):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    text: str = Field(min_length=1, max_length=280, description="Texte du message (280 caractères au plus).")

    @field_validator("text")
    @classmethod
    def printable(cls, value: str) -> str:
        if any(ord(ch) < 32 for ch in value):
            raise ValueError("Le texte ne doit pas contenir de caractères de contrôle (retours à la ligne compris).")
        return value


class DemoMessage(Model):
    model_config = ConfigDict(extra="forbid")

    id: str
    text: str
    status: DemoStatus
    status_label: str
    version: int = Field(ge=1, description="Incrémenté à chaque changement (verrouillage optimiste).")
    created_at: datetime
    processed_at: datetime | None = None


def new_message(message_id: str, text: str, now: datetime) -> DemoMessage:
    return DemoMessage(id=message_id, text=text, status=DemoStatus.RECEIVED,
                       status_label=STATUS_LABELS[DemoStatus.RECEIVED], version=1, created_at=now)


def processed(message: DemoMessage, now: datetime) -> DemoMessage:
    """The processed message. Already processed: returned unchanged, so a replay is harmless."""
    if message.status is DemoStatus.PROCESSED:
        return message
    if POISON_WORD in message.text.lower():
        raise DemoProcessingRefused(message.id)
    return message.model_copy(update={
        "status": DemoStatus.PROCESSED, "status_label": STATUS_LABELS[DemoStatus.PROCESSED],
        "version": message.version + 1, "processed_at": now})
