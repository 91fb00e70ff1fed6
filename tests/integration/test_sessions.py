"""Sessions and one's own account: sign in (same answer for unknown emails), tokens refused when
forged, expired, signed out or of an account that can no longer act; forgotten password; change of
password and email; correct, export and close one's data; agents and their MFA."""
from __future__ import annotations

import json
import time

import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey

from chalicelib.adapters import wiring
from chalicelib.domain.accounts import AgentCreation
from tests.accounts_support import (PASSWORD, body, candidate_form, link_token, open_and_activate, post, sent_emails,
                                    sign_in)

EMAIL = "testun.joun@example.fr"


@pytest.fixture
def candidate(http, pump) -> str:
    return open_and_activate(http, pump, "/accounts/candidates", candidate_form(http))


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def record_calls():
    """The AWS operations made while the block runs (botocore events), to compare two paths."""
    import botocore.session

    calls: list[str] = []
    original = botocore.session.Session.create_client

    def create_client(session, *args, **kwargs):
        created = original(session, *args, **kwargs)
        created.meta.events.register("before-call", lambda model=None, **_: calls.append(model.name))
        return created

    return calls, create_client


# --- sign in ---------------------------------------------------------------------------------------

def test_a_wrong_password_and_an_unknown_email_get_the_same_answer_after_the_same_work(http, candidate, monkeypatch):
    import botocore.session

    from chalicelib.adapters.aws import reset_clients

    calls, create_client = record_calls()
    monkeypatch.setattr(botocore.session.Session, "create_client", create_client)
    reset_clients()
    wiring.reset()
    wrong = post(http, "/sessions", {"email": EMAIL, "password": "pas le bon mot de passe"})
    work_for_known = list(calls)
    calls.clear()
    unknown = post(http, "/sessions", {"email": "personne@example.fr", "password": "pas le bon mot de passe"})
    assert wrong.status_code == unknown.status_code == 401
    assert body(wrong) == body(unknown) and body(wrong)["code"] == "invalid_credentials"
    assert work_for_known == calls == ["InitiateAuth"]


def test_a_session_is_refreshed_then_ended_everywhere(http, candidate):
    signed_in = body(post(http, "/sessions", {"email": EMAIL, "password": PASSWORD}))["tokens"]
    refreshed = post(http, "/sessions/refresh", {"refresh_token": signed_in["refresh_token"]})
    assert refreshed.status_code == 200
    time.sleep(1)  # token times are in seconds: tokens issued before the sign-out must be older
    assert http.delete("/sessions", headers=auth(candidate)).status_code == 200
    for token in (candidate, signed_in["access_token"], body(refreshed)["access_token"]):
        refused = http.get("/me", headers=auth(token))
        assert refused.status_code == 401 and body(refused)["code"] == "session_revoked"
    assert post(http, "/sessions/refresh", {"refresh_token": signed_in["refresh_token"]}).status_code == 401
    # A new session works at once, even within the second of the sign-out (token times are seconds).
    assert http.get("/me", headers=auth(sign_in(http, EMAIL))).status_code == 200


def test_a_request_without_token_or_with_a_forged_or_expired_one_gets_401(http, aws, candidate):
    assert http.get("/me").status_code == 401
    assert body(http.get("/me"))["code"] == "unauthenticated"
    assert http.get("/me", headers={"Authorization": "Basic abc"}).status_code == 401
    header, payload, signature = candidate.split(".")
    import base64

    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    tampered = base64.urlsafe_b64encode(json.dumps({**claims, "sub": "quelqu-un-d-autre"}).encode()).rstrip(b"=")
    assert http.get("/me", headers=auth(f"{header}.{tampered.decode()}.{signature}")).status_code == 401
    own_key = RSAKey.generate_key(2048, parameters={"kid": "dummy"})
    forged = jwt.encode({"alg": "RS256", "kid": "dummy"}, claims, own_key)
    assert http.get("/me", headers=auth(forged)).status_code == 401
    expired = _moto_signed({**claims, "iat": claims["iat"] - 7200, "exp": claims["iat"] - 3600})
    assert http.get("/me", headers=auth(expired)).status_code == 401
    still_valid = _moto_signed(claims)  # the same claims, properly signed: accepted (the check is the expiry)
    assert http.get("/me", headers=auth(still_valid)).status_code == 200


def _moto_signed(claims: dict) -> str:
    """A token signed with moto's own private key, as the user pool would sign it."""
    import gzip
    from pathlib import Path

    import moto.cognitoidp

    resources = Path(moto.cognitoidp.__file__).parent / "resources"
    key = RSAKey.import_key(json.loads(gzip.decompress((resources / "jwks-private.json.gz").read_bytes())))
    return jwt.encode({"alg": "RS256", "kid": "dummy"}, claims, key)


# --- passwords -------------------------------------------------------------------------------------

def test_a_forgotten_password_is_reset_by_the_emailed_link_and_other_sessions_end(http, pump, candidate):
    unknown = post(http, "/passwords/forgotten", {"email": "personne@example.fr"})
    known = post(http, "/passwords/forgotten", {"email": EMAIL})
    assert known.status_code == unknown.status_code == 202 and body(known) == body(unknown)
    before = len(sent_emails())
    pump.run_until_idle()
    [email] = sent_emails(EMAIL)[-1:]
    assert len(sent_emails()) == before + 1  # nothing for the unknown address
    assert "nouveau mot de passe" in email.subject
    time.sleep(1)
    reset = post(http, "/passwords/reset", {"token": link_token(email), "password": "un tout nouveau mot de passe"})
    assert reset.status_code == 200
    assert http.get("/me", headers=auth(candidate)).status_code == 401
    assert post(http, "/sessions", {"email": EMAIL, "password": PASSWORD}).status_code == 401
    assert http.get("/me", headers=auth(sign_in(http, EMAIL, "un tout nouveau mot de passe"))).status_code == 200
    again = post(http, "/passwords/reset", {"token": link_token(email), "password": "encore un autre mot de passe"})
    assert again.status_code == 404


def test_a_reset_ends_the_old_sessions_with_the_link_even_if_cognito_s_sign_out_fails(http, pump, candidate,
                                                                                        monkeypatch):
    """The link used up and the sessions' end are one write: a failure after it leaves neither a
    link to replay nor an old access token that still works."""
    from chalicelib.adapters import identity

    post(http, "/passwords/forgotten", {"email": EMAIL})
    pump.run_until_idle()
    [email] = sent_emails(EMAIL)[-1:]
    time.sleep(1)

    def outage(self, email):
        raise RuntimeError("Cognito is not answering")

    monkeypatch.setattr(identity.CognitoDirectory, "sign_out_everywhere", outage)
    failed = post(http, "/passwords/reset", {"token": link_token(email), "password": "un tout nouveau mot de passe"})
    assert failed.status_code == 500 and body(failed)["code"] == "internal_error"
    assert http.get("/me", headers=auth(candidate)).status_code == 401
    replayed = post(http, "/passwords/reset", {"token": link_token(email), "password": "encore un autre mot de passe"})
    assert replayed.status_code == 404


def test_changing_the_password_needs_the_current_one(http, candidate):
    wrong = http.put("/me/password", headers={**auth(candidate), "Content-Type": "application/json"},
                     body=json.dumps({"current_password": "faux", "new_password": "un nouveau mot de passe"}).encode())
    assert wrong.status_code == 422 and body(wrong)["code"] == "current_password_wrong"
    changed = http.put("/me/password", headers={**auth(candidate), "Content-Type": "application/json"},
                       body=json.dumps({"current_password": PASSWORD, "new_password": "un nouveau mot de passe"}).encode())
    assert changed.status_code == 200
    sign_in(http, EMAIL, "un nouveau mot de passe")


# --- own data --------------------------------------------------------------------------------------

def test_changing_the_email_asks_the_password_and_a_confirmation_from_the_new_address(http, pump, candidate):
    wrong = post(http, "/me/email", {"new_email": "nouvelle@example.fr", "password": "faux"}, candidate)
    assert wrong.status_code == 422 and body(wrong)["code"] == "current_password_wrong"
    assert post(http, "/me/email", {"new_email": "nouvelle@example.fr", "password": PASSWORD}, candidate).status_code == 202
    pump.run_until_idle()
    [confirmation] = sent_emails("nouvelle@example.fr")
    assert body(http.get("/me", headers=auth(candidate)))["email"] == EMAIL  # not before confirmation
    assert post(http, "/me/email/confirm", {"token": link_token(confirmation)}).status_code == 200
    pump.run_until_idle()
    assert "a changé" in sent_emails(EMAIL)[-1].subject  # the old address is told
    assert body(http.get("/me", headers=auth(candidate)))["email"] == "nouvelle@example.fr"
    sign_in(http, "nouvelle@example.fr")
    assert wiring.accounts_repository().account_id_for_email(EMAIL) is None  # the old one is free


def test_an_email_change_to_an_address_in_use_is_refused(http, pump, candidate):
    open_and_activate(http, pump, "/accounts/candidates", candidate_form(http, email="autre@example.fr"))
    refused = post(http, "/me/email", {"new_email": "autre@example.fr", "password": PASSWORD}, candidate)
    assert refused.status_code == 409 and body(refused)["code"] == "email_already_used"


def test_a_candidate_corrects_their_birth_date_and_a_concurrent_change_is_detected(http, candidate):
    headers = {**auth(candidate), "Content-Type": "application/json"}
    fixed = http.patch("/me", headers=headers, body=json.dumps({"birth_date": "2008-02-01"}).encode())
    assert fixed.status_code == 200 and body(fixed)["birth_date"] == "2008-02-01"
    erased = http.patch("/me", headers=headers, body=json.dumps({"birth_date": None}).encode())
    assert erased.status_code == 422
    accounts = wiring.accounts()
    profile = accounts.repo.get_profile(body(fixed)["account_id"])
    accounts.correct(profile, {"usage_name": "Dupont"})  # another device, meanwhile
    from chalicelib.domain.errors import Conflict

    with pytest.raises(Conflict) as stale:
        accounts.correct(profile, {"usage_name": "Durand"})
    assert stale.value.code == "changed_meanwhile" and stale.value.current is not None


def test_a_school_member_cannot_correct_candidate_only_fields(http, pump, aws):
    from tests.accounts_support import registry, school_form

    registry(wiring.accounts())
    school = open_and_activate(http, pump, "/accounts/schools", school_form(http))
    refused = http.patch("/me", headers={**auth(school), "Content-Type": "application/json"},
                         body=json.dumps({"birth_date": "1980-01-01"}).encode())
    assert refused.status_code == 422 and body(refused)["code"] == "not_correctable"


def test_a_candidate_exports_their_data_and_closes_the_account(http, candidate):
    exported = http.get("/me/export", headers=auth(candidate))
    assert exported.status_code == 200
    data = body(exported)
    assert data["account"]["email"] == EMAIL and data["account"]["birth_date"] == "2008-01-01"
    assert "sessions_revoked_at" not in data["account"]
    assert http.delete("/me", headers=auth(candidate)).status_code == 200
    assert http.get("/me", headers=auth(candidate)).status_code == 401
    assert post(http, "/sessions", {"email": EMAIL, "password": PASSWORD}).status_code == 401
    profile = wiring.accounts_repository().get_profile(data["account"]["account_id"])
    assert profile.status == "closed" and profile.email == "" and profile.birth_date is None
    assert wiring.accounts_repository().account_id_for_email(EMAIL) is None


def _filed(request_id: str) -> None:
    """Moves a draft on as its submission will (the submission route comes with the requests issue)."""
    from chalicelib.domain.procedures import RequestStatus

    repo = wiring.requests_repository()
    request = repo.get(request_id)
    assert repo.replace(request.model_copy(update={"status": RequestStatus.IMAGE_CHECK,
                                                   "version": request.version + 1}))


def test_a_draft_is_exported_and_a_filed_request_prevents_closing_the_account(http, candidate):
    created = post(http, "/requests", {"procedure": "inscription", "mandate": "candidat"}, candidate)
    number = body(created)["request_id"]
    exported = body(http.get("/me/export", headers=auth(candidate)))
    assert [r["request_id"] for r in exported["requests"]] == [number]
    _filed(number)
    refused = http.delete("/me", headers=auth(candidate))
    assert refused.status_code == 409 and body(refused)["code"] == "requests_in_progress"
    assert http.get("/me", headers=auth(candidate)).status_code == 200  # nothing was closed


def test_a_school_with_a_request_in_progress_cannot_be_closed_by_its_administrator(http, pump, aws):
    from tests.accounts_support import registry, school_form

    registry(wiring.accounts())
    school = open_and_activate(http, pump, "/accounts/schools", school_form(http))
    number = body(post(http, "/requests", {"procedure": "inscription", "mandate": "sans-mandat"}, school))["request_id"]
    _filed(number)
    refused = http.delete("/me", headers=auth(school))
    assert refused.status_code == 409 and body(refused)["code"] == "requests_in_progress"


def test_a_draft_alone_does_not_prevent_closing(http, candidate):
    assert post(http, "/requests", {"procedure": "inscription", "mandate": "candidat"}, candidate).status_code == 201
    assert http.delete("/me", headers=auth(candidate)).status_code == 200
# --- agents ----------------------------------------------------------------------------------------

def test_an_agent_created_by_command_must_set_up_totp_before_acting(http, pump, aws, capsys):
    from chalicelib.cli import agents

    assert agents.main(["create", "--role", "instructeur-ddt", "--departement", "69", "--email",
                        "agent.ddt@rhone.gouv.example.fr", "--nom", "Bernard", "--prenom", "Claire"]) == 0
    assert "Compte d'agent créé" in capsys.readouterr().out
    pump.run_until_idle()
    [email] = sent_emails("agent.ddt@rhone.gouv.example.fr")
    assert "double authentification" in email.body
    post(http, "/accounts/activation", {"token": link_token(email), "password": PASSWORD})
    token = sign_in(http, "agent.ddt@rhone.gouv.example.fr")
    me = body(http.get("/me", headers=auth(token)))
    assert me["role"] == "instructeur-ddt" and me["departement"] == "69" and me["mfa_required"] is True
    blocked = http.patch("/me", headers={**auth(token), "Content-Type": "application/json"},
                         body=json.dumps({"birth_name": "Bernard"}).encode())
    assert blocked.status_code == 403 and body(blocked)["code"] == "mfa_required"

    setup = post(http, "/me/mfa/setup", {}, token)
    assert setup.status_code == 200 and body(setup)["otpauth_uri"].startswith("otpauth://totp/")
    # The QR code to scan, an image the page shows (tests/browser scans it back to the address).
    assert body(setup)["secret"] in body(setup)["otpauth_uri"]
    assert body(setup)["qr_code"].startswith("data:image/svg+xml")
    assert post(http, "/me/mfa/verify", {"code": "123456"}, token).status_code == 200
    assert http.patch("/me", headers={**auth(token), "Content-Type": "application/json"},
                      body=json.dumps({"birth_name": "Bernard"}).encode()).status_code == 200
    challenge = post(http, "/sessions", {"email": "agent.ddt@rhone.gouv.example.fr", "password": PASSWORD})
    assert body(challenge)["status"] == "mfa_required" and body(challenge)["tokens"] is None
    answered = post(http, "/sessions/mfa", {"email": "agent.ddt@rhone.gouv.example.fr",
                                            "session": body(challenge)["session"], "code": "123456"})
    assert answered.status_code == 200 and body(answered)["tokens"]["access_token"]


def test_an_agent_command_with_bad_arguments_says_what_to_fix(capsys, aws):
    from chalicelib.cli import agents

    assert agents.main(["create", "--role", "instructeur-ddt", "--email", "pas-une-adresse", "--nom", "Bernard",
                        "--prenom", "Claire"]) == 2
    err = capsys.readouterr().err
    assert "adresse électronique n'est pas acceptée" in err
    with pytest.raises(Exception):
        AgentCreation(role="candidat", email="a@b.fr", birth_name="A", first_name="B")


def test_a_disabled_agent_is_refused_at_once(http, pump, aws, capsys):
    from chalicelib.cli import agents
    from chalicelib.local.demo_data import ActiveAccounts

    active = ActiveAccounts(wiring.accounts())
    active.open(lambda a: a.create_agent(AgentCreation(role="instructeur-cert", email="cert@example.fr",
                                                       birth_name="Roux", first_name="Anne")), PASSWORD)
    token = sign_in(http, "cert@example.fr")
    assert http.get("/me", headers=auth(token)).status_code == 200
    assert agents.main(["disable", "--email", "cert@example.fr"]) == 0
    refused = http.get("/me", headers=auth(token))
    assert refused.status_code == 401 and body(refused)["code"] == "account_inactive"
    assert post(http, "/sessions", {"email": "cert@example.fr", "password": PASSWORD}).status_code == 401
    assert agents.main(["disable", "--email", "personne@example.fr"]) == 1
    assert "Aucun compte d'agent" in capsys.readouterr().err
