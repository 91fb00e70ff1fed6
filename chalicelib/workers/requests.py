"""Workers of requests: the deposit receipt (PDF) made after each submission, outside the API
function (fpdf2 and its fonts never load there), the scheduled reminder and expiry of the
candidate's 7 days to validate, and the deletion of what a deleted (or TTL-purged) draft left."""
from __future__ import annotations

from typing import TYPE_CHECKING

from chalice import Blueprint, Rate

from chalicelib import settings
from chalicelib.adapters import wiring
from chalicelib.domain import request_events
from chalicelib.resources import RECEIPTS_PREFIX, physical_name
from chalicelib.workers.schedule import out_of_time

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

blueprint = Blueprint(__name__)


def make_receipt(request_id: str) -> str | None:
    """Writes the receipt's PDF, with its signed QR code, and records where it is and the payload
    (reused when the same receipt is made again); the S3 key, or None for an unknown request."""
    from chalicelib.documents.receipt import payload_for, receipt_data, render_receipt
    from chalicelib.domain.status_texts import filer_audience, next_step
    from chalicelib.domain.requests import required_documents

    repository = wiring.requests_repository()
    request = repository.get(request_id)
    if request is None or request.submitted_at is None:
        return None
    supplied = wiring.documents_repository().by_type(request_id)
    needed = required_documents(request, request.rules_day(request.submitted_at.date()))
    data = receipt_data(request, [d.label for d in needed if d.document.value in supplied],
                        next_step(request.status, filer_audience(request.mandate), request.procedure,
                                  mandate=request.mandate))  # the receipt is the filer's
    signer = wiring.signer()
    payload = payload_for(data, signer.kid, signer.sign, kept=(repository.receipt(request_id) or {}).get("payload"))
    key = f"{RECEIPTS_PREFIX}{request_id}.pdf"
    wiring.client("s3").put_object(Bucket=settings.bucket_name("documents"), Key=key,
                                   Body=render_receipt(data, payload), ContentType="application/pdf")
    repository.put_receipt(request_id, key, request.submitted_at, payload)
    return key


def process_record(record: "SQSRecord") -> None:
    from chalicelib.adapters.queues import event_from_message_body

    event = event_from_message_body(record.body)
    if event.type == request_events.SUBMITTED:
        make_receipt(event.payload["request_id"])


@blueprint.on_sqs_message(queue=physical_name("receipts"), batch_size=5)
def make_receipts(event):
    from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

    processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
    return process_partial_response(event=event.to_dict(), record_handler=process_record,
                                    processor=processor, context=event.context)


@blueprint.schedule(Rate(15, unit=Rate.MINUTES))
def remind_and_expire_validations(event):
    """Day 5: the candidate is reminded; day 7: the request returns to the school, nothing deleted."""
    return wiring.requests_service().remind_and_expire(out_of_time(event))


def purge_record(record: "SQSRecord") -> None:
    from chalicelib.adapters.queues import event_from_message_body

    event = event_from_message_body(record.body)
    if event.type == request_events.DRAFT_DELETED:
        wiring.requests_service().purge_deleted_draft(event.payload["request_id"])


@blueprint.on_sqs_message(queue=physical_name("draft-deletions"), batch_size=5)
def purge_deleted_drafts(event):
    """Deletes what a deleted draft left: its items, alert subscriptions, ePhoto claim and files.
    Idempotent (a replay finds nothing left); a failed record is retried alone, then the DLQ."""
    from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

    processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
    return process_partial_response(event=event.to_dict(), record_handler=purge_record,
                                    processor=processor, context=event.context)
