"""Filing a request, steps 1 to 5 and the summary (issue 5, first part): each step saved and
validated on its own, what is missing listed before submission, the owner's list; and the
refusals: another school's or candidate's request, fields the client must not set, impossible
dates, an age one day short, a minor without representative, a concurrent change."""
from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone

import pytest

from chalicelib.adapters import wiring
from tests.accounts_support import active_candidate, active_school, address

JSON = {"Content-Type": "application/json"}


def call(http, method, path, token, payload=None):
    headers = {**JSON, "Authorization": f"Bearer {token}"}
    return http.request(method, path, headers=headers, body=json.dumps(payload).encode() if payload is not None else b"")


def body(response):
    return json.loads(response.body)


@pytest.fixture
def school_token(http, accounts):
    return active_school(http, accounts, "E0000000001", "ecole@example.fr")


def civil_status(birth_date: str = "2006-01-01", **changes):
    return {"birth_name": "Joun", "first_names": "Testun", "sex": "M", "birth_date": birth_date,
            "birth_place": {"country": "FR", "commune": "Antony", "departement": "92"}, **changes}


REPRESENTATIVE = {"birth_name": "Joun", "first_names": "Marie", "birth_date": "1980-05-05", "quality": "mere",
                  "address": address()}
CONTACT = {"address": address(), "email": "testun.joun@example.fr", "mobile_phone": "0613459724"}
CATEGORIES = {"categories": ["B"], "training_path": "aac", "has_licence": False, "first_request": True}
DECLARATIONS = {"exam_pending_elsewhere": False, "reads_french": True, "adapted_vehicle": False,
                "vision_correction": False, "medical_condition": False, "disability_pension": False}


def new_request(http, token, procedure="inscription", mandate="sans-mandat"):
    created = call(http, "POST", "/requests", token, {"procedure": procedure, "mandate": mandate})
    assert created.status_code == 201, created.body
    return body(created)


def test_a_school_fills_the_five_steps_and_the_summary_lists_the_documents_to_upload(http, school_token):
    request = new_request(http, school_token)
    assert request["status_label"] == "Brouillon" and len(request["request_id"]) == 12
    number = request["request_id"]
    summary = body(call(http, "GET", f"/requests/{number}/summary", school_token))
    assert summary["complete"] is False
    assert {p["field"] for p in summary["missing"]} == {"civil_status", "contact", "categories", "declarations"}

    for step, payload in (("civil_status", civil_status(legal_representative=REPRESENTATIVE)), ("contact", CONTACT),
                          ("categories", CATEGORIES), ("declarations", DECLARATIONS)):
        saved = call(http, "PUT", f"/requests/{number}/steps/{step}", school_token, payload)
        assert saved.status_code == 200, (step, saved.body)
    summary = body(call(http, "GET", f"/requests/{number}/summary", school_token))
    # An adult under 21, first request, first category: the ePhoto code, identity, address, JDC, ASSR.
    assert [d["document"] for d in summary["required_documents"]] == [
        "ephoto", "identite", "domicile", "jdc", "assr"]
    # The steps are complete: only the documents are missing now.
    assert [p["field"] for p in summary["missing"]] == [f"documents.{d}" for d in
                                                       ("ephoto", "identite", "domicile", "jdc", "assr")]
    assert summary["complete"] is False and {d["state"] for d in summary["required_documents"]} == {"missing"}
    assert all(d["reason"] for d in summary["required_documents"])
    assert summary["request"]["candidate_name"] == "Testun Joun"


def test_each_step_is_validated_on_its_own_with_a_message_per_field(http, school_token):
    number = new_request(http, school_token)["request_id"]
    refused = call(http, "PUT", f"/requests/{number}/steps/contact", school_token,
                   {"address": address(postal_code="6900"), "email": "pas-une-adresse", "mobile_phone": "12"})
    assert refused.status_code == 422
    fields = {d["field"] for d in body(refused)["details"]}
    assert {"address.postal_code", "email", "mobile_phone"} <= fields
    unknown = call(http, "PUT", f"/requests/{number}/steps/etape-9", school_token, {})
    assert unknown.status_code == 404 and body(unknown)["code"] == "step_unknown"


@pytest.mark.parametrize("birth_date", ["2007-02-29", "2008-13-01", "tomorrow"])
def test_impossible_birth_dates_are_refused(http, school_token, birth_date):
    if birth_date == "tomorrow":  # in Paris, when the test runs (not when the module was imported)
        from chalicelib.domain.dates import paris_day

        birth_date = str(paris_day(datetime.now(timezone.utc)) + timedelta(days=1))
    number = new_request(http, school_token)["request_id"]
    refused = call(http, "PUT", f"/requests/{number}/steps/civil_status", school_token, civil_status(birth_date))
    assert refused.status_code == 422 and "birth_date" in {d["field"] for d in body(refused)["details"]}


def test_fields_the_client_must_not_set_are_refused(http, school_token):
    for payload in ({"procedure": "inscription", "mandate": "sans-mandat", "status": "validee"},
                    {"procedure": "inscription", "mandate": "sans-mandat", "school_id": "autre"}):
        refused = call(http, "POST", "/requests", school_token, payload)
        assert refused.status_code == 422 and body(refused)["details"][0]["code"] == "extra_forbidden"
    number = new_request(http, school_token)["request_id"]
    sneaky = call(http, "PUT", f"/requests/{number}/steps/declarations", school_token,
                  {**DECLARATIONS, "version": 99, "neph": "170392100012"})
    assert sneaky.status_code == 422


def test_an_age_one_day_short_and_a_minor_without_representative_are_named_in_the_summary(http, school_token):
    number = new_request(http, school_token)["request_id"]
    sixteen_tomorrow = date.today().replace(year=date.today().year - 17) + timedelta(days=1)
    call(http, "PUT", f"/requests/{number}/steps/civil_status", school_token, civil_status(str(sixteen_tomorrow)))
    call(http, "PUT", f"/requests/{number}/steps/categories", school_token, {**CATEGORIES, "training_path":
                                                                             "traditionnelle"})
    missing = {p["code"]: p["message"] for p in body(call(http, "GET", f"/requests/{number}/summary",
                                                          school_token))["missing"]}
    assert "minimum_age" in missing and "17 ans" in missing["minimum_age"]
    assert "legal_representative_required" in missing and "représentant légal" in missing[
        "legal_representative_required"]


def test_another_schools_or_candidates_request_is_a_404_like_an_unknown_number(http, accounts, school_token):
    number = new_request(http, school_token)["request_id"]
    other_school = active_school(http, accounts, "E0000000002", "autre-ecole@example.fr")
    some_candidate = active_candidate(http, accounts, "quelqu-un@example.fr")
    unknown = call(http, "GET", "/requests/999999999999", school_token)
    for token in (other_school, some_candidate):
        refused = call(http, "GET", f"/requests/{number}", token)
        assert refused.status_code == 404 and body(refused) == body(unknown)
        assert call(http, "PUT", f"/requests/{number}/steps/declarations", token, DECLARATIONS).status_code == 404


def test_a_candidate_files_for_themselves_only(http, accounts):
    token = active_candidate(http, accounts, "seul@example.fr")
    refused = call(http, "POST", "/requests", token, {"procedure": "inscription", "mandate": "sans-mandat"})
    assert refused.status_code == 422 and body(refused)["code"] == "mandate_not_allowed"
    training = call(http, "POST", "/requests", token, {"procedure": "titre-formation", "mandate": "candidat"})
    assert training.status_code == 422 and body(training)["code"] == "procedure_not_allowed"
    mine = new_request(http, token, mandate="candidat")
    listed = body(call(http, "GET", "/requests", token))["requests"]
    assert [r["request_id"] for r in listed] == [mine["request_id"]]


def test_two_tabs_saving_at_once_one_wins_the_other_gets_409(http, school_token, monkeypatch):
    number = new_request(http, school_token)["request_id"]
    from chalicelib.adapters.requests_repository import DynamoRequestsRepository

    real_get = DynamoRequestsRepository.get
    stale = real_get(wiring.requests_repository(), number)
    call(http, "PUT", f"/requests/{number}/steps/declarations", school_token, DECLARATIONS)  # the other tab
    monkeypatch.setattr(DynamoRequestsRepository, "get", lambda self, n: stale if n == number else real_get(self, n))
    refused = call(http, "PUT", f"/requests/{number}/steps/contact", school_token, CONTACT)
    assert refused.status_code == 409 and body(refused)["code"] == "changed_meanwhile"


def test_the_schools_list_is_newest_first_filtered_and_paginated_by_cursor(http, school_token, accounts):
    numbers = []
    for first_names in ("Alice", "Bruno", "Chloé"):
        number = new_request(http, school_token)["request_id"]
        call(http, "PUT", f"/requests/{number}/steps/civil_status", school_token,
             civil_status("2000-01-01", first_names=first_names))
        numbers.append(number)
    new_request(http, active_school(http, accounts, "E0000000003", "tierce@example.fr"))  # another school's
    first = body(call(http, "GET", "/requests?limit=2", school_token))
    assert [r["request_id"] for r in first["requests"]] == numbers[::-1][:2]
    second = body(call(http, "GET", f"/requests?limit=2&cursor={first['next_cursor']}", school_token))
    assert [r["request_id"] for r in second["requests"]][:1] == [numbers[0]]
    by_name = body(call(http, "GET", "/requests?name=chloe", school_token))["requests"]
    assert [r["candidate_name"] for r in by_name] == ["Chloé Joun"]
    # A filter is applied after DynamoDB reads `limit` items: the page is still filled.
    oldest = body(call(http, "GET", "/requests?name=alice&limit=1", school_token))
    assert [r["candidate_name"] for r in oldest["requests"]] == ["Alice Joun"]
    two = body(call(http, "GET", "/requests?status=brouillon&limit=2", school_token))
    rest = body(call(http, "GET", f"/requests?status=brouillon&limit=2&cursor={two['next_cursor']}", school_token))
    assert [r["request_id"] for r in two["requests"] + rest["requests"]] == numbers[::-1]
    forged = call(http, "GET", "/requests?cursor=eyJwayI6MX0", school_token)
    assert forged.status_code == 400 and body(forged)["code"] == "cursor_invalid"
    assert call(http, "GET", "/requests?limit=0", school_token).status_code == 422
