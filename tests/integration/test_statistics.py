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
    assert (schools["opening_percent"], schools["national_opening_percent"]) == (70.9, 73.2)  # the seed's figure
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
    delays = {d["procedure"]: d for d in requests["decision_delays"]}
    assert delays["inscription"]["label"] == "Inscription au permis" and delays["inscription"]["decisions"] > 0
    assert 4 <= delays["inscription"]["median_hours"] <= delays["inscription"]["p90_hours"] <= 170
    assert delays["diplome-pro"] == {"procedure": "diplome-pro", "label": "Validation d'un diplôme professionnel",
                                     "decisions": 0, "median_hours": None, "p90_hours": None}
    assert sum(d["submitted"] for d in body["series"]) <= 700

    national = json.loads(get(http, agents["admin69"], "/statistics?date=2017-10-11").body)
    assert national["scope"] == {"departement": None, "label": "France entière"}
    assert (national["schools"]["agrements"], national["schools"]["accounts_opened"],
            national["schools"]["opening_rate"]) == (500, 366, 0.732)
    assert national["requests"]["submitted"] == 730 and national["requests"]["processed"] == 657
    # The country's writes were spread over its shards, summed again on read (issue 19).
    national_days = _items("STATS#NATIONAL", "DAY#2017-10-")
    assert {item["sk"]["S"].rsplit("#", 1)[1] for item in national_days} == {"0", "1", "2", "3"}
    assert [d["processed"] for d in national["series"]] == [
        a + b for a, b in zip(*([d["processed"] for d in json.loads(get(
            http, agents["admin69"], f"/statistics?departement={code}&date=2017-10-11").body)["series"]]
            for code in ("69", "13")))]
    # A month earlier: the figures of that day, nothing later.
    earlier = json.loads(get(http, agents["admin69"], "/statistics?departement=69&date=2017-09-11").body)
    assert earlier["requests"]["processed"] < 632 and earlier["schools"]["accounts_opened"] < 259
    assert earlier["series"][-1]["date"] == "2017-09-11"

    export = get(http, agents["admin69"], "/statistics/export?departement=69&date=2017-10-11")
    assert export.status_code == 200
    assert export.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert export.headers["Content-Disposition"] == 'attachment; filename="statistiques-69-2017-10-11.csv"'
    text = export.body.decode("utf-8")
    assert text.startswith("\ufeffindicateur;valeur\r\n")
    indicators, series = text[1:].split("\r\n\r\n")
    rows = dict(list(csv.reader(io.StringIO(indicators), delimiter=";"))[1:])
    assert rows["Agréments au registre"] == "365" and rows["Comptes d'auto-écoles ouverts"] == "259"
    # One figure everywhere (issue 23): the export says what the API and the page say, the seed's 70,9 %.
    assert rows["Taux d'ouverture des comptes (%)"] == "70,9" and rows["Taux d'ouverture national (%)"] == "73,2"
    assert rows["Auto-écoles ayant déposé des demandes"] == "94" and rows["Demandes traitées"] == "632"
    assert rows["Auto-écoles ayant déposé plus de 10 demandes"] == "4"
    lines = list(csv.reader(io.StringIO(series), delimiter=";"))
    assert lines[0] == ["date", "demandes déposées", "demandes traitées", "comptes ouverts"]
    assert len(lines) == 1 + 90 and lines[-1][0] == "2017-10-11"


# --- refusals ------------------------------------------------------------------------------------

def test_only_prefecture_administrators_see_the_statistics(http, agents, accounts):
    from tests.accounts_support import active_candidate, active_school

    school = active_school(http, accounts, "E0000000001", "ecole@example.fr")
    candidate = active_candidate(http, accounts, "candidat@example.fr")
    for token in (school, candidate, agents["ddt69"], agents["cert"]):
        for path in ("/statistics", "/statistics/export?departement=69"):
            answer = get(http, token, path)
            assert answer.status_code == 403 and json.loads(answer.body)["code"] == "forbidden", path
    assert http.get("/statistics").status_code == 401
    assert get(http, agents["admin92"], "/statistics").status_code == 200


@pytest.mark.parametrize("query, code", [
    ("date=11/10/2017", "date_invalid"), ("date=2017-13-01", "date_invalid"), ("date=demain", "date_invalid"),
    ("date=2999-01-01", "date_in_future"), ("du=2017-02-30", "date_invalid"),
    ("departement=99", "departement_unknown"), ("departement=Rhône", "departement_unknown"),
    ("date=2017-10-11&du=2017-10-12", "period_invalid"), ("date=2017-10-11&du=2015-10-09", "period_too_long"),
    ("date=2017-10-11&du=2017-07-03", "period_too_long"),  # 101 days: more than one answer reads
])
def test_a_malformed_or_future_date_or_an_unknown_departement_is_refused(http, agents, query, code):
    for path in ("/statistics", "/statistics/export"):
        answer = get(http, agents["admin69"], f"{path}?{query}")
        assert answer.status_code == 422, (path, query, answer.body)
        error = json.loads(answer.body)
        assert error["code"] == code and error["message"]


def test_an_empty_history_answers_zeros_and_null_rates(http, agents):
    body = json.loads(get(http, agents["admin69"], "/statistics?departement=2A").body)
    assert body["scope"] == {"departement": "2A", "label": "Corse-du-Sud (2A)"}
    assert body["schools"]["agrements"] == 0 and body["schools"]["opening_rate"] is None
    assert len(body["series"]) == 90 and {d["submitted"] for d in body["series"]} == {0}
    assert all(d["median_hours"] is None for d in body["requests"]["decision_delays"])


def test_the_longest_period_is_answered_and_one_day_more_is_refused_with_the_maximum(http, agents, seed_day):
    longest = get(http, agents["admin69"], "/statistics?date=2017-10-11&du=2017-07-04")
    assert longest.status_code == 200 and len(json.loads(longest.body)["series"]) == 100
    refused = json.loads(get(http, agents["admin69"], "/statistics?date=2017-10-11&du=2017-07-03").body)
    assert refused["code"] == "period_too_long" and "100 jours" in refused["message"]


def _items(pk, sk_prefix):
    import os

    import boto3

    return boto3.client("dynamodb").query(
        TableName=os.environ["TABLE_MAIN_NAME"], KeyConditionExpression="pk = :pk AND begins_with(sk, :sk)",
        ExpressionAttributeValues={":pk": {"S": pk}, ":sk": {"S": sk_prefix}})["Items"]


def _size(item):
    """An upper bound of an item's size: its JSON spells more than DynamoDB counts."""
    return len(json.dumps(item))


def test_a_national_day_at_ten_times_frances_volume_keeps_every_item_bounded_and_its_delays(app, http, agents,
                                                                                           seed_day):
    """1,200 decisions in one day, in the départements of the country, each with its delay: the list
    of delays that grew with every decision (400 KB at 80,000 a day) is a histogram now; the
    median and 90th percentile stay within a bucket of the exact ones."""
    import random

    from chalicelib.domain import statistics

    rng = random.Random(19)
    delays, events = [], []
    for n in range(1200):
        hours = rng.lognormvariate(3.5, 1.0)
        delays.append(hours)
        events.append(_status(f"R{n}", "en-instruction", "validee", f"2017-10-10T{8 + n % 8:02d}:00:00",
                              departement=("69", "13", "33", "75")[n % 4], submitted_at=(
                                  _at(f"2017-10-10T{8 + n % 8:02d}:00:00") - _hours(hours)).isoformat()))
    for start in range(0, len(events), 10):
        assert app.handler_map["count_statistics"](worker_batch(events[start:start + 10]), None) == {
            "batchItemFailures": []}
    for pk in ("STATS#NATIONAL", "STATS#DEP#69"):
        for item in _items(pk, "DAY#2017-10-10"):
            assert _size(item) <= statistics.DAY_ITEM_MAX_BYTES and not any("L" in v for v in item.values())
    national = json.loads(get(http, agents["admin69"], "/statistics?date=2017-10-11&du=2017-10-10").body)
    [delay] = [d for d in national["requests"]["decision_delays"] if d["procedure"] == "inscription"]
    assert delay["decisions"] == 1200
    for fraction, shown in ((0.5, delay["median_hours"]), (0.9, delay["p90_hours"])):
        exact = sorted(delays)[int(fraction * 1200) - 1]  # the nearest-rank value
        assert statistics.delay_bucket(shown) == statistics.delay_bucket(exact), (fraction, exact, shown)


def _at(text):
    from datetime import datetime, timezone

    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


def _hours(hours):
    from datetime import timedelta

    return timedelta(hours=hours)


def test_a_replayed_decision_counts_once_on_its_authoritys_day(app, http, agents):
    """The authority's day of decisions is counted from the committed events, each once."""
    from datetime import datetime, timedelta, timezone

    now = datetime.now(timezone.utc)

    def decision(request_id, event_type=request_events.REJECTED):
        return OutboxEvent(id=uuid.uuid4().hex, type=event_type, aggregate_id=request_id, occurred_at=now,
                           payload={"request_id": request_id, "authority": "DDT-92", "reason": "Doublon.",
                                    "submitted_at": (now - timedelta(hours=27)).isoformat()})

    event, other = decision("R1"), decision("R2", request_events.COMPLEMENT_REQUESTED)
    for batch in ([event], [event], [event, other, event]):  # delivered, again, replayed in a batch
        assert app.handler_map["count_statistics"](worker_batch(batch), None) == {"batchItemFailures": []}
    health = json.loads(get(http, agents["ddt92"], "/staff/queue").body)
    assert health["decisions_by_day"] == [{"day": now.date().isoformat(), "decisions": 2}]
    assert 24 <= health["median_delay_hours"] < 30  # the rejection's 27 hours, within its bucket [24, 30)


# --- exactly once, concurrency -------------------------------------------------------------------

def _status(request_id, before, after, at, school_id="ecole-1", departement="69", **extra):
    from datetime import datetime, timezone

    moment = datetime.fromisoformat(at).replace(tzinfo=timezone.utc)
    return OutboxEvent(id=uuid.uuid4().hex, type=request_events.STATUS_CHANGED, aggregate_id=request_id,
                       occurred_at=moment, payload={"request_id": request_id, "procedure": "inscription",
                                                    "departement": departement, "school_id": school_id, "from": before,
                                                    "to": after, "at": moment.isoformat(),
                                                    "submitted_at": extra.get("submitted_at", moment.isoformat())})


def _figures(http, token):
    body = json.loads(get(http, token, "/statistics?departement=69&date=2017-10-11").body)
    return (body["requests"]["submitted"], body["schools"]["filing"],
            {w["status"]: w["count"] for w in body["requests"]["waiting_by_status"]}["verification-images"])


def test_a_replayed_or_redelivered_event_is_counted_once(app, http, agents, seed_day):
    event = _status("R1", "brouillon", "verification-images", "2017-10-10T09:00:00")
    for _ in range(3):  # delivered, delivered again, replayed from the dead-letter queue
        assert app.handler_map["count_statistics"](worker_batch([event]), None) == {"batchItemFailures": []}
    other = _status("R2", "brouillon", "verification-images", "2017-10-10T10:00:00")
    assert app.handler_map["count_statistics"](worker_batch([event, other, event]), None) == {
        "batchItemFailures": []}  # a batch holding a replay: applied one by one
    assert _figures(http, agents["admin69"]) == (2, 1, 2)


def test_a_request_submitted_again_after_a_take_back_is_one_filing(app, http, agents, seed_day):
    events = [_status("R1", "brouillon", "attente-validation-usager", "2017-10-09T09:00:00"),
              _status("R1", "attente-validation-usager", "brouillon", "2017-10-09T10:00:00"),
              _status("R1", "brouillon", "verification-images", "2017-10-10T09:00:00")]
    for event in events:
        app.handler_map["count_statistics"](worker_batch([event]), None)
    body = json.loads(get(http, agents["admin69"], "/statistics?departement=69&date=2017-10-11").body)
    assert body["requests"]["submitted"] == 1 and body["schools"]["by_requests_filed"][0]["schools"] == 1
    assert [w["count"] for w in body["requests"]["waiting_by_status"]] == [0, 1, 0, 0]


def test_two_events_on_the_same_counters_at_once_are_both_counted(http, agents, seed_day, monkeypatch):
    """The second event reads the school's count, then the first one commits before it writes: its
    transaction is refused on the count it read, it reads again and both are counted."""
    service = wiring.statistics()
    first = _status("R1", "brouillon", "verification-images", "2017-10-10T09:00:00")
    second = _status("R2", "brouillon", "verification-images", "2017-10-10T09:00:00")
    read = service.repo.school_count
    calls = []

    def read_then_let_the_other_commit(school_id):
        count = read(school_id)
        calls.append(count.requests)
        if len(calls) == 1:
            wiring.statistics().apply(first)  # commits between this read and this write
        return count

    monkeypatch.setattr(service.repo, "school_count", read_then_let_the_other_commit)
    assert service.apply(second) is True
    assert calls == [0, 0, 1]  # the second's read, the first's, the second's again after its refusal
    assert _figures(http, agents["admin69"]) == (2, 1, 2)
    body = json.loads(get(http, agents["admin69"], "/statistics?departement=69&date=2017-10-11").body)
    assert [b["schools"] for b in body["schools"]["by_requests_filed"]] == [1, 0, 0]


def test_a_school_moves_up_a_band_when_its_count_crosses_5_and_11(app, http, agents, seed_day):
    events = [_status(f"R{n}", "brouillon", "verification-images", f"2017-10-{1 + n % 9:02d}T09:00:00")
              for n in range(11)]
    for count, start in ((4, 0), (5, 4), (10, 5), (11, 10)):
        app.handler_map["count_statistics"](worker_batch(events[start:count]), None)
        bands = [b["schools"] for b in json.loads(get(http, agents["admin69"], "/statistics?departement=69&"
                                                      "date=2017-10-11").body)["schools"]["by_requests_filed"]]
        assert bands == {4: [1, 0, 0], 5: [0, 1, 0], 10: [0, 1, 0], 11: [0, 0, 1]}[count]


# --- the events the product emits ----------------------------------------------------------------

def test_a_school_opened_and_a_request_submitted_are_counted_through_the_outbox(http, pump, agents, accounts):
    from tests.accounts_support import active_school
    from tests.integration.test_submission import ready_request, submit

    school = active_school(http, accounts, "E0000000001", "ecole@example.fr")  # an agrément of the Rhône
    wiring.statistics().registry_loaded(wiring.accounts_repository().get_agrement("E0000000001") and [
        wiring.accounts_repository().get_agrement("E0000000001")])
    number = ready_request(http, school)
    assert submit(http, school, number).status_code == 200
    pump.run_until_idle()  # the relay sends the events to the statistics queue, the worker counts them
    rhone = json.loads(get(http, agents["admin69"], "/statistics?departement=69").body)
    assert (rhone["schools"]["agrements"], rhone["schools"]["accounts_opened"], rhone["schools"]["opening_rate"]) == (
        1, 1, 1.0)
    # The candidate lives in Antony: the request counts in the Hauts-de-Seine, its school in the Rhône's bands.
    antony = json.loads(get(http, agents["admin92"], "/statistics?departement=92").body)
    assert antony["requests"]["submitted"] == 1 and antony["series"][-1]["submitted"] == 1
    assert [(w["label"], w["count"]) for w in antony["requests"]["waiting_by_status"]
            if w["count"]] == [("En cours d'instruction", 1)]
    national = json.loads(get(http, agents["admin92"], "/statistics").body)
    assert national["requests"]["submitted"] == 1 and national["schools"]["filing"] == 1


def test_a_cancelled_transaction_leaves_the_table_and_its_stream_as_they_were(aws):
    """moto_speedups' rollback (the local stack's moto and every in-process test use it, tests/moto_speed.py) keeps what moto's does."""
    import boto3

    from chalicelib.adapters.dynamo import TransactionRefused, transact
    from moto.dynamodb.models import dynamodb_backends

    moto_speedups.install()
    db, table = boto3.client("dynamodb"), aws["TABLE_MAIN_NAME"]
    db.put_item(TableName=table, Item={"pk": {"S": "A"}, "sk": {"S": "1"}, "n": {"N": "1"}})
    [backend] = [b for account in dynamodb_backends.values() for b in account.values() if table in b.tables]
    records = len(backend.tables[table].stream_shard.items)
    with pytest.raises(TransactionRefused) as refused:
        transact(db, [{"Update": {"TableName": table, "Key": {"pk": {"S": "A"}, "sk": {"S": "1"}},
                                  "UpdateExpression": "ADD n :one", "ExpressionAttributeValues": {":one": {"N": "1"}}}},
                      {"Put": {"TableName": table, "Item": {"pk": {"S": "B"}, "sk": {"S": "1"}}}},
                      {"Put": {"TableName": table, "Item": {"pk": {"S": "A"}, "sk": {"S": "2"}}}},
                      {"Put": {"TableName": table, "Item": {"pk": {"S": "C"}, "sk": {"S": "1"}},
                               "ConditionExpression": "attribute_exists(pk)"}}])
    assert refused.value.failed == [3]
    assert db.get_item(TableName=table, Key={"pk": {"S": "A"}, "sk": {"S": "1"}})["Item"]["n"] == {"N": "1"}
    for key in ({"pk": {"S": "B"}, "sk": {"S": "1"}}, {"pk": {"S": "A"}, "sk": {"S": "2"}}):
        assert "Item" not in db.get_item(TableName=table, Key=key)
    assert len(backend.tables[table].stream_shard.items) == records
    transact(db, [{"Put": {"TableName": table, "Item": {"pk": {"S": "B"}, "sk": {"S": "1"}}}}])
    assert "Item" in db.get_item(TableName=table, Key={"pk": {"S": "B"}, "sk": {"S": "1"}})
