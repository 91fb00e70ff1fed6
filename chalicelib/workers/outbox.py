"""Outbox relay: after commit, each outbox event in the main table's stream is sent to the queue
of the work it triggers. Failed records are retried by Lambda, then recorded in the
stream-failures queue (infra sets that destination; the local event pump honours it)."""
from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from chalice import Blueprint

from chalicelib.adapters import wiring
from chalicelib.domain import request_events
from chalicelib.resources import MAIN_TABLE, runs_deployed, stream_arn_for

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

blueprint = Blueprint(__name__)

# Which queues receive each event type: adding a consumer of an event is one name here. An event
# with several consumers goes to each; a retry after a partial failure sends it to all again, and
# every consumer does its work once per event id.
@functools.cache
def queues_byevent_type() -> dict[str, tuple[str, ...]]:
    # Built on the relay's first record: the domain modules holding some event types load pydantic,
    # which the other functions importing app.py (the API's included) must not pay for.
    from chalicelib.domain import account_events, alerts, appointments, notifications, statistics, support_events

    queues: dict[str, tuple[str, ...]] = {
        **{event_type: ("emails",) for event_type in account_events.ALL},
        **{event_type: ("emails",) for event_type in request_events.EMAILED},
        request_events.SUBMITTED: ("receipts",),
        request_events.APPROVED: ("attestations",),
        # The attestation's verso printed again with the result; the CEPC made.
        request_events.EXAM_RESULT_RECORDED: ("attestations",),
        request_events.CEPC_ISSUED: ("attestations",),
        request_events.DOSSIER_REQUESTED: ("attestations",),  # the whole request as one PDF, for an agent
        request_events.EPHOTO_REQUESTED: ("attestations",),  # the ePhoto images fetched and checked, for an agent
        # The support desk's answer, emailed to the sender.
        support_events.TICKET_ANSWERED: ("emails",),
        # What a deleted draft left (its filer's deletion, or DynamoDB's TTL: relay_record below).
        request_events.DRAFT_DELETED: ("draft-deletions",),
    }
    if not runs_deployed():  # the demo resource (moto only, see app.py)
        from chalicelib.services.demo import MESSAGE_RECEIVED

        queues[MESSAGE_RECEIVED] = ("demo",)
    # The notifications worker (emails and SMS of a request's steps and messages, alert codes), beside the others.
    for event_type in (*notifications.NOTIFIED, alerts.CONFIRMATION_REQUESTED, request_events.MESSAGE_POSTED):
        queues[event_type] = (*queues.get(event_type, ()), "notifications")
    # Appointments (issue 9): the school's confirmation, reminder and cancellation emails.
    for event_type in appointments.EMAILED:
        queues[event_type] = (*queues.get(event_type, ()), "emails")
    # The statistics' counters (issue 9): every status change, school account opened, support ticket.
    for event_type in statistics.COUNTED_EVENTS:
        queues[event_type] = (*queues.get(event_type, ()), "statistics")
    return queues


def __getattr__(name: str):
    if name == "QUEUES_BY_EVENT_TYPE":
        return queues_byevent_type()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def relay_record(record: "DynamoDBRecord") -> None:
    # Imported here: it loads boto3, which the API function (importing app.py too) must not pay
    # for on a cold start that needs no AWS call.
    from chalicelib.adapters.outbox import event_from_stream_image, expired_draft_from_stream

    raw = record.raw_event
    if raw.get("eventName") == "REMOVE":  # a draft purged by TTL: its remains are deleted too
        expired = expired_draft_from_stream(raw)
        for queue in queues_byevent_type()[expired.type] if expired else ():
            wiring.queue_publisher().publish_event(queue, expired)
        return
    if raw.get("eventName") != "INSERT":
        return
    event = event_from_stream_image(raw["dynamodb"].get("NewImage", {}))
    if event is None:
        return
    if event.type == request_events.READY_FOR_INSTRUCTION:
        # To the authority's queue; back from a complement, to its returns queue, served first.
        from chalicelib.adapters.instruction_queues import queue_url

        wiring.queue_publisher().publish_event_to(queue_url(event.payload["authority"],
                                                            bool(event.payload.get("returning"))), event)
    for queue in queues_byevent_type().get(event.type, ()):
        wiring.queue_publisher().publish_event(queue, event)


@blueprint.on_dynamodb_record(stream_arn=stream_arn_for(MAIN_TABLE), batch_size=25, starting_position="TRIM_HORIZON")
def relay_outbox(event):
    # TRIM_HORIZON: events committed before the mapping existed are relayed too, never skipped.
    # Imported here: the API function imports app.py too and should not pay for batch tooling.
    from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

    processor = BatchProcessor(event_type=EventType.DynamoDBStreams, raise_on_entire_batch_failure=False)
    return process_partial_response(event=event.to_dict(), record_handler=relay_record,
                                    processor=processor, context=event.context)
