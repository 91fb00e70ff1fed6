"""The event pump: what Lambda's event source mappings do, for the local stack.

`chalice local` serves HTTP routes only. The pump discovers every `on_sqs_message` and
`on_dynamodb_record` handler from the Chalice app itself, polls moto's queues and table streams,
and invokes the real handlers with events shaped like Lambda's (real message ids, receipt handles,
stream records). Like Lambda it honours `batchItemFailures`:
- SQS: only messages not reported as failed are deleted; failed ones become visible again (at
  once here, to keep the local loop fast) and moto moves them to the dead-letter queue once their
  receive count passes the queue's maxReceiveCount.
- Streams: a failed record is retried with the records after it; after the consumer's
  max_retry_attempts the batch's failure record (Lambda's on-failure shape) goes to the consumer's
  failure queue and the shard moves on.
`run_forever` polls each source in its own threads (two per queue), as each event source mapping
polls for its own function: a slow handler (the document checker) does not hold up the others, nor
one document check the next. An idle source is polled less and less often, and woken at once when
moto reports a write that may concern it (its change feed, chalicelib/local/processes.py: a message
sent to the queue, an item written to the stream's table, an upload to a bucket that notifies it): an idle stack costs next to
nothing and a request goes from one handler to the next without waiting for a poll. Against a moto
without the feed, the sources are polled at least twice a second, and a stream batch delivered wakes
the queues. Scheduled handlers (`@schedule`) run every `schedule_seconds` (a minute by
default: locally, an hourly job would never be seen running).
"""
from __future__ import annotations

import hashlib
import json
import os
import threading
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Callable

from chalice import Chalice
from chalice.app import DynamoDBEventConfig, ScheduledEventConfig, SQSEventConfig
from chalice.local import LambdaContext

from chalicelib.local.processes import CHANGES_PATH
from chalicelib.observability import logger
from chalicelib.sizing import memory_mb
from chalicelib.resources import (CATALOGUE, SCHEDULED_JOBS_ON_FAILURE, Catalogue, current_region, physical_name,
                                  table_name_from_stream_arn)

ClientFactory = Callable[[str], Any]
LAMBDA_TIMEOUT_MS = 60_000


@dataclass
class SqsSource:
    handler: str
    queue_url: str
    queue_arn: str
    batch_size: int


@dataclass
class StreamSource:
    handler: str
    stream_arn: str
    batch_size: int
    max_retry_attempts: int
    on_failure_queue_url: str | None
    starting_position: str = "TRIM_HORIZON"
    iterators: dict[str, str] = field(default_factory=dict)  # the first one per shard (starting position)
    # The last sequence number delivered per shard: each read asks a fresh iterator after it.
    positions: dict[str, str] = field(default_factory=dict)
    pending: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # records to retry, per shard
    attempts: dict[str, int] = field(default_factory=dict)


def _epoch(value: Any) -> float:
    return value.timestamp() if isinstance(value, datetime) else float(value)


def lambda_sqs_record(message: dict[str, Any], queue_arn: str) -> dict[str, Any]:
    attributes = message.get("Attributes", {})
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": {k: attributes[k] for k in ("ApproximateReceiveCount", "SentTimestamp", "SenderId",
                                                  "ApproximateFirstReceiveTimestamp") if k in attributes},
        "messageAttributes": {
            name: {"stringValue": value.get("StringValue"), "binaryValue": value.get("BinaryValue"),
                   "stringListValues": [], "binaryListValues": [], "dataType": value["DataType"]}
            for name, value in message.get("MessageAttributes", {}).items()},
        "md5OfBody": message.get("MD5OfBody") or hashlib.md5(message["Body"].encode()).hexdigest(),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": current_region(),
    }


def lambda_stream_record(record: dict[str, Any], stream_arn: str) -> dict[str, Any]:
    dynamodb = dict(record["dynamodb"])
    dynamodb["ApproximateCreationDateTime"] = _epoch(dynamodb.get("ApproximateCreationDateTime", time.time()))
    return {**{k: v for k, v in record.items() if k != "dynamodb"}, "dynamodb": dynamodb,
            "eventSourceARN": stream_arn}


def scheduled_event() -> dict[str, Any]:
    """What EventBridge hands a scheduled function."""
    return {"version": "0", "id": str(uuid.uuid4()), "detail-type": "Scheduled Event", "source": "aws.events",
            "account": "000000000000", "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "region": current_region(), "resources": [], "detail": {}}


def job_failure_record(handler: str, event: dict[str, Any], error: Exception) -> dict[str, Any]:
    """Lambda's on-failure record of an asynchronous invocation (what EventBridge's call becomes)."""
    return {
        "version": "1.0", "timestamp": datetime.now(UTC).isoformat(),
        "requestContext": {"requestId": str(uuid.uuid4()), "condition": "RetriesExhausted", "approximateInvokeCount": 3,
                           "functionArn": f"arn:aws:lambda:{current_region()}:123456789012:function:{handler}:$LATEST"},
        "requestPayload": event,
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
        "responsePayload": {"errorType": type(error).__name__, "errorMessage": "voir le journal de la fonction"},
    }


class EventPump:
    def __init__(self, app: Chalice, client: ClientFactory, *, catalogue: Catalogue = CATALOGUE,
                 stage: str | None = None, failure_visibility_seconds: int = 0, schedule_seconds: float = 60):
        self._app = app
        self._sqs = client("sqs")
        self._dynamodb = client("dynamodb")
        self._streams = client("dynamodbstreams")
        self._s3 = client("s3")
        self._catalogue = catalogue
        self._stage = stage
        self._failure_visibility = failure_visibility_seconds
        self.sqs_sources: list[SqsSource] = []
        self.stream_sources: list[StreamSource] = []
        self.scheduled: list[str] = []
        self._schedule_seconds = schedule_seconds
        self._last_schedule_run = 0.0
        self._job_failures_url = None if SCHEDULED_JOBS_ON_FAILURE not in {q.logical for q in catalogue.queues} \
            else self._sqs.get_queue_url(QueueName=physical_name(SCHEDULED_JOBS_ON_FAILURE, stage))["QueueUrl"]
        self._discover()

    # --- discovery -------------------------------------------------------------------------------

    def _discover(self) -> None:
        for source in self._app.event_sources:
            if isinstance(source, SQSEventConfig):
                name = source.queue or source.queue_arn.rsplit(":", 1)[1]
                url = self._sqs.get_queue_url(QueueName=name)["QueueUrl"]
                arn = self._sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
                self.sqs_sources.append(SqsSource(source.name, url, arn, min(source.batch_size, 10)))
            elif isinstance(source, DynamoDBEventConfig):
                self.stream_sources.append(self._stream_source(source))
            elif isinstance(source, ScheduledEventConfig):
                self.scheduled.append(source.name)

    def _stream_source(self, source: DynamoDBEventConfig) -> StreamSource:
        table = table_name_from_stream_arn(source.stream_arn)
        # The decorator may hold a name-derived ARN: the table's current stream is the real one.
        stream_arn = self._dynamodb.describe_table(TableName=table)["Table"]["LatestStreamArn"]
        consumer = self._catalogue.stream_consumer(source.name)
        failure_url = None
        if consumer is not None:
            failure_url = self._sqs.get_queue_url(
                QueueName=physical_name(consumer.on_failure_queue, self._stage))["QueueUrl"]
        stream = StreamSource(source.name, stream_arn, source.batch_size,
                              consumer.max_retry_attempts if consumer else 3, failure_url, source.starting_position)
        shards = self._streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"]
        for shard in shards:
            stream.iterators[shard["ShardId"]] = self._streams.get_shard_iterator(
                StreamArn=stream_arn, ShardId=shard["ShardId"],
                ShardIteratorType=source.starting_position)["ShardIterator"]
        return stream

    # --- delivery --------------------------------------------------------------------------------

    def _invoke(self, handler: str, event: dict[str, Any]) -> set[str] | None:
        """Run the handler; the identifiers it reported as failed, or None if it failed whole."""
        context = LambdaContext(handler, memory_size=memory_mb(handler), max_runtime_ms=LAMBDA_TIMEOUT_MS)
        try:
            result = self._app.handler_map[handler](event, context)
        except Exception:  # the whole batch failed, as Lambda sees an unhandled error
            logger.exception("handler failed", extra={"handler": handler})
            return None
        failures = (result or {}).get("batchItemFailures", []) if isinstance(result, dict) else []
        return {failure["itemIdentifier"] for failure in failures}

    def _pump_queue(self, source: SqsSource) -> int:
        messages = self._sqs.receive_message(
            QueueUrl=source.queue_url, MaxNumberOfMessages=source.batch_size, WaitTimeSeconds=0,
            AttributeNames=["All"], MessageAttributeNames=["All"]).get("Messages", [])
        if not messages:
            return 0
        records = [lambda_sqs_record(m, source.queue_arn) for m in messages]
        failed = self._invoke(source.handler, {"Records": records})
        if failed is None:
            failed = {r["messageId"] for r in records}
        done = [r for r in records if r["messageId"] not in failed]
        if done:
            self._sqs.delete_message_batch(QueueUrl=source.queue_url, Entries=[
                {"Id": str(i), "ReceiptHandle": r["receiptHandle"]} for i, r in enumerate(done)])
        for record in records:
            if record["messageId"] in failed:
                self._sqs.change_message_visibility(QueueUrl=source.queue_url, ReceiptHandle=record["receiptHandle"],
                                                    VisibilityTimeout=self._failure_visibility)
        return len(records)

    def _pump_shard(self, source: StreamSource, shard_id: str) -> int:
        records = source.pending.pop(shard_id, None)
        if records is None:
            iterator = source.iterators.get(shard_id)
            if iterator is None:
                return 0
            if shard_id in source.positions or source.starting_position == "TRIM_HORIZON":
                # A fresh iterator each time, not the NextShardIterator: moto undoes a refused
                # transaction by restoring a deep copy of the table, stream included, and an
                # iterator keeps reading the shard object it was made on: an old one would never
                # see another record (the relay stalled until the stack restarted).
                position = source.positions.get(shard_id)
                iterator = self._streams.get_shard_iterator(
                    StreamArn=source.stream_arn, ShardId=shard_id,
                    **({"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": position} if position
                       else {"ShardIteratorType": "TRIM_HORIZON"}))["ShardIterator"]
            response = self._streams.get_records(ShardIterator=iterator, Limit=source.batch_size)
            if not response.get("NextShardIterator"):
                source.iterators.pop(shard_id)  # a closed shard
            records = [lambda_stream_record(r, source.stream_arn) for r in response.get("Records", [])]
            if records:
                source.positions[shard_id] = records[-1]["dynamodb"]["SequenceNumber"]
        if not records:
            return 0
        failed = self._invoke(source.handler, {"Records": records})
        if failed is None:
            failed = {records[0]["dynamodb"]["SequenceNumber"]}
        if not failed:
            source.attempts.pop(shard_id, None)
            return len(records)
        first_failed = min(i for i, r in enumerate(records) if r["dynamodb"]["SequenceNumber"] in failed)
        remaining = records[first_failed:]
        attempts = source.attempts.get(shard_id, 0) + 1
        if attempts > source.max_retry_attempts:
            self._send_stream_failure(source, shard_id, remaining, attempts)
            source.attempts.pop(shard_id, None)
        else:
            source.attempts[shard_id] = attempts
            source.pending[shard_id] = remaining
        return len(records)

    def _send_stream_failure(self, source: StreamSource, shard_id: str, records: list[dict[str, Any]],
                             attempts: int) -> None:
        """Lambda's on-failure record for a stream batch (it names the records; it does not hold them)."""
        logger.warning("stream batch sent to failure destination", extra={"handler": source.handler,
                                                                         "records": len(records)})
        if source.on_failure_queue_url is None:
            return
        first, last = records[0]["dynamodb"], records[-1]["dynamodb"]
        failure = {
            "requestContext": {"requestId": str(uuid.uuid4()), "condition": "RetryAttemptsExhausted",
                               "functionArn": f"arn:aws:lambda:{current_region()}:123456789012:function:{source.handler}",
                               "approximateInvokeCount": attempts},
            "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
            "version": "1.0",
            "timestamp": datetime.now(UTC).isoformat(),
            "DDBStreamBatchInfo": {
                "shardId": shard_id, "streamArn": source.stream_arn, "batchSize": len(records),
                "startSequenceNumber": first["SequenceNumber"], "endSequenceNumber": last["SequenceNumber"],
                "approximateArrivalOfFirstRecord": datetime.fromtimestamp(first["ApproximateCreationDateTime"], UTC).isoformat(),
                "approximateArrivalOfLastRecord": datetime.fromtimestamp(last["ApproximateCreationDateTime"], UTC).isoformat(),
            },
        }
        self._sqs.send_message(QueueUrl=source.on_failure_queue_url, MessageBody=json.dumps(failure))

    # --- loops -----------------------------------------------------------------------------------

    def run_once(self) -> int:
        """One pass over every source; the number of records delivered."""
        delivered = 0
        for stream in self.stream_sources:
            delivered += self._stream_round(stream)
        for queue in self.sqs_sources:
            delivered += self._pump_queue(queue)
        return delivered

    def run_until_idle(self, max_rounds: int = 100) -> int:
        """Pump until a whole pass delivers nothing (tests and demo loading)."""
        total = 0
        for _ in range(max_rounds):
            delivered = self.run_once()
            if not delivered:
                return total
            total += delivered
        raise RuntimeError(f"the pump was still busy after {max_rounds} rounds")

    def run_schedules(self) -> None:
        """Every scheduled handler once, with an EventBridge "Scheduled Event"."""
        for handler in self.scheduled:
            event = scheduled_event()
            try:
                context = LambdaContext(handler, memory_size=memory_mb(handler), max_runtime_ms=LAMBDA_TIMEOUT_MS)
                self._app.handler_map[handler](event, context)
            except Exception as error:  # like Lambda: the failure record, and the next run tries again
                logger.exception("scheduled handler failed", extra={"handler": handler})
                if self._job_failures_url:
                    self._sqs.send_message(QueueUrl=self._job_failures_url,
                                           MessageBody=json.dumps(job_failure_record(handler, event, error)))

    def _stream_round(self, stream: StreamSource) -> int:
        delivered = 0
        for shard_id in list(stream.iterators) + [s for s in stream.pending if s not in stream.iterators]:
            delivered += self._pump_shard(stream, shard_id)
        return delivered

    def _poll_loop(self, name: str, poll: Callable[[], int], stop: threading.Event, wake: threading.Event,
                   idle_min: float, idle_max: Callable[[], float],
                   after_delivery: Callable[[], None] | None = None) -> None:
        """One poller of a source, as an event source mapping's: at once again after a delivery,
        then less and less often while idle (idle_min doubling up to idle_max()), unless woken."""
        idle = idle_min
        while not stop.is_set():
            wake.clear()
            try:
                delivered = poll()
            except Exception:  # moto restarting, a transient error: keep polling
                logger.exception("event pump poll failed", extra={"handler": name})
                delivered = 0
            if delivered:
                idle = idle_min
                if after_delivery is not None:
                    after_delivery()
                continue
            wake.wait(idle)
            idle = min(idle * 2, idle_max())

    def _queues_notified_by_buckets(self) -> dict[str, list[str]]:
        """Bucket name -> the names of the queues its uploads notify (its S3 event notifications)."""
        found: dict[str, list[str]] = {}
        for bucket in self._s3.list_buckets().get("Buckets", []):
            configuration = self._s3.get_bucket_notification_configuration(Bucket=bucket["Name"])
            queues = [c["QueueArn"].rsplit(":", 1)[-1] for c in configuration.get("QueueConfigurations", [])]
            if queues:
                found[bucket["Name"]] = queues
        return found

    def _watch_changes(self, endpoint: str, stop: threading.Event, wakes: dict[str, list[threading.Event]],
                       feed_on: threading.Event) -> None:
        """Wakes the sources moto reports written (its change feed), for as long as it answers; a
        moto without the feed (404) leaves the sources to their polling alone."""
        url = endpoint.rstrip("/") + CHANGES_PATH
        after: int | None = None
        while not stop.is_set():
            try:
                query = "?wait=10" if after is None else f"?after={after}&wait=10"
                with urllib.request.urlopen(url + query, timeout=30) as answer:
                    change = json.loads(answer.read())
            except urllib.error.HTTPError as error:
                if error.code == 404:
                    feed_on.clear()
                    return
                stop.wait(1.0)
                continue
            except (OSError, ValueError):  # moto restarting: poll meanwhile
                feed_on.clear()
                stop.wait(1.0)
                continue
            if after is not None:
                for source in change["sources"]:
                    for event in wakes.get(source, []):
                        event.set()
            after = change["generation"]
            feed_on.set()

    def run_forever(self, stop: threading.Event, idle_min: float = 0.02, idle_max: float = 0.5,
                    queue_concurrency: int = 2, endpoint: str | None = None, idle_max_with_feed: float = 10.0) -> None:
        """Every source polled by its own threads (the handlers of different sources run at the same
        time, as separate Lambda functions do): `queue_concurrency` per queue (SQS's
        MaximumConcurrency is at least 2: a document check does not wait for another's), one per
        stream (Lambda reads a shard in order); the scheduled jobs in this one. With `endpoint`
        (moto's, with its change feed), an idle source waits for a write that concerns it, or
        `idle_max_with_feed` at most (a message whose visibility timeout ends, an unseen write);
        otherwise up to `idle_max`, and a stream batch delivered wakes the queues."""
        stop_all = threading.Event()
        feed_on = threading.Event()
        queue_wakes = {id(s): [threading.Event() for _ in range(queue_concurrency)] for s in self.sqs_sources}
        stream_wakes = {id(s): threading.Event() for s in self.stream_sources}
        wakes: dict[str, list[threading.Event]] = {}
        for source in self.sqs_sources:
            wakes.setdefault("queue:" + source.queue_url.rstrip("/").rsplit("/", 1)[-1], []).extend(queue_wakes[id(source)])
        for source in self.stream_sources:
            wakes.setdefault("table:" + table_name_from_stream_arn(source.stream_arn), []).append(stream_wakes[id(source)])
        if endpoint:
            for bucket, queues in self._queues_notified_by_buckets().items():
                wakes["bucket:" + bucket] = [event for queue in queues for event in wakes.get("queue:" + queue, [])]

        def wake_queues() -> None:
            if not feed_on.is_set():
                for events in queue_wakes.values():
                    for event in events:
                        event.set()

        def longest_idle() -> float:
            return idle_max_with_feed if feed_on.is_set() else idle_max

        threads = [threading.Thread(target=self._poll_loop, name=f"pump-{s.handler}-{n}", daemon=True, args=(
            s.handler, lambda s=s: self._pump_queue(s), stop_all, queue_wakes[id(s)][n], idle_min, longest_idle))
            for s in self.sqs_sources for n in range(queue_concurrency)]
        threads += [threading.Thread(target=self._poll_loop, name=f"pump-{s.handler}", daemon=True, args=(
            s.handler, lambda s=s: self._stream_round(s), stop_all, stream_wakes[id(s)], idle_min, longest_idle,
            wake_queues)) for s in self.stream_sources]
        if endpoint:  # not joined at the end: it may be in a wait of moto's, and it handles nothing
            threading.Thread(target=self._watch_changes, name="pump-changes", daemon=True,
                             args=(endpoint, stop_all, wakes, feed_on)).start()
        for thread in threads:
            thread.start()
        try:
            while not stop.is_set():
                if time.monotonic() - self._last_schedule_run >= self._schedule_seconds:
                    self._last_schedule_run = time.monotonic()
                    self.run_schedules()
                stop.wait(min(1.0, max(0.0, self._schedule_seconds - (time.monotonic() - self._last_schedule_run))))
        finally:
            stop_all.set()
            for events in list(queue_wakes.values()) + [[e] for e in stream_wakes.values()]:
                for event in events:
                    event.set()
            for thread in threads:
                thread.join(timeout=LAMBDA_TIMEOUT_MS / 1000)


def main() -> None:
    """The pump process of `make run`: `python -m chalicelib.local.pump` (endpoint from the environment)."""
    import signal

    from chalicelib.adapters.aws import client
    from chalicelib.local.processes import exit_with_parent

    exit_with_parent()
    from app import app

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    pump = EventPump(app, client)
    logger.info("event pump started", extra={"handlers": [s.handler for s in pump.sqs_sources + pump.stream_sources]})
    pump.run_forever(stop, endpoint=os.environ.get("AWS_ENDPOINT_URL"))


if __name__ == "__main__":
    main()
