"""What the account tests do again and again: solve the anti-robot challenge as a browser would,
fill valid forms, read the emails moto's SES received, follow their links, sign in."""
from __future__ import annotations

import base64
import html
import json
import re
from types import SimpleNamespace
from datetime import date
from typing import Any

from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends

from chalicelib.domain.accounts import Agrement

JSON = {"Content-Type": "application/json"}
PASSWORD = "une phrase de passe assez longue"
AGREMENT = "E1706900120"


def body(response) -> dict[str, Any]:
    return json.loads(response.body)


def post(http, path: str, payload: dict[str, Any], token: str | None = None):
    headers = {**JSON, **({"Authorization": f"Bearer {token}"} if token else {})}
    return http.post(path, body=json.dumps(payload).encode(), headers=headers)


def solve_altcha(http) -> str:
    from altcha import solve_challenge_v1

    challenge = body(http.get("/antirobot/challenge"))
    solution = solve_challenge_v1(challenge["challenge"], challenge["salt"], challenge["algorithm"],
                                  challenge["maxnumber"])
    return base64.b64encode(json.dumps({
        "algorithm": challenge["algorithm"], "challenge": challenge["challenge"], "number": solution.number,
        "salt": challenge["salt"], "signature": challenge["signature"]}).encode()).decode()


def address(**changes: str) -> dict[str, Any]:
    return {"number": "11", "extension": "bis", "street_type": "RUE", "street_name": "de l'Atlantique",
            "postal_code": "92160", "commune": "Antony", **changes}


def school_form(http, **changes: Any) -> dict[str, Any]:
    return {"birth_name": "Martin", "first_name": "Jeanne", "email": "jeanne.martin@ecole-conduite.example.fr",
            "company_name": "Auto-école du Parc", "agrement_number": AGREMENT, "address": address(),
            "altcha": solve_altcha(http), "terms_accepted": True, **changes}


def candidate_form(http, **changes: Any) -> dict[str, Any]:
    return {"birth_name": "Joun", "first_names": "Testun", "sex": "M", "birth_date": "2008-01-01",
            "birth_place": {"country": "FR", "commune": "Antony", "departement": "92"},
            "email": "testun.joun@example.fr", "mobile_phone": "06 13 45 97 24", "address": address(),
            "altcha": solve_altcha(http), "terms_accepted": True, **changes}


def registry(accounts, *agrements: Agrement) -> None:
    accounts.import_agrements(list(agrements) or [Agrement(
        number=AGREMENT, name="Auto-école du Parc", address="3 place du Marché 92160 Antony", departement="92",
        valid_from=date(2020, 1, 1), valid_until=date(2030, 12, 31))])


def sent_emails(to: str | None = None) -> list[SimpleNamespace]:
    """Emails SES (moto) accepted, oldest first; `body` is the HTML part, entities decoded."""
    messages = ses_backends[DEFAULT_ACCOUNT_ID]["eu-west-3"].sent_messages
    return [SimpleNamespace(subject=m.subject, to=m.destinations["ToAddresses"], source=m.source,
                            body=html.unescape(m.body))
            for m in messages if to is None or to in m.destinations["ToAddresses"]]


def link_token(message) -> str:
    match = re.search(r"#jeton=([A-Za-z0-9_-]{43})", message.body)
    assert match, "no link in the email"
    return match.group(1)


def sign_in(http, email: str, password: str = PASSWORD) -> str:
    response = post(http, "/sessions", {"email": email, "password": password})
    assert response.status_code == 200, response.body
    return body(response)["tokens"]["access_token"]


def open_and_activate(http, pump, path: str, form: dict[str, Any], password: str = PASSWORD) -> str:
    """Sign up, read the activation email, choose the password, sign in: the access token."""
    created = post(http, path, form)
    assert created.status_code == 201, created.body
    pump.run_until_idle()
    [email] = sent_emails(form["email"])[-1:]
    activated = post(http, "/accounts/activation", {"token": link_token(email), "password": password})
    assert activated.status_code == 200, activated.body
    return sign_in(http, form["email"], password)


def active_school(http, active, number: str, email: str) -> str:
    """A school account opened and activated through the services (no email round trip), with
    its agrément in the registry: its access token. `active` is a demo_data.ActiveAccounts."""
    from chalicelib.domain.accounts import SchoolSignUp

    active.accounts.import_agrements([Agrement(number=number, name="École", address="Lyon", departement="69",
                                               valid_from=date(2020, 1, 1), valid_until=date(2030, 1, 1))])
    active.open(lambda a: a.sign_up_school(SchoolSignUp.model_validate({
        "birth_name": "Martin", "first_name": "Jeanne", "email": email, "company_name": "École",
        "agrement_number": number, "address": address(), "altcha": "x", "terms_accepted": True})), PASSWORD)
    return sign_in(http, email)


def active_candidate(http, active, email: str) -> str:
    """A candidate account opened and activated through the services: its access token."""
    from chalicelib.domain.accounts import CandidateSignUp

    active.open(lambda a: a.sign_up_candidate(CandidateSignUp.model_validate({
        "birth_name": "Joun", "first_names": "Testun", "sex": "M", "birth_date": "2000-01-01",
        "birth_place": {"country": "FR", "commune": "Antony", "departement": "92"}, "email": email,
        "mobile_phone": "0613459724", "address": address(), "altcha": "x", "terms_accepted": True})), PASSWORD)
    return sign_in(http, email)


def active_agent(http, active, role, departement: str | None, email: str, birth_name: str = "Bernard") -> str:
    """An agent's account (opened by the operators' command in real life) with MFA set: its token."""
    from chalicelib.domain.accounts import AgentCreation

    account_id = active.open(lambda a: a.create_agent(AgentCreation(
        role=role, email=email, birth_name=birth_name, first_name="Claire", departement=departement)), PASSWORD)
    active.accounts.repo.set_mfa_enabled(account_id)
    return sign_in(http, email)
