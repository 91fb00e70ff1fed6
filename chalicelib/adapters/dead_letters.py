"""Dead-letter queues: look at what failed, and replay it into the queue it came from once the
cause is fixed. Works the same on moto and on AWS."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from chalicelib import settings
from chalicelib.resources import CATALOGUE


@dataclass(frozen=True)
class DeadLetter:
    message_id: str
    receive_count: int
    event_type: str | None
    body_size: int  # bodies may hold personal data: shown only on explicit request


def _dead_letter_url(queue_logical: str) -> str:
    queue = CATALOGUE.queue(queue_logical)
    if not queue.has_dead_letter_queue:
        raise ValueError(f"the queue {queue_logical!r} has no dead-letter queue")
    return settings.dead_letter_queue_url(queue_logical)


def peek_messages(sqs, url: str, limit: int = 10) -> list[dict]:
    """The first messages of a dead-letter queue as SQS gives them, left in place (visible again
    at once)."""
    return sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=min(limit, 10), VisibilityTimeout=0,
                               AttributeNames=["ApproximateReceiveCount", "SentTimestamp"],
                               MessageAttributeNames=["All"]).get("Messages", [])


def move(sqs, source: str, target: Callable[[dict], str], limit: int) -> int:
    """Moves up to `limit` messages from the dead-letter queue `source` to the queue `target(message)`
    names; the number moved. A message is deleted from the DLQ only after it was sent, so a crash
    midway duplicates, never loses."""
    moved = 0
    while moved < limit:
        messages = sqs.receive_message(QueueUrl=source, MaxNumberOfMessages=min(10, limit - moved),
                                       MessageAttributeNames=["All"], VisibilityTimeout=30).get("Messages", [])
        if not messages:
            break
        for message in messages:
            sqs.send_message(QueueUrl=target(message), MessageBody=message["Body"],
                             MessageAttributes=message.get("MessageAttributes", {}))
            sqs.delete_message(QueueUrl=source, ReceiptHandle=message["ReceiptHandle"])
            moved += 1
    return moved


def peek(sqs, queue_logical: str, limit: int = 10) -> list[DeadLetter]:
    """The first messages of the queue's DLQ, left in place."""
    return [DeadLetter(m["MessageId"], int(m["Attributes"].get("ApproximateReceiveCount", 0)),
                       m.get("MessageAttributes", {}).get("event_type", {}).get("StringValue"), len(m["Body"]))
            for m in peek_messages(sqs, _dead_letter_url(queue_logical), limit)]


def redrive(sqs, queue_logical: str, limit: int = 1000) -> int:
    """Moves up to `limit` messages from the DLQ back to the queue; the number moved."""
    target = settings.queue_url(queue_logical)
    return move(sqs, _dead_letter_url(queue_logical), lambda _: target, limit)
