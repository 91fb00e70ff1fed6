"""The licence's way (issue 7): the CERT's validation puts the licence into production; the
partners' HMAC-signed events move it (shipped, at the post office, delivered, returned), in any
order; the hourly job returns an uncollected licence, warns before destruction and destroys it;
the filer asks for a resend. And the refusals, each of which changes nothing."""
from __future__ import annotations

import json
import os
import uuid
from datetime import datetime, timedelta, timezone

import boto3
import pytest

from chalicelib.adapters import wiring
from chalicelib.domain.licence import sign
from chalicelib.local.pump import scheduled_event
from chalicelib.resources import CATALOGUE
from chalicelib.services import requests as requests_service
from tests.accounts_support import active_school
from tests.integration.test_instruction_queues import claim, decide
from tests.integration.test_requests import body, call, new_request
from tests.integration.test_submission import EPHOTO, events, fill, send_documents, submit

PATH = "/partenaires/evenements"
PRINTER, POST = "imprimerie-nationale", "la-poste"


@pytest.fixture
def school(http, accounts):
    return active_school(http, accounts, "E0000000001", "ecole@example.fr")


@pytest.fixture
def clock(monkeypatch):
    """The services' time, moved forward by tests (`clock.shift(days=15)`)."""
    class Clock:
        offset = timedelta()

        def now(self):
            return datetime.now(timezone.utc) + self.offset

        def shift(self, **delta):
            self.offset += timedelta(**delta)

    moved = Clock()
    monkeypatch.setattr(requests_service, "utc_now", moved.now)
    return moved


def key_of(partner: str) -> bytes:
    arn = os.environ[CATALOGUE.secret(f"partner-{partner}").env_arn]
    return boto3.client("secretsmanager").get_secret_value(SecretId=arn)["SecretString"].encode()


def partner_call(http, partner, payload, *, clock=None, key=None, timestamp=None, signature=None):
    raw = json.dumps(payload).encode() if not isinstance(payload, bytes) else payload
    now = clock.now() if clock else datetime.now(timezone.utc)
    stamp = timestamp if timestamp is not None else str(int(now.timestamp()))
    signed = signature or sign(key or key_of(partner), stamp, "POST", PATH, raw)
    sent = {"Content-Type": "application/json", "X-Partner": partner, "X-Timestamp": stamp, "X-Signature": signed}
    return http.request("POST", PATH, headers=sent, body=raw)


def event(number, kind, clock=None, event_id=None, at=None, **fields):
    occurred = at or (clock.now() if clock else datetime.now(timezone.utc))
    extra = {"expedie": {"tracking_number": "1A00112233445"}, "avise": {"post_office": "Antony Principal"}}
    return {"event_id": event_id or f"evt-{uuid.uuid4().hex[:12]}", "reference": number, "event": kind,
            "occurred_at": occurred.isoformat(), **extra.get(kind, {}), **fields}


def send(http, partner, number, kind, clock=None, expect=200, **fields):
    answer = partner_call(http, partner, event(number, kind, clock, **fields), clock=clock)
    assert answer.status_code == expect, answer.body
    return body(answer)


def in_production(http, school, pump, agents, ephoto=EPHOTO):
    """A production request after an exam, filed with the CEPC, validated by the CERT."""
    number = new_request(http, school, procedure="titre-examen", mandate="mandat-papier")["request_id"]
    fill(http, school, number)
    send_documents(http, school, number, pump, ephoto)
    assert body(submit(http, school, number))["status"] == "en-instruction"
    pump.run_until_idle()
    claimed = claim(http, agents["cert"])["request"]
    assert claimed["request_id"] == number
    decided = decide(http, agents["cert"], number, claimed["version"])
    assert decided.status_code == 200, decided.body
    return number


def state(http, school, number):
    request = body(call(http, "GET", f"/requests/{number}", school))
    rows = body(call(http, "GET", f"/requests/{number}/history", school))["history"]
    return request["status"], request["version"], [(r["from_status"], r["to_status"]) for r in rows]


def moved_events(number):
    """The LICENCE_MOVED payloads of a request, in the order of their moves (table read: tests only)."""
    items = boto3.client("dynamodb").scan(TableName=os.environ["TABLE_MAIN_NAME"], FilterExpression="entity = :o",
                                          ExpressionAttributeValues={":o": {"S": "outbox"}})["Items"]
    from chalicelib.adapters.dynamo import from_item

    found = [from_item(i) for i in items if i["aggregate_id"]["S"] == number
             and i["type"]["S"] == "request.licence_moved"]
    return [e["payload"] for e in sorted(found, key=lambda e: e["payload"]["at"])]


def resend(http, token, number):
    version = body(call(http, "GET", f"/requests/{number}", token)).get("version", 1)
    return call(http, "POST", f"/requests/{number}/licence/resend", token, {"version": version})


def advance(app):
    return app.handler_map["advance_licences"](scheduled_event(), None)


# --- into production, and the whole way ---------------------------------------------------------

def test_the_whole_way_from_validation_to_the_candidates_hands(http, app, school, pump, agents, clock):
    number = in_production(http, school, pump, agents)
    status, _, rows = state(http, school, number)
    assert status == "titre-en-production"
    assert rows[-2:] == [("en-instruction", "validee"), ("validee", "titre-en-production")]
    history = body(call(http, "GET", f"/requests/{number}/history", school))["history"]
    assert [r["actor_label"] for r in history[-2:]] == ["Instructeur CERT", "Automatiquement"]
    assert {"request.approved", "request.licence_moved"} <= set(events(number))
    pump.run_until_idle()
    # The attestations worker makes nothing for a production request (no NEPH, not a registration).
    assert wiring.requests_repository().issued(number, "ATT") is None

    shipped = send(http, PRINTER, number, "expedie", clock)
    assert shipped["outcome"] == "applied" and shipped["status_label"] == "Titre expédié"
    clock.shift(days=2)
    assert send(http, POST, number, "avise", clock)["status"] == "disponible-bureau-de-poste"
    clock.shift(days=15)
    assert send(http, POST, number, "retourne", clock)["status"] == "retourne"
    request = body(call(http, "GET", f"/requests/{number}", school))
    assert "resend_licence" in request["actions"] and request["licence"]["resend_until"]
    assert request["licence"]["tracking_number"] == "1A00112233445"
    answer = resend(http, school, number)
    assert answer.status_code == 200, answer.body
    assert body(answer)["status"] == "retourne" and body(answer)["version"] == request["version"] + 1
    assert "resend_licence" not in body(answer)["actions"] and body(answer)["licence"]["resend_requested_at"]
    assert "request.licence_resend_requested" in events(number)
    clock.shift(days=3)
    assert send(http, PRINTER, number, "expedie", clock, tracking_number="1A99988877766")["status"] == \
        "titre-expedie"
    clock.shift(days=1)
    assert send(http, POST, number, "remis", clock)["status"] == "titre-remis"

    _, _, rows = state(http, school, number)
    assert rows[-7:] == [("validee", "titre-en-production"), ("titre-en-production", "titre-expedie"),
                         ("titre-expedie", "disponible-bureau-de-poste"), ("disponible-bureau-de-poste", "retourne"),
                         ("retourne", "retourne"), ("retourne", "titre-expedie"), ("titre-expedie", "titre-remis")]
    payloads = moved_events(number)
    assert [p["status"] for p in payloads] == ["titre-en-production", "titre-expedie", "disponible-bureau-de-poste",
                                               "retourne", "titre-expedie", "titre-remis"]
    assert payloads[1]["tracking_number"] == "1A00112233445" and payloads[4]["tracking_number"] == "1A99988877766"
    assert payloads[2]["collect_by"] and payloads[2]["post_office"] == "Antony Principal"
    assert payloads[3]["resend_until"]
    # Nothing left for the job, ever: delivered.
    clock.shift(days=400)
    assert advance(app) == {"returned": 0, "warned": 0, "destroyed": 0}


# --- refusals: each changes nothing -------------------------------------------------------------

def test_refused_partner_events_change_nothing(http, school, pump, agents, clock):
    number = in_production(http, school, pump, agents)
    before = state(http, school, number)
    payload = event(number, "expedie", clock)
    raw = json.dumps(payload).encode()
    cases = {
        "bad signature": partner_call(http, PRINTER, raw, signature="0" * 64),
        "other partner's key": partner_call(http, PRINTER, raw, key=key_of(POST)),
        "body changed after signing": partner_call(http, PRINTER, raw, signature=sign(
            key_of(PRINTER), str(int(clock.now().timestamp())), "POST", PATH, raw + b" ")),
        "old timestamp": partner_call(http, PRINTER, raw, timestamp=str(int(clock.now().timestamp()) - 301)),
        "unknown partner": partner_call(http, "ups", raw, key=key_of(PRINTER)),
    }
    for case, answer in cases.items():
        assert answer.status_code == 401, case
        assert body(answer)["code"] in ("signature_invalid", "timestamp_out_of_window"), case
        assert body(answer)["message"], case
    assert body(cases["old timestamp"])["code"] == "timestamp_out_of_window"
    missing = http.request("POST", PATH, headers={"Content-Type": "application/json"}, body=raw)
    assert missing.status_code == 422 and {d["field"] for d in body(missing)["details"]} == {
        "X-Partner", "X-Timestamp", "X-Signature"}
    assert state(http, school, number) == before

    # A partner sending what only the other one sends; a malformed body; an unknown licence.
    refused = partner_call(http, POST, event(number, "expedie", clock), clock=clock)
    assert refused.status_code == 403 and body(refused)["code"] == "event_not_allowed_for_partner"
    malformed = partner_call(http, PRINTER, {**payload, "tracking_number": None, "reference": "12"}, clock=clock)
    assert malformed.status_code == 422
    assert {d["field"] for d in body(malformed)["details"]} >= {"reference"}
    unknown = partner_call(http, POST, event("261299999999", "remis", clock), clock=clock)
    assert unknown.status_code == 404 and body(unknown)["code"] == "licence_not_found"
    future = partner_call(http, POST, event(number, "remis", clock, at=clock.now() + timedelta(hours=2)), clock=clock)
    assert future.status_code == 422 and body(future)["details"][0]["field"] == "occurred_at"
    assert state(http, school, number) == before

    # Applied once; the same event id again is a replay, even re-signed with a new timestamp.
    assert partner_call(http, PRINTER, payload, clock=clock).status_code == 200
    after = state(http, school, number)
    clock.shift(seconds=30)
    replayed = partner_call(http, PRINTER, payload, clock=clock)
    assert replayed.status_code == 409 and body(replayed)["code"] == "event_replayed"
    delivered = event(number, "remis", clock)
    assert partner_call(http, POST, delivered, clock=clock).status_code == 200
    final = state(http, school, number)
    replayed = partner_call(http, POST, delivered, clock=clock)
    assert replayed.status_code == 409 and body(replayed)["code"] == "event_replayed"
    assert state(http, school, number) == final and after[0] == "titre-expedie"
    # An event the status does not allow: 409 with the current status.
    clock.shift(minutes=1)
    late_return = partner_call(http, POST, event(number, "retourne", clock), clock=clock)
    assert late_return.status_code == 409 and body(late_return)["code"] == "event_not_allowed_now"
    assert body(late_return)["current"]["status"] == "titre-remis"
    assert state(http, school, number) == final


def test_a_request_not_in_production_is_an_unknown_licence(http, school, pump, agents, clock):
    from tests.integration.test_instruction_queues import queued

    registration = queued(http, school, pump)
    answer = partner_call(http, PRINTER, event(registration, "expedie", clock), clock=clock)
    assert answer.status_code == 404 and body(answer)["code"] == "licence_not_found"


# --- out of order ---------------------------------------------------------------------------------

def test_delivered_before_shipped_moves_through_the_shipment_and_a_late_shipped_is_only_recorded(
        http, school, pump, agents, clock):
    number = in_production(http, school, pump, agents)
    shipped_at = clock.now()
    clock.shift(days=2)
    delivered = send(http, POST, number, "remis", clock)
    assert delivered["status"] == "titre-remis" and delivered["outcome"] == "applied"
    _, version, rows = state(http, school, number)
    assert rows[-2:] == [("titre-en-production", "titre-expedie"), ("titre-expedie", "titre-remis")]
    late = send(http, PRINTER, number, "expedie", clock, at=shipped_at, tracking_number="1A55566677788")
    assert late["outcome"] == "late" and late["status"] == "titre-remis"
    status, _, after = state(http, school, number)
    assert status == "titre-remis" and after == rows
    assert wiring.requests_repository().get(number).tracking_number == "1A55566677788"  # kept all the same
    # One LICENCE_MOVED for the status reached (the implied step is not announced on its own).
    assert [p["status"] for p in moved_events(number)] == ["titre-en-production", "titre-remis"]


def test_a_late_notice_after_the_return_does_not_move_it_back(http, school, pump, agents, clock):
    number = in_production(http, school, pump, agents)
    send(http, PRINTER, number, "expedie", clock)
    noticed_at = clock.now() + timedelta(days=1)
    clock.shift(days=20)
    assert send(http, POST, number, "retourne", clock)["status"] == "retourne"  # skips "avisé"
    late = send(http, POST, number, "avise", clock, at=noticed_at)
    assert late["outcome"] == "late" and late["status"] == "retourne"


# --- the hourly job ------------------------------------------------------------------------------

def test_the_job_returns_warns_once_destroys_and_a_resend_stops_it(http, app, school, pump, agents, clock):
    number = in_production(http, school, pump, agents)
    send(http, PRINTER, number, "expedie", clock)
    send(http, POST, number, "avise", clock)
    clock.shift(days=14, hours=23)
    assert advance(app)["returned"] == 0
    clock.shift(hours=2)
    assert advance(app) == {"returned": 1, "warned": 0, "destroyed": 0}
    status, _, rows = state(http, school, number)
    assert status == "retourne" and rows[-1] == ("disponible-bureau-de-poste", "retourne")
    until = wiring.requests_repository().get(number).resend_until
    clock.offset = until - datetime.now(timezone.utc) - timedelta(days=15) + timedelta(minutes=1)
    assert advance(app) == {"returned": 0, "warned": 1, "destroyed": 0}
    assert advance(app) == {"returned": 0, "warned": 0, "destroyed": 0}  # once
    assert events(number).count("request.destruction_warning") == 1
    clock.offset = until - datetime.now(timezone.utc) + timedelta(minutes=1)
    assert advance(app)["destroyed"] == 1
    status, _, rows = state(http, school, number)
    assert status == "detruit" and rows[-1] == ("retourne", "detruit")
    too_late = resend(http, school, number)
    assert too_late.status_code == 409 and body(too_late)["code"] == "resend_too_late"
    assert "nouvelle demande" in body(too_late)["message"]

    # Another licence: its resend asked in time, the job leaves it alone.
    other = in_production(http, school, pump, agents, ephoto="ZZ12CD34EF56GH78IJ90KL")
    send(http, PRINTER, other, "expedie", clock)
    send(http, POST, other, "retourne", clock)
    assert resend(http, school, other).status_code == 200
    clock.shift(days=200)
    assert advance(app) == {"returned": 0, "warned": 0, "destroyed": 0}
    assert state(http, school, other)[0] == "retourne"
    assert "request.destruction_warning" not in events(other)


def test_resend_refusals(http, accounts, school, pump, agents, clock):
    number = in_production(http, school, pump, agents)
    wrong = resend(http, school, number)
    assert wrong.status_code == 409 and body(wrong)["code"] == "resend_not_possible"
    assert body(wrong)["current"]["status"] == "titre-en-production"
    send(http, PRINTER, number, "expedie", clock)
    send(http, POST, number, "retourne", clock)
    other_school = active_school(http, accounts, "E0000000002", "autre@example.fr")
    foreign = call(http, "POST", f"/requests/{number}/licence/resend", other_school, {"version": 1})
    unknown = call(http, "POST", "/requests/261299999999/licence/resend", other_school, {"version": 1})
    assert foreign.status_code == unknown.status_code == 404 and body(foreign) == body(unknown)
    stale = call(http, "POST", f"/requests/{number}/licence/resend", school, {"version": 1})
    assert stale.status_code == 409 and body(stale)["code"] == "changed_meanwhile"
    # Past the 6 months, before the job has run: too late already.
    clock.shift(days=190)
    too_late = resend(http, school, number)
    assert too_late.status_code == 409 and body(too_late)["code"] == "resend_too_late"
    clock.shift(days=-190)
    assert resend(http, school, number).status_code == 200
    again = resend(http, school, number)
    assert again.status_code == 409 and body(again)["code"] == "resend_already_requested"


# --- concurrency -----------------------------------------------------------------------------------

def test_a_partner_event_committed_while_the_job_works_wins_cleanly(http, app, school, pump, agents, clock,
                                                                     monkeypatch):
    number = in_production(http, school, pump, agents)
    send(http, PRINTER, number, "expedie", clock)
    send(http, POST, number, "avise", clock)
    clock.shift(days=15, minutes=1)
    repository = wiring.requests_repository()
    read = repository.get
    raced = []

    def get_then_race(request_id):
        request = read(request_id)
        if not raced:  # the job has read the licence: La Poste's delivery lands before its write
            raced.append(True)
            send(http, POST, number, "remis", clock)
        return request

    monkeypatch.setattr(repository, "get", get_then_race)
    assert advance(app) == {"returned": 0, "warned": 0, "destroyed": 0}
    monkeypatch.setattr(repository, "get", read)
    status, _, rows = state(http, school, number)
    assert status == "titre-remis" and rows[-1] == ("disponible-bureau-de-poste", "titre-remis")
    assert advance(app) == {"returned": 0, "warned": 0, "destroyed": 0}  # nothing due any more


def test_the_job_committed_while_an_event_is_handled_makes_the_event_read_again(http, app, school, pump, agents,
                                                                                 clock, monkeypatch):
    number = in_production(http, school, pump, agents)
    send(http, PRINTER, number, "expedie", clock)
    send(http, POST, number, "avise", clock)
    clock.shift(days=15, minutes=1)
    repository = wiring.requests_repository()
    read = repository.get
    raced = []

    def get_then_race(request_id):
        request = read(request_id)
        if not raced:
            raced.append(True)
            monkeypatch.setattr(repository, "get", read)
            assert advance(app)["returned"] == 1  # the job returns it meanwhile
        return request

    monkeypatch.setattr(repository, "get", get_then_race)
    answer = partner_call(http, POST, event(number, "retourne", clock), clock=clock)
    assert answer.status_code == 200 and body(answer)["outcome"] == "already"
    status, _, rows = state(http, school, number)
    assert status == "retourne" and [r for r in rows if r[1] == "retourne"] == [("disponible-bureau-de-poste",
                                                                               "retourne")]
