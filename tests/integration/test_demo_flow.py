"""The demo resource end to end in-process: API → transaction → stream → relay → queue → worker."""
import json

import boto3
import pytest
from botocore.exceptions import ClientError

from chalicelib.adapters import dead_letters, wiring
from chalicelib.domain.demo import DemoStatus
from chalicelib.domain.events import OutboxEvent
from chalicelib.services import demo as demo_service

JSON = {"Content-Type": "application/json"}


def create(http, text):
    response = http.post("/demo/messages", body=json.dumps({"text": text}).encode(), headers=JSON)
    assert response.status_code == 201
    return json.loads(response.body)


def read(http, message_id):
    return json.loads(http.get(f"/demo/messages/{message_id}").body)


def test_a_message_is_processed_by_the_worker_after_commit(http, pump):
    created = create(http, "Bonjour")
    assert (created["status"], created["status_label"], created["version"]) == ("received", "Reçu", 1)
    pump.run_until_idle()
    processed = read(http, created["id"])
    assert (processed["status"], processed["status_label"], processed["version"]) == ("processed", "Traité", 2)


def test_an_unknown_message_is_a_404(http, aws):
    response = http.get("/demo/messages/00000000-0000-0000-0000-000000000000")
    assert response.status_code == 404
    assert json.loads(response.body)["code"] == "demo_message_not_found"


def test_a_poison_message_ends_in_the_dead_letter_queue_and_can_be_replayed(http, pump, aws, monkeypatch):
    created = create(http, "poison")
    pump.run_until_idle()
    assert read(http, created["id"])["status"] == "received"
    sqs = boto3.client("sqs")
    letters = dead_letters.peek(sqs, "demo")
    assert [(letter.event_type, letter.receive_count >= 5) for letter in letters] == [("demo.message_received", True)]
    # The cause is fixed (here: the rule is lifted), then the message is replayed from the DLQ.
    monkeypatch.setattr("chalicelib.domain.demo.POISON_WORD", "jamais-dans-un-texte")
    assert dead_letters.redrive(sqs, "demo") == 1
    pump.run_until_idle()
    assert read(http, created["id"])["status"] == "processed"
    assert dead_letters.peek(sqs, "demo") == []


def test_a_replayed_queue_message_changes_nothing_more(http, pump, aws):
    created = create(http, "Bonjour")
    pump.run_until_idle()
    # The relay delivers at least once: the same event again is harmless.
    event = OutboxEvent(id="replay", type=demo_service.MESSAGE_RECEIVED, aggregate_id=created["id"],
                        occurred_at="2026-11-27T10:00:00Z", payload={"message_id": created["id"]})
    boto3.client("sqs").send_message(QueueUrl=aws["QUEUE_DEMO_URL"], MessageBody=event.model_dump_json())
    pump.run_until_idle()
    assert read(http, created["id"])["version"] == 2


def test_a_message_and_its_event_are_committed_together_or_not_at_all(aws):
    repository = wiring.demo_repository()
    first = demo_service.submit_message(repository, "un", new_id=iter(["m1", "e1"]).__next__)
    with pytest.raises(ClientError):  # same event id: the transaction fails whole
        demo_service.submit_message(repository, "deux", new_id=iter(["m2", "e1"]).__next__)
    assert repository.get(first.id) is not None
    assert repository.get("m2") is None


def test_a_concurrent_change_is_detected_by_the_version(aws):
    repository = wiring.demo_repository()
    message = demo_service.submit_message(repository, "un")
    processed = message.model_copy(update={"status": DemoStatus.PROCESSED, "version": 2})
    assert repository.replace(processed, expected_version=1) is True
    assert repository.replace(processed.model_copy(update={"version": 3}), expected_version=1) is False
    assert repository.get(message.id).version == 2
