"""Exams (issue 7): an examiner records results against the NEPH of a validated registration; the
results show on the school's record and on the attestation's verso when it is printed again; a
favourable practical issues the CEPC (a verifiable PDF, valid 4 months) and opens the production
request as a draft for the school. And what they refuse: an unknown NEPH, a category the
candidate is not registered for, a practical without a theory success, an AAC candidate's
practical without the AAC answer, the same result twice, the CEPC asked before a favourable
practical, another school, a role other than the examiner's."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
import requests as http_client

from chalicelib.domain.accounts import Role
from tests.accounts_support import active_agent, active_school
from tests.integration.test_attestations import download, verify
from tests.integration.test_instruction_queues import claim, decide, queued
from tests.integration.test_requests import body, call
from tests.unit.test_attestation import _scan, _text

TODAY = date.today()


@pytest.fixture
def school(http, accounts):
    return active_school(http, accounts, "E0000000001", "ecole@example.fr")


@pytest.fixture
def examiner(http, accounts):
    return active_agent(http, accounts, Role.INSPECTEUR, "92", "g.inspecteur92@interieur.gouv.fr", "Garnier")


@pytest.fixture
def registered(http, school, pump, agents):
    """A validated registration (category B, AAC) and its NEPH."""
    number = queued(http, school, pump)
    version = claim(http, agents["ddt92"])["request"]["version"]
    assert decide(http, agents["ddt92"], number, version).status_code == 200
    pump.run_until_idle()
    return number, body(call(http, "GET", f"/requests/{number}", school))["neph"]


def result(neph, test="theorie", outcome="favorable", day=None, **extra):
    return {"neph": neph, "day": (day or TODAY - timedelta(days=1)).isoformat(), "centre": "Centre d'examen d'Antony",
            "examiner": "M. Garnier", "test": test, "category": "B", "outcome": outcome, **extra}


def record(http, examiner, payload):
    return call(http, "POST", "/staff/exams/results", examiner, payload)


def test_results_show_on_the_record_and_the_verso_and_a_favourable_practical_issues_the_cepc(
        http, school, examiner, registered, pump, tmp_path):
    number, neph = registered
    spaced = " ".join([neph[:2], neph[2:4], neph[4:6], neph[6:8], neph[8:]])  # as printed on the attestation
    theory = record(http, examiner, result(spaced, day=TODAY - timedelta(days=30)))
    assert theory.status_code == 201, theory.body
    assert body(theory)["cepc"] is None and body(theory)["registration_id"] == number
    failed = record(http, examiner, result(neph, "pratique", "defavorable", TODAY - timedelta(days=10),
                                           still_follows_aac=True))
    assert failed.status_code == 201 and body(failed)["cepc"] is None
    passed = record(http, examiner, result(neph, "pratique", "favorable", TODAY - timedelta(days=1),
                                           still_follows_aac=True))
    assert passed.status_code == 201, passed.body
    cepc = body(passed)["cepc"]
    assert cepc["valid_until"] > (TODAY + timedelta(days=115)).isoformat() and "CEPC" in body(passed)["message"]
    pump.run_until_idle()

    exams = body(call(http, "GET", f"/requests/{number}/exams", school))
    assert [(r["test"], r["outcome_label"]) for r in exams["results"]] == [
        ("theorie", "Favorable"), ("pratique", "Défavorable"), ("pratique", "Favorable")]
    assert exams["cepcs"][0]["production_request_id"] == cepc["production_request_id"]

    _, verso = _text(download(http, school, number))
    assert verso.count("Centre d'examen d'Antony") == 3 and "M. Garnier" in verso

    link = call(http, "GET", f"/requests/{number}/cepc/B", school)
    assert link.status_code == 200, link.body
    pdf = http_client.get(body(link)["url"], timeout=10).content
    [page] = _text(pdf)
    assert "CERTIFICAT D'EXAMEN DU PERMIS DE CONDUIRE" in page.upper() and cepc["production_request_id"] in page
    [payload] = _scan(pdf, tmp_path)
    answer = verify(http, payload)
    assert answer["authentic"] and answer["document"].startswith("Certificat d'examen")
    assert answer["valid_until"] == cepc["valid_until"] and "valable jusqu'au" in answer["message"]

    production = body(call(http, "GET", f"/requests/{cepc['production_request_id']}", school))
    assert production["procedure"] == "titre-examen" and production["status"] == "brouillon"
    assert production["steps"]["categories"]["categories"] == ["B"]
    assert production["steps"]["civil_status"]["birth_name"] == "Joun"
    summary = body(call(http, "GET", f"/requests/{cepc['production_request_id']}/summary", school))
    states = {d["document"]: d.get("state") for d in summary["required_documents"]}
    assert states.get("cepc") == "accepted", summary["required_documents"]
    history = body(call(http, "GET", f"/requests/{cepc['production_request_id']}/history", school))["history"]
    assert "CEPC" in history[0]["reason"] and history[0]["actor_label"] == "Automatiquement"


def test_an_unknown_neph_or_an_unregistered_category_is_refused(http, examiner, registered):
    _, neph = registered
    unknown = record(http, examiner, result("261192109999"))
    assert unknown.status_code == 404 and body(unknown)["code"] == "neph_unknown"
    other = record(http, examiner, {**result(neph), "category": "A2"})
    assert other.status_code == 409 and body(other)["code"] == "category_not_registered"
    assert "B" in body(other)["message"]


def test_the_practical_needs_a_theory_success_and_the_aac_answer(http, examiner, registered):
    _, neph = registered
    early = record(http, examiner, result(neph, "pratique", still_follows_aac=True))
    assert early.status_code == 409 and body(early)["code"] == "theory_not_passed"
    assert record(http, examiner, result(neph, day=TODAY - timedelta(days=5))).status_code == 201
    no_answer = record(http, examiner, result(neph, "pratique"))
    assert no_answer.status_code == 422
    assert [d["field"] for d in body(no_answer)["details"]] == ["still_follows_aac"]
    wrong = record(http, examiner, result(neph, day=TODAY - timedelta(days=4), still_follows_aac=True))
    assert wrong.status_code == 422 and body(wrong)["details"][0]["code"] == "aac_not_applicable"


def test_the_same_result_twice_is_refused_and_a_passed_category_takes_no_more(http, examiner, registered, school):
    number, neph = registered
    assert record(http, examiner, result(neph, day=TODAY - timedelta(days=5))).status_code == 201
    again = record(http, examiner, result(neph, day=TODAY - timedelta(days=5)))
    assert again.status_code == 409 and body(again)["code"] == "exam_result_exists"
    passed = result(neph, "pratique", still_follows_aac=False)
    assert record(http, examiner, passed).status_code == 201
    after = record(http, examiner, {**passed, "day": TODAY.isoformat()})
    assert after.status_code == 409 and body(after)["code"] == "exam_already_passed"
    assert len(body(call(http, "GET", f"/requests/{number}/exams", school))["cepcs"]) == 1


def test_a_candidate_who_left_the_aac_is_produced_as_traditional_training(http, examiner, registered, school):
    _, neph = registered
    record(http, examiner, result(neph, day=TODAY - timedelta(days=5)))
    production = body(record(http, examiner, result(neph, "pratique", still_follows_aac=False)))["cepc"]
    steps = body(call(http, "GET", f"/requests/{production['production_request_id']}", school))["steps"]
    assert steps["categories"]["training_path"] == "traditionnelle"


def test_the_cepc_is_refused_before_a_favourable_practical(http, examiner, registered, school):
    number, neph = registered
    assert record(http, examiner, result(neph, day=TODAY - timedelta(days=5))).status_code == 201
    early = call(http, "GET", f"/requests/{number}/cepc/B", school)
    assert early.status_code == 409 and body(early)["code"] == "cepc_not_available"


@pytest.mark.parametrize("payload, field", [
    ({"neph": "12345"}, "neph"), ({"outcome": "reussi"}, "outcome"), ({"test": "oral"}, "test"),
    ({"category": "Z"}, "category"), ({"centre": ""}, "centre"), ({"day": "hier"}, "day"),
    ({"extra": 1}, "extra")])
def test_a_malformed_result_is_refused_with_the_field_to_fix(http, examiner, registered, payload, field):
    _, neph = registered
    answer = record(http, examiner, {**result(neph), **payload})
    assert answer.status_code == 422
    assert field in [d["field"] for d in body(answer)["details"]]


def test_a_result_in_the_future_is_refused(http, examiner, registered):
    _, neph = registered
    answer = record(http, examiner, result(neph, day=TODAY + timedelta(days=2)))
    assert answer.status_code == 422 and body(answer)["details"][0]["code"] == "day_in_future"


def test_only_examiners_record_and_another_school_sees_nothing(http, examiner, registered, agents, accounts):
    number, neph = registered
    for token in (agents["ddt92"], agents["cert"], agents["admin92"]):
        assert record(http, token, result(neph)).status_code == 403
    other = active_school(http, accounts, "E0000000002", "autre@example.fr")
    for path in (f"/requests/{number}/exams", f"/requests/{number}/cepc/B"):
        answer = call(http, "GET", path, other)
        assert answer.status_code == 404 and body(answer)["code"] == "request_not_found"


def test_the_examiner_sees_the_registrations_and_results_of_a_neph(http, examiner, registered):
    number, neph = registered
    record(http, examiner, result(neph, day=TODAY - timedelta(days=5)))
    seen = body(call(http, "GET", f"/staff/exams/{neph}", examiner))
    assert seen["registrations"][0]["request_id"] == number
    assert seen["registrations"][0]["results"][0]["test_label"] == "Épreuve théorique"
    assert call(http, "GET", "/staff/exams/261192109999", examiner).status_code == 404


def test_a_cepc_made_again_from_a_replayed_event_is_the_same_document(http, school, examiner, registered, pump):
    from chalicelib.adapters import wiring
    from chalicelib.workers.attestations import issue_cepc

    number, neph = registered
    record(http, examiner, result(neph, day=TODAY - timedelta(days=5)))
    record(http, examiner, result(neph, "pratique", still_follows_aac=True))
    pump.run_until_idle()
    first = wiring.requests_repository().issued(number, "CEPC-B")
    pdf = http_client.get(body(call(http, "GET", f"/requests/{number}/cepc/B", school))["url"], timeout=10).content
    assert issue_cepc(number, "B") == first["key"]  # the event delivered again
    assert wiring.requests_repository().issued(number, "CEPC-B")["payload"] == first["payload"]
    again = http_client.get(body(call(http, "GET", f"/requests/{number}/cepc/B", school))["url"], timeout=10).content
    assert again == pdf


def test_the_day_sheet_of_a_centre_lists_what_was_recorded_there_that_day(http, examiner, registered, school, agents):
    number, neph = registered
    day = TODAY - timedelta(days=2)
    assert record(http, examiner, result(neph, day=day)).status_code == 201
    assert record(http, examiner, result(neph, test="pratique", outcome="defavorable", day=day,
                                         still_follows_aac=True)).status_code == 201
    # However the centre is typed, it is the same sheet; in the order recorded.
    sheet = body(call(http, "GET", f"/staff/exams/day?centre=CENTRE+D%27EXAMEN+D%27ANTONY&date={day}", examiner))
    assert sheet["day"] == day.isoformat()
    assert [(row["neph"], row["result"]["test"], row["result"]["outcome"]) for row in sheet["rows"]] == [
        (neph, "theorie", "favorable"), (neph, "pratique", "defavorable")]
    assert sheet["rows"][0]["candidate_name"] == body(call(http, "GET", f"/requests/{number}", school))[
        "candidate_name"]
    # Another day, another centre: nothing; today by default.
    assert body(call(http, "GET", f"/staff/exams/day?centre=Centre+d%27examen+d%27Antony&date={TODAY}",
                     examiner))["rows"] == []
    assert body(call(http, "GET", f"/staff/exams/day?centre=Lyon+Gerland&date={day}", examiner))["rows"] == []
    today = body(call(http, "GET", "/staff/exams/day?centre=Lyon+Gerland", examiner))
    assert today["day"] in (TODAY.isoformat(), (TODAY + timedelta(days=1)).isoformat())  # Paris may be past midnight


@pytest.mark.parametrize("query, field", [("", "centre"), ("?centre=L", "centre"),
                                          ("?centre=Lyon&date=07%2F12%2F2026", "date")])
def test_a_day_sheet_without_a_centre_or_with_a_bad_date_names_the_field(http, examiner, query, field):
    refused = call(http, "GET", "/staff/exams/day" + query, examiner)
    assert refused.status_code == 422 and [d["field"] for d in body(refused)["details"]] == [field]


def test_only_examiners_read_a_day_sheet(http, school, agents):
    for token in (school, agents["ddt92"], agents["admin92"]):
        assert call(http, "GET", "/staff/exams/day?centre=Lyon", token).status_code == 403
