"""Dead-letter queues: look at what failed, and replay it into the queue it came from once the
cause is fixed. Works the same on moto and on AWS."""
from __future__ import annotations

from dataclasses import dataclass

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


def peek(sqs, queue_logical: str, limit: int = 10) -> list[DeadLetter]:
    """The first messages of the queue's DLQ, left in place (visible again at once)."""
    url = _dead_letter_url(queue_logical)
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=min(limit, 10), VisibilityTimeout=0,
                                   AttributeNames=["ApproximateReceiveCount"],
                                   MessageAttributeNames=["All"]).get("Messages", [])
    return [DeadLetter(m["MessageId"], int(m["Attributes"].get("ApproximateReceiveCount", 0)),
                       m.get("MessageAttributes", {}).get("event_type", {}).get("StringValue"), len(m["Body"]))
            for m in messages]


def redrive(sqs, queue_logical: str, limit: int = 1000) -> int:
    """Move up to `limit` messages from the DLQ back to the queue; the number moved. A message is
    deleted from the DLQ only after it was sent, so a crash midway duplicates, never loses."""
    source, target = _dead_letter_url(queue_logical), settings.queue_url(queue_logical)
    moved = 0
    while moved < limit:
        messages = sqs.receive_message(QueueUrl=source, MaxNumberOfMessages=min(10, limit - moved),
                                       MessageAttributeNames=["All"], VisibilityTimeout=30).get("Messages", [])
        if not messages:
            break
        for message in messages:
            sqs.send_message(QueueUrl=target, MessageBody=message["Body"],
                             MessageAttributes=message.get("MessageAttributes", {}))
            sqs.delete_message(QueueUrl=source, ReceiptHandle=message["ReceiptHandle"])
            moved += 1
    return moved
