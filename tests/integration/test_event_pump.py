"""The event pump behaves like Lambda's event source mappings, against moto.

A scratch Chalice app and scratch resources keep these tests about the pump itself: handlers are
discovered from the app, failed messages reappear and end in the DLQ after maxReceiveCount, a
batch with one poison message deletes the others, stream failures are retried then recorded."""
import json
import threading
import time

import boto3
import pytest
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from chalice import Chalice
from moto import mock_aws

from chalicelib.adapters.aws import CLIENT_CONFIG
from chalicelib.local.moto_threads import IsolatedClient
from chalicelib.local.pump import EventPump
from chalicelib.local.provision import provision
from chalicelib.resources import Catalogue, Queue, StreamConsumer, Table
from tests import patience


def client(service):
    return boto3.client(service, config=CLIENT_CONFIG)


SCRATCH = Catalogue(
    tables=(Table("events", partition_key="pk", stream_view="NEW_AND_OLD_IMAGES"),),
    queues=(Queue("work", max_receive_count=3), Queue("failures", has_dead_letter_queue=False),
            Queue("job-failures", has_dead_letter_queue=False)),
    buckets=(), topics=(), email_identities=(), user_pools=(), keys=(),
    stream_consumers=(StreamConsumer(function="on_event", table="events", max_retry_attempts=2,
                                     on_failure_queue="failures"),),
)


@pytest.fixture
def scratch():
    with mock_aws():
        env = provision("pumptest", "http://web", catalogue=SCRATCH)
        calls = []
        app = Chalice(app_name="scratch")

        @app.on_sqs_message(queue="permis-pumptest-work", batch_size=10)
        def on_work(event):
            def handle(record):
                calls.append(("sqs", record.body, record.raw_event["attributes"]["ApproximateReceiveCount"]))
                if "poison" in record.body:
                    raise ValueError("poison")
            return process_partial_response(event=event.to_dict(), record_handler=handle,
                                            processor=BatchProcessor(EventType.SQS, raise_on_entire_batch_failure=False))

        @app.on_dynamodb_record(stream_arn=env["TABLE_EVENTS_STREAM_ARN"], starting_position="TRIM_HORIZON")
        def on_event(event):
            def handle(record):
                key = record.raw_event["dynamodb"]["Keys"]["pk"]["S"]
                calls.append(("stream", key, record.raw_event["dynamodb"]["SequenceNumber"]))
                if key.startswith("poison"):
                    raise ValueError("poison")
            return process_partial_response(event=event.to_dict(), record_handler=handle,
                                            processor=BatchProcessor(EventType.DynamoDBStreams,
                                                                     raise_on_entire_batch_failure=False))

        @app.schedule("rate(1 hour)")
        def failing_job(event):
            calls.append(("schedule", event.event_id, None))
            raise RuntimeError("the job failed")

        pump = EventPump(app, client, catalogue=SCRATCH, stage="pumptest")
        yield env, pump, calls


def queue_messages(url):
    return client("sqs").receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"]).get("Messages", [])


def test_handlers_are_discovered_from_the_app(scratch):
    _, pump, _ = scratch
    assert [s.handler for s in pump.sqs_sources] == ["on_work"]
    assert [s.handler for s in pump.stream_sources] == ["on_event"]


def test_events_are_shaped_like_lambda(scratch):
    env, pump, calls = scratch
    sent = client("sqs").send_message(QueueUrl=env["QUEUE_WORK_URL"], MessageBody="hello")
    pump.run_until_idle()
    assert calls == [("sqs", "hello", "1")]
    assert queue_messages(env["QUEUE_WORK_URL"]) == []  # deleted after success
    assert sent["MessageId"]


def test_a_message_that_fails_three_times_ends_in_its_dead_letter_queue(scratch):
    env, pump, calls = scratch
    sent = client("sqs").send_message(QueueUrl=env["QUEUE_WORK_URL"], MessageBody="poison pill")
    pump.run_until_idle()
    assert [c[2] for c in calls] == ["1", "2", "3"]  # three deliveries, then moto's redrive
    dead = queue_messages(env["QUEUE_WORK_DLQ_URL"])
    assert [(m["MessageId"], m["Body"]) for m in dead] == [(sent["MessageId"], "poison pill")]
    assert queue_messages(env["QUEUE_WORK_URL"]) == []


def test_a_batch_with_one_poison_message_deletes_the_others(scratch):
    env, pump, calls = scratch
    sqs = client("sqs")
    sqs.send_message_batch(QueueUrl=env["QUEUE_WORK_URL"], Entries=[
        {"Id": "1", "MessageBody": "a"}, {"Id": "2", "MessageBody": "poison"}, {"Id": "3", "MessageBody": "c"}])
    pump.run_once()
    assert sorted(body for kind, body, _ in calls) == ["a", "c", "poison"]
    pump.run_until_idle()
    assert sorted(body for _, body, _ in calls) == ["a", "c", "poison", "poison", "poison"]  # only it retried
    assert [m["Body"] for m in queue_messages(env["QUEUE_WORK_DLQ_URL"])] == ["poison"]


def test_stream_records_reach_the_handler_in_order(scratch):
    env, pump, calls = scratch
    for key in ("a", "b"):
        client("dynamodb").put_item(TableName=env["TABLE_EVENTS_NAME"], Item={"pk": {"S": key}})
    pump.run_until_idle()
    assert [c[1] for c in calls] == ["a", "b"]


def test_records_after_a_refused_transaction_still_reach_the_handler(scratch):
    """moto undoes a refused transaction by restoring a deep copy of the table, stream included: a
    pump that kept moto's NextShardIterator went on reading the old copy and never saw another
    record (the local stack's relay stalled)."""
    env, pump, calls = scratch
    table = env["TABLE_EVENTS_NAME"]
    client("dynamodb").put_item(TableName=table, Item={"pk": {"S": "before"}})
    pump.run_until_idle()
    with pytest.raises(client("dynamodb").exceptions.TransactionCanceledException):
        client("dynamodb").transact_write_items(TransactItems=[
            {"Put": {"TableName": table, "Item": {"pk": {"S": "refused"}}}},
            {"Put": {"TableName": table, "Item": {"pk": {"S": "before"}},
                     "ConditionExpression": "attribute_not_exists(pk)"}}])
    client("dynamodb").put_item(TableName=table, Item={"pk": {"S": "after"}})
    pump.run_until_idle()
    assert [c[1] for c in calls] == ["before", "after"]


def test_a_failing_stream_record_is_retried_then_recorded_in_the_failure_queue(scratch):
    env, pump, calls = scratch
    for key in ("a", "poison-1", "c"):
        client("dynamodb").put_item(TableName=env["TABLE_EVENTS_NAME"], Item={"pk": {"S": key}})
    pump.run_until_idle()
    # Batch [a, poison, c], then two retries from the failed record (max_retry_attempts=2), as Lambda
    # does: c is delivered again each time, which is why consumers must be idempotent.
    assert [c[1] for c in calls] == ["a", "poison-1", "c", "poison-1", "c", "poison-1", "c"]
    failures = queue_messages(env["QUEUE_FAILURES_URL"])
    assert len(failures) == 1
    info = json.loads(failures[0]["Body"])["DDBStreamBatchInfo"]
    poison_sequence = calls[1][2]
    assert (info["startSequenceNumber"], info["batchSize"]) == (poison_sequence, 2)
    client("dynamodb").put_item(TableName=env["TABLE_EVENTS_NAME"], Item={"pk": {"S": "d"}})
    pump.run_until_idle()
    assert calls[-1][1] == "d"  # the shard moved on


def test_a_failing_scheduled_job_leaves_lambda_s_failure_record_for_the_operators(scratch):
    env, pump, calls = scratch
    pump.run_schedules()
    [(kind, event_id, _)] = calls
    [failure] = queue_messages(env["QUEUE_JOB_FAILURES_URL"])
    record = json.loads(failure["Body"])
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestContext"]["functionArn"].endswith(":function:failing_job:$LATEST")
    assert record["requestPayload"]["detail-type"] == "Scheduled Event" and record["requestPayload"]["id"] == event_id
    assert record["responsePayload"]["errorType"] == "RuntimeError"


def test_a_handler_that_crashes_fails_the_whole_batch(scratch):
    env, pump, _ = scratch

    def crash(event, context):
        raise RuntimeError("boom")

    pump._app.handler_map["on_work"] = crash
    client("sqs").send_message(QueueUrl=env["QUEUE_WORK_URL"], MessageBody="x")
    pump.run_until_idle()
    assert [m["Body"] for m in queue_messages(env["QUEUE_WORK_DLQ_URL"])] == ["x"]


def wait_until(check, what, timeout=30.0):
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def test_run_forever_polls_each_source_in_its_own_thread_and_failures_still_reach_the_dlq(scratch):
    """`make run`'s loop: a slow handler does not hold up another source's (the stream's handler here
    waits for the queue's to have run, which one loop over every source would never let happen),
    and a message that keeps failing still ends in its dead-letter queue."""
    env, scratch_pump, calls = scratch
    app = scratch_pump._app
    pump = EventPump(app, lambda service: IsolatedClient(client(service)), catalogue=SCRATCH, stage="pumptest")
    queue_ran, stream_saw_queue = threading.Event(), []
    on_work, on_event = app.handler_map["on_work"], app.handler_map["on_event"]

    def work(event, context):
        try:
            return on_work(event, context)
        finally:
            queue_ran.set()

    def stream(event, context):
        stream_saw_queue.append(queue_ran.wait(timeout=30))
        return on_event(event, context)

    app.handler_map.update(on_work=work, on_event=stream)
    sqs, dynamodb = IsolatedClient(client("sqs")), IsolatedClient(client("dynamodb"))
    dynamodb.put_item(TableName=env["TABLE_EVENTS_NAME"], Item={"pk": {"S": "first"}})
    stop = threading.Event()
    runner = threading.Thread(target=pump.run_forever, args=(stop,), daemon=True)
    runner.start()
    try:
        wait_until(lambda: calls and calls[0][0] == "schedule", "the scheduled job's first run")
        sqs.send_message(QueueUrl=env["QUEUE_WORK_URL"], MessageBody="hello")
        sqs.send_message(QueueUrl=env["QUEUE_WORK_URL"], MessageBody="poison pill")

        def dead_letters():
            attributes = sqs.get_queue_attributes(QueueUrl=env["QUEUE_WORK_DLQ_URL"],
                                                  AttributeNames=["ApproximateNumberOfMessages"])["Attributes"]
            return int(attributes["ApproximateNumberOfMessages"])

        wait_until(lambda: dead_letters() == 1 and ("stream", "first") in [c[:2] for c in calls],
                   "the poison message in the DLQ and the stream record handled")
    finally:
        stop.set()
        runner.join(timeout=30)
    assert not runner.is_alive()
    assert stream_saw_queue == [True]
    assert sorted(c[1] for c in calls if c[0] == "sqs") == ["hello", "poison pill", "poison pill", "poison pill"]
    assert [m["Body"] for m in queue_messages(env["QUEUE_WORK_DLQ_URL"])] == ["poison pill"]
    assert queue_messages(env["QUEUE_WORK_URL"]) == []


def test_with_moto_s_change_feed_an_idle_pump_is_woken_by_a_write_to_its_source(scratch):
    """`make run`'s pump against moto's server: after its first look, each source waits for moto to
    report a write that concerns it (here, up to ten minutes otherwise: only the feed can wake it
    within the test), and a message sent then is handled at once."""
    from werkzeug.serving import make_server

    from chalicelib.local.processes import ChangeFeed, with_change_feed

    env, _, calls = scratch
    feed, feed_calls = ChangeFeed(), []

    def not_moto(environ, start_response):  # moto itself is in-process here: only the feed is served
        start_response("404 Not Found", [])
        return [b""]

    def counted(environ, start_response):
        feed_calls.append(environ.get("QUERY_STRING", ""))
        return with_change_feed(not_moto, feed)(environ, start_response)

    server = make_server("127.0.0.1", 0, counted, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    pump = EventPump(scratch[1]._app, lambda service: IsolatedClient(client(service)), catalogue=SCRATCH,
                     stage="pumptest")
    polls = []
    pump_queue = pump._pump_queue
    pump._pump_queue = lambda source: polls.append(source) or pump_queue(source)
    stop = threading.Event()
    runner = threading.Thread(target=pump.run_forever, args=(stop,), daemon=True, kwargs=dict(
        endpoint=f"http://127.0.0.1:{server.server_port}", idle_min=600, idle_max_with_feed=600))
    runner.start()
    try:
        wait_until(lambda: len(polls) >= 2 and any("after=" in q for q in feed_calls),
                   "each queue poller's first look and the pump on the feed", timeout=patience.seconds(30))
        IsolatedClient(client("sqs")).send_message(QueueUrl=env["QUEUE_WORK_URL"], MessageBody="réveil")
        feed.record(["queue:" + env["QUEUE_WORK_URL"].rsplit("/", 1)[-1]])
        wait_until(lambda: ("sqs", "réveil") in [c[:2] for c in calls], "the message handled after the wake-up",
                   timeout=patience.seconds(30))
    finally:
        stop.set()
        runner.join(timeout=patience.seconds(60))
        server.shutdown()
    assert not runner.is_alive()
