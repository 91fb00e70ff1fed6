"""The exam rules (pure): the CEPC's 4 months, which registration a result belongs to, what a
result may not be, and the production request a CEPC opens; the CEPC as printed."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from chalicelib.documents.attestation import (
    attestation_data,
    cepc_data,
    exam_result_slot,
    payload_for,
    render_cepc,
    with_exam_results,
)
from chalicelib.domain.errors import Conflict, InvalidInput
from chalicelib.domain.exams import (
    ExamRecord,
    ExamResultInput,
    Registration,
    add_months,
    cepc_valid_until,
    check_result,
    production_steps,
    registration_for,
)
from chalicelib.domain.procedures import Category, TrainingPath
from chalicelib.domain.verification import verify_payload
from tests.unit.test_attestation import _request, _scan, _text, key  # noqa: F401 (fixture)

DAY = date(2026, 11, 20)
TRADITIONAL = Registration(request_id="261100000001", categories=(Category.B,),
                           training_path=TrainingPath.TRADITIONAL, has_licence=False)


def result(test="theorie", outcome="favorable", day=DAY, **extra) -> ExamResultInput:
    return ExamResultInput(neph="170392100012", day=day, centre="Antony", examiner="M. Garnier", test=test,
                           category="B", outcome=outcome, **extra)


def recorded(test="theorie", outcome="favorable", day=DAY, category="B") -> ExamRecord:
    return ExamRecord(request_id="261100000001", neph="170392100012", day=day, centre="Antony", examiner="M. Garnier",
                      test=test, category=category, outcome=outcome, recorded_at=datetime(2026, 11, 20, tzinfo=timezone.utc),
                      recorded_by="inspecteur")


@pytest.mark.parametrize("day, months, expected", [
    (date(2026, 11, 20), 4, date(2027, 3, 20)), (date(2026, 10, 31), 4, date(2027, 2, 28)),
    (date(2027, 10, 31), 4, date(2028, 2, 29)), (date(2026, 1, 15), 60, date(2031, 1, 15))])
def test_months_are_added_on_the_calendar(day, months, expected):
    assert add_months(day, months) == expected


def test_the_cepc_is_valid_four_months_from_the_exam():
    assert cepc_valid_until(date(2026, 12, 1)) == date(2027, 4, 1)


def test_a_result_belongs_to_the_latest_registration_asking_for_the_category():
    first = TRADITIONAL
    later = Registration(request_id="261200000002", categories=(Category.A2, Category.B),
                         training_path=TrainingPath.TRADITIONAL, has_licence=True)
    assert registration_for([first, later], Category.B) is later
    assert registration_for([first, later], Category.A2) is later
    assert registration_for([first], Category.C) is None


def test_the_neph_may_be_typed_with_spaces_as_printed():
    assert result().neph == ExamResultInput.model_validate({**result().model_dump(mode="json"),
                                                            "neph": "17 03 92 10 0012"}).neph


def test_a_practical_needs_a_theory_success_of_less_than_five_years():
    with pytest.raises(Conflict) as refused:
        check_result(result("pratique"), TRADITIONAL, [], DAY)
    assert refused.value.code == "theory_not_passed"
    with pytest.raises(Conflict):
        check_result(result("pratique"), TRADITIONAL, [recorded(day=date(2021, 11, 19))], DAY)
    check_result(result("pratique"), TRADITIONAL, [recorded(day=date(2021, 11, 21))], DAY)
    holder = TRADITIONAL.model_copy(update={"has_licence": True})
    check_result(result("pratique"), holder, [], DAY)  # holds another category: no theory again


def test_an_unfavourable_or_absent_theory_does_not_open_the_practical():
    for outcome in ("defavorable", "absent-excuse", "absent-non-excuse"):
        with pytest.raises(Conflict):
            check_result(result("pratique"), TRADITIONAL, [recorded(outcome=outcome)], DAY)


def test_the_aac_question_is_asked_at_an_aac_candidates_practical_only():
    aac = TRADITIONAL.model_copy(update={"training_path": TrainingPath.AAC})
    passed = [recorded()]
    with pytest.raises(InvalidInput) as missing:
        check_result(result("pratique"), aac, passed, DAY)
    assert missing.value.details[0].code == "aac_answer_required"
    check_result(result("pratique", still_follows_aac=False), aac, passed, DAY)
    with pytest.raises(InvalidInput) as needless:
        check_result(result("pratique", still_follows_aac=True), TRADITIONAL, passed, DAY)
    assert needless.value.details[0].code == "aac_not_applicable"


def test_nothing_more_is_recorded_for_a_category_passed():
    with pytest.raises(Conflict) as refused:
        check_result(result("theorie"), TRADITIONAL, [recorded(), recorded("pratique")], DAY)
    assert refused.value.code == "exam_already_passed"


def test_a_result_cannot_be_dated_after_today():
    with pytest.raises(InvalidInput) as refused:
        check_result(result(day=date(2026, 11, 21)), TRADITIONAL, [], DAY)
    assert refused.value.details[0].field == "day"


def test_the_production_request_copies_the_registration_for_the_category_passed():
    steps = {"procedure": {"procedure": "inscription"}, "civil_status": {"birth_name": "Joun"},
             "contact": {"email": "a@b.fr"}, "declarations": {"reads_french": True},
             "categories": {"categories": ["A2", "B"], "training_path": "aac", "has_licence": False}}
    produced = production_steps(steps, Category.B, still_follows_aac=False)
    assert set(produced) == {"civil_status", "contact", "declarations", "categories"}
    assert produced["categories"] == {"categories": ["B"], "training_path": "traditionnelle", "has_licence": False}
    assert production_steps(steps, Category.B, True)["categories"]["training_path"] == "aac"
    assert steps["categories"]["categories"] == ["A2", "B"]  # the registration's steps are not changed


def test_a_record_becomes_a_slot_of_the_verso_and_the_latest_eight_are_printed():
    slot = exam_result_slot(recorded("pratique", "defavorable"))
    assert (slot.test, slot.outcome, slot.category, slot.examiners) == ("pratique", "defavorable", "B", "M. Garnier")
    data = attestation_data(_request(), DAY)
    many = [recorded(day=date(2026, 1, n)) for n in range(1, 11)]
    assert [s.day.day for s in with_exam_results(data, many).exam_results] == list(range(3, 11))


def test_the_cepc_shows_the_holder_the_exam_and_its_validity_and_verifies(key, tmp_path):  # noqa: F811
    record = recorded("pratique", day=date(2026, 11, 20))
    data = cepc_data(_request(), record, cepc_valid_until(record.day), "261100000099")
    payload = payload_for(data.attestation, key.kid, key.sign, "CEPC")
    pdf = render_cepc(data, payload)
    [page] = _text(pdf)
    assert "CERTIFICAT D'EXAMEN DU PERMIS DE CONDUIRE" in page and "JOUN" in page
    assert "20/03/2027" in page and "261100000099" in page and "Antony" in page
    assert len(pdf) < 60_000
    [scanned] = _scan(pdf, tmp_path)
    checked = verify_payload(scanned, {key.kid: key.der})
    assert checked.authentic and checked.document_type == "CEPC" and checked.valid_until == date(2027, 3, 20)
    assert checked.issued_on == date(2026, 11, 20) and "valable jusqu'au 20/03/2027" in checked.message


def render_sample(path) -> None:
    """`python -c "from tests.unit.test_exams import render_sample; render_sample('cepc.pdf')"`: a CEPC to look at."""
    from tests.unit.test_verification import Key

    signer = Key()
    record = recorded("pratique")
    data = cepc_data(_request(), record, cepc_valid_until(record.day), "261100000099")
    open(path, "wb").write(render_cepc(data, payload_for(data.attestation, signer.kid, signer.sign, "CEPC")))


def test_a_convocation_is_for_a_registered_category_from_today_to_120_days_ahead():
    from datetime import timedelta

    from chalicelib.domain.exams import CONVENE_AHEAD_DAYS, ConvocationInput, convocation_problems

    today = date(2026, 12, 7)

    def problems(**change):
        wanted = ConvocationInput(**{"test": "pratique", "category": "B", "centre": "Lyon Gerland",
                                     "day": today.isoformat(), "time": "08:30", **change})
        return [(p.field, p.code) for p in convocation_problems(wanted, (Category.B,), today)]

    assert problems() == [] and problems(day=(today + timedelta(days=CONVENE_AHEAD_DAYS)).isoformat()) == []
    assert problems(day=(today - timedelta(days=1)).isoformat()) == [("day", "day_past")]
    assert problems(day=(today + timedelta(days=CONVENE_AHEAD_DAYS + 1)).isoformat()) == [("day", "day_too_far")]
    assert problems(category="A") == [("category", "category_not_registered")]


@pytest.mark.parametrize("time", ["8:30", "24:00", "08h30", "08:60", ""])
def test_a_convocations_time_is_written_hh_mm(time):
    from pydantic import ValidationError

    from chalicelib.domain.exams import ConvocationInput

    with pytest.raises(ValidationError, match="HH:MM"):
        ConvocationInput(test="pratique", category="B", centre="Lyon", day="2026-12-08", time=time)


def test_a_convocation_is_named_by_its_day_test_and_category_and_read_back():
    from datetime import datetime, timezone

    from chalicelib.domain.exams import Convocation, ExamTest, split_convocation_id

    convocation = Convocation(request_id="1", neph="1" * 12, candidate_name="Léa Martin", school_name="ECF",
                              test="theorie", category="B", centre="Lyon", day="2026-12-08", time="08:30",
                              convened_by="a", convened_at=datetime(2026, 12, 1, tzinfo=timezone.utc))
    assert convocation.convocation_id == "2026-12-08~theorie~B"
    assert split_convocation_id(convocation.convocation_id) == (date(2026, 12, 8), ExamTest.THEORY, Category.B)
    assert split_convocation_id("2026-12-08~pratique") is None and split_convocation_id("x~y~z") is None
