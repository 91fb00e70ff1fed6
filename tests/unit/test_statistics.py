"""The statistics' pure rules (chalicelib/domain/statistics.py): which counters an event moves, the
schools' bands, the median and 90th percentile from the delays' histogram, the national shards, the
bounded items and the period one answer can read, the checked question."""
from __future__ import annotations

from datetime import date, datetime, timezone

import random
from datetime import timedelta

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


def test_a_decision_leaves_instruction_counts_as_processed_and_counts_its_delay_in_its_hours_bucket():
    scopes = status("en-instruction", "validee").per_scope(False)
    assert scopes["DEP#69"].counters == {"waiting_en_instruction": -1, "processed": 1, "decisions_inscription": 1,
                                         "delays_inscription_h24": 1}  # 24 hours: the bucket [24, 30)
    assert scopes["DEP#69"].monthly().counters == {"waiting_en_instruction": -1, "processed": 1,
                                                   "decisions_inscription": 1}  # months carry no delays


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


def _width(hours: float) -> float:
    """The width of the histogram bucket holding `hours` (the open last one: 0, its edge is given)."""
    edges = statistics.DELAY_EDGES
    index = max(i for i, edge in enumerate(edges) if hours >= edge)
    return edges[index + 1] - edges[index] if index + 1 < len(edges) else 0.0


def _histogram(values):
    counters = {}
    for value in values:
        name = statistics.delay_counter("delays_inscription", value)
        counters[name] = counters.get(name, 0) + 1
    return statistics.histogram(counters, "delays_inscription")


@pytest.mark.parametrize("seed", range(20))
def test_median_and_90th_percentile_from_the_histogram_are_within_a_bucket_of_the_exact_ones(seed):
    rng = random.Random(seed)
    shape = rng.choice([lambda: rng.expovariate(1 / 30), lambda: rng.uniform(0, 400),
                        lambda: rng.lognormvariate(3.5, 1.2), lambda: rng.choice([2.0, 26.5, 700.0])])
    values = [shape() for _ in range(rng.choice([1, 2, 7, 100, 5000]))]
    buckets = _histogram(values)
    for fraction in (0.5, 0.9):
        exact = statistics.quantile(values, fraction)
        estimate = statistics.histogram_quantile(buckets, fraction)
        assert abs(estimate - exact) <= _width(exact), (fraction, exact, estimate)
        assert statistics.delay_bucket(estimate) == statistics.delay_bucket(exact)  # the same bucket


def test_the_histogram_keeps_what_people_read_and_has_nothing_to_say_without_decisions():
    assert statistics.histogram_quantile({}, 0.5) is None and statistics.quantile([], 0.9) is None
    assert statistics.histogram_quantile(_histogram([30.5] * 9 + [80.0]), 0.5) == pytest.approx(33.0)
    assert 72 <= statistics.histogram_quantile(_histogram([30.5] * 8 + [80.0] * 2), 0.9) < 84
    assert statistics.histogram_quantile(_histogram([9000.0, 20000.0]), 0.5) == 8760.0  # "more than a year"
    assert statistics.quantile([float(n) for n in range(1, 11)], 0.9) == 9.0


def _dynamodb_size(item: dict) -> int:
    """An item's size by DynamoDB's rules: each name's UTF-8 bytes plus its value's (a string's
    bytes, a number's 1 byte per 2 significant digits plus 1)."""
    size = 0
    for name, value in item.items():
        size += len(name.encode())
        size += len(value.encode()) if isinstance(value, str) else (len(str(abs(int(value)))) + 1) // 2 + 1
    return size


def test_the_largest_day_item_of_a_scope_stays_under_its_bound_whatever_the_volume():
    """Every counter, every delay bucket of every procedure, counts of a billion: the 2017 list of
    delays grew with each decision (400 KB at 80,000 a day); the histogram does not."""
    from chalicelib.domain.procedures import Procedure

    names = {"submitted", "processed", "accounts_opened", "support_opened", "support_answered",
             "support_answered_within_promise", "support_breaches",
             *(statistics.counter("waiting", s.value) for s in statistics.WAITING_STATUSES),
             *(statistics.counter("decisions", p.value) for p in Procedure),
             *(statistics.counter("band", band) for band, _, _ in statistics.BANDS),
             *(statistics.delay_counter(statistics.counter("delays", p.value), edge)
               for p in Procedure for edge in statistics.DELAY_EDGES)}
    item = {"pk": "STATS#NATIONAL", "sk": "DAY#2027-09-15#3", "day": "2027-09-15", "entity": "stats_day",
            **{name: -(10 ** 9) for name in names}}
    assert _dynamodb_size(item) <= statistics.DAY_ITEM_MAX_BYTES < 400 * 1024 // 10
    # What a national period reads (every shard's day items) fits what one answer may read.
    assert statistics.MAX_PERIOD_DAYS * statistics.NATIONAL_SHARDS * statistics.DAY_ITEM_MAX_BYTES \
        <= statistics.READ_BUDGET_BYTES
    assert statistics.MAX_PERIOD_DAYS >= statistics.DEFAULT_PERIOD_DAYS


def test_the_national_figures_are_spread_over_shards_and_a_replay_lands_on_the_same_one():
    change = status("en-instruction", "validee")
    items = statistics.counter_items(change, change.per_scope(False), statistics.national_shard("event-1"))
    shard = statistics.national_shard("event-1")
    assert set(items) == {("STATS#DEP#69", "DAY#2017-10-11"), ("STATS#DEP#69", "MONTH#2017-10"),
                          ("STATS#NATIONAL", f"DAY#2017-10-11#{shard}"), ("STATS#NATIONAL", f"MONTH#2017-10#{shard}")}
    assert statistics.national_shard("event-1") == shard
    spread = [statistics.national_shard(f"event-{n}") for n in range(4000)]
    shares = [spread.count(k) for k in range(statistics.NATIONAL_SHARDS)]
    assert all(abs(share - 1000) < 150 for share in shares), shares  # no shard takes the country's writes
    # Read back, the shards of a day are one day again.
    assert statistics.merged_by([{"day": "2017-10-11", "processed": 2, "entity": "stats_day"},
                                 {"day": "2017-10-11", "processed": 3}, {"day": "2017-10-10", "processed": 1}],
                                "day") == [{"day": "2017-10-10", "processed": 1}, {"day": "2017-10-11", "processed": 5}]


def test_an_agents_decision_counts_on_its_authoritys_utc_day_with_the_delay_of_a_final_one():
    submitted = AT - timedelta(hours=50)
    approved = statistics.change_for(request_events.APPROVED, {
        "request_id": "R1", "authority": "DDT-92", "submitted_at": submitted.isoformat()}, AT)
    assert statistics.counter_items(approved, approved.per_scope(False), 0) == {
        ("STATS#INSTRUCTION#DDT-92", "DAY#2017-10-10"): statistics.Deltas({"decisions": 1, "valider": 1,
                                                                            "delays_h48": 1})}
    complement = statistics.change_for(request_events.COMPLEMENT_REQUESTED, {
        "request_id": "R1", "authority": "CERT", "submitted_at": submitted.isoformat()}, AT)
    assert statistics.counter_items(complement, complement.per_scope(False), 0) == {
        ("STATS#INSTRUCTION#CERT", "DAY#2017-10-10"): statistics.Deltas({"decisions": 1, "complement": 1})}


def test_the_question_defaults_to_today_and_the_last_90_days_and_refuses_what_it_cannot_answer():
    today = date(2017, 10, 11)
    q = statistics.question({}, today)
    assert (q.departement, q.date, q.start) == (None, today, date(2017, 7, 14))
    assert statistics.question({"departement": "2a"}, today).departement == "2A"
    assert statistics.question({"departement": "national"}, today).departement is None
    for params, code in (({"date": "2017-10-12"}, "date_in_future"), ({"date": "11/10/2017"}, "date_invalid"),
                         ({"departement": "100"}, "departement_unknown"),
                         ({"du": "2017-10-12", "date": "2017-10-11"}, "period_invalid"),
                         ({"du": "2017-07-03"}, "period_too_long")):
        with pytest.raises(InvalidInput) as refused:
            statistics.question(params, today)
        assert refused.value.code == code
    assert statistics.question({"du": "2017-07-04"}, today).start == date(2017, 7, 4)  # 100 days: allowed


def test_a_period_longer_than_one_answer_can_read_is_refused_with_the_longest_allowed():
    with pytest.raises(InvalidInput) as refused:
        statistics.question({"date": "2017-10-11", "du": "2016-10-11"}, date(2017, 10, 11))
    assert refused.value.code == "period_too_long"
    assert "100 jours" in refused.value.message and "99 jours avant la date" in refused.value.message


@pytest.mark.parametrize("part, whole, shown", [
    (259, 365, 70.9),   # the seed's Rhône: 70.958… written 70,9 %, not 71,0 %
    (366, 500, 73.2), (1, 3, 33.3), (2, 3, 66.6), (1, 1, 100.0), (0, 7, 0.0), (5, 0, None),
    (999_999, 1_000_000, 99.9),  # never rounded up to 100 % while one is missing
])
def test_a_rate_is_a_percentage_to_the_tenth_rounded_down_for_the_page_and_the_export(part, whole, shown):
    assert statistics.percent(part, whole) == shown
