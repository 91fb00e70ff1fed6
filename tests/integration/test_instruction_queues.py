"""The instruction queues and the agents' routes: a request in instruction is queued at its
authority; an agent claims it (a lease no other agent gets around), examines it with its documents
and pre-checks (each read recorded), extends or releases the claim, decides; the decision deletes
the message. Requests back from a complement come first. And what they refuse: another service's
agent, a decision without the claim or after it expired, a stale version, malformed decisions,
an unreadable message (set aside in the dead-letter queue, replayable by an administrator), a
message delivered twice."""
from __future__ import annotations

import json
from datetime import timedelta

import boto3
import pytest

from chalicelib.adapters.instruction_queues import queue_url
from tests.accounts_support import active_school
from tests.integration.test_requests import body, call
from tests.integration.test_submission import ready_request, submit, upload
from tests.integration.test_documents import scan


@pytest.fixture
def school(http, accounts):
    return active_school(http, accounts, "E0000000001", "ecole@example.fr")


def queued(http, school, pump, ephoto="AB12CD34EF56GH78IJ90KL"):
    number = ready_request(http, school, pump, ephoto=ephoto)
    assert body(submit(http, school, number))["status"] == "en-instruction"
    pump.run_until_idle()
    return number


def claim(http, token):
    answer = call(http, "POST", "/staff/claims", token)
    assert answer.status_code == 200, answer.body
    return body(answer)


def decide(http, token, number, version, decision="valider", **fields):
    return call(http, "POST", f"/staff/requests/{number}/decision", token,
                {"version": version, "decision": decision, **fields})


def test_an_agent_claims_the_request_of_their_queue_with_its_documents_and_pre_checks(http, school, pump, agents):
    number = queued(http, school, pump)
    claimed = claim(http, agents["ddt92"])
    seen = claimed["request"]
    assert seen["request_id"] == number and seen["authority"] == "DDT-92" and seen["status_label"] == \
        "En cours d'instruction"
    assert seen["claim"]["agent_name"].startswith("Claire") and seen["claim"]["mine"] is True
    assert {c["code"] for c in seen["pre_checks"]} >= {"age", "documents", "ephoto", "neph", "identity"}
    assert {d["document"]: d["state"] for d in seen["documents"]}["identite"] == "accepted"
    # The same request never goes to two agents: the colleague finds the queue empty, and sees who holds it.
    assert claim(http, agents["ddt92b"]) == {"request": None, "message": "Aucune demande en attente dans votre file."}
    other = body(call(http, "GET", f"/staff/requests/{number}", agents["ddt92b"]))
    assert other["claim"]["mine"] is False and other["claim"]["agent_name"] == seen["claim"]["agent_name"]
    # Another service's agents see it as an unknown number, and their queues do not hold it.
    for token in (agents["ddt69"], agents["cert"]):
        assert call(http, "GET", f"/staff/requests/{number}", token).status_code == 404
        assert claim(http, token)["request"] is None
    link = body(call(http, "GET", f"/staff/requests/{number}/documents/identite", agents["ddt92"]))
    assert "X-Amz-Expires=60" in link["url"]
    assert call(http, "GET", f"/staff/requests/{number}/documents/inconnu", agents["ddt92"]).status_code == 404


def test_the_decision_needs_the_claim_and_deletes_the_message(http, school, pump, agents):
    number = queued(http, school, pump)
    version = body(call(http, "GET", f"/requests/{number}", school))["version"]
    refused = decide(http, agents["ddt92"], number, version)
    assert refused.status_code == 409 and body(refused)["code"] == "claim_required"
    claim(http, agents["ddt92"])
    by_colleague = decide(http, agents["ddt92b"], number, version)
    assert by_colleague.status_code == 409 and body(by_colleague)["code"] == "claimed_by_other"
    stale = decide(http, agents["ddt92"], number, version - 1)
    assert stale.status_code == 409 and body(stale)["code"] == "changed_meanwhile"
    decided = decide(http, agents["ddt92"], number, version)
    assert decided.status_code == 200, decided.body
    assert body(decided)["status_label"] == "Validée" and len(body(decided)["neph"]) == 12
    assert body(call(http, "GET", f"/requests/{number}", school))["neph"] == body(decided)["neph"]
    pump.run_until_idle()  # the day's decisions are counted from the committed event (statistics worker)
    health = body(call(http, "GET", "/staff/queue", agents["ddt92"]))
    assert (health["waiting"], health["claimed"], health["returning_waiting"]) == (0, 0, 0)
    assert health["decisions_by_day"][-1]["decisions"] == 1 and health["median_delay_hours"] is not None
    again = decide(http, agents["ddt92"], number, version + 1)
    assert again.status_code == 409 and body(again)["code"] == "illegal_transition"


@pytest.mark.parametrize("payload,field", [
    ({"decision": "valider"}, "version"),
    ({"version": 3, "decision": "accepter"}, "decision"),
    ({"version": 3, "decision": "rejeter", "reasons": "doublon"}, "reasons"),
    ({"version": 3, "decision": "valider", "neph": "170392100012"}, "neph"),
])
def test_a_malformed_decision_is_refused_with_the_field_to_fix(http, school, pump, agents, payload, field):
    number = queued(http, school, pump)
    answer = call(http, "POST", f"/staff/requests/{number}/decision", agents["ddt92"], payload)
    assert answer.status_code == 422 and field in {d["field"].split(".")[0] for d in body(answer)["details"]}


def test_a_rejection_without_reason_is_refused_and_changes_nothing(http, school, pump, agents):
    number = queued(http, school, pump)
    version = claim(http, agents["ddt92"])["request"]["version"]
    answer = decide(http, agents["ddt92"], number, version, "rejeter", reasons=[])
    assert answer.status_code == 422 and body(answer)["details"][0]["code"] == "reason_required"
    assert body(call(http, "GET", f"/requests/{number}", school))["status"] == "en-instruction"


def test_a_request_back_from_a_complement_is_served_before_older_ones(http, school, pump, agents):
    first = queued(http, school, pump, ephoto="AB12CD34EF56GH78IJ90KA")
    second = queued(http, school, pump, ephoto="AB12CD34EF56GH78IJ90KB")
    taken = claim(http, agents["ddt92"])["request"]
    assert taken["request_id"] == first
    asked = decide(http, agents["ddt92"], first, taken["version"], "complement", reasons=["domicile-ancien"],
                   documents=["domicile"])
    assert asked.status_code == 200 and body(asked)["status_label"] == "Complément demandé"
    form = body(call(http, "POST", f"/requests/{first}/documents/domicile/upload", school,
                     {"content_type": "image/jpeg", "size": 200_000}))
    upload(form, scan())
    pump.run_until_idle()
    version = body(call(http, "GET", f"/requests/{first}", school))["version"]
    assert call(http, "POST", f"/requests/{first}/complement", school, {"version": version}).status_code == 200
    pump.run_until_idle()
    health = body(call(http, "GET", "/staff/queue", agents["ddt92b"]))
    assert (health["waiting"], health["returning_waiting"]) == (1, 1) and health["oldest_request_id"] == second
    back = claim(http, agents["ddt92b"])["request"]
    assert back["request_id"] == first and back["returning"] is True
    assert claim(http, agents["ddt92b"])["request"]["request_id"] == second


def test_release_offers_the_request_to_the_next_agent_at_once_and_only_the_holder_extends_or_releases(
        http, school, pump, agents):
    number = queued(http, school, pump)
    first = claim(http, agents["ddt92"])["request"]["claim"]["lease_until"]
    extended = call(http, "POST", f"/staff/requests/{number}/extend", agents["ddt92"])
    assert extended.status_code == 200 and body(extended)["lease_until"] >= first
    for action in ("extend", "release"):
        refused = call(http, "POST", f"/staff/requests/{number}/{action}", agents["ddt92b"])
        assert refused.status_code == 409 and body(refused)["code"] == "claimed_by_other"
        assert "Claire Arnaud" in body(refused)["message"] or "ARNAUD" in body(refused)["message"].upper()
        # Another service's agent learns nothing, not even who holds it: an unknown number.
        for token in (agents["ddt69"], agents["cert"]):
            assert call(http, "POST", f"/staff/requests/{number}/{action}", token).status_code == 404
        assert call(http, "POST", f"/staff/requests/000000000000/{action}", agents["ddt92"]).status_code == 404
    assert call(http, "POST", f"/staff/requests/{number}/release", agents["ddt92"]).status_code == 200
    assert claim(http, agents["ddt92b"])["request"]["request_id"] == number
    lost = call(http, "POST", f"/staff/requests/{number}/release", agents["ddt92"])
    assert lost.status_code == 409 and body(lost)["code"] == "claimed_by_other"


def test_a_claim_that_expired_cannot_decide_once_a_colleague_took_the_request(http, school, pump, agents,
                                                                               monkeypatch):
    from chalicelib.services import requests as requests_service

    number = queued(http, school, pump)
    version = claim(http, agents["ddt92"])["request"]["version"]
    real_now = requests_service.utc_now
    monkeypatch.setattr(requests_service, "utc_now", lambda: real_now() + timedelta(minutes=16))
    # The lease is over: SQS shows the message again (moto keeps its own clock: make it visible now).
    sqs = boto3.client("sqs")
    claims = [i for i in boto3.client("dynamodb").scan(TableName=__import__("os").environ["TABLE_MAIN_NAME"])["Items"]
              if i["sk"]["S"] == "CLAIM"]
    sqs.change_message_visibility(QueueUrl=queue_url("DDT-92"), ReceiptHandle=claims[0]["receipt_handle"]["S"],
                                  VisibilityTimeout=0)
    assert claim(http, agents["ddt92b"])["request"]["request_id"] == number
    late = decide(http, agents["ddt92"], number, version)
    assert late.status_code == 409 and body(late)["code"] == "claimed_by_other"
    assert body(call(http, "GET", f"/requests/{number}", school))["status"] == "en-instruction"


def test_a_message_delivered_twice_never_gives_the_request_to_two_agents_and_a_decided_one_is_dropped(
        http, school, pump, agents):
    number = queued(http, school, pump)
    sqs = boto3.client("sqs")
    [message] = [m for m in sqs.receive_message(QueueUrl=queue_url("DDT-92"), VisibilityTimeout=0)["Messages"]]
    sqs.send_message(QueueUrl=queue_url("DDT-92"), MessageBody=message["Body"])  # the relay sent it twice
    taken = claim(http, agents["ddt92"])["request"]
    assert claim(http, agents["ddt92b"])["request"] is None  # the copy stays hidden while the lease runs
    assert decide(http, agents["ddt92"], number, taken["version"]).status_code == 200
    depth = sqs.get_queue_attributes(QueueUrl=queue_url("DDT-92"), AttributeNames=["All"])["Attributes"]
    assert (depth["ApproximateNumberOfMessages"], depth["ApproximateNumberOfMessagesNotVisible"]) == ("0", "1")
    # A copy that comes back once the request is decided is dropped by the next claim.
    sqs.send_message(QueueUrl=queue_url("DDT-92"), MessageBody=message["Body"])
    assert claim(http, agents["ddt92b"])["request"] is None
    depth = sqs.get_queue_attributes(QueueUrl=queue_url("DDT-92"), AttributeNames=["All"])["Attributes"]
    assert (depth["ApproximateNumberOfMessages"], depth["ApproximateNumberOfMessagesNotVisible"]) == ("0", "1")


def test_an_unreadable_message_is_set_aside_and_an_administrator_replays_the_dead_letters(http, school, pump, agents):
    sqs = boto3.client("sqs")
    sqs.send_message(QueueUrl=queue_url("DDT-92"), MessageBody="{pas du json")
    assert claim(http, agents["ddt92"])["request"] is None
    letters = body(call(http, "GET", "/staff/queues/DDT-92/dead-letters", agents["admin92"]))
    assert [(d["request_id"], d["request_status"]) for d in letters["dead_letters"]] == [(None, None)]
    # An administrator of another département does not see this queue; an agent has no such route.
    assert call(http, "GET", "/staff/queues/DDT-92/dead-letters", agents["admin69"]).status_code == 404
    assert call(http, "GET", "/staff/queues/DDT-92/dead-letters", agents["ddt92"]).status_code == 403
    number = queued(http, school, pump)
    [message] = sqs.receive_message(QueueUrl=queue_url("DDT-92"), VisibilityTimeout=0)["Messages"]
    dlq = queue_url("DDT-92").replace("ddt-92", "ddt-92-dlq")
    sqs.send_message(QueueUrl=dlq, MessageBody=message["Body"])
    sqs.delete_message(QueueUrl=queue_url("DDT-92"), ReceiptHandle=message["ReceiptHandle"])
    assert claim(http, agents["ddt92"])["request"] is None  # it was set aside: not lost, waiting in the DLQ
    moved = body(call(http, "POST", "/staff/queues/DDT-92/dead-letters/redrive", agents["admin92"]))
    assert moved["moved"] == 2
    assert claim(http, agents["ddt92"])["request"]["request_id"] == number  # the unreadable one is set aside again
    assert len(body(call(http, "GET", "/staff/queues/DDT-92/dead-letters", agents["admin92"]))["dead_letters"]) == 1


def test_every_read_by_an_agent_is_recorded_for_the_administrators_of_the_departement(http, school, pump, agents):
    number = queued(http, school, pump)
    claim(http, agents["ddt92"])
    call(http, "GET", f"/staff/requests/{number}/documents/identite", agents["ddt92"])
    call(http, "GET", f"/staff/requests/{number}", agents["ddt92b"])
    reads = body(call(http, "GET", f"/staff/requests/{number}/reads", agents["admin92"]))["reads"]
    assert [(r["what"], r["agent_name"].split()[-1].upper()) for r in reads] == [
        ("demande", "ARNAUD"), ("piece:identite", "ARNAUD"), ("demande", "BLANC")]
    assert call(http, "GET", f"/staff/requests/{number}/reads", agents["admin69"]).status_code == 404
    assert call(http, "GET", f"/staff/requests/{number}/reads", agents["ddt92"]).status_code == 403
    # The administrators' queue health: their département's DDT and the CERT, nothing else.
    assert body(call(http, "GET", "/staff/queues/ddt-92", agents["admin92"]))["claimed"] == 1
    assert call(http, "GET", "/staff/queues/CERT", agents["admin92"]).status_code == 200
    assert call(http, "GET", "/staff/queues/DDT-69", agents["admin92"]).status_code == 404
    assert call(http, "GET", "/staff/queues/DDT-999", agents["admin92"]).status_code == 404


def test_two_agents_claiming_at_once_never_get_the_same_request(http, school, pump, agents):
    from concurrent.futures import ThreadPoolExecutor

    from chalicelib.adapters import wiring
    from chalicelib.domain.instruction import Claim  # noqa: F401 (the claim record decides)

    number = queued(http, school, pump)
    sqs = boto3.client("sqs")
    [message] = sqs.receive_message(QueueUrl=queue_url("DDT-92"), VisibilityTimeout=0)["Messages"]
    for _ in range(3):
        sqs.send_message(QueueUrl=queue_url("DDT-92"), MessageBody=message["Body"])
    profiles = [wiring.accounts_repository().get_profile(p) for p in _account_ids(("a.ddt92", "b.ddt92"))]
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda p: wiring.instruction_service().claim_next(p), profiles * 2))
    holders = {r.claim.agent_id for r in results if r is not None}
    assert len(holders) == 1 and all(r.request.request_id == number for r in results if r is not None)


class DynamoTransactions:
    """DynamoDB's rule for transactions in flight at the same time, which moto (one call after the
    other) never applies: a transaction writing an item that another one in flight writes is
    cancelled (TransactionConflict). The first `parties` transactions wait for each other: all are
    built and sent before any commits."""

    def __init__(self, real, parties: int):
        import threading

        self.real, self.parties, self.calls, self.conflicts = real, parties, 0, 0
        self.barrier, self.lock, self.in_flight = threading.Barrier(parties, timeout=60), threading.Lock(), []

    @staticmethod
    def _keys(items):
        keys = set()
        for item in items:
            [(_, operation)] = item.items()
            key = operation.get("Key") or {name: operation["Item"][name] for name in ("pk", "sk")}
            keys.add((operation["TableName"], key["pk"]["S"], key["sk"]["S"]))
        return keys

    def __call__(self, db, items):
        from chalicelib.adapters.dynamo import TransactionRefused

        with self.lock:
            self.calls += 1
            together = self.calls <= self.parties
            keys = self._keys(items)
            conflict = together and any(keys & other for other in self.in_flight)
            self.in_flight.append(keys)
        if together:
            self.barrier.wait()
        with self.lock:
            if conflict:
                self.conflicts += 1
                raise TransactionRefused([])  # TransactionConflict: no condition failed
            self.real(db, items)


def test_two_agents_deciding_two_requests_of_their_authority_at_once_both_succeed(http, school, pump, agents,
                                                                                    monkeypatch):
    """Issue 19: the authority's day counter was an item of every decision's transaction, so two
    agents deciding at once conflicted and one was told the request had "changed meanwhile"."""
    from concurrent.futures import ThreadPoolExecutor

    from chalicelib.adapters import requests_repository, wiring
    from chalicelib.domain.instruction import DecisionKind

    numbers = [queued(http, school, pump, ephoto=f"AB12CD34EF56GH78IJ90K{c}") for c in "CD"]
    held = {claim(http, agents[name])["request"]["request_id"]: name for name in ("ddt92", "ddt92b")}
    assert set(held) == set(numbers)
    profiles = dict(zip(("ddt92", "ddt92b"), (wiring.accounts_repository().get_profile(p)
                                              for p in _account_ids(("a.ddt92", "b.ddt92")))))
    versions = {n: body(call(http, "GET", f"/requests/{n}", school))["version"] for n in numbers}
    dynamodb = DynamoTransactions(requests_repository.transact, parties=2)
    monkeypatch.setattr(requests_repository, "transact", dynamodb)

    def reject(number):
        return wiring.instruction_service().decide(profiles[held[number]], number, versions[number],
                                                   DecisionKind.REJECT, ["doublon"])

    with ThreadPoolExecutor(2) as pool:
        decided = list(pool.map(reject, numbers))  # a false 409 "changed meanwhile" would raise here
    assert [r.status.value for r in decided] == ["rejetee", "rejetee"] and dynamodb.conflicts == 0
    pump.run_until_idle()
    health = body(call(http, "GET", "/staff/queue", agents["ddt92"]))
    assert health["decisions_by_day"][-1]["decisions"] == 2 and health["median_delay_hours"] is not None


def _account_ids(prefixes):
    import os

    items = boto3.client("dynamodb").scan(TableName=os.environ["TABLE_MAIN_NAME"])["Items"]
    return [i["account_id"]["S"] for prefix in prefixes for i in items
            if i["sk"]["S"] == "PROFILE" and i["email"]["S"].startswith(prefix)]


def test_the_ready_event_names_the_authority_and_the_relay_sends_it_to_that_queue_only(http, school, pump):
    number = queued(http, school, pump)
    sqs = boto3.client("sqs")
    bodies = {name: [json.loads(m["Body"]) for m in sqs.receive_message(
        QueueUrl=queue_url(*name), VisibilityTimeout=0, MaxNumberOfMessages=10).get("Messages", [])]
        for name in (("DDT-92", False), ("DDT-92", True), ("DDT-69", False), ("CERT", False))}
    assert [b["payload"] for b in bodies[("DDT-92", False)]] == [
        {"request_id": number, "returning": False, "authority": "DDT-92"}]
    assert bodies[("DDT-92", True)] == bodies[("DDT-69", False)] == bodies[("CERT", False)] == []


def test_a_request_waiting_longer_than_sqs_keeps_a_message_gets_it_sent_again(http, school, pump, agents, app,
                                                                              monkeypatch):
    from datetime import datetime, timezone

    from chalicelib.local.pump import scheduled_event
    from chalicelib.services import requests as requests_service

    number = queued(http, school, pump)
    sweep = app.handler_map["requeue_long_waiting"]

    def on_day(days):
        monkeypatch.setattr(requests_service, "utc_now", lambda: datetime.now(timezone.utc) + timedelta(days=days))
        answer = sweep(scheduled_event(), None)
        pump.run_until_idle()
        return answer["requeued"]

    def messages():
        return int(boto3.client("sqs").get_queue_attributes(QueueUrl=queue_url("DDT-92"), AttributeNames=[
            "ApproximateNumberOfMessages"])["Attributes"]["ApproximateNumberOfMessages"])

    assert (on_day(9), messages()) == (0, 1)
    assert (on_day(10.5), messages()) == (1, 2)  # moto never expires the first: both are there
    assert on_day(11) == 0 and on_day(19) == 0  # sent again once, then 10 days later
    assert on_day(21) == 1
    version = body(call(http, "GET", f"/requests/{number}", school))["version"]
    assert version == claim(http, agents["ddt92"])["request"]["version"]  # the agent's page is not made stale
    assert claim(http, agents["ddt92b"])["request"] is None  # the copies never go to a second agent
    assert decide(http, agents["ddt92"], number, version).status_code == 200
    assert on_day(32) == 0  # decided: nothing more to send


def test_a_validation_that_cannot_get_a_neph_in_time_is_a_409_that_changes_nothing_never_a_500(
        http, school, pump, agents, monkeypatch):
    """The budget of time to give a NEPH spent (holes taken by others, again and again): the agent
    reads what happened and validates again; the request and its claim are as they were."""
    from chalicelib.adapters.instruction_repository import DynamoNephRegistry
    from chalicelib.services import instruction

    number = queued(http, school, pump)
    claimed = claim(http, agents["ddt92"])["request"]
    budget, first_hole = instruction.ALLOCATION_SECONDS, DynamoNephRegistry.first_hole
    monkeypatch.setattr(instruction, "ALLOCATION_SECONDS", 0.0)
    monkeypatch.setattr(DynamoNephRegistry, "first_hole", lambda self, prefix: 9999)  # a hole never there
    answer = decide(http, agents["ddt92"], number, claimed["version"])
    assert answer.status_code == 409 and body(answer)["code"] == "neph_busy", answer.body
    assert "Validez de nouveau" in body(answer)["message"]
    monkeypatch.setattr(instruction, "ALLOCATION_SECONDS", budget)
    monkeypatch.setattr(DynamoNephRegistry, "first_hole", first_hole)
    again = decide(http, agents["ddt92"], number, claimed["version"])
    assert again.status_code == 200 and body(again)["neph"], again.body


def test_a_validation_when_the_departements_neph_are_all_given_is_a_503_that_changes_nothing_and_alerts(
        http, school, pump, agents, monkeypatch, caplog):
    """Every office of the département has given its 9,999 numbers of the month: the agent reads
    what happens (the request stays to validate), the operators get the NephExhausted metric (its
    alarm) and an error line; once a number is free again, the same claim validates."""
    import os
    from datetime import datetime, timezone

    from chalicelib import observability
    from chalicelib.domain.instruction import neph_prefixes

    emitted, alert_metric = [], observability.alert_metric
    monkeypatch.setattr(observability, "alert_metric", lambda name: (emitted.append((name, 1)), alert_metric(name)))
    prefixes = neph_prefixes(datetime.now(timezone.utc).date(), "92")

    def set_counter(prefix, last_order):
        boto3.client("dynamodb").put_item(TableName=os.environ["TABLE_MAIN_NAME"], Item={
            "pk": {"S": f"COUNTER#NEPH#{prefix}"}, "sk": {"S": "COUNTER"}, "last_order": {"N": str(last_order)}})

    for prefix in prefixes:
        set_counter(prefix, 9999)
    number = queued(http, school, pump)
    claimed = claim(http, agents["ddt92"])["request"]
    answer = decide(http, agents["ddt92"], number, claimed["version"])
    assert answer.status_code == 503 and body(answer)["code"] == "neph_exhausted", answer.body
    alert = [r for r in caplog.records if r.getMessage().startswith("NEPH numbers exhausted")]
    assert [(r.levelname, r.departement, r.request_id) for r in alert] == [("ERROR", "92", number)]
    message = body(answer)["message"]
    assert "département 92" in message and "reste en cours d'instruction" in message and "alertée" in message
    assert 0 < int(answer.headers["Retry-After"]) <= 31 * 24 * 3600  # the next month opens every office again
    assert ("NephExhausted", 1) in emitted
    after = body(call(http, "GET", f"/requests/{number}", school))
    assert (after["status"], after["version"], after.get("neph")) == ("en-instruction", claimed["version"], None)
    set_counter(prefixes[-1], 9998)  # one number free again
    again = decide(http, agents["ddt92"], number, claimed["version"])
    assert again.status_code == 200 and body(again)["neph"] == prefixes[-1] + "9999", again.body
