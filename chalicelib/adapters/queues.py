"""Sending to SQS queues named in the catalogue."""
from __future__ import annotations

import json

from chalicelib import settings
from chalicelib.domain.events import OutboxEvent


class QueuePublisher:
    def __init__(self, sqs_client):
        self._sqs = sqs_client

    def publish_event(self, queue_logical: str, event: OutboxEvent) -> None:
        self.publish_event_to(settings.queue_url(queue_logical), event)

    def publish_event_to(self, queue_url: str, event: OutboxEvent) -> None:
        self._sqs.send_message(
            QueueUrl=queue_url,
            MessageBody=event.model_dump_json(),
            MessageAttributes={"event_type": {"DataType": "String", "StringValue": event.type},
                               "event_id": {"DataType": "String", "StringValue": event.id}},
        )


def event_from_message_body(body: str) -> OutboxEvent:
    return OutboxEvent.model_validate(json.loads(body))


def publish_events(sqs_client, queue_url: str, events: list[OutboxEvent]) -> None:
    """Events sent ten at a time (SendMessageBatch), shaped as publish_event_to sends them one by one:
    the simulated history of the demo and of the seed test (chalicelib/local/statistics_demo.py)."""
    for start in range(0, len(events), 10):
        sqs_client.send_message_batch(QueueUrl=queue_url, Entries=[
            {"Id": str(n), "MessageBody": event.model_dump_json(),
             "MessageAttributes": {"event_type": {"DataType": "String", "StringValue": event.type},
                                   "event_id": {"DataType": "String", "StringValue": event.id}}}
            for n, event in enumerate(events[start:start + 10])])
