"""Demo worker: processes demo messages from the demo queue (poison ones end in its DLQ)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from chalice import Blueprint

from chalicelib.adapters import wiring
from chalicelib.resources import physical_name

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

blueprint = Blueprint(__name__)


def process_record(record: "SQSRecord") -> None:
    # Imported here, as in the other workers: their modules load pydantic, which app.py's import must not.
    from chalicelib.adapters.queues import event_from_message_body
    from chalicelib.services import demo as demo_service

    event = event_from_message_body(record.body)
    demo_service.process_message(wiring.demo_repository(), event.payload["message_id"])


@blueprint.on_sqs_message(queue=physical_name("demo"), batch_size=10)
def process_demo_messages(event):
    # Imported here: the API function imports app.py too and should not pay for batch tooling.
    from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

    processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
    return process_partial_response(event=event.to_dict(), record_handler=process_record,
                                    processor=processor, context=event.context)
