"""Notifications and alerts (issue 7): the steps that matter reach the candidate and the school by
email, and the confirmed alert subscribers by email or SMS, each once; the subscription's double
opt-in, its refusals, the unsubscribe link; a failing send ends in the dead-letter queue and never
touches the request. Events of the other parts (CEPC, the licence's way) are made here directly,
by their payload contract (chalicelib/domain/request_events.py)."""
from __future__ import annotations

import os
import re
import uuid
from datetime import date, datetime, timedelta, timezone

import boto3
import pytest
from moto.core import DEFAULT_ACCOUNT_ID
from moto.sns.models import sns_backends

from chalicelib import settings
from chalicelib.adapters import wiring
from chalicelib.domain import request_events
from chalicelib.domain.events import OutboxEvent
from chalicelib.domain.instruction import DecisionKind
from chalicelib.domain.procedures import RequestStatus
from tests.accounts_support import active_school, body, post, sent_emails, solve_altcha
from tests.integration.test_decisions import DDT_92
from tests.integration.test_requests import call
from tests.integration.test_submission import ready_request, submit

CANDIDATE = "testun.joun@example.fr"  # the contact step's email of the test requests
SCHOOL = "ecole@example.fr"
PHONE = "+33612345678"


@pytest.fixture
def school(http, accounts):
    return active_school(http, accounts, "E0000000001", SCHOOL)


@pytest.fixture
def instruction(aws):
    return wiring.instruction_service()


def submitted(http, school, pump, ephoto="AB12CD34EF56GH78IJ90KL"):
    number = ready_request(http, school, pump, ephoto=ephoto)
    assert body(submit(http, school, number))["status"] == "en-instruction"
    pump.run_until_idle()
    return number


def sms_sent(to: str | None = None) -> list[str]:
    return [text for phone, text in sns_backends[DEFAULT_ACCOUNT_ID]["eu-west-3"].sms_messages.values()
            if to is None or phone == to]


def emit(number: str, event_type: str, to_status: RequestStatus | None = None, **payload) -> OutboxEvent:
    """An event of another part of issue 7 committed as theirs will be: the request (moved to
    `status`) and its outbox event in one transaction."""
    repo = wiring.requests_repository()
    request = repo.get(number)
    event = OutboxEvent(id=str(uuid.uuid4()), type=event_type, aggregate_id=number,
                        occurred_at=datetime.now(timezone.utc), payload={"request_id": number, **payload})
    moved = request.model_copy(update={"status": to_status or request.status, "version": request.version + 1})
    repo.transact(repo.change_items(moved, [], [event]))
    return event


def subscribe(http, number, address, channel="email"):
    return post(http, "/alerts/subscriptions", {"request_id": number, "channel": channel, "address": address,
                                                "altcha": solve_altcha(http)})


def code_in(text: str) -> str:
    return re.search(r"(?:d'abonnement : |code )(\d{6})\b", text).group(1)


def confirm(http, number, address, code, channel="email"):
    return post(http, "/alerts/confirmation", {"request_id": number, "channel": channel, "address": address,
                                               "code": code})


def subscribed(http, pump, number, address, channel="email"):
    assert subscribe(http, number, address, channel).status_code == 202
    pump.run_until_idle()
    from chalicelib.domain.accounts import normalize_mobile_phone

    text = sms_sent(normalize_mobile_phone(address))[-1] if channel == "sms" else sent_emails(address.lower())[-1].body
    answer = confirm(http, number, address, code_in(text), channel)
    assert answer.status_code == 200, answer.body


def unsubscribe_token(text: str) -> str:
    return re.search(r"desabonnement\.html#jeton=([A-Za-z0-9_-]{43})", text).group(1)


# --- built-in notifications ----------------------------------------------------------------------

def test_a_validated_registration_tells_the_candidate_and_the_school_its_neph(http, school, pump, instruction):
    number = submitted(http, school, pump)
    assert instruction.claim_next(DDT_92).request.request_id == number
    version = body(call(http, "GET", f"/requests/{number}", school))["version"]
    decided = instruction.decide(DDT_92, number, version, DecisionKind.VALIDATE, [])
    pump.run_until_idle()
    for to in (CANDIDATE, SCHOOL):
        [email] = [m for m in sent_emails(to) if "validée" in m.subject]
        assert number in email.body and decided.neph in email.body and "NEPH" in email.subject
        assert "desabonnement" not in email.body  # the service's own messages, not alerts
    assert f"demande.html#id={number}" in [m for m in sent_emails(SCHOOL) if "validée" in m.subject][0].body


def test_a_complement_names_its_reasons_and_documents_and_a_rejection_its_reasons(http, school, pump, instruction):
    asked = submitted(http, school, pump)
    rejected = submitted(http, school, pump, ephoto="AB12CD34EF56GH78IJ90K2")
    for number, kind, reasons, documents in ((asked, DecisionKind.COMPLEMENT, ["domicile-ancien"], ["domicile"]),
                                             (rejected, DecisionKind.REJECT, ["doublon"], None)):
        assert instruction.claim_next(DDT_92).request.request_id == number
        version = body(call(http, "GET", f"/requests/{number}", school))["version"]
        instruction.decide(DDT_92, number, version, kind, reasons, documents=documents)
    pump.run_until_idle()
    [complement] = [m for m in sent_emails(CANDIDATE) if asked in m.subject]
    assert "complément" in complement.subject
    assert "Le justificatif de domicile a plus de 6 mois" in complement.body
    assert "Justificatif de domicile de moins de 6 mois" in complement.body  # the document to replace
    [rejection] = [m for m in sent_emails(SCHOOL) if rejected in m.subject]
    assert "rejetée" in rejection.subject and "Une demande identique est déjà en cours" in rejection.body


def test_the_licence_s_way_reaches_the_candidate_the_school_and_the_subscribers(http, school, pump):
    number = submitted(http, school, pump)
    subscribed(http, pump, number, "06 12 34 56 78", "sms")
    subscribed(http, pump, number, "mamie@example.fr")
    emit(number, request_events.LICENCE_MOVED, RequestStatus.SHIPPED, status="titre-expedie",
         at="2027-03-01T10:00:00+00:00", tracking_number="1A00123456789")
    pump.run_until_idle()
    for to in (CANDIDATE, SCHOOL, "mamie@example.fr"):
        [email] = [m for m in sent_emails(to) if "expédié" in m.subject]
        assert "1A00123456789" in email.body
    [text] = [t for t in sms_sent(PHONE) if "expédié" in t]
    assert "1A00123456789" in text and "desabonnement.html#jeton=" in text
    assert "desabonnement.html#jeton=" in [m for m in sent_emails("mamie@example.fr") if "expédié" in m.subject][0].body
    emit(number, request_events.LICENCE_MOVED, RequestStatus.AT_POST_OFFICE, status="disponible-bureau-de-poste",
         at="2027-03-03T10:00:00+00:00", collect_by="2027-03-18")
    pump.run_until_idle()
    [text] = [t for t in sms_sent(PHONE) if "bureau de poste" in t]
    assert "18/03/2027" in text


def test_a_licence_status_the_request_has_left_already_is_not_announced(http, school, pump):
    number = submitted(http, school, pump)
    event = emit(number, request_events.LICENCE_MOVED, RequestStatus.DELIVERED, status="titre-expedie",
                 tracking_number="1A00123456789")
    from chalicelib.workers.notifications import send_for

    before = len(sent_emails())
    send_for(event)
    assert len(sent_emails()) == before


# --- subscriptions -------------------------------------------------------------------------------

def test_a_subscription_not_confirmed_receives_nothing(http, school, pump):
    number = submitted(http, school, pump)
    assert subscribe(http, number, "voisin@example.fr").status_code == 202
    pump.run_until_idle()
    [code_email] = sent_emails("voisin@example.fr")
    assert number in code_email.subject and re.search(r"\b\d{6}\b", code_email.body)
    emit(number, request_events.CEPC_ISSUED, neph="920123456789", category="B", valid_until="2027-07-01",
         production_request_id="270300000001")
    pump.run_until_idle()
    assert sent_emails("voisin@example.fr") == [code_email]
    assert [m for m in sent_emails(CANDIDATE) if "CEPC" in m.subject]  # while the candidate is told


def test_an_unknown_number_or_a_draft_gets_the_same_answer_as_a_real_request_and_nothing_is_sent(http, school,
                                                                                                 pump):
    real = submitted(http, school, pump)
    draft = body(call(http, "POST", "/requests", school, {"procedure": "inscription",
                                                          "mandate": "mandat-papier"}))["request_id"]
    answers = [subscribe(http, number, f"curieux{i}@example.fr") for i, number in
               enumerate((real, "999999999999", draft))]
    assert {a.status_code for a in answers} == {202}
    assert len({a.body for a in answers}) == 1
    pump.run_until_idle()
    assert len(sent_emails("curieux0@example.fr")) == 1
    assert sent_emails("curieux1@example.fr") == [] and sent_emails("curieux2@example.fr") == []
    # Confirming for an unknown number says no more than a wrong code.
    unknown = confirm(http, "999999999999", "curieux1@example.fr", "123456")
    assert unknown.status_code == 422 and body(unknown)["code"] == "alert_code_wrong"


def test_an_unsubscribed_address_receives_nothing_and_the_link_works_again_harmlessly(http, school, pump):
    number = submitted(http, school, pump)
    subscribed(http, pump, number, "Mamie@Example.fr")
    emit(number, request_events.CEPC_ISSUED, neph="920123456789", category="B", valid_until="2027-07-01")
    pump.run_until_idle()
    [alert] = [m for m in sent_emails("mamie@example.fr") if "CEPC" in m.subject]
    token = unsubscribe_token(alert.body)
    for _ in range(2):  # a second click on the same link
        answer = post(http, "/alerts/unsubscribe", {"token": token})
        assert answer.status_code == 200 and "désabonné" in body(answer)["message"]
    emit(number, request_events.LICENCE_MOVED, RequestStatus.AT_POST_OFFICE, status="disponible-bureau-de-poste",
         collect_by="2027-03-18")
    pump.run_until_idle()
    assert not [m for m in sent_emails("mamie@example.fr") if "bureau de poste" in m.subject]
    assert [m for m in sent_emails(CANDIDATE) if "bureau de poste" in m.subject]
    for bad in ("x" * 43, "court"):
        refused = post(http, "/alerts/unsubscribe", {"token": bad})
        assert refused.status_code == 404 and body(refused)["code"] == "alert_link_unknown"


def test_an_sms_subscription_normalises_the_french_number_and_stops_by_its_link(http, school, pump):
    number = submitted(http, school, pump)
    assert subscribe(http, number, "06.12.34.56.78", "sms").status_code == 202
    pump.run_until_idle()
    [code_sms] = sms_sent(PHONE)
    assert len(code_sms) <= 160 and number in code_sms
    assert confirm(http, number, "06 12 34 56 78", code_in(code_sms), "sms").status_code == 200
    emit(number, request_events.DESTRUCTION_WARNING, RequestStatus.RETURNED, destroy_on="2027-09-18")
    pump.run_until_idle()
    [warning] = [t for t in sms_sent(PHONE) if "détruit" in t]
    assert "18/09/2027" in warning
    assert post(http, "/alerts/unsubscribe", {"token": unsubscribe_token(warning)}).status_code == 200
    emit(number, request_events.LICENCE_MOVED, RequestStatus.DESTROYED, status="detruit")
    pump.run_until_idle()
    assert len(sms_sent(PHONE)) == 2


@pytest.mark.parametrize("phone", ["01 23 45 67 89", "06 12 34", "+33 1 23 45 67 89", "téléphone"])
def test_an_invalid_mobile_number_is_refused_in_french_before_the_proof_is_spent(http, school, pump, phone):
    number = submitted(http, school, pump)
    form = {"request_id": number, "channel": "sms", "address": phone, "altcha": solve_altcha(http)}
    refused = post(http, "/alerts/subscriptions", form)
    assert refused.status_code == 422
    [detail] = body(refused)["details"]
    assert detail["field"] == "address" and "numéro de téléphone portable" in detail["message"]
    assert post(http, "/alerts/subscriptions", {**form, "address": "07 12 34 56 78"}).status_code == 202


@pytest.mark.parametrize("path,payload,field", [
    ("/alerts/subscriptions", {"channel": "email", "address": "a@example.fr", "altcha": "x"}, "request_id"),
    ("/alerts/subscriptions", {"request_id": "12345", "channel": "email", "address": "a@example.fr",
                               "altcha": "x"}, "request_id"),
    ("/alerts/subscriptions", {"request_id": "260100000001", "channel": "pigeon", "address": "a@example.fr",
                               "altcha": "x"}, "channel"),
    ("/alerts/subscriptions", {"request_id": "260100000001", "channel": "email", "address": "a@example.fr"},
     "altcha"),
    ("/alerts/subscriptions", {"request_id": "260100000001", "channel": "email", "address": "pas-une-adresse",
                               "altcha": "x"}, "address"),
    ("/alerts/confirmation", {"request_id": "260100000001", "channel": "email", "address": "a@example.fr",
                              "code": "12345"}, "code"),
    ("/alerts/confirmation", {"request_id": "260100000001", "channel": "email", "address": "a@example.fr",
                              "code": "123456", "extra": 1}, "extra"),
    ("/alerts/unsubscribe", {}, "token"),
])
def test_malformed_bodies_are_refused_with_the_field_to_fix(http, aws, path, payload, field):
    refused = post(http, path, payload)
    assert refused.status_code == 422, refused.body
    assert field in {d.get("field") for d in body(refused)["details"]}


def test_a_subscription_without_a_valid_anti_robot_proof_is_refused(http, school, pump):
    number = submitted(http, school, pump)
    refused = post(http, "/alerts/subscriptions", {"request_id": number, "channel": "email",
                                                   "address": "a@example.fr", "altcha": "x"})
    assert refused.status_code == 422 and body(refused)["code"] == "antirobot_failed"


def test_a_wrong_code_an_expired_code_and_too_many_attempts_are_refused(http, school, pump, monkeypatch):
    number = submitted(http, school, pump)
    subscribe(http, number, "a@example.fr")
    pump.run_until_idle()
    code = code_in(sent_emails("a@example.fr")[-1].body)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    answer = confirm(http, number, "a@example.fr", wrong)
    assert answer.status_code == 422 and body(answer)["code"] == "alert_code_wrong"
    for _ in range(4):
        confirm(http, number, "a@example.fr", wrong)
    exhausted = confirm(http, number, "a@example.fr", code)  # even the right one, now
    assert exhausted.status_code == 429 and body(exhausted)["code"] == "alert_code_attempts_exceeded"

    subscribe(http, number, "b@example.fr")
    pump.run_until_idle()
    code = code_in(sent_emails("b@example.fr")[-1].body)
    from chalicelib.services import alerts as alerts_service

    now = alerts_service.utc_now
    monkeypatch.setattr(alerts_service, "utc_now", lambda: now() + timedelta(minutes=16))
    expired = confirm(http, number, "b@example.fr", code)
    assert expired.status_code == 422 and body(expired)["code"] == "alert_code_expired"
    # A new subscription sends a new code that replaces the old one, and it confirms.
    subscribe(http, number, "b@example.fr")
    pump.run_until_idle()
    fresh = code_in(sent_emails("b@example.fr")[-1].body)
    assert len(sent_emails("b@example.fr")) == 2
    assert confirm(http, number, "b@example.fr", fresh).status_code == 200
    assert confirm(http, number, "b@example.fr", fresh).status_code == 200  # a double click


def test_codes_to_one_address_are_a_minute_apart_and_a_subscribed_address_gets_none(http, school, pump,
                                                                                    monkeypatch):
    from chalicelib.services import alerts as alerts_service

    number = submitted(http, school, pump)
    for _ in range(3):  # a robot with solved proofs, at once: one code
        assert subscribe(http, number, "06 12 34 56 78", "sms").status_code == 202
    pump.run_until_idle()
    assert len(sms_sent(PHONE)) == 1
    now = alerts_service.utc_now
    monkeypatch.setattr(alerts_service, "utc_now", lambda: now() + timedelta(minutes=2))
    assert subscribe(http, number, "06 12 34 56 78", "sms").status_code == 202
    pump.run_until_idle()
    [_, second] = sms_sent(PHONE)
    assert confirm(http, number, PHONE, code_in(second), "sms").status_code == 200
    monkeypatch.setattr(alerts_service, "utc_now", lambda: now() + timedelta(minutes=5))
    assert subscribe(http, number, "06 12 34 56 78", "sms").status_code == 202
    pump.run_until_idle()
    assert len(sms_sent(PHONE)) == 2


# --- once per recipient, retries and dead letters ------------------------------------------------

def delivered_three_times(event, pump):
    """The relayed message, the same message delivered again to the worker, and sent again to its queue."""
    from chalicelib.workers.notifications import send_for

    pump.run_until_idle()
    send_for(event)
    boto3.client("sqs").send_message(QueueUrl=settings.queue_url("notifications"), MessageBody=event.model_dump_json())
    pump.run_until_idle()


def test_an_event_delivered_twice_sends_one_message_per_recipient(http, school, pump):
    number = submitted(http, school, pump)
    subscribed(http, pump, number, "06 12 34 56 78", "sms")
    event = emit(number, request_events.CEPC_ISSUED, neph="920123456789", category="B", valid_until="2027-07-01")
    delivered_three_times(event, pump)
    for to in (CANDIDATE, SCHOOL):
        assert len([m for m in sent_emails(to) if "CEPC" in m.subject]) == 1
    assert len([t for t in sms_sent(PHONE) if "CEPC" in t]) == 1


def test_a_retry_after_a_partial_failure_skips_the_recipients_already_served(http, school, pump, monkeypatch):
    from chalicelib.workers.notifications import send_for

    number = submitted(http, school, pump)
    event = emit(number, request_events.CEPC_ISSUED, neph="920123456789", category="B", valid_until="2027-07-01")
    from chalicelib.adapters.mailer import SesMailer

    real = SesMailer.send

    def fails_for_the_school(mailer, email):
        if email.to == SCHOOL:
            raise RuntimeError("SES indisponible")
        real(mailer, email)

    monkeypatch.setattr(SesMailer, "send", fails_for_the_school)
    with pytest.raises(RuntimeError):
        send_for(event)
    monkeypatch.setattr(SesMailer, "send", real)
    send_for(event)
    assert len([m for m in sent_emails(CANDIDATE) if "CEPC" in m.subject]) == 1
    assert len([m for m in sent_emails(SCHOOL) if "CEPC" in m.subject]) == 1


def test_a_failing_send_is_retried_then_set_aside_and_replayed_and_the_request_is_untouched(http, school, pump,
                                                                                            monkeypatch, capsys):
    from chalicelib.adapters import dead_letters

    number = submitted(http, school, pump)
    subscribed(http, pump, number, "06 12 34 56 78", "sms")
    before = wiring.requests_repository().get(number)
    attempts = []

    def unavailable(sender, message):
        attempts.append(message)
        raise RuntimeError("SNS indisponible")

    from chalicelib.adapters.sms import SnsSms

    real_send = SnsSms.send
    monkeypatch.setattr(SnsSms, "send", unavailable)
    emit(number, request_events.LICENCE_MOVED, RequestStatus.IN_PRODUCTION, status="titre-en-production")
    pump.run_until_idle()
    assert len(attempts) == 5  # max_receive_count deliveries, then the dead-letter queue
    sqs = boto3.client("sqs")
    [letter] = dead_letters.peek(sqs, "notifications")
    assert letter.event_type == request_events.LICENCE_MOVED
    after = wiring.requests_repository().get(number)
    assert after.status is RequestStatus.IN_PRODUCTION and after.version == before.version + 1  # only the event's
    # The emails went on the first delivery and are not sent again; the SMS goes once replayed.
    assert len([m for m in sent_emails(CANDIDATE) if "fabrication" in m.subject]) == 1
    monkeypatch.setattr(SnsSms, "send", real_send)
    from chalicelib.local import dlq  # the operators' command covers the new queue

    assert dlq.main(["redrive", "notifications"]) == 0
    assert "1 message(s) remis dans la file notifications" in capsys.readouterr().out
    pump.run_until_idle()
    assert len([t for t in sms_sent(PHONE) if "fabrication" in t]) == 1
    assert len([m for m in sent_emails(CANDIDATE) if "fabrication" in m.subject]) == 1


def test_the_relay_sends_every_notified_event_to_the_notifications_queue():
    from chalicelib.workers.notifications import EVENT_TYPES
    from chalicelib.workers.outbox import QUEUES_BY_EVENT_TYPE

    assert all("notifications" in QUEUES_BY_EVENT_TYPE[t] for t in EVENT_TYPES)
    assert "attestations" in QUEUES_BY_EVENT_TYPE[request_events.APPROVED]  # its other consumer kept


def test_the_messages_command_lists_emails_and_sms_newest_first_and_shows_one(http, school, pump, capsys):
    from chalicelib.cli import messages
    from chalicelib.local.processes import sent_messages_state

    def state():  # what the local stack's moto answers on its sent-messages endpoint
        return sent_messages_state()

    number = submitted(http, school, pump)
    subscribed(http, pump, number, "06 12 34 56 78", "sms")
    emit(number, request_events.CEPC_ISSUED, neph="920123456789", category="B", valid_until=str(date(2027, 7, 1)))
    pump.run_until_idle()
    assert messages.main(["--to", "06 12 34 56 78"], state=state) == 0
    listed = capsys.readouterr().out
    assert "0 courriel(s) et 2 SMS" in listed and listed.index("S2") < listed.index("S1")
    assert messages.main(["--to", CANDIDATE], state=state) == 0
    listed = capsys.readouterr().out
    newest = re.search(r"(C\d+)\s+courriel", listed).group(1)
    assert "CEPC" in listed.splitlines()[1]
    assert messages.main(["--show", newest], state=state) == 0
    shown = capsys.readouterr().out
    assert f"courriel à {CANDIDATE}" in shown and "01/07/2027" in shown and "<p>" not in shown
    assert messages.main(["--show", "C999"], state=state) == 1


def test_on_make_run_the_mailbox_page_and_the_command_read_emails_and_sms_from_moto_server(capsys):
    """The local stack's moto server, read over HTTP (/moto-api/data.json) as `make run` does."""
    from moto.server import ThreadedMotoServer

    from chalicelib.cli import messages
    from chalicelib.local.web_server import local_mailbox

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        url = "http://127.0.0.1:%d" % server._server.server_address[1]
        ses = boto3.client("ses", endpoint_url=url)
        ses.verify_email_identity(EmailAddress="ne-pas-repondre@example.fr")
        ses.send_email(Source="ne-pas-repondre@example.fr", Destination={"ToAddresses": ["a@example.fr"]},
                       Message={"Subject": {"Data": "Votre code"}, "Body": {"Html": {"Data": "<p>Code 123456</p>"}}})
        boto3.client("sns", endpoint_url=url).publish(PhoneNumber=PHONE, Message="Permis en ligne : code 654321")
        mailbox = local_mailbox(url)
        assert [m["to"] for m in mailbox][-2:] == [["a@example.fr"], [PHONE]]
        assert "654321" in mailbox[-1]["html"] and mailbox[-1]["subject"].startswith("SMS")
        assert messages.main(["--aws-url", url, "--to", "06 12 34 56 78", "--show", "S1"]) == 0
        assert "code 654321" in capsys.readouterr().out
    finally:
        server.stop()


def test_the_pages_of_the_alerts_call_routes_the_api_has(app):
    """The unsubscribe link's page and the subscription page exist and post to real routes."""
    from pathlib import Path

    from chalicelib.api.http import ROUTE_DOCS
    from infra.pages import render_site

    web = Path(__file__).resolve().parents[2] / "web"
    site = render_site(local=False)
    for page, script in (("desabonnement.html", "desabonnement.js"), ("alertes.html", "alertes.js")):
        bundle = re.search(r'<script src="([^"]+)" defer></script>', site[page].decode("utf-8")).group(1)
        assert f"// {script}\n" in site[bundle].decode("utf-8")  # the page's script, after commun.js
        called = re.findall(r'callApi\("(/[^"]+)"', (web / script).read_text(encoding="utf-8"))
        assert called and all((path, "POST") in ROUTE_DOCS for path in called), called
    assert "jeton" in (web / "desabonnement.js").read_text(encoding="utf-8")


def test_the_local_moto_answers_the_sent_messages_without_dumping_its_whole_state(aws):
    """/moto-api/data.json serialises every item of every service (seconds on a stack in use, with
    moto serving one request at a time): the local stack's moto answers the mailbox from the
    SES and SNS backends alone."""
    import json

    from chalicelib.local.processes import SENT_MESSAGES_PATH, with_sent_messages

    ses = boto3.client("ses", region_name="eu-west-3")
    ses.verify_email_identity(EmailAddress="ne-pas-repondre@example.fr")
    ses.send_email(Source="ne-pas-repondre@example.fr", Destination={"ToAddresses": ["a@example.fr"]},
                   Message={"Subject": {"Data": "Votre code"}, "Body": {"Html": {"Data": "<p>Code 123456</p>"}}})
    boto3.client("sns", region_name="eu-west-3").publish(PhoneNumber=PHONE, Message="Permis en ligne : code 654321")
    answered = []
    other = with_sent_messages(lambda environ, start: [b"moto"])
    assert other({"PATH_INFO": "/"}, lambda *a: None) == [b"moto"]
    body = with_sent_messages(None)({"PATH_INFO": SENT_MESSAGES_PATH}, lambda status, headers: answered.append(status))
    state = json.loads(b"".join(body))
    assert answered == ["200 OK"]
    assert [m["subject"] for m in state["ses"]["Message"]][-1] == "Votre code"
    assert state["sns"]["SMS"][-1]["phone_number"] == PHONE and "654321" in state["sns"]["SMS"][-1]["message"]


def test_a_confirmed_address_and_its_link_are_forgotten_18_months_after_the_confirmation(http, school, pump):
    from chalicelib.adapters.dynamo import from_item

    number = submitted(http, school, pump)
    subscribed(http, pump, number, "tonton@example.fr")
    items = [from_item(i) for i in boto3.client("dynamodb", region_name="eu-west-3").scan(
        TableName=os.environ["TABLE_MAIN_NAME"])["Items"]]
    kept = [i for i in items if i.get("entity") in ("alert_subscription", "alert_unsubscribe")]
    assert {i["entity"] for i in kept} == {"alert_subscription", "alert_unsubscribe"}
    now = datetime.now(timezone.utc).timestamp()
    for item in kept:
        assert 540 * 86400 < int(item["expires_at"]) - now < 550 * 86400, item["entity"]
