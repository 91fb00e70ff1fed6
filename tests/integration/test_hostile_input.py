"""Hostile input never reaches a 500 (issue 18): every route that reads a body refuses hostile
JSON with a 4xx in the API's error shape, emails follow one rule, list cursors are tamper-evident,
dates are ISO strings, names typed in decomposed Unicode are the same names, an Idempotency-Key
serves one body, a refused read says who tried what, and an undeclared method is a 405."""
from __future__ import annotations

import base64
import json
import re
import unicodedata

import pytest

from chalicelib.adapters import wiring
from chalicelib.api.auth import FRANCECONNECT_NEWCOMER
from chalicelib.api.http import ROUTE_DOCS
from chalicelib.domain.accounts import Role
from tests.accounts_support import (active_agent, active_candidate, active_school, body, candidate_form, post,
                                    registry, solve_altcha)
from tests.integration.test_licence import PATH as PARTNER_PATH, PRINTER, partner_call
from tests.integration.test_mediation import mediator_token
from tests.integration.test_requests import CONTACT, call, civil_status, new_request
from tests.integration.test_submission import ready_request, submit

DEEP = 10_000
HOSTILE_BODIES = {
    "nested arrays": ("[" * DEEP + "]" * DEEP).encode(),
    "nested objects": ('{"a":' * DEEP + "1" + "}" * DEEP).encode(),
    "nested inside a field": ('{"version": 1, "x": ' + "[" * DEEP + "]" * DEEP + "}").encode(),
    "just too deep": ('{"a":' * 40 + "1" + "}" * 40).encode(),
    "duplicate key": b'{"version": 1, "version": 2}',
    "NaN": b'{"version": NaN}',
    "Infinity": b'{"version": -Infinity}',
    "float overflow": b'{"version": 1e400}',
    "integer overflow": b'{"version": 1' + b"0" * 5000 + b"}",
    "integer beyond 2^53": b'{"version": 90071992547409930}',
    "lone surrogate": b'{"version": 1, "x": "\\ud800"}',
    "NUL character": b'{"version": 1, "x": "a\\u0000b"}',
    "not UTF-8": b'{"version": 1, "x": "\xff\xfe"}',
    "truncated": b'{"version": ',
    "a bare string": b'"bonjour"',
}
HOSTILE_CODES = {"invalid_json", "json_too_deep", "duplicate_key", "number_out_of_range", "invalid_character",
                 "validation_failed"}

# One account of each kind a route may need; the body is refused before the view reads the path.
ROLE_ACCOUNTS = {
    Role.AUTO_ECOLE.value: "school", Role.CANDIDAT.value: "candidate", Role.INSTRUCTEUR_DDT.value: "ddt",
    Role.INSTRUCTEUR_CERT.value: "cert", Role.PREFECTURE.value: "prefecture", Role.INSPECTEUR.value: "inspector",
    Role.MEDIATEUR.value: "mediator", FRANCECONNECT_NEWCOMER[0]: "newcomer",
}


def newcomer_token(http, aws, monkeypatch) -> str:
    """A person FranceConnect identified, who has no account yet."""
    from tests.franceconnect_support import LUCAS, VERIFIER, install

    code = install(aws, monkeypatch).sign_in({**LUCAS, "email": "nouveau.venu@exemple.fr"})
    answer = http.post("/sessions/franceconnect", headers={"Content-Type": "application/json"},
                       body=json.dumps({"code": code, "code_verifier": VERIFIER}).encode())
    return json.loads(answer.body)["tokens"]["access_token"]


@pytest.fixture
def tokens(http, accounts, aws, monkeypatch):
    return {
        "newcomer": newcomer_token(http, aws, monkeypatch),
        "school": active_school(http, accounts, "E0000000001", "ecole@example.fr"),
        "candidate": active_candidate(http, accounts, "candidat@example.fr"),
        "ddt": active_agent(http, accounts, Role.INSTRUCTEUR_DDT, "92", "a.ddt92@interieur.gouv.fr"),
        "cert": active_agent(http, accounts, Role.INSTRUCTEUR_CERT, None, "d.cert@interieur.gouv.fr"),
        "prefecture": active_agent(http, accounts, Role.PREFECTURE, "92", "e.pref92@interieur.gouv.fr"),
        "inspector": active_agent(http, accounts, Role.INSPECTEUR, "92", "i.insp92@interieur.gouv.fr"),
        "mediator": mediator_token(http, accounts),
    }


def assert_refused(response, *, status=(400, 413, 422), codes=HOSTILE_CODES):
    assert response.status_code in status, (response.status_code, response.body[:300])
    payload = json.loads(response.body)
    assert payload["code"] in codes, payload
    assert payload["message"] and payload["message"][-1] in ".»", payload
    return payload


# --- 1. every route that reads a body, from the route table ---------------------------------------

def test_every_route_refuses_hostile_bodies_with_a_4xx_in_the_error_shape(http, tokens):
    """Every route of the route table that takes a body, with each hostile body, as a caller it allows."""
    routes = sorted(key for key in ROUTE_DOCS if key[1] in ("POST", "PUT", "PATCH"))
    assert len(routes) >= 40
    draft = new_request(http, tokens["school"])["request_id"]
    problems = []
    for path, method in routes:
        doc = ROUTE_DOCS[(path, method)]
        headers = {"Content-Type": "application/json", "Idempotency-Key": "cle-hostile-0001"}
        if doc.roles:
            headers["Authorization"] = f"Bearer {tokens[ROLE_ACCOUNTS[doc.roles[0]]]}"
        # The body is read before the path is: any identifier will do, except for a step, whose
        # form depends on the request (a draft of the school's).
        concrete = path.replace("{request_id}/steps/{step}", f"{draft}/steps/contact")
        concrete = re.sub(r"{(\w+)}", lambda m: {"authority": "ddt-92"}.get(m.group(1), "123456789012"), concrete)
        for name, hostile in HOSTILE_BODIES.items():
            if path == PARTNER_PATH:  # signed first: the signature is checked before the body is read
                response = partner_call(http, PRINTER, hostile)
            else:
                response = http.request(method, concrete, headers=headers, body=hostile)
            if response.status_code >= 500:
                problems.append(f"{method} {path} {name}: {response.status_code}")
                continue
            if doc.request_model is None and "{step}" not in path:
                continue  # a route without a body ignores it
            payload = json.loads(response.body)
            too_large = response.status_code == 413 and payload.get("code", "").endswith("too_large")
            if not too_large and (response.status_code not in (400, 422) or payload.get("code") not in HOSTILE_CODES):
                problems.append(f"{method} {path} {name}: {response.status_code} {payload.get('code')}")
            elif name == "just too deep" and payload["code"] != "json_too_deep":
                problems.append(f"{method} {path} {name}: {payload['code']}")
    assert problems == []


def test_a_burst_of_deeply_nested_bodies_keeps_answering_400(http):
    for _ in range(20):
        payload = assert_refused(http.post("/suivi", body=HOSTILE_BODIES["nested arrays"],
                                           headers={"Content-Type": "application/json"}), status=(400,))
        assert payload["code"] == "json_too_deep"
        assert "imbrication" in payload["message"]


@pytest.mark.parametrize("raw, code, where", [
    (b'{"mandate": "papier", "mandate": "sans-mandat", "procedure": "inscription"}', "duplicate_key", "mandate"),
    (b'{"procedure": "inscription", "mandate": "sans-mandat", "x": {"y": 1, "y": 2}}', "duplicate_key", "x.y"),
    (b'{"procedure": "inscription", "mandate": "sans-mandat", "n": 1e999}', "number_out_of_range", "n"),
    (b'{"procedure": "inscription", "mandate": "sans-mandat", "s": "\\udc00"}', "invalid_character", "s"),
])
def test_each_refusal_names_the_field_to_fix(http, tokens, raw, code, where):
    response = http.post("/requests", body=raw, headers={"Content-Type": "application/json",
                                                         "Authorization": f"Bearer {tokens['school']}"})
    payload = assert_refused(response, status=(400,), codes={code})
    assert payload["details"][0]["field"] == where
    assert not wiring.requests_repository().page("gsi1", _school_partition(tokens, http), limit=5, cursor=None)[0]


def _school_partition(tokens, http):
    from chalicelib.adapters.requests_repository import school_partition

    me = body(http.get("/me", headers={"Authorization": f"Bearer {tokens['school']}"}))
    return school_partition(me["school_id"])


def test_a_duplicated_email_does_not_sign_in(http, tokens):
    raw = b'{"email": "pirate@example.fr", "email": "ecole@example.fr", "password": "une phrase de passe assez longue"}'
    payload = assert_refused(http.post("/sessions", body=raw, headers={"Content-Type": "application/json"}),
                             status=(400,), codes={"duplicate_key"})
    assert "tokens" not in payload and "email" in payload["message"]


# --- 2. one email rule, everywhere ----------------------------------------------------------------

CYRILLIC_A = "\u0430"
ZERO_WIDTH_SPACE = "\u200b"


@pytest.mark.parametrize("email, phrase", [
    (f"testun.j{CYRILLIC_A}un@example.fr", "U+0430"),
    (f"testun.joun@ex{CYRILLIC_A}mple.fr", "U+0430"),
    (f"testun.joun{ZERO_WIDTH_SPACE}@example.fr", "invisible"),
    ("testun joun@example.fr", "espace"),
    ("testun..joun@example.fr", "point"),
    ("testun.joun@example", "domaine"),
    ("testun.joun@-example.fr", "domaine"),
])
def test_sign_up_refuses_an_address_outside_the_rule_and_says_what_to_fix(http, aws, email, phrase):
    registry(wiring.accounts())
    response = post(http, "/accounts/candidates", candidate_form(http, email=email))
    payload = assert_refused(response, status=(422,), codes={"validation_failed"})
    [detail] = [d for d in payload["details"] if d["field"] == "email"]
    assert phrase in detail["message"], detail


def test_an_internationalised_domain_is_accepted_in_its_punycode_form(http, aws):
    response = post(http, "/accounts/candidates", candidate_form(http, email="Testun.Joun@XN--CAF-DMA.fr"))
    assert response.status_code == 201, response.body
    assert body(response)["email"] == "t***@xn--caf-dma.fr"


def test_the_contact_step_refuses_a_homoglyph_address_so_the_submission_never_meets_it(http, tokens):
    number = new_request(http, tokens["school"])["request_id"]
    saved = call(http, "PUT", f"/requests/{number}/steps/contact", tokens["school"],
                 {**CONTACT, "email": f"testun.joun@ex{CYRILLIC_A}mple.fr"})
    payload = assert_refused(saved, status=(422,), codes={"validation_failed"})
    assert [d["field"] for d in payload["details"]] == ["email"]


def test_an_alert_a_support_message_and_a_sign_in_follow_the_same_rule(http, aws):
    alert = post(http, "/alerts/subscriptions", {"request_id": "123456789012", "channel": "email",
                                                 "address": f"a{ZERO_WIDTH_SPACE}@example.fr",
                                                 "altcha": solve_altcha(http)})
    contact = post(http, "/support/contact", {"profile": "candidat", "email": f"a@ex{CYRILLIC_A}mple.fr",
                                              "departement": "69", "subject": "Ma demande", "altcha": "x",
                                              "message": "Bonjour, ma demande n'avance pas depuis un mois."})
    signing_in = post(http, "/sessions", {"email": f"a{ZERO_WIDTH_SPACE}@example.fr", "password": "x"})
    for response in (alert, contact, signing_in):
        assert response.status_code == 422, response.body
        [detail] = [d for d in body(response)["details"] if d["field"] in ("address", "email")]
        assert "n'est pas acceptée" in detail["message"], detail


# --- 3. list cursors are tamper-evident -------------------------------------------------------------

def _forged(key) -> str:
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode()


def test_a_forged_cursor_is_a_400_and_a_real_one_goes_on(http, tokens):
    school = tokens["school"]
    for _ in range(3):
        new_request(http, school)
    first = body(call(http, "GET", "/requests?limit=2", school))
    assert first["next_cursor"]
    second = body(call(http, "GET", f"/requests?limit=2&cursor={first['next_cursor']}", school))
    assert len(second["requests"]) == 1

    partition = _school_partition(tokens, http)
    forged = [
        {"pk": "x", "sk": "x", "gsi1pk": "x", "gsi1sk": "x"},
        {"pk": {"S": 1}, "sk": {"N": "x"}, "gsi1pk": {"S": partition}, "gsi1sk": {"B": "x"}},
        {"pk": {"S": "REQUEST#1"}, "sk": {"S": "REQUEST"}, "gsi1pk": {"S": partition}, "gsi1sk": {"N": "1"}},
        {"pk": {"S": "REQUEST#1"}, "sk": {"S": "REQUEST"}, "gsi1pk": {"S": partition}, "gsi1sk": {"S": "2026"}},
        [1, 2], "texte", None,
    ]
    cursors = [_forged(key) for key in forged] + ["%%%", "a" * 5000, first["next_cursor"][:-3] + "AAA",
                                                  first["next_cursor"] + "x"]
    for cursor in cursors:
        response = call(http, "GET", f"/requests?limit=2&cursor={cursor}", school)
        payload = assert_refused(response, status=(400,), codes={"cursor_invalid"})
        assert "recharge" in payload["message"]


def test_another_schools_cursor_is_refused(http, tokens, accounts):
    for _ in range(3):
        new_request(http, tokens["school"])
    cursor = body(call(http, "GET", "/requests?limit=2", tokens["school"]))["next_cursor"]
    other = active_school(http, accounts, "E0000000002", "autre@example.fr")
    assert_refused(call(http, "GET", f"/requests?limit=2&cursor={cursor}", other), status=(400,),
                   codes={"cursor_invalid"})


# --- 4. the second factor refuses fuzzed bodies -------------------------------------------------------

@pytest.mark.parametrize("sent", [
    {"email": "a.ddt92@interieur.gouv.fr", "session": "x", "code": "123456"},
    {"email": "a.ddt92@interieur.gouv.fr", "session": "S" * 40, "code": "123456"},
    {"email": "a.ddt92@interieur.gouv.fr", "session": "\u0000" * 10, "code": "123456"},
    {"email": "inconnu@example.fr", "session": "A" * 4096, "code": "000000"},
    {"email": f"a{CYRILLIC_A}@example.fr", "session": "x", "code": "123456"},
    {"email": "a.ddt92@interieur.gouv.fr", "session": "x", "code": "١٢٣٤٥٦"},  # Arabic-Indic digits
    {"email": "a.ddt92@interieur.gouv.fr", "session": "x", "code": 123456},
    {"email": "", "session": "", "code": ""},
])
def test_the_second_factor_refuses_what_it_cannot_use_with_a_4xx(http, tokens, sent):
    response = post(http, "/sessions/mfa", sent)
    assert 400 <= response.status_code < 500, (response.status_code, response.body)
    assert json.loads(response.body)["code"]


# --- 5. dates are ISO strings ----------------------------------------------------------------------

@pytest.mark.parametrize("birth_date", [0, 86400, 1.5, True, "86400", "2006-1-1", "01/01/2006"])
def test_a_birth_date_is_an_iso_string_or_refused(http, tokens, birth_date):
    number = new_request(http, tokens["school"])["request_id"]
    saved = call(http, "PUT", f"/requests/{number}/steps/civil_status", tokens["school"],
                 civil_status(birth_date=birth_date))
    payload = assert_refused(saved, status=(422,), codes={"validation_failed"})
    [detail] = [d for d in payload["details"] if d["field"] == "birth_date"]
    assert "AAAA-MM-JJ" in detail["message"]


@pytest.mark.parametrize("flag", ["true", 1, "oui"])
def test_a_boolean_is_true_or_false_and_nothing_else(http, tokens, flag):
    number = new_request(http, tokens["school"])["request_id"]
    saved = call(http, "PUT", f"/requests/{number}/steps/categories", tokens["school"],
                 {"categories": ["B"], "training_path": "aac", "has_licence": flag, "first_request": True})
    payload = assert_refused(saved, status=(422,), codes={"validation_failed"})
    assert [d["field"] for d in payload["details"]] == ["has_licence"]


# --- 7. an Idempotency-Key serves one body ----------------------------------------------------------

def test_the_same_idempotency_key_with_another_body_is_refused(http, tokens, pump):
    school = tokens["school"]
    number = ready_request(http, school, pump)
    version = body(call(http, "GET", f"/requests/{number}", school))["version"]
    assert submit(http, school, number, version, key="cle-unique-0002").status_code == 200
    again = submit(http, school, number, version, key="cle-unique-0002")
    assert again.status_code == 200  # the same body: the same answer
    other = submit(http, school, number, version + 5, key="cle-unique-0002")
    payload = assert_refused(other, status=(422,), codes={"idempotency_key_reused"})
    assert "autre contenu" in payload["message"]


# --- 8. NFD and NFC are the same name -------------------------------------------------------------

def test_a_name_typed_in_decomposed_unicode_is_stored_composed(http, tokens):
    decomposed = unicodedata.normalize("NFD", "Éloïse")
    assert decomposed != "Éloïse"
    number = new_request(http, tokens["school"])["request_id"]
    saved = call(http, "PUT", f"/requests/{number}/steps/civil_status", tokens["school"],
                 civil_status(first_names=decomposed, birth_name=unicodedata.normalize("NFD", "Lefèvre")))
    assert saved.status_code == 200, saved.body
    stored = body(call(http, "GET", f"/requests/{number}", tokens["school"]))["steps"]["civil_status"]
    assert stored["first_names"] == "Éloïse" and stored["birth_name"] == "Lefèvre"


def test_a_candidate_signing_up_in_nfd_matches_the_request_typed_in_nfc(http, aws):
    registry(wiring.accounts())
    form = candidate_form(http, first_names=unicodedata.normalize("NFD", "Éloïse"))
    response = post(http, "/accounts/candidates", form)
    assert response.status_code == 201, response.body
    repository = wiring.accounts().repo
    profile = repository.get_profile(repository.account_id_for_email(form["email"]))
    assert profile.first_names == "Éloïse"


# --- 9. a refused read says who tried what ----------------------------------------------------------

def test_a_refused_read_of_another_schools_request_logs_the_number_and_the_account(http, tokens, accounts,
                                                                                     log_lines):
    number = new_request(http, tokens["school"])["request_id"]
    other = active_school(http, accounts, "E0000000002", "autre@example.fr")
    me = body(http.get("/me", headers={"Authorization": f"Bearer {other}"}))
    refused = call(http, "GET", f"/requests/{number}", other)
    assert refused.status_code == 404
    [line] = [line for line in log_lines() if line.get("message") == "request refused"
              and line.get("request_id") == number]
    assert line["account_id"] == me["account_id"] and line["error_code"] == "request_not_found"
    assert "ecole@example.fr" not in json.dumps(line) and "autre@example.fr" not in json.dumps(line)


# --- 10. an undeclared method ---------------------------------------------------------------------

@pytest.fixture
def local_api(aws):
    """The local API server (`make run`'s), on a free port, in a thread."""
    import threading

    from chalicelib.local.api_server import build_server

    server = build_server("127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server.server_address[1]
    server.server.shutdown()
    server.server.server_close()


@pytest.mark.parametrize("method", ["TRACE", "CONNECT", "PROPFIND", "BREW"])
def test_an_undeclared_method_is_a_405_in_the_error_shape(local_api, method):
    import http.client

    connection = http.client.HTTPConnection("127.0.0.1", local_api, timeout=30)
    connection.request(method, "/health")
    response = connection.getresponse()
    payload = json.loads(response.read())
    assert response.status == 405 and payload["code"] == "method_not_allowed", payload
    assert "GET" in payload["message"]


def test_an_unknown_query_parameter_is_refused_not_ignored(http, tokens):
    """A typo ("limite") would otherwise give the default page without a word."""
    payload = assert_refused(call(http, "GET", "/requests?limite=5", tokens["school"]), status=(422,),
                             codes={"unknown_parameter"})
    assert "« limite »" in payload["message"] and "limit" in payload["message"]
    assert call(http, "GET", "/requests?limit=5&status=brouillon", tokens["school"]).status_code == 200
