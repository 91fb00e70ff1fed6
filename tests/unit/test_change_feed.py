"""moto's change feed (chalicelib/local/processes.py): what the local stack's moto tells the event
pump it was asked to write, so that the pump sleeps while nothing concerns its sources."""
import io
import json
import threading

from chalicelib.local.processes import CHANGES_PATH, ChangeFeed, with_change_feed, written_sources


def call(target, payload, method="POST"):
    body = json.dumps(payload).encode()
    return {"REQUEST_METHOD": method, "PATH_INFO": "/", "HTTP_X_AMZ_TARGET": target,
            "CONTENT_LENGTH": str(len(body)), "wsgi.input": io.BytesIO(body)}, body


def test_a_message_sent_names_its_queue_and_an_item_written_its_tables():
    assert written_sources(*call("AmazonSQS.SendMessage", {"QueueUrl": "http://h:1/123456789012/permis-local-work"})) \
        == ["queue:permis-local-work"]
    assert written_sources(*call("AmazonSQS.ChangeMessageVisibility", {"QueueUrl": "http://h/1/q/"})) == ["queue:q"]
    assert written_sources(*call("DynamoDB_20120810.PutItem", {"TableName": "main"})) == ["table:main"]
    transaction = {"TransactItems": [{"Put": {"TableName": "main"}}, {"ConditionCheck": {"TableName": "locks"}},
                                     {"Update": {"TableName": "main"}}]}
    assert sorted(written_sources(*call("DynamoDB_20120810.TransactWriteItems", transaction))) == \
        ["table:locks", "table:main"]
    assert written_sources(*call("DynamoDB_20120810.BatchWriteItem", {"RequestItems": {"main": []}})) == ["table:main"]


def test_reads_and_the_pump_s_own_receipts_name_nothing():
    assert written_sources(*call("AmazonSQS.ReceiveMessage", {"QueueUrl": "http://h/1/q"})) == []
    assert written_sources(*call("AmazonSQS.DeleteMessageBatch", {"QueueUrl": "http://h/1/q"})) == []
    assert written_sources(*call("DynamoDB_20120810.Query", {"TableName": "main"})) == []
    assert written_sources(*call("DynamoDBStreams_20120810.GetRecords", {"ShardIterator": "x"})) == []
    assert written_sources({"REQUEST_METHOD": "GET", "PATH_INFO": "/bucket/key"}, b"") == []


def test_an_upload_names_its_bucket_and_the_query_protocol_calls_nothing():
    # S3 notifies a bucket's queue from inside moto: the pump maps the bucket to its queues.
    assert written_sources({"REQUEST_METHOD": "POST", "PATH_INFO": "/permis-local-documents",
                            "CONTENT_TYPE": "multipart/form-data; boundary=x"}, b"") == ["bucket:permis-local-documents"]
    assert written_sources({"REQUEST_METHOD": "PUT", "PATH_INFO": "/permis-local-documents/a/b.pdf"}, b"") == \
        ["bucket:permis-local-documents"]
    # An email (SES) or an SMS (SNS) gives the pump nothing: no queue is subscribed to them.
    assert written_sources({"REQUEST_METHOD": "POST", "PATH_INFO": "/",
                            "CONTENT_TYPE": "application/x-www-form-urlencoded; charset=utf-8"}, b"") == []


def test_the_feed_answers_the_sources_written_after_a_count_and_waits_for_one():
    feed = ChangeFeed()
    start, sources = feed.wait(None, 0)
    assert sources == []
    feed.record(["queue:a"])
    feed.record(["table:main"])
    generation, sources = feed.wait(start, 5)
    assert generation == start + 2 and sorted(sources) == ["queue:a", "table:main"]
    assert feed.wait(start + 1, 5)[1] == ["table:main"]

    answered = []
    waiter = threading.Thread(target=lambda: answered.append(feed.wait(generation, 30)))
    waiter.start()
    feed.record(["queue:b"])
    waiter.join(timeout=30)
    assert answered == [(generation + 1, ["queue:b"])]
    assert feed.wait(generation + 1, 0) == (generation + 1, [])  # nothing new: an empty answer at the deadline


def test_the_wrapper_records_a_write_once_moto_answered_and_passes_the_body_on_intact():
    feed = ChangeFeed()
    seen = []

    def moto(environ, start_response):
        length = int(environ["CONTENT_LENGTH"])
        seen.append((json.loads(environ["wsgi.input"].read(length)), feed.wait(None, 0)[0]))
        start_response("200 OK", [])
        return [b"{}"]

    app = with_change_feed(moto, feed)
    environ, _ = call("AmazonSQS.SendMessage", {"QueueUrl": "http://h/1/work", "MessageBody": "bonjour"})
    assert app(environ, lambda *_: None) == [b"{}"]
    assert seen == [({"QueueUrl": "http://h/1/work", "MessageBody": "bonjour"}, 0)]  # recorded after, not before

    answers = []
    feed_environ = {"REQUEST_METHOD": "GET", "PATH_INFO": CHANGES_PATH, "QUERY_STRING": "after=0&wait=0"}
    body = app(feed_environ, lambda status, headers: answers.append(status))
    assert answers == ["200 OK"]
    assert json.loads(body[0]) == {"generation": 1, "sources": ["queue:work"]}
    assert seen[-1][1] == 0  # the feed itself never reaches moto
