"""Accounts end to end in-process (moto): school and candidate sign-up, every refusal the seed
describes, activation by the emailed link, the purge of unactivated accounts, school members."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import boto3
import pytest

from chalicelib.adapters import wiring
from chalicelib.domain.accounts import Agrement
from chalicelib.local.pump import scheduled_event
from chalicelib.services import accounts as accounts_service
from tests.accounts_support import (AGREMENT, PASSWORD, body, candidate_form, link_token, open_and_activate, post,
                                    registry, school_form, sent_emails, sign_in, solve_altcha)


@pytest.fixture
def with_registry(aws):
    registry(wiring.accounts())


def codes(response) -> list[str]:
    return [d.get("code") for d in body(response)["details"]]


def fields(response) -> dict[str, str]:
    return {d["field"]: d["message"] for d in body(response)["details"] if d.get("field")}


# --- school sign-up ------------------------------------------------------------------------------

def test_a_school_signs_up_activates_by_email_and_signs_in_as_administrator(http, pump, with_registry):
    created = post(http, "/accounts/schools", school_form(http))
    assert created.status_code == 201, created.body
    assert body(created)["email"] == "j***@ecole-conduite.example.fr"
    assert "7 jours" in body(created)["message"]

    pump.run_until_idle()
    [email] = sent_emails("jeanne.martin@ecole-conduite.example.fr")
    assert email.subject == "Permis en ligne : activez votre compte"
    assert "Auto-école du Parc" in email.body and "administrateur" in email.body
    assert PASSWORD not in email.body and "mot de passe" in email.body  # chosen, never sent

    token = link_token(email)
    preview = post(http, "/accounts/activation/preview", {"token": token})
    assert body(preview)["email"] == "j***@ecole-conduite.example.fr" and body(preview)["role"] == "auto-ecole"
    assert post(http, "/accounts/activation", {"token": token, "password": PASSWORD}).status_code == 200

    access = sign_in(http, "jeanne.martin@ecole-conduite.example.fr")
    me = body(http.get("/me", headers={"Authorization": f"Bearer {access}"}))
    assert (me["role"], me["school_role"], me["status"]) == ("auto-ecole", "admin", "active")
    assert me["address"]["commune_name"] == "Antony" and me["address"]["departement"] == "92"


def test_every_field_of_the_school_form_is_checked_with_a_french_message_each(http, with_registry):
    form = school_form(http, birth_name="M4rtin", email="pas-une-adresse", company_name="",
                       agrement_number="E-17!", terms_accepted=False,
                       address={"number": "onze", "extension": "sexies", "street_type": "XYZ", "street_name": "",
                                "postal_code": "9216", "commune": "Antony"})
    del form["first_name"]
    refused = post(http, "/accounts/schools", form)
    assert refused.status_code == 422
    problems = fields(refused)
    assert set(problems) >= {"birth_name", "first_name", "email", "company_name", "agrement_number",
                             "terms_accepted", "address.number", "address.extension", "address.street_type",
                             "address.street_name", "address.postal_code"}
    assert "obligatoire" in problems["first_name"]
    assert "conditions générales" in problems["terms_accepted"]
    assert "5 chiffres" in problems["address.postal_code"]


def test_a_commune_not_served_by_the_postal_code_is_refused_with_the_communes_it_serves(http, with_registry):
    refused = post(http, "/accounts/schools", school_form(http, address={
        "number": "3", "street_type": "PL", "street_name": "Bellecour", "postal_code": "69800", "commune": "Lyon"}))
    assert refused.status_code == 422
    assert "Saint-Priest" in fields(refused)["address.commune"]


@pytest.mark.parametrize("case", ["unknown", "expired", "not_yet_valid"])
def test_an_agrement_missing_from_the_registry_or_out_of_validity_cannot_open_an_account(http, aws, case):
    today = date.today()
    if case != "unknown":
        valid = (today - timedelta(days=3000), today - timedelta(days=1)) if case == "expired" else (
            today + timedelta(days=10), today + timedelta(days=3000))
        registry(wiring.accounts(), Agrement(number=AGREMENT, name="Auto-école", address="Lyon", departement="69",
                                             valid_from=valid[0], valid_until=valid[1]))
    refused = post(http, "/accounts/schools", school_form(http))
    assert refused.status_code == 422
    expected = "agrement_unknown" if case == "unknown" else "agrement_expired"
    assert body(refused)["code"] == expected and "préfecture" in body(refused)["message"]
    assert "agrement_number" in fields(refused)
    assert sent_emails() == [] and wiring.accounts_repository().account_id_for_email(
        "jeanne.martin@ecole-conduite.example.fr") is None


def test_an_agrement_already_bound_is_refused_and_the_school_is_told_to_alert_the_prefecture(http, with_registry):
    assert post(http, "/accounts/schools", school_form(http)).status_code == 201
    second = post(http, "/accounts/schools", school_form(http, email="autre.gerant@example.fr"))
    assert second.status_code == 409
    assert body(second)["code"] == "agrement_already_bound"
    assert "signalez-le aux délégués de la préfecture" in body(second)["message"]
    cognito = boto3.client("cognito-idp")
    users = cognito.list_users(UserPoolId=wiring.user_directory()._pool)["Users"]  # noqa: SLF001
    assert len(users) == 1, "the refused attempt left a user in the pool"


def test_an_email_already_used_by_any_account_is_refused_even_a_candidates(http, pump, with_registry):
    assert post(http, "/accounts/candidates", candidate_form(http, email="jeanne.martin@ecole-conduite.example.fr")
                ).status_code == 201
    refused = post(http, "/accounts/schools", school_form(http))
    assert refused.status_code == 409 and body(refused)["code"] == "email_already_used"
    assert "compte personnel" in body(refused)["message"]
    assert wiring.accounts_repository().get_agrement(AGREMENT).bound_school_id is None


def test_the_same_email_in_another_case_is_the_same_email(http, with_registry):
    assert post(http, "/accounts/candidates", candidate_form(http, email="Testun.Joun@Example.FR")).status_code == 201
    refused = post(http, "/accounts/candidates", candidate_form(http, email="testun.joun@example.fr"))
    assert body(refused)["code"] == "email_already_used"


def test_two_schools_racing_for_the_same_agrement_get_one_account(http, with_registry):
    """The check before and the transaction's condition: even when both pass the first check."""
    accounts = wiring.accounts()
    from chalicelib.domain.accounts import SchoolSignUp

    first = SchoolSignUp.model_validate(school_form(http))
    second = SchoolSignUp.model_validate(school_form(http, email="concurrent@example.fr"))
    accounts.sign_up_school(first)
    real_get, calls = accounts.repo.get_agrement, []

    def stale_then_fresh(number):  # the second school read the registry before the first committed
        calls.append(number)
        agrement = real_get(number)
        return agrement.model_copy(update={"bound_school_id": None}) if len(calls) == 1 else agrement

    accounts.repo.get_agrement = stale_then_fresh
    with pytest.raises(Exception) as refused:
        accounts.sign_up_school(second)
    assert getattr(refused.value, "code", None) == "agrement_already_bound"


# --- anti-robot ------------------------------------------------------------------------------------

def test_a_form_without_a_valid_antirobot_proof_is_refused(http, with_registry):
    for proof in ("", "bm90IGEgcHJvb2Y=", solve_altcha(http)[:-8] + "AAAAAAA="):
        refused = post(http, "/accounts/schools", school_form(http, altcha=proof))
        assert refused.status_code == 422, proof
        assert "altcha" in fields(refused)


def test_an_antirobot_proof_serves_once(http, with_registry):
    proof = solve_altcha(http)
    assert post(http, "/accounts/candidates", candidate_form(http, altcha=proof)).status_code == 201
    replay = post(http, "/accounts/schools", school_form(http, altcha=proof))
    assert replay.status_code == 422 and body(replay)["code"] == "antirobot_failed"


# --- candidates ------------------------------------------------------------------------------------

def test_a_candidate_signs_up_with_a_birth_date_and_activates(http, pump, aws):
    access = open_and_activate(http, pump, "/accounts/candidates", candidate_form(http))
    me = body(http.get("/me", headers={"Authorization": f"Bearer {access}"}))
    assert me["birth_date"] == "2008-01-01" and me["mobile_phone"] == "+33613459724"
    assert me["birth_place"] == {"country": "FR", "commune": "Antony", "departement": "92"}


def test_a_candidate_without_birth_date_or_with_a_future_one_is_refused(http, aws):
    form = candidate_form(http)
    del form["birth_date"]
    assert "birth_date" in fields(post(http, "/accounts/candidates", form))
    future = post(http, "/accounts/candidates", candidate_form(http, birth_date=str(date.today() + timedelta(days=1))))
    assert "futur" in fields(future)["birth_date"]


def test_a_birth_place_in_france_needs_its_departement_and_abroad_a_known_country(http, aws):
    no_departement = post(http, "/accounts/candidates", candidate_form(
        http, birth_place={"country": "FR", "commune": "Antony"}))
    assert "département" in fields(no_departement)["birth_place.departement"]
    unknown_country = post(http, "/accounts/candidates", candidate_form(http, birth_place={"country": "ZZ"}))
    assert "birth_place.country" in fields(unknown_country)
    abroad = post(http, "/accounts/candidates", candidate_form(http, birth_place={"country": "MA", "commune": "Rabat"}))
    assert abroad.status_code == 201


def test_a_candidate_cannot_use_the_email_of_a_school_member(http, pump, with_registry):
    open_and_activate(http, pump, "/accounts/schools", school_form(http))
    refused = post(http, "/accounts/candidates", candidate_form(http, email="jeanne.martin@ecole-conduite.example.fr"))
    assert refused.status_code == 409 and body(refused)["code"] == "email_already_used"


# --- activation ------------------------------------------------------------------------------------

def test_an_activation_link_serves_once(http, pump, aws):
    post(http, "/accounts/candidates", candidate_form(http))
    pump.run_until_idle()
    token = link_token(sent_emails()[0])
    assert post(http, "/accounts/activation", {"token": token, "password": PASSWORD}).status_code == 200
    again = post(http, "/accounts/activation", {"token": token, "password": "une autre phrase de passe"})
    assert again.status_code == 404 and body(again)["code"] == "link_invalid"
    assert "Demandez-en un nouveau" in body(again)["message"]


def test_the_activation_signs_a_candidate_in_at_once_with_the_password_just_chosen(http, pump, aws):
    post(http, "/accounts/candidates", candidate_form(http))
    pump.run_until_idle()
    activated = post(http, "/accounts/activation", {"token": link_token(sent_emails()[0]), "password": PASSWORD})
    answer = body(activated)
    assert activated.status_code == 200 and answer["message"] == "Votre compte est activé et vous êtes connecté(e)."
    me = http.get("/me", headers={"Authorization": f"Bearer {answer['tokens']['access_token']}"})
    assert me.status_code == 200 and body(me)["role"] == "candidat"
    refreshed = post(http, "/sessions/refresh", {"refresh_token": answer["tokens"]["refresh_token"]})
    assert refreshed.status_code == 200  # the session lasts as one opened on the sign-in page


def test_an_agent_s_activation_opens_no_session_the_double_authentication_comes_first(http, pump, aws):
    from chalicelib.cli import agents

    assert agents.main(["create", "--role", "instructeur-cert", "--email", "agent.cert@rhone.gouv.example.fr",
                        "--nom", "Bernard", "--prenom", "Claire"]) == 0
    pump.run_until_idle()
    [email] = sent_emails("agent.cert@rhone.gouv.example.fr")
    answer = body(post(http, "/accounts/activation", {"token": link_token(email), "password": PASSWORD}))
    assert answer["tokens"] is None and "connectez-vous" in answer["message"]


def test_a_short_password_is_refused_at_activation_and_the_link_still_works(http, pump, aws):
    post(http, "/accounts/candidates", candidate_form(http))
    pump.run_until_idle()
    token = link_token(sent_emails()[0])
    short = post(http, "/accounts/activation", {"token": token, "password": "court"})
    assert short.status_code == 422 and "password" in fields(short)
    assert post(http, "/accounts/activation", {"token": token, "password": PASSWORD}).status_code == 200


def test_a_forged_or_malformed_link_is_refused(http, aws):
    for token in ("x" * 43, "trop-court", "A" * 43):
        refused = post(http, "/accounts/activation", {"token": token, "password": PASSWORD})
        assert refused.status_code == 404 and body(refused)["code"] == "link_invalid"


def test_a_link_is_refused_after_seven_days(http, pump, aws, monkeypatch):
    post(http, "/accounts/candidates", candidate_form(http))
    pump.run_until_idle()
    token = link_token(sent_emails()[0])
    later = datetime.now(timezone.utc) + timedelta(days=7, minutes=1)
    monkeypatch.setattr(accounts_service, "utc_now", lambda: later)
    assert post(http, "/accounts/activation", {"token": token, "password": PASSWORD}).status_code == 404


def test_resending_the_link_invalidates_the_previous_one(http, pump, aws):
    post(http, "/accounts/candidates", candidate_form(http))
    pump.run_until_idle()
    first = link_token(sent_emails()[0])
    assert post(http, "/accounts/activation/resend", {"email": "testun.joun@example.fr"}).status_code == 202
    pump.run_until_idle()
    emails = sent_emails("testun.joun@example.fr")
    assert len(emails) == 2
    second = link_token(emails[1])
    assert second != first
    assert post(http, "/accounts/activation", {"token": first, "password": PASSWORD}).status_code == 404
    assert post(http, "/accounts/activation", {"token": second, "password": PASSWORD}).status_code == 200


def test_a_resend_request_answers_the_same_for_an_unknown_email_and_sends_nothing(http, pump, aws):
    unknown = post(http, "/accounts/activation/resend", {"email": "personne@example.fr"})
    assert unknown.status_code == 202
    pump.run_until_idle()
    assert sent_emails() == []
    post(http, "/accounts/candidates", candidate_form(http))
    known = post(http, "/accounts/activation/resend", {"email": "testun.joun@example.fr"})
    assert body(known) == body(unknown)


def test_a_replayed_email_event_sends_the_email_once(http, pump, aws):
    post(http, "/accounts/candidates", candidate_form(http))
    pump.run_until_idle()
    from chalicelib.workers import emails as email_worker

    assert len(sent_emails()) == 1
    event = _last_outbox_event(aws, accounts_service.ACTIVATION_LINK)
    email_worker.send_for(event)  # the same message delivered again
    assert len(sent_emails()) == 1


def _last_outbox_event(aws, event_type):
    from chalicelib.adapters.dynamo import from_item
    from chalicelib.domain.events import OutboxEvent

    items = boto3.client("dynamodb").scan(TableName=aws["TABLE_MAIN_NAME"])["Items"]
    events = [from_item(i) for i in items if from_item(i).get("entity") == "outbox"]
    event = next(e for e in events if e["type"] == event_type)
    return OutboxEvent.model_validate({k: event[k] for k in OutboxEvent.model_fields})


# --- purge -----------------------------------------------------------------------------------------

def test_an_account_not_activated_in_seven_days_is_purged_and_frees_its_email_and_agrement(
        http, pump, app, with_registry, monkeypatch):
    post(http, "/accounts/schools", school_form(http))
    pump.run_until_idle()
    token = link_token(sent_emails()[0])
    assert app.handler_map["purge_unactivated_accounts"](scheduled_event(), None) == {"purged": 0}  # not yet

    later = datetime.now(timezone.utc) + timedelta(days=7, hours=1)
    monkeypatch.setattr(accounts_service, "utc_now", lambda: later)
    assert app.handler_map["purge_unactivated_accounts"](scheduled_event(), None) == {"purged": 1}
    repo = wiring.accounts_repository()
    assert repo.account_id_for_email("jeanne.martin@ecole-conduite.example.fr") is None
    assert repo.get_agrement(AGREMENT).bound_school_id is None
    assert boto3.client("cognito-idp").list_users(UserPoolId=wiring.user_directory()._pool)["Users"] == []  # noqa: SLF001
    assert post(http, "/accounts/activation", {"token": token, "password": PASSWORD}).status_code == 404
    monkeypatch.setattr(accounts_service, "utc_now", lambda: datetime.now(timezone.utc))
    assert post(http, "/accounts/schools", school_form(http)).status_code == 201  # both free again


def test_an_activated_account_is_never_purged(http, pump, aws, app, monkeypatch):
    open_and_activate(http, pump, "/accounts/candidates", candidate_form(http))
    later = datetime.now(timezone.utc) + timedelta(days=30)
    monkeypatch.setattr(accounts_service, "utc_now", lambda: later)
    assert app.handler_map["purge_unactivated_accounts"](scheduled_event(), None) == {"purged": 0}


# --- school members --------------------------------------------------------------------------------

@pytest.fixture
def school_admin(http, pump, with_registry) -> str:
    return open_and_activate(http, pump, "/accounts/schools", school_form(http))


def invite(http, token, email="paul.durand@example.fr"):
    return post(http, "/school/members", {"birth_name": "Durand", "first_name": "Paul", "email": email}, token)


def active_colleague(http, pump, admin_token: str) -> str:
    """Paul, invited by the administrator, has activated his account: his access token."""
    invite(http, admin_token)
    pump.run_until_idle()
    post(http, "/accounts/activation", {"token": link_token(sent_emails("paul.durand@example.fr")[0]),
                                        "password": PASSWORD})
    return sign_in(http, "paul.durand@example.fr")


def test_the_administrator_invites_a_colleague_who_activates_and_sees_the_members(http, pump, school_admin):
    assert invite(http, school_admin).status_code == 201
    pump.run_until_idle()
    [email] = sent_emails("paul.durand@example.fr")
    assert "Jeanne Martin vous invite" in email.body and "Auto-école du Parc" in email.body
    assert post(http, "/accounts/activation", {"token": link_token(email), "password": PASSWORD}).status_code == 200
    colleague = sign_in(http, "paul.durand@example.fr")
    listed = body(http.get("/school/members", headers={"Authorization": f"Bearer {colleague}"}))
    assert [(m["first_name"], m["school_role"], m["status"]) for m in listed["members"]] == [
        ("Jeanne", "admin", "active"), ("Paul", "member", "active")]
    assert listed["members"][0]["email"] == "j***@ecole-conduite.example.fr"  # a member sees masked addresses


def test_a_member_cannot_invite_nor_remove(http, pump, school_admin):
    colleague = active_colleague(http, pump, school_admin)
    refused = invite(http, colleague, "autre@example.fr")
    assert refused.status_code == 403 and body(refused)["code"] == "school_admin_only"
    admin_id = body(http.get("/me", headers={"Authorization": f"Bearer {school_admin}"}))["account_id"]
    removal = http.delete(f"/school/members/{admin_id}", headers={"Authorization": f"Bearer {colleague}"})
    assert removal.status_code == 403


def test_a_removed_member_loses_access_at_once(http, pump, school_admin):
    colleague = active_colleague(http, pump, school_admin)
    colleague_id = body(http.get("/me", headers={"Authorization": f"Bearer {colleague}"}))["account_id"]

    removed = http.delete(f"/school/members/{colleague_id}", headers={"Authorization": f"Bearer {school_admin}"})
    assert removed.status_code == 200
    refused = http.get("/school/members", headers={"Authorization": f"Bearer {colleague}"})
    assert refused.status_code == 401 and body(refused)["code"] == "account_inactive"
    assert post(http, "/sessions", {"email": "paul.durand@example.fr", "password": PASSWORD}).status_code == 401
    pump.run_until_idle()
    assert "retiré l'accès" in sent_emails("paul.durand@example.fr")[-1].body
    members = body(http.get("/school/members", headers={"Authorization": f"Bearer {school_admin}"}))["members"]
    assert [m["first_name"] for m in members] == ["Jeanne"]


def test_the_administrator_cannot_remove_themselves_nor_another_schools_member(http, pump, school_admin):
    admin_id = body(http.get("/me", headers={"Authorization": f"Bearer {school_admin}"}))["account_id"]
    itself = http.delete(f"/school/members/{admin_id}", headers={"Authorization": f"Bearer {school_admin}"})
    assert itself.status_code == 409 and body(itself)["code"] == "cannot_remove_self"
    stranger = open_and_activate(http, pump, "/accounts/candidates", candidate_form(http))
    stranger_id = body(http.get("/me", headers={"Authorization": f"Bearer {stranger}"}))["account_id"]
    other = http.delete(f"/school/members/{stranger_id}", headers={"Authorization": f"Bearer {school_admin}"})
    assert other.status_code == 404 and body(other)["code"] == "member_not_found"


def test_the_communes_of_a_postal_code_and_an_unknown_or_malformed_code(http, aws):
    served = body(http.get("/communes/69800"))
    assert served["communes"] == [{"insee_code": "69290", "name": "Saint-Priest", "departement": "69"}]
    for code in ("00000", "6980", "abcde"):
        refused = http.get(f"/communes/{code}")
        assert refused.status_code == 404 and body(refused)["code"] == "postal_code_unknown"
