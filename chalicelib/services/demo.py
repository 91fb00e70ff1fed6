"""Use cases of the demo resource."""
from __future__ import annotations

import uuid
from abc import ABC, abstractmethod
from datetime import UTC, datetime
from typing import Callable

from chalicelib.domain import demo
from chalicelib.domain.errors import Conflict, NotFound
from chalicelib.domain.events import OutboxEvent

MESSAGE_RECEIVED = "demo.message_received"


class DemoRepository(ABC):
    """Port: storage of demo messages and of their outbox events."""

    @abstractmethod
    def create(self, message: demo.DemoMessage, event: OutboxEvent) -> None:
        """Store the message and its event atomically."""

    @abstractmethod
    def get(self, message_id: str) -> demo.DemoMessage | None: ...

    @abstractmethod
    def replace(self, message: demo.DemoMessage, expected_version: int) -> bool:
        """Store `message` if the stored version is still `expected_version`; False otherwise."""


def _now() -> datetime:
    return datetime.now(UTC)


def _new_id() -> str:
    return str(uuid.uuid4())


def submit_message(repository: DemoRepository, text: str, *, now: Callable[[], datetime] = _now,
                   new_id: Callable[[], str] = _new_id) -> demo.DemoMessage:
    moment = now()
    message = demo.new_message(new_id(), text, moment)
    event = OutboxEvent(id=new_id(), type=MESSAGE_RECEIVED, aggregate_id=message.id, occurred_at=moment,
                        payload={"message_id": message.id})
    repository.create(message, event)
    return message


def get_message(repository: DemoRepository, message_id: str) -> demo.DemoMessage:
    message = repository.get(message_id)
    if message is None:
        raise NotFound("demo_message_not_found",
                       "Ce message de démonstration n'existe pas : vérifiez son identifiant.")
    return message


def process_message(repository: DemoRepository, message_id: str, *,
                    now: Callable[[], datetime] = _now) -> demo.DemoMessage:
    """Worker side. Raises DemoProcessingRefused for a poison message (the queue retries it,
    then parks it in its dead-letter queue) and Conflict when another worker changed it meanwhile."""
    message = get_message(repository, message_id)
    result = demo.processed(message, now())
    if result is message:
        return message
    if not repository.replace(result, expected_version=message.version):
        raise Conflict("demo_message_changed", "Le message a été modifié entre-temps : réessayez.",
                       current=None)
    return result
