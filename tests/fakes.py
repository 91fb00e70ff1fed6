"""Fakes of the ports, for unit tests of the services (no AWS, no mocks of boto3)."""
from __future__ import annotations

from chalicelib.domain.demo import DemoMessage
from chalicelib.domain.events import OutboxEvent
from chalicelib.services.demo import DemoRepository


class FakeDemoRepository(DemoRepository):
    def __init__(self):
        self.messages: dict[str, DemoMessage] = {}
        self.events: list[OutboxEvent] = []

    def create(self, message: DemoMessage, event: OutboxEvent) -> None:
        assert message.id not in self.messages
        self.messages[message.id] = message
        self.events.append(event)

    def get(self, message_id: str) -> DemoMessage | None:
        return self.messages.get(message_id)

    def replace(self, message: DemoMessage, expected_version: int) -> bool:
        if self.messages[message.id].version != expected_version:
            return False
        self.messages[message.id] = message
        return True
