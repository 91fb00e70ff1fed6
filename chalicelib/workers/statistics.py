"""Statistics worker: each committed event about a request's status, a school account opened or a
support ticket moves the pre-aggregated counters of its day and month, for its département and the
whole country (one of its shards), and each agent's decision moves its authority's day (the queue
health), out of the decision's own transaction (chalicelib/domain/statistics.py). Each event is
applied once: its marker is written in the same transaction as the counters, so a message delivered
twice or replayed from the dead-letter queue changes nothing; a concurrent change of a school's
count is read again and retried."""
from __future__ import annotations

from typing import TYPE_CHECKING

from chalice import Blueprint

from chalicelib.adapters import wiring
from chalicelib.observability import logger
from chalicelib.resources import physical_name

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

blueprint = Blueprint(__name__)


def process_record(record: "SQSRecord") -> None:
    from chalicelib.adapters.queues import event_from_message_body

    wiring.statistics().apply(event_from_message_body(record.body))


# Up to 5 s to fill a batch: one batch is one transaction and one write on a national shard, so
# full batches keep the most written items of the country cool (infra/CAPACITY.md); a figure may
# show 5 s later, which no one reading statistics notices.
@blueprint.on_sqs_message(queue=physical_name("statistics"), batch_size=10, maximum_batching_window_in_seconds=5)
def count_statistics(event):
    from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

    from chalicelib.adapters.queues import event_from_message_body

    records = event.to_dict()["Records"]
    try:  # the batch in one transaction (each event still once: its marker), else record by record
        wiring.statistics().apply_all([event_from_message_body(record["body"]) for record in records])
        return {"batchItemFailures": []}
    except Exception:
        logger.warning("statistics batch applied record by record")
    processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
    return process_partial_response(event=event.to_dict(), record_handler=process_record,
                                    processor=processor, context=event.context)
