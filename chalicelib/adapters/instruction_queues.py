"""The instruction queues on SQS (`resources.QueueFamily` "instruction"): per authority, a queue of
new requests, a queue of requests back from a complement, and their dead-letter queue.

A claim is a receive whose visibility timeout is the agent's lease: while it runs no other agent
receives the message; extending or releasing changes that timeout; the decision deletes it."""
from __future__ import annotations

import json
from dataclasses import dataclass

from chalicelib import settings
from chalicelib.resources import CATALOGUE


FAMILY = "instruction"


def _family():
    return CATALOGUE.queue_family(FAMILY)


def queue_url(authority: str, returning: bool = False) -> str:
    return settings.family_queue_url(FAMILY, _family().queue_logical(authority.lower(), returning))


def dead_letter_url(authority: str) -> str:
    return settings.family_queue_url(FAMILY, _family().dead_letter_logical(authority.lower()))


@dataclass(frozen=True)
class QueuedMessage:
    message_id: str
    receipt_handle: str
    body: str
    receive_count: int
    sent_at_ms: int
    returning: bool

    def request_id(self) -> str | None:
        """The request the message is about, or None when the body is not an event we wrote."""
        try:
            value = json.loads(self.body)["payload"]["request_id"]
        except (ValueError, KeyError, TypeError):
            return None
        return value if isinstance(value, str) and value.isdigit() and len(value) == 12 else None


@dataclass(frozen=True)
class QueueDepth:
    waiting: int  # visible: nobody holds them
    claimed: int  # in flight: held by an agent's lease
    returning_waiting: int
    returning_claimed: int


class SqsInstructionQueues:
    def __init__(self, sqs_client):
        self._sqs = sqs_client

    def receive(self, authority: str, returning: bool, lease_seconds: int) -> QueuedMessage | None:
        """One message of the authority's queue (or returns queue), held for `lease_seconds`."""
        messages = self._sqs.receive_message(
            QueueUrl=queue_url(authority, returning), MaxNumberOfMessages=1, VisibilityTimeout=lease_seconds,
            WaitTimeSeconds=0, AttributeNames=["ApproximateReceiveCount", "SentTimestamp"]).get("Messages", [])
        return _message(messages[0], returning) if messages else None

    def hold(self, authority: str, returning: bool, receipt_handle: str, seconds: int) -> bool:
        """Sets the message's remaining invisibility (0: visible to the next agent at once). False
        when the receipt handle is no longer valid (the message was deleted or received again)."""
        from botocore.exceptions import ClientError

        try:
            self._sqs.change_message_visibility(QueueUrl=queue_url(authority, returning),
                                                ReceiptHandle=receipt_handle, VisibilityTimeout=seconds)
        except ClientError as error:
            if error.response["Error"]["Code"] in ("ReceiptHandleIsInvalid", "MessageNotInflight",
                                                   "InvalidParameterValue", "AWS.SimpleQueueService.MessageNotInflight"):
                return False
            raise
        return True

    def delete(self, authority: str, returning: bool, receipt_handle: str) -> None:
        self._sqs.delete_message(QueueUrl=queue_url(authority, returning), ReceiptHandle=receipt_handle)

    def set_aside(self, authority: str, message: QueuedMessage) -> None:
        """A message no code can read goes to the dead-letter queue at once (sent, then deleted:
        a crash in between duplicates it there, never loses it)."""
        self._sqs.send_message(QueueUrl=dead_letter_url(authority), MessageBody=message.body)
        self.delete(authority, message.returning, message.receipt_handle)

    def depth(self, authority: str) -> QueueDepth:
        counts = []
        for returning in (False, True):
            attributes = self._sqs.get_queue_attributes(
                QueueUrl=queue_url(authority, returning),
                AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
            counts += [int(attributes["ApproximateNumberOfMessages"]),
                       int(attributes["ApproximateNumberOfMessagesNotVisible"])]
        return QueueDepth(*counts)

    # --- dead letters ------------------------------------------------------------------------

    def dead_letters(self, authority: str, limit: int = 10) -> list[QueuedMessage]:
        """The first messages of the authority's dead-letter queue, left in place."""
        from chalicelib.adapters.dead_letters import peek_messages

        return [_message(m, False) for m in peek_messages(self._sqs, dead_letter_url(authority), limit)]

    def redrive(self, authority: str, limit: int = 100) -> int:
        """Moves dead letters back to the authority's queue (returning ones to its returns queue);
        a crash midway duplicates (the claims skip a duplicate), never loses."""
        from chalicelib.adapters.dead_letters import move

        return move(self._sqs, dead_letter_url(authority),
                    lambda message: queue_url(authority, _returning(message["Body"])), limit)


def _returning(body: str) -> bool:
    try:
        return bool(json.loads(body)["payload"].get("returning"))
    except (ValueError, KeyError, TypeError, AttributeError):
        return False


def _message(message: dict, returning: bool) -> QueuedMessage:
    attributes = message.get("Attributes", {})
    return QueuedMessage(message_id=message["MessageId"], receipt_handle=message["ReceiptHandle"],
                         body=message["Body"], receive_count=int(attributes.get("ApproximateReceiveCount", 1)),
                         sent_at_ms=int(attributes.get("SentTimestamp", 0)), returning=returning)
