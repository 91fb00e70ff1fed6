"""The statistics' pure rules (chalicelib/domain/statistics.py): which counters an event moves, the
schools' bands, the exact median and 90th percentile, the checked question."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from chalicelib.domain import account_events, request_events, statistics, support_events
from chalicelib.domain.errors import InvalidInput

AT = datetime(2017, 10, 10, 22, 30, tzinfo=timezone.utc)  # already the 11th in Paris


def status(before, after, **payload):
    return statistics.change_for(request_events.STATUS_CHANGED, {
        "request_id": "R1", "procedure": "inscription", "departement": "69", "school_id": "S1", "from": before,
        "to": after, "at": AT.isoformat(), "submitted_at": datetime(2017, 10, 9, 22, 30, tzinfo=timezone.utc
                                                                    ).isoformat(), **payload}, AT)


def test_a_submission_counts_once_its_filing_and_enters_a_waiting_status_on_the_paris_day():
    change = status("brouillon", "verification-images")
    assert change.day == date(2017, 10, 11) and change.filing == statistics.Filing("R1", "S1")
    scopes = change.per_scope(True, ("69", statistics.band_moves(0)))
    assert scopes["DEP#69"].counters == {"waiting_verification_images": 1, "submitted": 1, "band_1_4": 1}
    assert scopes["NATIONAL"].counters == scopes["DEP#69"].counters
    # Submitted again after a take-back: no new filing, no band move.
    assert change.per_scope(False)["DEP#69"].counters == {"waiting_verification_images": 1}


def test_a_decision_leaves_instruction_counts_as_processed_and_keeps_its_delay_in_hours():
    scopes = status("en-instruction", "validee").per_scope(False)
    assert scopes["DEP#69"].counters == {"waiting_en_instruction": -1, "processed": 1, "decisions_inscription": 1}
    assert scopes["DEP#69"].delays == {"delays_inscription": [24.0]}


def test_a_request_without_departement_counts_nationally_and_a_move_that_counts_nothing_is_none():
    assert set(status("en-instruction", "rejetee", departement=None).per_scope(False)) == {"NATIONAL"}
    assert status("titre-expedie", "titre-remis") is None


@pytest.mark.parametrize("event_type, payload, counters", [
    (account_events.SCHOOL_ACCOUNT_OPENED, {"departement": "69"}, {"accounts_opened": 1}),
    (support_events.TICKET_OPENED, {"departement": "69", "opened_at": AT.isoformat()}, {"support_opened": 1}),
    (support_events.TICKET_ANSWERED, {"departement": "69", "answered_at": AT.isoformat(), "within_promise": True},
     {"support_answered": 1, "support_answered_within_promise": 1}),
    (support_events.TICKET_ANSWERED, {"departement": "69", "answered_at": AT.isoformat(), "within_promise": False},
     {"support_answered": 1}),
    (support_events.PROMISE_BREACHED, {"departement": "69"}, {"support_breaches": 1}),
])
def test_accounts_and_support_tickets_move_their_counters(event_type, payload, counters):
    assert statistics.change_for(event_type, payload, AT).per_scope(False)["DEP#69"].counters == counters


@pytest.mark.parametrize("before, moves", [(0, {"band_1_4": 1}), (3, {}), (4, {"band_1_4": -1, "band_5_10": 1}),
                                           (9, {}), (10, {"band_5_10": -1, "band_11": 1}), (30, {})])
def test_a_school_changes_band_when_its_count_reaches_1_5_and_11(before, moves):
    assert statistics.band_moves(before).counters == moves


def test_median_and_90th_percentile_are_exact_values_and_none_without_decisions():
    assert statistics.median([]) is None and statistics.quantile([], 0.9) is None
    assert statistics.median([5.0, 1.0, 3.0]) == 3.0 and statistics.median([1.0, 2.0, 3.0, 10.0]) == 2.5
    assert statistics.quantile([float(n) for n in range(1, 11)], 0.9) == 9.0
    assert statistics.quantile([7.0], 0.9) == 7.0


def test_the_question_defaults_to_today_and_the_last_90_days_and_refuses_what_it_cannot_answer():
    today = date(2017, 10, 11)
    q = statistics.question({}, today)
    assert (q.departement, q.date, q.start) == (None, today, date(2017, 7, 14))
    assert statistics.question({"departement": "2a"}, today).departement == "2A"
    assert statistics.question({"departement": "national"}, today).departement is None
    for params, code in (({"date": "2017-10-12"}, "date_in_future"), ({"date": "11/10/2017"}, "date_invalid"),
                         ({"departement": "100"}, "departement_unknown"),
                         ({"du": "2017-10-12", "date": "2017-10-11"}, "period_invalid"),
                         ({"du": "2015-10-10"}, "period_too_long")):
        with pytest.raises(InvalidInput) as refused:
            statistics.question(params, today)
        assert refused.value.code == code
    assert statistics.question({"du": "2015-10-11"}, today).start == date(2015, 10, 11)  # 731 days: allowed


@pytest.mark.parametrize("part, whole, shown", [
    (259, 365, 70.9),   # the seed's Rhône: 70.958… written 70,9 %, not 71,0 %
    (366, 500, 73.2), (1, 3, 33.3), (2, 3, 66.6), (1, 1, 100.0), (0, 7, 0.0), (5, 0, None),
    (999_999, 1_000_000, 99.9),  # never rounded up to 100 % while one is missing
])
def test_a_rate_is_a_percentage_to_the_tenth_rounded_down_for_the_page_and_the_export(part, whole, shown):
    assert statistics.percent(part, whole) == shown
