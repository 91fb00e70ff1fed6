"""Every route, called by every role and by nobody: each route declares who may call it
(`roles=` in its @route), and this table checks the answer: 401 without a valid session, 403 for
a role not listed, otherwise the route's own answer (never 401, 403 or 500)."""
from __future__ import annotations

import json
import re

import pytest

from chalicelib.adapters import wiring
from chalicelib.api.http import ROUTE_DOCS
from chalicelib.domain.accounts import AgentCreation, Role
from chalicelib.local.demo_data import ActiveAccounts
from tests.accounts_support import PASSWORD, active_candidate, active_school, sign_in

# Routes that end the caller's session or account: each call gets a user of its own.
ENDS_THE_SESSION = {("/sessions", "DELETE"), ("/me", "DELETE")}
ALLOWED_ANSWERS = {200, 201, 202, 404, 409, 422}


class Users:
    """Active accounts of each role, opened through the services (no email round trip)."""

    def __init__(self, http):
        self.http = http
        self.active = ActiveAccounts(wiring.accounts())
        self.count = 0

    def token(self, role: Role) -> str:
        self.count += 1
        email = f"{role.value}.{self.count}@exemple.fr"
        if role == Role.CANDIDAT:
            return active_candidate(self.http, self.active, email)
        if role == Role.AUTO_ECOLE:
            return active_school(self.http, self.active, f"E{self.count:010d}", email)
        account_id = self.active.open(lambda a: a.create_agent(AgentCreation(
            role=role, email=email, birth_name="Bernard", first_name="Claire", departement="69",
            structure_name="France Services de Villeurbanne" if role == Role.MEDIATEUR else None)), PASSWORD)
        self.active.accounts.repo.set_mfa_enabled(account_id)
        return sign_in(self.http, email)


def call(http, path: str, method: str, token: str | None):
    concrete = re.sub(r"{(\w+)}", lambda m: "69800" if m.group(1) == "postal_code" else "inconnu", path)
    headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})}
    body = b"{}" if method in ("POST", "PUT", "PATCH") else None
    return http.request(method, concrete, headers=headers, body=body or b"")


def test_every_route_answers_each_role_and_nobody_as_it_declares(http, aws):
    users = Users(http)
    tokens = {role: users.token(role) for role in Role}
    routes = sorted(ROUTE_DOCS.values(), key=lambda doc: ((doc.path, doc.method) in ENDS_THE_SESSION, doc.path))
    assert len(routes) >= 25
    problems = []
    for doc in routes:
        anonymous = call(http, doc.path, doc.method, None)
        if doc.roles and anonymous.status_code != 401:
            problems.append(f"{doc.method} {doc.path} without session: {anonymous.status_code}")
        if not doc.roles and anonymous.status_code not in ALLOWED_ANSWERS:
            problems.append(f"{doc.method} {doc.path} (public): {anonymous.status_code}")
        if not doc.roles:
            continue
        for role in Role:
            token = users.token(role) if (doc.path, doc.method) in ENDS_THE_SESSION else tokens[role]
            answer = call(http, doc.path, doc.method, token)
            allowed = role.value in doc.roles
            if allowed and answer.status_code not in ALLOWED_ANSWERS:
                problems.append(f"{doc.method} {doc.path} as {role}: {answer.status_code} {answer.body[:120]!r}")
            if not allowed and (answer.status_code != 403 or json.loads(answer.body)["code"] != "forbidden"):
                problems.append(f"{doc.method} {doc.path} as {role}: {answer.status_code}, expected 403")
    assert problems == []


def test_a_route_cannot_be_declared_without_saying_who_may_call_it():
    from chalice import Blueprint

    from chalicelib.api.http import route

    with pytest.raises(TypeError, match="roles"):
        route(Blueprint("x"), "/x", summary="x", tags=())
