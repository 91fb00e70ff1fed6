"""Assisted filing (issue 9): a digital mediator (France Services) files a request with a person who
has no internet access, under the person's identity, once the person's consent is recorded; the
request then goes on as the person's own would. Only that mediator follows it; the person hears by
email, SMS or a letter the mediator posts, and the mediator by email."""
from __future__ import annotations

import json

import pytest

from chalicelib.adapters import wiring
from chalicelib.domain import request_events
from chalicelib.domain.accounts import AgentCreation, Role
from chalicelib.domain.instruction import DecisionKind
from tests.accounts_support import PASSWORD, active_candidate, active_school, link_token, sent_emails, sign_in
from tests.integration.test_decisions import DDT_92
from tests.integration.test_notifications import delivered_three_times, emit, sms_sent
from tests.integration.test_requests import CATEGORIES, DECLARATIONS, address, body, call, civil_status
from tests.integration.test_submission import events, history, send_documents, submit

MEDIATOR = "m.villeurbanne@france-services.example.fr"
PERSON = {"birth_name": "Joun", "first_names": "Testun"}  # the civil status of the test requests
CONSENT = {**PERSON, "method": "formulaire-signe", "consented_on": "2026-11-30"}
MOBILE = "06 13 45 97 24"


def mediator_token(http, accounts, email=MEDIATOR, structure="France Services de Villeurbanne") -> str:
    accounts.open(lambda a: a.create_agent(AgentCreation(
        role=Role.MEDIATEUR, email=email, birth_name="Roux", first_name="Nadia", departement="69",
        structure_name=structure)), PASSWORD)
    return sign_in(http, email)


@pytest.fixture
def mediator(http, accounts):
    return mediator_token(http, accounts)


def draft(http, token, *, email=None, mobile=None, consent=CONSENT, pump=None, ephoto="AB12CD34EF56GH78IJ90KL"):
    """A mediator's request with every step saved (the consent unless None) and its documents."""
    created = call(http, "POST", "/requests", token, {"procedure": "inscription", "mandate": "mediation"})
    assert created.status_code == 201, created.body
    number = body(created)["request_id"]
    contact = {"address": address(), **({"email": email} if email else {}), **({"mobile_phone": mobile} if mobile
                                                                                else {})}
    steps = [("civil_status", civil_status()), ("contact", contact), ("categories", CATEGORIES),
             ("declarations", DECLARATIONS)] + ([("consent", consent)] if consent else [])
    for step, payload in steps:
        saved = call(http, "PUT", f"/requests/{number}/steps/{step}", token, payload)
        assert saved.status_code == 200, (step, saved.body)
    send_documents(http, token, number, pump, ephoto)
    return number


def under_review(http, token, pump, **options) -> str:
    number = draft(http, token, pump=pump, **options)
    submitted = submit(http, token, number)
    assert submitted.status_code == 200, submitted.body
    assert body(submitted)["status"] == "en-instruction"
    pump.run_until_idle()
    return number


def decided(http, token, pump, number, kind=DecisionKind.COMPLEMENT, reasons=("domicile-ancien",)):
    instruction = wiring.instruction_service()
    assert instruction.claim_next(DDT_92).request.request_id == number
    version = body(call(http, "GET", f"/requests/{number}", token))["version"]
    instruction.decide(DDT_92, number, version, kind, list(reasons),
                       documents=["domicile"] if kind is DecisionKind.COMPLEMENT else None)
    pump.run_until_idle()


# --- filing with consent ----------------------------------------------------------------------

def test_a_mediator_files_with_consent_and_the_request_reaches_instruction_without_email_validation(
        http, mediator, pump, agents):
    number = draft(http, mediator, mobile=MOBILE, pump=pump)  # no email: the person has none
    submitted = submit(http, mediator, number)
    assert submitted.status_code == 200, submitted.body
    request = body(submitted)
    assert request["status_label"] == "En cours d'instruction"  # no "Attente validation usager"
    assert request["mandate_label"].startswith("Demande faite avec un médiateur numérique")
    assert request["structure_name"] == "France Services de Villeurbanne"
    assert request["consent"] == ("Demande déposée avec France Services de Villeurbanne : consentement de Testun Joun "
                                  "(formulaire de consentement signé, conservé par le médiateur) le 30/11/2026.")
    consent = request["steps"]["consent"]
    assert consent["mediator_account_id"] and consent["recorded_at"] and consent["method"] == "formulaire-signe"
    assert history(http, mediator, number) == [("brouillon", "verification-images"),
                                               ("verification-images", "en-instruction")]
    first = body(call(http, "GET", f"/requests/{number}/history", mediator))["history"][0]
    assert first["actor_label"] == "Médiateur numérique" and "consentement de Testun Joun" in first["reason"]
    assert "request.validation_asked" not in events(number)
    pump.run_until_idle()
    # The agent sees it was filed with help: pre-check, consent step and history.
    claimed = body(call(http, "POST", "/staff/claims", agents["ddt92"]))["request"]
    assert claimed["request_id"] == number
    [check] = [c for c in claimed["pre_checks"] if c["code"] == "identity"]
    assert check["label"] == "Dépôt accompagné par un médiateur numérique" and "Testun Joun" in check["detail"]
    assert claimed["steps"]["consent"]["method"] == "formulaire-signe"
    assert "France Services de Villeurbanne" in claimed["history"][0]["reason"]


def test_submission_without_consent_is_refused_in_french_and_changes_nothing(http, mediator, pump):
    number = draft(http, mediator, mobile=MOBILE, consent=None, pump=pump)
    summary = body(call(http, "GET", f"/requests/{number}/summary", mediator))
    assert not summary["complete"] and "consent" in [p["field"] for p in summary["missing"]]
    refused = submit(http, mediator, number)
    assert refused.status_code == 422
    assert body(refused)["code"] == "consent_missing" and "consentement" in body(refused)["message"]
    assert body(call(http, "GET", f"/requests/{number}", mediator))["status"] == "brouillon"


def test_the_consent_is_validated_field_by_field_and_must_name_the_person_of_the_civil_status(http, mediator, pump):
    number = draft(http, mediator, mobile=MOBILE, consent=None, pump=pump)
    for payload, field in (({**CONSENT, "method": "telephone"}, "method"),
                           ({**CONSENT, "consented_on": "2999-01-01"}, "consented_on"),
                           ({k: v for k, v in CONSENT.items() if k != "birth_name"}, "birth_name")):
        answer = call(http, "PUT", f"/requests/{number}/steps/consent", mediator, payload)
        assert answer.status_code == 422, payload
        assert field in [d["field"] for d in body(answer)["details"]]
    other = call(http, "PUT", f"/requests/{number}/steps/consent", mediator, {**CONSENT, "birth_name": "Martin"})
    assert other.status_code == 200  # saved, but the summary names the mismatch and the submission waits
    assert "consent_name_mismatch" in [p["code"] for p in body(call(
        http, "GET", f"/requests/{number}/summary", mediator))["missing"]]
    refused = submit(http, mediator, number)
    assert refused.status_code == 422 and body(refused)["code"] == "not_ready"
    # The form cannot claim another mediator: the account is the session's.
    forged = call(http, "PUT", f"/requests/{number}/steps/consent", mediator,
                  {**CONSENT, "mediator_account_id": "someone-else"})
    assert body(forged)["steps"]["consent"]["mediator_account_id"] != "someone-else"


def test_the_contact_may_have_no_email_but_a_mobile_must_be_french(http, mediator):
    number = body(call(http, "POST", "/requests", mediator, {"procedure": "inscription", "mandate": "mediation"}))[
        "request_id"]
    assert call(http, "PUT", f"/requests/{number}/steps/contact", mediator, {"address": address()}).status_code == 200
    foreign = call(http, "PUT", f"/requests/{number}/steps/contact", mediator,
                   {"address": address(), "mobile_phone": "+44 7700 900123"})
    assert foreign.status_code == 422 and body(foreign)["details"][0]["field"] == "mobile_phone"
    no_address = call(http, "PUT", f"/requests/{number}/steps/contact", mediator, {"mobile_phone": MOBILE})
    assert no_address.status_code == 422 and body(no_address)["details"][0]["field"] == "address"


# --- who may use the mandate, who sees the request -----------------------------------------------

def test_schools_and_candidates_cannot_use_the_mediation_mandate_nor_a_mediator_another(http, accounts, mediator):
    school = active_school(http, accounts, "E0000000001", "ecole@example.fr")
    candidate = active_candidate(http, accounts, "lea.durand@example.fr")
    for token, mandate in ((school, "mediation"), (candidate, "mediation"), (mediator, "candidat"),
                           (mediator, "mandat-papier"), (mediator, "sans-mandat")):
        refused = call(http, "POST", "/requests", token, {"procedure": "inscription", "mandate": mandate})
        assert refused.status_code == 422 and body(refused)["code"] == "mandate_not_allowed", (mandate, refused.body)
    # A mediator files what the person could file alone: not the production after a course.
    training = call(http, "POST", "/requests", mediator, {"procedure": "titre-formation", "mandate": "mediation"})
    assert training.status_code == 422 and body(training)["code"] == "procedure_not_allowed"
    # The consent step is a mediator's: a school's request has none.
    number = body(call(http, "POST", "/requests", school, {"procedure": "inscription", "mandate": "mandat-papier"}))[
        "request_id"]
    assert call(http, "PUT", f"/requests/{number}/steps/consent", school, CONSENT).status_code == 404


def test_only_the_mediator_who_filed_follows_the_request(http, accounts, mediator, pump):
    number = draft(http, mediator, email="testun.joun@example.fr", pump=pump)
    other = mediator_token(http, accounts, "autre@france-services.example.fr", "France Services de Bron")
    school = active_school(http, accounts, "E0000000001", "ecole@example.fr")
    candidate = active_candidate(http, accounts, "testun.joun@example.fr")  # even the person's email
    for token in (other, school, candidate):
        for method, path, payload in (("GET", f"/requests/{number}", None),
                                      ("GET", f"/requests/{number}/summary", None),
                                      ("GET", f"/requests/{number}/history", None),
                                      ("PUT", f"/requests/{number}/steps/consent", CONSENT),
                                      ("POST", f"/requests/{number}/documents/identite/upload",
                                       {"content_type": "image/jpeg", "size": 200_000})):
            answer = call(http, method, path, token, payload)
            # (a school's or a candidate's requests have no consent step: that 404 comes first)
            assert answer.status_code == 404 and body(answer)["code"] in ("request_not_found", "step_unknown"), \
                (method, path)
        listed = body(call(http, "GET", "/requests", token))["requests"]
        assert number not in [r["request_id"] for r in listed]
    rows = body(call(http, "GET", "/requests", mediator))["requests"]
    assert [r["request_id"] for r in rows] == [number] and rows[0]["candidate_name"] == "Testun Joun"


# --- news: email, SMS, letter; and the mediator ---------------------------------------------------

def test_the_person_with_a_mobile_gets_one_sms_per_event_even_replayed_and_the_mediator_an_email(
        http, mediator, pump):
    number = under_review(http, mediator, pump, mobile=MOBILE)
    event = emit(number, request_events.CEPC_ISSUED, neph="920123456789", category="B", valid_until="2027-07-01")
    delivered_three_times(event, pump)
    [text] = [t for t in sms_sent("+33613459724") if "CEPC" in t]
    assert number in text and len(text) <= 160
    [email] = [m for m in sent_emails(MEDIATOR) if "CEPC" in m.subject]
    assert f"demande.html#id={number}" in email.body and "Bonjour Nadia" in email.body
    assert body(call(http, "GET", "/mediation/letters", mediator))["letters"] == []  # an SMS, not a letter


def test_without_email_nor_mobile_a_letter_is_recorded_once_for_the_mediator_to_post(http, accounts, mediator, pump):
    from chalicelib.workers.notifications import send_for

    number = under_review(http, mediator, pump)
    decided(http, mediator, pump, number)  # a complement is asked
    assert body(call(http, "GET", f"/requests/{number}", mediator))["status"] == "complement-demande"
    letters = body(call(http, "GET", "/mediation/letters", mediator))["letters"]
    [letter] = [entry for entry in letters if entry["request_id"] == number]
    assert letter["recipient"] == "Testun Joun" and letter["address"].endswith("92160 Antony")
    assert "complément" in letter["text"] and "Justificatif de domicile de moins de 6 mois" in letter["text"]
    assert "France Services de Villeurbanne" in letter["text"]
    assert len([m for m in sent_emails(MEDIATOR) if number in m.subject]) == 1
    assert not [t for t in sms_sent() if number in t]
    # Replayed: nothing twice. Another mediator has no letters; a school may not ask.
    replay = emit(number, request_events.COMPLEMENT_REQUESTED)
    send_for(replay)
    send_for(replay)
    assert len([entry for entry in body(call(http, "GET", "/mediation/letters", mediator))["letters"]
                if entry["request_id"] == number]) == 2  # the first event's letter, and this event's once
    other = mediator_token(http, accounts, "autre@france-services.example.fr", "France Services de Bron")
    assert body(call(http, "GET", "/mediation/letters", other))["letters"] == []
    school = active_school(http, accounts, "E0000000001", "ecole@example.fr")
    assert call(http, "GET", "/mediation/letters", school).status_code == 403


def test_the_person_with_an_email_hears_by_email_and_the_mediator_follows_the_complement(http, mediator, pump):
    number = under_review(http, mediator, pump, email="testun.joun@example.fr", mobile=MOBILE)
    decided(http, mediator, pump, number)
    assert [m for m in sent_emails("testun.joun@example.fr") if number in m.subject]
    assert not [t for t in sms_sent() if number in t]  # an email reaches the person: no SMS besides
    request = body(call(http, "GET", f"/requests/{number}", mediator))
    assert "send_complement" in request["actions"] and "upload" in request["actions"]


def test_a_mediator_account_is_opened_by_the_prefecture_s_command_with_its_structure_and_without_mfa(
        http, pump, capsys):
    from chalicelib.cli import agents

    base = ["create", "--role", "mediateur", "--departement", "69", "--email", MEDIATOR, "--nom", "Roux",
            "--prenom", "Nadia"]
    assert agents.main(base) == 2  # without the structure
    assert "nom de la structure" in capsys.readouterr().err
    assert agents.main([*base, "--structure", "France Services de Villeurbanne"]) == 0
    pump.run_until_idle()
    [email] = sent_emails(MEDIATOR)
    assert "médiateur numérique" in email.body and "double authentification" not in email.body
    assert http.post("/accounts/activation", headers={"Content-Type": "application/json"}, body=json.dumps(
        {"token": link_token(email), "password": PASSWORD}).encode()).status_code == 200
    token = sign_in(http, MEDIATOR)
    me = body(call(http, "GET", "/me", token))
    assert me["role"] == "mediateur" and me["structure_name"] == "France Services de Villeurbanne"
    assert me["departement"] == "69" and me["mfa_required"] is False
    assert call(http, "POST", "/requests", token, {"procedure": "inscription", "mandate": "mediation"}).status_code \
        == 201  # no double authentication to set up first
    assert call(http, "POST", "/staff/claims", token).status_code == 403  # not an agent
    assert agents.main(["disable", "--email", MEDIATOR]) == 0
    assert call(http, "GET", "/me", token).status_code == 401
    with pytest.raises(ValueError, match="médiateur"):
        AgentCreation(role=Role.INSTRUCTEUR_DDT, email="x@ddt.example.fr", birth_name="Roux", first_name="Nadia",
                      departement="69", structure_name="France Services de Villeurbanne")
