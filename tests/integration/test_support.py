"""Support desk (issue 9): the contact form signed in and anonymous, the sender's own tickets, the
agents' queue of their département, the answer emailed once, and the one-week promise's job."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import boto3
import pytest

from chalicelib.adapters import wiring
from chalicelib.adapters.dynamo import from_item
from chalicelib.domain import support_events
from chalicelib.domain.events import OutboxEvent
from chalicelib.local.pump import scheduled_event
from chalicelib.services import support as support_service
from tests.accounts_support import active_candidate, active_school, body, post, sent_emails, solve_altcha

FORM = {"topic": "demande", "subject": "Attestation introuvable",
        "message": "Bonjour, je ne trouve pas l'attestation d'inscription de mon élève dans mon espace."}


def get(http, path, token):
    return http.get(path, headers={"Authorization": f"Bearer {token}"})


@pytest.fixture
def school(http, accounts):
    return active_school(http, accounts, "E0000000001", "ecole@example.fr")  # Antony: département 92


@pytest.fixture
def other_school(http, accounts):
    return active_school(http, accounts, "E0000000002", "autre.ecole@example.fr")


def anonymous_form(http, **changes):
    return {**FORM, "profile": "autre", "email": "Parent.Eleve@Example.fr", "departement": "69",
            "altcha": solve_altcha(http), **changes}


def outbox_events(event_type: str) -> list[dict]:
    import os

    items = boto3.client("dynamodb").scan(TableName=os.environ["TABLE_MAIN_NAME"])["Items"]
    return [from_item(i) for i in items if i.get("entity", {}).get("S") == "outbox" and i["type"]["S"] == event_type]


def opened_days_ago(monkeypatch, days: float):
    monkeypatch.setattr(support_service, "utc_now", lambda: datetime.now(timezone.utc) - timedelta(days=days))


# --- the contact form -----------------------------------------------------------------------------

def test_a_school_writes_about_one_of_its_requests_and_gets_a_number_and_the_promise(http, school, pump):
    number = body(post(http, "/requests", {"procedure": "inscription", "mandate": "sans-mandat"}, school))["request_id"]
    sent = post(http, "/support/tickets", {**FORM, "request_id": number}, school)
    assert sent.status_code == 201, sent.body
    answer = body(sent)
    promised = (datetime.now(timezone.utc) + timedelta(days=7)).astimezone(support_service.support.PARIS)
    assert answer["ticket_id"].startswith("S-")
    assert f"Réponse au plus tard le {promised:%d/%m/%Y}" in answer["message"]
    [event] = outbox_events(support_events.TICKET_OPENED)
    assert event["payload"] == {"ticket_id": answer["ticket_id"], "departement": "92", "profile": "auto-ecole",
                                "topic": "demande", "opened_at": event["payload"]["opened_at"]}
    mine = body(get(http, "/support/tickets", school))["tickets"]
    assert [(t["ticket_id"], t["request_id"], t["status_label"]) for t in mine] == [
        (answer["ticket_id"], number, "En attente de réponse")]
    pump.run_until_idle()
    assert sent_emails("ecole@example.fr") == []  # nothing is emailed before the answer


def test_a_school_cannot_link_another_schools_request(http, school, other_school):
    theirs = body(post(http, "/requests", {"procedure": "inscription", "mandate": "sans-mandat"},
                       other_school))["request_id"]
    refused = post(http, "/support/tickets", {**FORM, "request_id": theirs}, school)
    assert refused.status_code == 404 and body(refused)["code"] == "request_not_found"
    assert outbox_events(support_events.TICKET_OPENED) == []


def test_a_school_reading_another_schools_tickets_gets_404(http, school, other_school):
    ticket = body(post(http, "/support/tickets", FORM, school))["ticket_id"]
    assert get(http, f"/support/tickets/{ticket}", school).status_code == 200
    theirs = get(http, f"/support/tickets/{ticket}", other_school)
    assert theirs.status_code == 404 and body(theirs)["code"] == "support_ticket_not_found"
    assert "support" in body(theirs)["message"]
    assert body(get(http, "/support/tickets", other_school))["tickets"] == []
    assert get(http, "/support/tickets/pas-un-numero", school).status_code == 404


def test_a_candidate_writes_and_reads_only_their_own_tickets(http, accounts):
    candidate = active_candidate(http, accounts, "candidat@example.fr")
    other = active_candidate(http, accounts, "autre.candidat@example.fr")
    sent = post(http, "/support/tickets", {**FORM, "topic": "compte"}, candidate)
    assert sent.status_code == 201, sent.body
    ticket = body(sent)["ticket_id"]
    assert body(get(http, f"/support/tickets/{ticket}", candidate))["topic_label"].startswith("Mon compte")
    assert get(http, f"/support/tickets/{ticket}", other).status_code == 404
    assert body(get(http, "/support/tickets", other))["tickets"] == []
    [event] = outbox_events(support_events.TICKET_OPENED)
    assert event["payload"]["profile"] == "candidat" and event["payload"]["departement"] == "92"


def test_someone_not_signed_in_writes_with_the_antirobot_proof_and_a_departement(http, agents):
    sent = post(http, "/support/contact", anonymous_form(http))
    assert sent.status_code == 201, sent.body
    assert "parent.eleve@example.fr" in body(sent)["message"]
    [ticket] = body(get(http, "/staff/support", agents["admin69"]))["tickets"]
    assert (ticket["email"], ticket["profile"], ticket["departement"]) == ("parent.eleve@example.fr", "autre", "69")


@pytest.mark.parametrize("changes, field", [
    ({"altcha": None}, "altcha"), ({"departement": "00"}, "departement"), ({"email": "pas-une-adresse"}, "email"),
    ({"message": "trop court"}, "message"), ({"subject": "x" * 121}, "subject"), ({"topic": "autre"}, "topic"),
    ({"profile": "agent"}, "profile"), ({"departement": None}, "departement")])
def test_the_anonymous_form_says_which_field_is_wrong(http, aws, changes, field):
    form = {k: v for k, v in {**anonymous_form(http), **changes}.items() if v is not None}
    refused = post(http, "/support/contact", form)
    assert refused.status_code == 422, refused.body
    assert field in [d.get("field") for d in body(refused)["details"]]
    assert outbox_events(support_events.TICKET_OPENED) == []


def test_a_wrong_or_replayed_antirobot_proof_is_refused(http, aws):
    assert body(post(http, "/support/contact", anonymous_form(http, altcha="faux")))["code"] == "antirobot_failed"
    proof = solve_altcha(http)
    assert post(http, "/support/contact", anonymous_form(http, altcha=proof)).status_code == 201
    replay = post(http, "/support/contact", anonymous_form(http, altcha=proof))
    assert replay.status_code == 422 and body(replay)["code"] == "antirobot_failed"


def test_malformed_input_and_missing_fields_are_refused_in_french(http, school):
    malformed = http.post("/support/tickets", body=b"{pas du json", headers={
        "Content-Type": "application/json", "Authorization": f"Bearer {school}"})
    assert malformed.status_code == 400 and body(malformed)["code"] == "invalid_json"
    missing = post(http, "/support/tickets", {"topic": "bug"}, school)
    assert missing.status_code == 422
    assert {d["field"] for d in body(missing)["details"]} >= {"subject", "message"}
    assert post(http, "/support/tickets", {**FORM, "request_id": "12"}, school).status_code == 422


def test_only_schools_and_candidates_use_the_signed_in_form_and_only_agents_the_queue(http, school, agents):
    assert post(http, "/support/tickets", FORM, agents["admin92"]).status_code == 403
    assert get(http, "/support/tickets", agents["ddt92"]).status_code == 403
    for role in ("cert",):
        refused = get(http, "/staff/support", agents[role])
        assert refused.status_code == 403 and body(refused)["code"] == "forbidden"
    assert get(http, "/staff/support", school).status_code == 403
    assert post(http, "/support/tickets", FORM).status_code == 401


# --- the agents -----------------------------------------------------------------------------------

def test_agents_see_their_departements_open_tickets_oldest_first_with_the_deadline_flags(
        http, school, agents, monkeypatch):
    for days, subject in ((8, "Huit jours"), (6.5, "Six jours et demi"), (1, "Un jour")):
        opened_days_ago(monkeypatch, days)
        assert post(http, "/support/tickets", {**FORM, "subject": subject}, school).status_code == 201
    for agent in ("admin92", "ddt92"):
        queue = body(get(http, "/staff/support", agents[agent]))
        assert queue["departement"] == "92"
        assert [(t["subject"], t["near_deadline"], t["overdue"]) for t in queue["tickets"]] == [
            ("Huit jours", False, True), ("Six jours et demi", True, False), ("Un jour", False, False)]
        assert queue["tickets"][0]["sender_name"] == "École"
    assert body(get(http, "/staff/support", agents["admin69"]))["tickets"] == []


def test_an_agent_answers_the_sender_sees_it_and_gets_one_email(http, school, agents, pump):
    ticket = body(post(http, "/support/tickets", FORM, school))["ticket_id"]
    assert get(http, f"/staff/support/{ticket}", agents["ddt92"]).status_code == 200
    answered = post(http, f"/staff/support/{ticket}/answer",
                    {"answer": "L'attestation se trouve dans l'onglet « Documents » de la demande."}, agents["admin92"])
    assert answered.status_code == 200, answered.body
    assert "envoyée par courriel" in body(answered)["message"]
    mine = body(get(http, f"/support/tickets/{ticket}", school))
    assert mine["status_label"] == "Répondu" and "onglet « Documents »" in mine["answer"]
    assert body(get(http, "/staff/support", agents["admin92"]))["tickets"] == []  # out of the queue
    [event] = outbox_events(support_events.TICKET_ANSWERED)
    assert event["payload"]["within_promise"] is True and event["payload"]["ticket_id"] == ticket
    pump.run_until_idle()
    [email] = sent_emails("ecole@example.fr")
    assert ticket in email.subject and "onglet « Documents »" in email.body
    # The same event delivered again sends nothing more.
    from chalicelib.workers.emails import send_for

    send_for(OutboxEvent.model_validate({k: event[k] for k in OutboxEvent.model_fields}))
    assert len(sent_emails("ecole@example.fr")) == 1


def test_an_anonymous_sender_gets_the_answer_by_email(http, agents, pump):
    ticket = body(post(http, "/support/contact", anonymous_form(http)))["ticket_id"]
    assert post(http, f"/staff/support/{ticket}/answer", {"answer": "Votre compte est de nouveau actif."},
                agents["ddt69"]).status_code == 200
    pump.run_until_idle()
    [email] = sent_emails("parent.eleve@example.fr")
    assert "Votre compte est de nouveau actif." in email.body


def test_another_departements_ticket_is_404_for_an_agent(http, school, agents):
    ticket = body(post(http, "/support/tickets", FORM, school))["ticket_id"]  # département 92
    for path, call in ((f"/staff/support/{ticket}", lambda p: get(http, p, agents["admin69"])),
                       (f"/staff/support/{ticket}/answer",
                        lambda p: post(http, p, {"answer": "Réponse d'un autre département."}, agents["ddt69"]))):
        refused = call(path)
        assert refused.status_code == 404 and body(refused)["code"] == "support_ticket_not_found", path
    assert outbox_events(support_events.TICKET_ANSWERED) == []


def test_an_answer_is_refused_when_malformed_or_when_the_ticket_is_already_answered(http, school, agents):
    ticket = body(post(http, "/support/tickets", FORM, school))["ticket_id"]
    assert post(http, f"/staff/support/{ticket}/answer", {}, agents["admin92"]).status_code == 422
    assert post(http, f"/staff/support/{ticket}/answer", {"answer": "Court"}, agents["admin92"]).status_code == 422
    assert post(http, f"/staff/support/{ticket}/answer", {"answer": "Première réponse complète."},
                agents["admin92"]).status_code == 200
    again = post(http, f"/staff/support/{ticket}/answer", {"answer": "Seconde réponse complète."}, agents["ddt92"])
    assert again.status_code == 409 and body(again)["code"] == "support_ticket_answered"
    assert "déjà reçu une réponse" in body(again)["message"]
    assert body(get(http, f"/support/tickets/{ticket}", school))["answer"] == "Première réponse complète."


def test_two_agents_answering_at_once_one_wins_the_other_gets_409(http, school, agents, pump, monkeypatch):
    from chalicelib.adapters.support_repository import DynamoSupportRepository

    ticket = body(post(http, "/support/tickets", FORM, school))["ticket_id"]
    stale = wiring.support_repository().get(ticket)  # both agents read the open ticket...
    assert post(http, f"/staff/support/{ticket}/answer", {"answer": "La réponse du premier agent."},
                agents["admin92"]).status_code == 200
    # ...the second one's read happened before the first one's answer was committed.
    with monkeypatch.context() as patched:
        patched.setattr(DynamoSupportRepository, "get", lambda self, ticket_id: stale)
        second = post(http, f"/staff/support/{ticket}/answer", {"answer": "La réponse du second agent."},
                      agents["ddt92"])
    assert second.status_code == 409 and body(second)["code"] == "support_ticket_answered"
    assert body(get(http, f"/support/tickets/{ticket}", school))["answer"] == "La réponse du premier agent."
    assert len(outbox_events(support_events.TICKET_ANSWERED)) == 1
    pump.run_until_idle()
    assert len(sent_emails("ecole@example.fr")) == 1


# --- the promise ----------------------------------------------------------------------------------

def test_the_job_records_each_ticket_past_its_week_as_breached_once(http, app, school, agents, monkeypatch):
    opened_days_ago(monkeypatch, 8)
    late = body(post(http, "/support/tickets", {**FORM, "subject": "En retard"}, school))["ticket_id"]
    answered_late = body(post(http, "/support/tickets", {**FORM, "subject": "Répondu en retard"}, school))["ticket_id"]
    opened_days_ago(monkeypatch, 6)
    body(post(http, "/support/tickets", {**FORM, "subject": "Bientôt"}, school))
    monkeypatch.setattr(support_service, "utc_now", lambda: datetime.now(timezone.utc))
    assert post(http, f"/staff/support/{answered_late}/answer", {"answer": "Réponse après huit jours."},
                agents["admin92"]).status_code == 200
    assert app.handler_map["breach_support_promises"](scheduled_event(), None) == {"breached": 1}
    assert app.handler_map["breach_support_promises"](scheduled_event(), None) == {"breached": 0}
    [breach] = outbox_events(support_events.PROMISE_BREACHED)
    assert breach["payload"]["ticket_id"] == late and breach["payload"]["departement"] == "92"
    assert set(breach["payload"]) == {"ticket_id", "departement", "opened_at"}
    [answer] = outbox_events(support_events.TICKET_ANSWERED)
    assert answer["payload"]["within_promise"] is False
    # The breached ticket stays in the queue, flagged, and can still be answered.
    queue = body(get(http, "/staff/support", agents["admin92"]))["tickets"]
    assert [(t["subject"], t["overdue"]) for t in queue] == [("En retard", True), ("Bientôt", False)]
    assert post(http, f"/staff/support/{late}/answer", {"answer": "Toutes nos excuses pour le délai."},
                agents["admin92"]).status_code == 200
    assert app.handler_map["breach_support_promises"](scheduled_event(), None) == {"breached": 0}


def test_the_demo_puts_tickets_in_the_rhone_queue_one_near_its_deadline(http, aws):
    from chalicelib.local import demo_data
    from tests.accounts_support import sign_in

    demo_data.load(wiring.accounts(), wiring.demo_repository())
    wiring.accounts_repository().set_mfa_enabled(
        wiring.accounts_repository().account_id_for_email(f"prefecture@{demo_data.DEMO_DOMAIN}"))
    admin = sign_in(http, f"prefecture@{demo_data.DEMO_DOMAIN}", demo_data.DEMO_PASSWORD)
    tickets = body(get(http, "/staff/support", admin))["tickets"]
    assert [(t["profile"], t["near_deadline"]) for t in tickets] == [
        ("auto-ecole", True), ("autre", False), ("candidat", False)]


def test_a_candidate_whose_account_has_no_address_chooses_the_departement(aws):
    from chalicelib.domain.accounts import AccountStatus, Profile, Role
    from chalicelib.domain.errors import InvalidInput
    from chalicelib.domain.support import SignedInTicketInput

    candidate = Profile(account_id="sans-adresse", role=Role.CANDIDAT, status=AccountStatus.ACTIVE,
                        email="sans.adresse@example.fr", birth_name="Durand", first_names="Inès",
                        created_at=datetime.now(timezone.utc))
    with pytest.raises(InvalidInput) as refused:
        wiring.support().open_signed_in(candidate, SignedInTicketInput(**FORM))
    assert [d.field for d in refused.value.details] == ["departement"]
    ticket = wiring.support().open_signed_in(candidate, SignedInTicketInput(**FORM, departement="2b"))
    assert ticket.departement == "2B" and ticket.email == "sans.adresse@example.fr"
