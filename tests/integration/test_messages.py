"""A request's messages (issue 20, item 5): the school and the instructors write on one thread and
each of the others hears of each message by one email (without its text), a replayed event sends
nothing twice; the candidate validating a school's request writes to it; the thread closes with the
request and is in the account export. And what they refuse: another school's or authority's
request, an agent without double authentication, an administrator, an empty, too long or malformed
message, a draft, a closed request."""
from __future__ import annotations

import os

import boto3
import pytest

from chalicelib.domain import request_events
from chalicelib.domain.accounts import AgentCreation, Role
from chalicelib.domain.events import OutboxEvent
from chalicelib.domain.procedures import RequestStatus
from tests.accounts_support import PASSWORD, active_school, sent_emails, sign_in
from tests.integration.test_drafts import validating_candidate
from tests.integration.test_instruction_queues import claim, decide, queued
from tests.integration.test_requests import body, call, new_request

SCHOOL = "ecole@example.fr"
CANDIDATE = "testun.joun@example.fr"  # the contact step's email of the test requests (an account's in one test)
AGENT = "a.ddt92@interieur.gouv.fr"
COLLEAGUE = "b.ddt92@interieur.gouv.fr"
SUBJECT = "nouveau message sur la demande"


@pytest.fixture
def school(http, accounts):
    return active_school(http, accounts, "E0000000001", SCHOOL)


def thread(http, token, number, staff=False):
    answer = call(http, "GET", f"{'/staff' if staff else ''}/requests/{number}/messages", token)
    assert answer.status_code == 200, answer.body
    return body(answer)


def write(http, token, number, text, staff=False):
    return call(http, "POST", f"{'/staff' if staff else ''}/requests/{number}/messages", token, {"text": text})


def notices(to):
    return [m for m in sent_emails(to) if SUBJECT in m.subject]


def posted_events(number) -> list[OutboxEvent]:
    """The request's message events as committed (the table read directly: tests only)."""
    items = boto3.client("dynamodb").scan(
        TableName=os.environ["TABLE_MAIN_NAME"], FilterExpression="entity = :outbox AND #type = :type",
        ExpressionAttributeNames={"#type": "type"},
        ExpressionAttributeValues={":outbox": {"S": "outbox"}, ":type": {"S": request_events.MESSAGE_POSTED}})["Items"]
    from chalicelib.adapters.outbox import event_from_stream_image

    return [e for e in map(event_from_stream_image, items) if e.aggregate_id == number]


def test_a_school_and_an_instructor_exchange_messages_and_each_other_hears_of_each_once(http, school, pump, agents):
    from chalicelib.workers.notifications import send_for

    number = queued(http, school, pump)
    assert thread(http, agents["ddt92"], number, staff=True) == {"messages": [], "open": True, "closed_reason": None}

    asked = write(http, agents["ddt92"], number, "  Le justificatif de domicile est-il à votre nom ?  ", staff=True)
    assert asked.status_code == 201, asked.body
    sent = body(asked)
    assert sent["side"] == "instruction" and sent["author_label"] == "DDT-92 (Claire)" and sent["mine"] is True
    assert sent["text"] == "Le justificatif de domicile est-il à votre nom ?"
    pump.run_until_idle()
    # The school's filer hears of it, once, with a link to the request; the text stays in the
    # service. The agent who wrote hears nothing, nor the candidate without an account (the contact
    # step's email): they could not open the thread, their school speaks for them.
    [email] = notices(SCHOOL)
    assert f"n° {number}" in email.subject and "DDT-92 (Claire) a écrit" in email.body
    assert "justificatif de domicile" not in email.body and f"demande.html#id={number}" in email.body
    assert notices(AGENT) == [] and notices(CANDIDATE) == []

    seen = thread(http, school, number)
    assert [(m["author_label"], m["mine"], m["text"]) for m in seen["messages"]] == [
        ("DDT-92 (Claire)", False, "Le justificatif de domicile est-il à votre nom ?")]
    answered = write(http, school, number, "Oui, c'est la facture d'électricité de la candidate.")
    assert answered.status_code == 201, answered.body
    assert body(answered)["author_label"].endswith("(Testun)") is False  # the school's member, not the candidate
    pump.run_until_idle()
    # The agent who wrote hears of the answer once, with a link to the request in the console; the
    # colleague who never wrote nor holds it, nothing; the school, nothing for its own message.
    [to_agent] = notices(AGENT)
    assert f"console.html#demande={number}" in to_agent.body
    assert notices(COLLEAGUE) == [] and len(notices(SCHOOL)) == 1 and notices(CANDIDATE) == []
    # Both sides read the same thread, oldest first.
    for token, staff in ((school, False), (agents["ddt92"], True), (agents["ddt92b"], True)):
        assert [m["side"] for m in thread(http, token, number, staff)["messages"]] == ["instruction", "demandeur"]

    # A replayed event sends nothing twice.
    for event in posted_events(number):
        send_for(event)
    assert len(notices(AGENT)) == 1 and len(notices(SCHOOL)) == 1 and notices(CANDIDATE) == []


def test_the_agent_holding_the_request_hears_of_the_filers_first_message(http, school, pump, agents):
    number = queued(http, school, pump)
    assert claim(http, agents["ddt92b"])["request"]["request_id"] == number
    assert write(http, school, number, "La candidate a déménagé hier.").status_code == 201
    pump.run_until_idle()
    assert len(notices(COLLEAGUE)) == 1 and notices(AGENT) == []


def test_the_agent_who_asked_for_a_complement_hears_of_the_schools_message(http, school, pump, agents):
    number = queued(http, school, pump)
    held = claim(http, agents["ddt92b"])["request"]
    asked = decide(http, agents["ddt92b"], number, held["version"], decision="complement", reasons=["domicile-ancien"],
                   documents=["domicile"])
    assert asked.status_code == 200, asked.body
    assert write(http, school, number, "La candidate n'a pas d'autre justificatif : que faire ?").status_code == 201
    pump.run_until_idle()
    [email] = notices(COLLEAGUE)
    assert f"console.html#demande={number}" in email.body and notices(AGENT) == []


def test_the_candidate_validating_a_schools_request_writes_to_the_school(http, school, pump):
    number, candidate = validating_candidate(http, school, pump)
    written = write(http, candidate, number, "Mon deuxième prénom est mal orthographié : Testun, pas Testin.")
    assert written.status_code == 201, written.body
    assert body(written)["author_label"] == "Le candidat (Testun)"
    pump.run_until_idle()
    assert len(notices(SCHOOL)) == 1 and notices(CANDIDATE) == []
    assert [m["mine"] for m in thread(http, school, number)["messages"]] == [False]
    assert [m["mine"] for m in thread(http, candidate, number)["messages"]] == [True]
    # The school answers: the candidate, who has an account, hears of it.
    assert write(http, school, number, "Corrigé : nous vous renvoyons la demande.").status_code == 201
    pump.run_until_idle()
    [answer] = notices(CANDIDATE)
    assert f"demande.html#id={number}" in answer.body and len(notices(SCHOOL)) == 1
    # Their messages are in the candidate's export of their data.
    exported = body(call(http, "GET", "/me/export", candidate))
    assert [m["text"] for m in exported["messages"][number]] == [
        "Mon deuxième prénom est mal orthographié : Testun, pas Testin.", "Corrigé : nous vous renvoyons la demande."]


def test_nobody_else_reads_or_writes_the_thread(http, school, pump, agents, accounts):
    number = queued(http, school, pump)
    other_school = active_school(http, accounts, "E0000000002", "autre@example.fr")
    for token in (other_school,):
        for method, payload in (("GET", None), ("POST", {"text": "Intrus"})):
            answer = call(http, method, f"/requests/{number}/messages", token, payload)
            assert answer.status_code == 404 and body(answer)["code"] == "request_not_found"
    for other in ("ddt69", "cert"):  # another authority: the staff's 404
        for method, payload in (("GET", None), ("POST", {"text": "Intrus"})):
            answer = call(http, method, f"/staff/requests/{number}/messages", agents[other], payload)
            assert answer.status_code == 404 and body(answer)["code"] == "request_not_found"
    # A school on the agents' route, an agent or an administrator on the filer's, an administrator
    # on the agents': the route is not theirs.
    for token, prefix in ((school, "/staff"), (agents["ddt92"], ""), (agents["admin92"], "/staff"),
                          (agents["admin92"], "")):
        assert call(http, "POST", f"{prefix}/requests/{number}/messages", token, {"text": "Intrus"}).status_code == 403
    accounts.open(lambda a: a.create_agent(AgentCreation(role=Role.INSTRUCTEUR_DDT, email="sans.mfa@ddt92.gouv.fr",
                                                          birth_name="Sans", first_name="Mfa", departement="92")),
                  PASSWORD)
    no_mfa = sign_in(http, "sans.mfa@ddt92.gouv.fr")
    answer = call(http, "GET", f"/staff/requests/{number}/messages", no_mfa)
    assert answer.status_code == 403 and body(answer)["code"] == "mfa_required"
    assert thread(http, school, number)["messages"] == []


@pytest.mark.parametrize("payload, code", [({"text": "   "}, "message_invalid"),
                                           ({"text": "x" * 2001}, "message_invalid"),
                                           ({}, None), ({"text": "Bonjour", "urgent": True}, None),
                                           ({"text": ["Bonjour"]}, None)])
def test_an_empty_a_too_long_or_a_malformed_message_is_refused_in_french(http, school, pump, payload, code):
    number = queued(http, school, pump)
    answer = call(http, "POST", f"/requests/{number}/messages", school, payload)
    assert answer.status_code == 422, answer.body
    if code:
        refusal = body(answer)
        assert refusal["code"] == code and refusal["details"][0]["field"] == "text"
        assert "message" in refusal["message"]
    assert thread(http, school, number)["messages"] == []


def test_a_draft_has_no_thread_yet_and_a_closed_request_keeps_its_thread_read_only(http, school, pump, agents):
    draft = new_request(http, school)["request_id"]
    refused = write(http, school, draft, "Bonjour")
    assert refused.status_code == 409 and body(refused)["code"] == "thread_closed"
    assert "brouillon" in body(refused)["message"]
    assert thread(http, school, draft)["open"] is False

    number = queued(http, school, pump)
    assert write(http, school, number, "Merci de traiter vite : examen dans un mois.").status_code == 201
    held = claim(http, agents["ddt92"])["request"]
    rejected = decide(http, agents["ddt92"], number, held["version"], decision="rejeter", reasons=["doublon"])
    assert rejected.status_code == 200, rejected.body
    closed = thread(http, school, number)
    assert closed["open"] is False and "close" in closed["closed_reason"] and len(closed["messages"]) == 1
    for token, staff in ((school, False), (agents["ddt92"], True)):
        answer = write(http, token, number, "Encore une question", staff=staff)
        assert answer.status_code == 409 and body(answer)["code"] == "thread_closed"
    assert len(thread(http, agents["ddt92"], number, staff=True)["messages"]) == 1


def test_a_message_does_not_land_on_a_thread_closed_while_it_was_sent(http, school, pump, agents, monkeypatch):
    """The status read, then the request rejected before the message's transaction: refused, not kept."""
    from chalicelib.adapters import wiring
    from chalicelib.services.requests import Requests

    number = queued(http, school, pump)
    held = claim(http, agents["ddt92"])["request"]
    real_get = Requests.get

    def rejected_meanwhile(service, caller, request_id):
        request = real_get(service, caller, request_id)
        monkeypatch.setattr(Requests, "get", real_get)  # once
        decide(http, agents["ddt92"], number, held["version"], decision="rejeter", reasons=["doublon"])
        return request

    monkeypatch.setattr(Requests, "get", rejected_meanwhile)
    answer = write(http, school, number, "Une dernière précision")
    assert answer.status_code == 409 and body(answer)["code"] == "thread_closed", answer.body
    assert wiring.requests_repository().get(number).status is RequestStatus.REJECTED
    assert thread(http, school, number)["messages"] == []


def test_the_worklist_flags_a_request_whose_filer_waits_for_an_answer(http, school, pump, agents):
    """A school writing before any agent has held, decided or written reaches no agent by email: the
    list shows the request "Message du demandeur" until an agent answers."""
    from tests.integration.test_workbench import worklist

    number, other = queued(http, school, pump), queued(http, school, pump, ephoto="ZZ12CD34EF56GH78IJ90KL")

    def flagged(tab="a-traiter"):
        return {row["request_id"]: row["message_waiting"] for row in worklist(http, agents["ddt92"], onglet=tab)["rows"]
                if row["request_id"] in (number, other)}

    assert flagged() == {number: False, other: False}
    assert write(http, school, number, "La candidate déménage la semaine prochaine.").status_code == 201
    pump.run_until_idle()
    assert notices(AGENT) == [] and notices(COLLEAGUE) == []  # nobody to email yet
    assert flagged() == {number: True, other: False}
    assert [r["message_waiting"] for r in body(call(http, "GET", f"/staff/search/{number}", agents["ddt92"]))["rows"]] \
        == [True]
    assert write(http, agents["ddt92b"], number, "Bien noté, merci.", staff=True).status_code == 201
    assert flagged() == {number: False, other: False}
    # Waiting for a complement, the school writes: the complement tab flags it too.
    held = claim(http, agents["ddt92"])["request"]
    asked = decide(http, agents["ddt92"], held["request_id"], held["version"], decision="complement",
                   reasons=["domicile-ancien"], documents=["domicile"])
    assert asked.status_code == 200, asked.body
    assert write(http, school, held["request_id"], "Le justificatif arrive demain.").status_code == 201
    assert {row["request_id"]: row["message_waiting"] for row in worklist(http, agents["ddt92"], onglet="complement")[
        "rows"]}[held["request_id"]] is True
