"""Convocations (issue 20, item 7): a school convenes its candidate (a validated registration) to a
test at a centre on a day; the examiner's day sheet of that centre lists the convened candidates by
time and says whose result is recorded; the school, the candidate see them and the school cancels
until the day before. And what is refused: a registration not validated, a category it does not
carry, a past or too distant day, a bad time, the same test twice a day, another school, a role
other than the school's, a cancellation on the day."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from chalicelib.domain.dates import paris_day
from tests.accounts_support import active_school
from tests.integration.test_exams import examiner, record, registered, result, school  # noqa: F401 (fixtures)
from tests.integration.test_instruction_queues import queued
from tests.integration.test_requests import body, call



def today():
    """The day in Paris when it is asked (a module constant would be yesterday's for a run that
    crosses midnight in Paris, which is 22:00 or 23:00 UTC)."""
    return paris_day(datetime.now(timezone.utc))

CENTRE = "Centre d'examen d'Antony"


def convocation(test="pratique", category="B", day=None, time="08:30", centre=CENTRE):
    return {"test": test, "category": category, "centre": centre, "day": (day or today()).isoformat(), "time": time}


def convene(http, token, number, payload):
    return call(http, "POST", f"/requests/{number}/convocations", token, payload)


def sheet(http, examiner, day=None, centre="centre d'examen d'ANTONY"):
    from urllib.parse import urlencode

    day = day or today()
    answer = call(http, "GET", "/staff/exams/day?" + urlencode({"centre": centre, "date": day.isoformat()}), examiner)
    assert answer.status_code == 200, answer.body
    return body(answer)


def test_the_examiner_finds_the_convened_candidates_of_the_day_and_whose_result_is_recorded(
        http, school, examiner, registered):
    number, neph = registered
    the_day = today()
    theory = convene(http, school, number, convocation("theorie", time="10:15"))
    assert theory.status_code == 201, theory.body
    practical = convene(http, school, number, convocation("pratique", day=the_day + timedelta(days=14), time="08:30"))
    assert practical.status_code == 201, practical.body
    given = body(theory)
    assert (given["neph"], given["test_label"], given["time"]) == (neph, "Épreuve théorique", "10:15")
    # The school and the candidate's record list them by day.
    listed = body(call(http, "GET", f"/requests/{number}/convocations", school))["convocations"]
    assert [(c["test"], c["day"]) for c in listed] == [("theorie", the_day.isoformat()),
                                                       ("pratique", (the_day + timedelta(days=14)).isoformat())]
    # Today's sheet of the centre (however it is typed) lists the theory, not yet recorded.
    [row] = sheet(http, examiner)["convened"]
    assert (row["neph"], row["test"], row["category"], row["time"], row["recorded"]) == (
        neph, "theorie", "B", "10:15", False)
    assert row["candidate_name"] and row["school_name"]
    assert sheet(http, examiner, centre="Lyon Gerland")["convened"] == []
    # Recorded from the list: the row says so.
    assert record(http, examiner, result(neph, day=the_day, centre=CENTRE)).status_code == 201
    [row] = sheet(http, examiner)["convened"]
    assert row["recorded"] is True
    # The practical is on its own day's sheet.
    assert [r["test"] for r in sheet(http, examiner, the_day + timedelta(days=14))["convened"]] == ["pratique"]


def test_the_school_cancels_until_the_day_before_and_the_sheet_forgets_it(http, school, examiner, registered):
    number, _ = registered
    later = today() + timedelta(days=7)
    created = body(convene(http, school, number, convocation(day=later)))
    again = convene(http, school, number, convocation(day=later, time="14:00"))
    assert again.status_code == 409 and body(again)["code"] == "convocation_exists"
    assert "déjà convoqué à l'épreuve pratique B" in body(again)["message"]
    cancelled = call(http, "DELETE", f"/requests/{number}/convocations/{created['convocation_id']}", school)
    assert cancelled.status_code == 200, cancelled.body
    assert sheet(http, examiner, later)["convened"] == []
    assert body(call(http, "GET", f"/requests/{number}/convocations", school))["convocations"] == []
    gone = call(http, "DELETE", f"/requests/{number}/convocations/{created['convocation_id']}", school)
    assert gone.status_code == 404 and body(gone)["code"] == "convocation_not_found"
    # On the day itself, too late: the centre is told directly.
    on_the_day = body(convene(http, school, number, convocation()))
    late = call(http, "DELETE", f"/requests/{number}/convocations/{on_the_day['convocation_id']}", school)
    assert late.status_code == 409 and body(late)["code"] == "convocation_too_late"
    assert call(http, "DELETE", f"/requests/{number}/convocations/n-importe-quoi", school).status_code == 404


@pytest.mark.parametrize("change, field, code", [
    ({"category": "A"}, "category", "category_not_registered"),
    ({"day": -1}, "day", "day_past"),  # days from today
    ({"day": 200}, "day", "day_too_far")])
def test_a_convocation_the_registration_does_not_allow_names_the_field(http, school, registered, change, field, code):
    number, _ = registered
    if "day" in change:
        change = {"day": (today() + timedelta(days=change["day"])).isoformat()}
    refused = convene(http, school, number, {**convocation(), **change})
    assert refused.status_code == 422, refused.body
    assert [(d["field"], d["code"]) for d in body(refused)["details"]] == [(field, code)]


@pytest.mark.parametrize("payload", [{**convocation(), "time": "8h30"}, {**convocation(), "test": "creneau"},
                                     {**convocation(), "centre": "X"}, {"test": "pratique"},
                                     {**convocation(), "salle": "2"}])
def test_a_malformed_convocation_is_refused_in_french(http, school, registered, payload):
    number, _ = registered
    refused = convene(http, school, number, payload)
    assert refused.status_code == 422 and body(refused)["message"], refused.body


def test_only_a_validated_registration_of_the_school_is_convened_and_only_by_its_school(
        http, school, registered, pump, agents, accounts, examiner):
    number, _ = registered
    waiting = queued(http, school, pump, ephoto="ZZ12CD34EF56GH78IJ90KL")  # submitted, not validated: no NEPH
    refused = convene(http, school, waiting, convocation())
    assert refused.status_code == 409 and body(refused)["code"] == "not_convocable"
    other = active_school(http, accounts, "E0000000002", "autre@example.fr")
    for method, path in (("POST", f"/requests/{number}/convocations"), ("GET", f"/requests/{number}/convocations")):
        answer = call(http, method, path, other, convocation() if method == "POST" else None)
        assert answer.status_code == 404, answer.body
    for token in (agents["ddt92"], agents["admin92"], examiner):
        assert convene(http, token, number, convocation()).status_code == 403
    assert call(http, "GET", f"/requests/{number}/convocations", examiner).status_code == 403
