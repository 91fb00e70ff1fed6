"""An agent's decisions (services/instruction.py): validating a registration gives its NEPH in the
same transaction; a complement says which documents and why, and the school's replacement sends
the request back through the check to instruction, ahead of new requests; a rejection says why.
Refusals: an agent of another service, a stale version, a decision the status does not allow,
missing reasons. (The queues and their claims, and the routes, come with the rest of issue 6.)"""
from __future__ import annotations

import os
from datetime import datetime, timezone

import boto3
import pytest

from chalicelib.adapters import wiring
from chalicelib.domain.accounts import AccountStatus, Profile, Role
from chalicelib.domain.errors import Conflict, InvalidInput, NotFound
from chalicelib.domain.instruction import DecisionKind
from tests.accounts_support import active_school
from tests.integration.test_requests import body, call
from tests.integration.test_submission import events, history, ready_request, submit, upload
from tests.integration.test_documents import scan


def agent(role: Role, departement: str | None) -> Profile:
    return Profile(account_id=f"agent-{role.value}-{departement}", role=role, status=AccountStatus.ACTIVE,
                   email="agent@ddt.example.fr", birth_name="Agent", first_names="Paul", departement=departement,
                   mfa_enabled=True, created_at=datetime.now(timezone.utc))


DDT_92 = agent(Role.INSTRUCTEUR_DDT, "92")  # the test candidate lives in Antony (92)


@pytest.fixture
def school(http, accounts):
    return active_school(http, accounts, "E0000000001", "ecole@example.fr")


@pytest.fixture
def instruction(aws):
    return wiring.instruction_service()


@pytest.fixture
def under_review(http, school, pump, instruction):
    """A request in instruction, queued at the DDT of the Hauts-de-Seine and claimed by DDT_92."""
    number = ready_request(http, school, pump)
    assert body(submit(http, school, number))["status"] == "en-instruction"
    pump.run_until_idle()  # the relay queues it
    claimed = instruction.claim_next(DDT_92)
    assert claimed is not None and claimed.request.request_id == number
    return number


def version(http, token, number):
    return body(call(http, "GET", f"/requests/{number}", token))["version"]


def test_validating_a_registration_gives_its_neph_in_the_same_transaction(http, school, under_review, instruction):
    decided = instruction.decide(DDT_92, under_review, version(http, school, under_review), DecisionKind.VALIDATE, [])
    assert decided.status.value == "validee"
    seen = body(call(http, "GET", f"/requests/{under_review}", school))
    assert seen["status_label"] == "Validée" and seen["neph"].startswith(datetime.now(timezone.utc).strftime("%y%m")
                                                                         + "9210")
    assert history(http, school, under_review)[-1] == ("en-instruction", "validee")
    assert "request.approved" in events(under_review)


def test_an_agent_of_another_service_sees_the_same_404_as_for_an_unknown_number(http, school, under_review,
                                                                                 instruction):
    for other in (agent(Role.INSTRUCTEUR_DDT, "69"), agent(Role.INSTRUCTEUR_CERT, None)):
        with pytest.raises(NotFound):
            instruction.decide(other, under_review, version(http, school, under_review), DecisionKind.VALIDATE, [])
    with pytest.raises(NotFound):
        instruction.decide(DDT_92, "999999999999", 1, DecisionKind.VALIDATE, [])


def test_a_decision_on_a_request_changed_meanwhile_or_not_under_review_gets_409(http, school, under_review,
                                                                                 instruction):
    current = version(http, school, under_review)
    with pytest.raises(Conflict) as stale:
        instruction.decide(DDT_92, under_review, current - 1, DecisionKind.VALIDATE, [])
    assert stale.value.code == "changed_meanwhile" and stale.value.current["status"] == "en-instruction"
    instruction.decide(DDT_92, under_review, current, DecisionKind.REJECT, ["doublon"])
    with pytest.raises(Conflict) as final:
        instruction.decide(DDT_92, under_review, current + 1, DecisionKind.VALIDATE, [])
    assert final.value.code == "illegal_transition" and "statut final" in final.value.message


def test_a_complement_or_a_rejection_without_reasons_is_refused(http, school, under_review, instruction):
    current = version(http, school, under_review)
    with pytest.raises(InvalidInput) as refused:
        instruction.decide(DDT_92, under_review, current, DecisionKind.COMPLEMENT, [])
    assert {d.field for d in refused.value.details} == {"reasons", "documents"}
    with pytest.raises(InvalidInput):
        instruction.decide(DDT_92, under_review, current, DecisionKind.REJECT, ["autre"], comment=" ")
    assert body(call(http, "GET", f"/requests/{under_review}", school))["status"] == "en-instruction"


def test_a_complement_returns_through_the_check_to_instruction_ahead_of_new_requests(http, school, under_review,
                                                                                     instruction, pump):
    instruction.decide(DDT_92, under_review, version(http, school, under_review), DecisionKind.COMPLEMENT,
                       ["domicile-ancien"], documents=["domicile"])
    seen = body(call(http, "GET", f"/requests/{under_review}", school))
    assert seen["status_label"] == "Complément demandé" and seen["complement_documents"] == [
        {"document": "domicile", "label": "Justificatif de domicile de moins de 6 mois"}]
    assert "send_complement" in seen["actions"] and "upload" in seen["actions"]
    assert "plus de 6 mois" in body(call(http, "GET", f"/requests/{under_review}/history", school))[
        "history"][-1]["reason"]
    early = call(http, "POST", f"/requests/{under_review}/complement", school, {"version": seen["version"]})
    assert early.status_code == 422 and body(early)["details"][0]["field"] == "documents.domicile"

    # The page tells the documents sent again since the complement was asked from those that were not.
    def changed_since_asked():
        states = body(call(http, "GET", f"/requests/{under_review}/documents", school))["documents"]
        return {d["document"]: d["updated_at"] > seen["complement_asked_at"] for d in states}

    assert seen["complement_asked_at"] and changed_since_asked()["domicile"] is False
    form = body(call(http, "POST", f"/requests/{under_review}/documents/domicile/upload", school,
                     {"content_type": "image/jpeg", "size": 200_000}))
    upload(form, scan())
    pump.run_until_idle()
    assert changed_since_asked() == {**changed_since_asked(), "domicile": True, "identite": False}
    sent = call(http, "POST", f"/requests/{under_review}/complement", school, {"version": seen["version"]})
    assert sent.status_code == 200 and body(sent)["status"] == "en-instruction"
    assert [row[1] for row in history(http, school, under_review)][-3:] == [
        "complement-demande", "verification-images", "en-instruction"]
    ready = [i for i in boto3.client("dynamodb").scan(TableName=os.environ["TABLE_MAIN_NAME"])["Items"]
             if i.get("type", {}).get("S") == "request.ready_for_instruction" and i["aggregate_id"]["S"] == under_review]
    assert sorted(i["payload"]["M"]["returning"]["BOOL"] for i in ready) == [False, True]
