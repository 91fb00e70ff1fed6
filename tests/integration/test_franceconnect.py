"""FranceConnect for candidates, through the API on moto: the sign-in's end, a new account with the
certified civil status, an existing account linked by the emailed link only, and the refusals.

moto has no OAuth endpoints: here the user pool's token endpoint is replaced by what Cognito does
at the end of FranceConnect's sign-in (tests/franceconnect_support.py). The whole chain, with the local stand-ins of Cognito's
endpoints and of FranceConnect, is walked in the browser (tests/browser/test_franceconnect.py)."""
from __future__ import annotations

import pytest

from chalicelib.adapters import wiring
from chalicelib.local.demo_data import ActiveAccounts
from tests.accounts_support import active_candidate, address, body, link_token, post, sent_emails
from tests.franceconnect_support import LUCAS, VERIFIER, install


@pytest.fixture
def fc(aws, monkeypatch):
    return install(aws, monkeypatch)


def finish(http, code: str, verifier: str = VERIFIER):
    return post(http, "/sessions/franceconnect", {"code": code, "code_verifier": verifier})


def test_the_configuration_tells_the_page_where_to_start(http, fc):
    answer = body(http.get("/franceconnect/configuration"))
    assert answer["authorize_url"] == "http://cognito.invalid/oauth2/authorize"
    assert answer["identity_provider"] == "FranceConnect"
    assert answer["redirect_uri"] == "http://127.0.0.1:8001/franceconnect.html"


def test_a_new_candidate_opens_an_account_with_the_certified_civil_status_and_signs_in_again(http, fc):
    answer = finish(http, fc.sign_in(LUCAS, subject="lucas"))
    assert answer.status_code == 200
    data = body(answer)
    assert data["status"] == "new_account"
    assert data["identity"]["birth_place"] == {"country": "FR", "commune": "Lyon 3e Arrondissement",
                                                "departement": "69"}
    token = data["tokens"]["access_token"]
    # No account yet: the token opens nothing else.
    assert http.get("/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401

    created = post(http, "/franceconnect/account", {"mobile_phone": "06 12 34 56 78", "address": address(),
                                                     "terms_accepted": True}, token)
    assert created.status_code == 201, created.body
    me = body(http.get("/me", headers={"Authorization": f"Bearer {token}"}))
    assert (me["birth_name"], me["first_names"], me["sex"], me["birth_date"]) == ("PETIT", "Lucas Jean", "M",
                                                                                  "2008-05-14")
    assert me["identity_certified_by"] == "franceconnect" and me["status"] == "active"
    assert me["email"] == "lucas.petit@exemple.fr"
    # The certified civil status is not corrected by hand; the phone is.
    refused = http.request("PATCH", "/me", body=b'{"birth_date": "2008-05-15"}',
                           headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    assert refused.status_code == 422 and body(refused)["code"] == "certified_by_franceconnect"
    # Twice: refused, the account exists.
    again = post(http, "/franceconnect/account", {"mobile_phone": "0612345678", "address": address(),
                                                  "terms_accepted": True}, token)
    assert again.status_code == 409 and body(again)["code"] == "account_exists"
    # The next FranceConnect sign-in opens it.
    second = body(finish(http, fc.sign_in(LUCAS, subject="lucas")))
    assert second["status"] == "signed_in"


def test_a_birth_abroad_is_asked_since_its_code_cannot_be_read_here(http, fc):
    claims = {**LUCAS, "birthplace": "", "birthcountry": "99134", "email": "lucia@exemple.fr"}
    data = body(finish(http, fc.sign_in(claims)))
    assert data["status"] == "new_account" and data["identity"]["birth_place"] is None
    token = data["tokens"]["access_token"]
    missing = post(http, "/franceconnect/account", {"mobile_phone": "0612345678", "address": address(),
                                                    "terms_accepted": True}, token)
    assert missing.status_code == 422 and body(missing)["code"] == "birth_place_required"
    created = post(http, "/franceconnect/account", {
        "mobile_phone": "0612345678", "address": address(), "terms_accepted": True,
        "birth_place": {"country": "ES", "commune": "Madrid"}}, token)
    assert created.status_code == 201
    assert body(created)["birth_place"] == {"country": "ES", "commune": "Madrid", "departement": None}


def test_the_account_form_refuses_what_is_missing_and_a_token_that_is_not_franceconnect(http, fc):
    token = body(finish(http, fc.sign_in({**LUCAS, "email": "x@exemple.fr"})))["tokens"]["access_token"]
    incomplete = post(http, "/franceconnect/account", {"mobile_phone": "0612345678", "address": address()}, token)
    assert incomplete.status_code == 422 and "terms_accepted" in incomplete.body.decode()
    unterms = post(http, "/franceconnect/account", {"mobile_phone": "0612345678", "address": address(),
                                                    "terms_accepted": False}, token)
    assert unterms.status_code == 422
    assert post(http, "/franceconnect/account", {}, None).status_code == 401
    # A password account's token: not a FranceConnect newcomer.
    candidate = active_candidate(http, ActiveAccounts(wiring.accounts()), "deja@exemple.fr")
    other = post(http, "/franceconnect/account", {"mobile_phone": "0612345678", "address": address(),
                                                  "terms_accepted": True}, candidate)
    assert other.status_code == 403 and "FranceConnect" in body(other)["message"]
    assert post(http, "/franceconnect/link", {}, candidate).status_code == 403


def test_a_code_serves_once_and_only_with_its_verifier(http, fc):
    code = fc.sign_in(LUCAS)
    assert finish(http, code, verifier="w" * 43).status_code == 401
    assert finish(http, code).status_code == 401  # spent by the failed try, as Cognito does
    malformed = post(http, "/sessions/franceconnect", {"code": "abc", "code_verifier": "court"})
    assert malformed.status_code == 422


def test_an_existing_account_is_linked_only_through_the_link_sent_to_its_address(http, fc, pump, accounts):
    password_token = active_candidate(http, accounts, "lucas.petit@exemple.fr")
    data = body(finish(http, fc.sign_in(LUCAS, subject="lucas")))
    assert data["status"] == "link_required" and "*" in data["email"]
    token = data["tokens"]["access_token"]
    # Not silently: an account of its own with that address is refused.
    taken = post(http, "/franceconnect/account", {"mobile_phone": "0612345678", "address": address(),
                                                  "terms_accepted": True}, token)
    assert taken.status_code == 409 and body(taken)["code"] == "email_already_used"
    assert post(http, "/franceconnect/link", {}, token).status_code == 202
    pump.run_until_idle()
    [email] = sent_emails("lucas.petit@exemple.fr")[-1:]
    assert "FranceConnect" in email.subject and "Lucas Jean PETIT" in email.body
    assert "franceconnect.html#jeton=" in email.body
    link = link_token(email)
    preview = body(post(http, "/franceconnect/link/preview", {"token": link}))
    assert preview["name"] == "Lucas Jean PETIT" and preview["birth_date"] == "2008-05-14"
    # Until the link is followed, nothing is linked and the civil status is the one typed.
    assert body(http.get("/me", headers={"Authorization": f"Bearer {password_token}"}))["birth_name"] == "Joun"
    confirmed = post(http, "/franceconnect/link/confirm", {"token": link})
    assert confirmed.status_code == 200, confirmed.body
    me = body(http.get("/me", headers={"Authorization": f"Bearer {password_token}"}))
    assert (me["birth_name"], me["first_names"], me["birth_date"], me["identity_certified_by"]) == (
        "PETIT", "Lucas Jean", "2008-05-14", "franceconnect")
    # A link serves once; FranceConnect now opens the existing account.
    replay = post(http, "/franceconnect/link/confirm", {"token": link})
    assert replay.status_code == 404 and body(replay)["code"] == "link_invalid"
    again = body(finish(http, fc.sign_in(LUCAS, subject="lucas")))
    assert again["status"] == "signed_in"
    assert body(http.get("/me", headers={"Authorization": f"Bearer {again['tokens']['access_token']}"}))[
        "account_id"] == me["account_id"]


def test_a_link_is_refused_when_no_account_has_the_address_or_the_token_is_made_up(http, fc):
    token = body(finish(http, fc.sign_in({**LUCAS, "email": "personne@exemple.fr"})))["tokens"]["access_token"]
    missing = post(http, "/franceconnect/link", {}, token)
    assert missing.status_code == 404 and body(missing)["code"] == "no_account_to_link"
    made_up = post(http, "/franceconnect/link/confirm", {"token": "A" * 43})
    assert made_up.status_code == 404 and body(made_up)["code"] == "link_invalid"
    assert post(http, "/franceconnect/link/preview", {}).status_code == 422


def test_a_franceconnect_account_signs_out_everywhere_asks_for_no_password_and_closes(http, fc, pump):
    data = body(finish(http, fc.sign_in({**LUCAS, "email": "sans.mot.de.passe@exemple.fr"}, subject="sans-mdp")))
    token, refresh = data["tokens"]["access_token"], data["tokens"]["refresh_token"]
    assert post(http, "/franceconnect/account", {"mobile_phone": "0612345678", "address": address(),
                                                 "terms_accepted": True}, token).status_code == 201
    # « Se déconnecter partout »: its refresh token ends too (Cognito knows it by its pool name).
    assert http.delete("/sessions", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    refused = post(http, "/sessions/refresh", {"refresh_token": refresh})
    assert refused.status_code == 401 and body(refused)["code"] == "session_expired"
    # « Mot de passe oublié »: no password to reset; the email says to use FranceConnect.
    assert post(http, "/passwords/forgotten", {"email": "sans.mot.de.passe@exemple.fr"}).status_code == 202
    pump.run_until_idle()
    [email] = sent_emails("sans.mot.de.passe@exemple.fr")[-1:]
    assert "FranceConnect" in email.subject and "#jeton=" not in email.body
    # Closing the account removes its pool user: the next FranceConnect sign-in starts afresh.
    token = body(finish(http, fc.sign_in({**LUCAS, "email": "sans.mot.de.passe@exemple.fr"}, subject="sans-mdp")))[
        "tokens"]["access_token"]
    assert http.delete("/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert "FranceConnect_sans-mdp" not in fc.pool.users
