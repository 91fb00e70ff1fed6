"""The prefecture's statistics (issue 9): the seed's numbers rebuilt from events through the real
worker, the route's refusals, a replayed and concurrent events, and the events the product emits."""
from __future__ import annotations

import csv
import io
import json
import time
import uuid

import pytest

from chalicelib.adapters import wiring
from chalicelib.resources import physical_name
from chalicelib.domain import request_events
from chalicelib.domain.events import OutboxEvent
from chalicelib.local import moto_speedups, statistics_demo
from chalicelib.services import statistics as statistics_service


def worker_batch(events: list[OutboxEvent]) -> dict:
    """The Lambda event SQS hands the worker for these messages."""
    from chalicelib.local.pump import lambda_sqs_record

    arn = f"arn:aws:sqs:eu-west-3:000000000000:{physical_name('statistics')}"
    return {"Records": [lambda_sqs_record({"MessageId": uuid.uuid4().hex, "ReceiptHandle": uuid.uuid4().hex,
                                           "Body": event.model_dump_json()}, arn) for event in events]}


def feed(app, data: statistics_demo.Dataset) -> None:
    """The data set as the product would have made it: the registry's load, then every event, in
    the order they happened, to the statistics worker in the queue's batches of ten (moto's queue
    itself is slow with thousands of messages; the relay's path is tested below)."""
    moto_speedups.install()  # moto's transactions copy the whole table each time: thousands are slow
    wiring.statistics().record_registry(data.registry_day, data.registry)
    events = sorted(data.events, key=lambda event: event.occurred_at)
    for start in range(0, len(events), 10):
        answer = app.handler_map["count_statistics"](worker_batch(events[start:start + 10]), None)
        assert answer == {"batchItemFailures": []}


def get(http, token, path):
    return http.get(path, headers={"Authorization": f"Bearer {token}"})


@pytest.fixture
def seed_day(monkeypatch):
    """Today is the seed's day (11 October 2017) for the route's checks."""
    from datetime import datetime, timezone

    monkeypatch.setattr(statistics_service, "utc_now", lambda: datetime(2017, 10, 11, 18, tzinfo=timezone.utc))


def test_the_seed_numbers_are_rebuilt_from_events_through_the_worker(app, http, agents, seed_day):
    started = time.monotonic()
    feed(app, statistics_demo.generate())
    print("fed in", time.monotonic() - started)
    answer = get(http, agents["admin69"], "/statistics?departement=69&date=2017-10-11")
    assert answer.status_code == 200, answer.body
    body = json.loads(answer.body)
    assert body["scope"] == {"departement": "69", "label": "Rhône (69)"}
    assert body["period"] == {"from": "2017-07-14", "to": "2017-10-11"}
    schools = body["schools"]
    assert (schools["agrements"], schools["accounts_opened"], schools["opening_rate"],
            schools["national_opening_rate"]) == (365, 259, 0.7096, 0.732)
    assert schools["filing"] == 94
    assert [(b["band"], b["label"], b["schools"]) for b in schools["by_requests_filed"]] == [
        ("1-4", "1 à 4 demandes", 63), ("5-10", "5 à 10 demandes", 27), ("11+", "Plus de 10 demandes", 4)]
    requests = body["requests"]
    assert (requests["submitted"], requests["processed"]) == (700, 632)
    assert [(w["label"], w["count"]) for w in requests["waiting_by_status"]] == [
        ("Attente validation usager", 12), ("Vérification des images", 9), ("En cours d'instruction", 40),
        ("Complément demandé", 7)]
    assert body["support"] == {"opened": 40, "answered": 35, "answered_within_promise": 33, "breaches": 3}
    assert len(body["series"]) == 90 and body["series"][0]["date"] == "2017-07-14"
    assert body["series"][-1]["date"] == "2017-10-11"
    print(json.dumps(requests["decision_delays"], ensure_ascii=False))
