"""The appointments' pure rules (issue 9): Paris time in summer and winter, the cancellation
deadline, the reminder's moment, booking names, the slot form's refusals."""
from datetime import date, datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from chalicelib.domain import appointments as rules


def test_a_slot_starts_at_paris_time_summer_and_winter():
    assert rules.starts_at(date(2026, 7, 1), "09:30") == datetime(2026, 7, 1, 7, 30, tzinfo=timezone.utc)
    assert rules.starts_at(date(2026, 12, 1), "09:30") == datetime(2026, 12, 1, 8, 30, tzinfo=timezone.utc)


def test_cancellation_ends_24_hours_before_and_the_reminder_leaves_at_9_the_day_before():
    start = rules.starts_at(date(2026, 12, 10), "14:00")
    assert rules.cancel_deadline(start) == start - timedelta(hours=24)
    early = datetime(2026, 12, 1, tzinfo=timezone.utc)
    assert rules.remind_at(start, early) == datetime(2026, 12, 9, 8, 0, tzinfo=timezone.utc)  # 9:00 in Paris
    assert rules.remind_at(start, datetime(2026, 12, 9, 8, 30, tzinfo=timezone.utc)) is None


def test_a_booking_is_named_by_its_slot_and_request():
    assert rules.split_booking_id(rules.booking_id("abc", "261200000001")) == ("abc", "261200000001")
    for malformed in ("abc", "~261200000001", "abc~", ""):
        assert rules.split_booking_id(malformed) is None


@pytest.mark.parametrize("changes", [{"start_time": "24:00"}, {"start_time": "9:30"}, {"capacity": 0},
                                     {"capacity": 21}, {"duration_minutes": 5}, {"place": "ici"}, {"extra": 1}])
def test_the_slot_form_refuses_what_is_out_of_range(changes):
    form = {"date": "2026-12-10", "start_time": "09:30", "duration_minutes": 30, "place": "Préfecture, salle 2",
            "capacity": 2, **changes}
    with pytest.raises(ValidationError):
        rules.SlotInput.model_validate(form)


def test_days_and_moments_are_written_in_french():
    assert rules.french_day(date(2026, 12, 10)) == "jeudi 10 décembre 2026"
    assert rules.french_moment(rules.starts_at(date(2026, 8, 3), "09:05")) == "lundi 3 août 2026 à 09h05"
