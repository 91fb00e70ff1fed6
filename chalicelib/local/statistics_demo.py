"""A simulated history with the seed's proportions (Rhône, 11 October 2017): 365 agréments and 259
school accounts opened (70.9 %; 73.2 % nationally), 94 schools that filed requests (63 filed 1 to 4,
27 filed 5 to 10, 4 more than 10), 632 requests processed. Made of the same events the product
commits (request status changes, school accounts opened, support tickets), so the statistics
worker counts it as it counts real life: the seed test (tests/integration/test_statistics.py) and
the demo (`make run`, dated over the months before today) feed it through the worker's queue."""
from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone

from chalicelib.domain import account_events, request_events, support_events
from chalicelib.domain.events import OutboxEvent
from chalicelib.domain.procedures import Procedure, RequestStatus

S = RequestStatus
SEED_DATE = date(2017, 10, 11)
HOME = "69"
# Agréments and accounts opened per département at the end; the others make the national 73.2 %:
# (259 + 107) / (365 + 135) = 366 / 500.
REGISTRY = {"69": 365, "13": 70, "33": 65}
ACCOUNTS = {"69": 259, "13": 55, "33": 52}
# Requests each filing school of the Rhône filed: 63 with 1 to 4, 27 with 5 to 10, 4 with more than 10.
SCHOOL_FILINGS = [1 + n % 4 for n in range(63)] + [5 + n % 6 for n in range(27)] + [11, 12, 14, 17]
SUBMITTED = {"69": 700, "13": 30}
PROCESSED = {"69": 632, "13": 25}
# What the Rhône's requests not processed wait for at the end (68 = 700 - 632).
WAITING = {S.AWAITING_CANDIDATE_VALIDATION: 12, S.IMAGE_CHECK: 9, S.UNDER_REVIEW: 40,
           S.MORE_INFORMATION_REQUESTED: 7}
REJECTED_SHARE = 0.05
SUPPORT = {"opened": 40, "answered": 35, "within_promise": 33, "breaches": 3}


@dataclass
class Dataset:
    registry_day: date
    registry: dict[str, int]
    events: list[OutboxEvent] = field(default_factory=list)


def _moment(day: date, rng: random.Random) -> datetime:
    """A moment of office hours in France (08:00 to 16:00 UTC: the same day in Paris)."""
    return datetime.combine(day, time(8), timezone.utc) + timedelta(minutes=rng.randrange(8 * 60))


def _event(kind: str, aggregate: str, occurred: datetime, **payload) -> OutboxEvent:
    return OutboxEvent(id=uuid.uuid4().hex, type=kind, aggregate_id=aggregate, occurred_at=occurred, payload=payload)


def generate(end: date = SEED_DATE, days: int = 120, seed: int = 2017, requests_share: float = 1.0) -> Dataset:
    """The history of the `days` days up to `end` (included), the registry loaded the day before.
    `requests_share` below 1 keeps that share of the requests, schools and tickets (the accounts
    and the registry stay whole): a lighter history for the demo."""
    rng = random.Random(seed)

    def share(count: int) -> int:
        return round(count * requests_share)

    filings = SCHOOL_FILINGS[::max(1, round(1 / requests_share))]
    start = end - timedelta(days=days - 1)
    data = Dataset(registry_day=start - timedelta(days=1), registry=dict(REGISTRY))

    def day_between(first: date, last: date) -> date:
        return first + timedelta(days=rng.randrange((last - first).days + 1))

    for departement, count in ACCOUNTS.items():
        for n in range(count):
            at = _moment(day_between(start, end), rng)
            school = f"demo-{departement}-{n:04d}"
            data.events.append(_event(account_events.SCHOOL_ACCOUNT_OPENED, school, at, school_id=school,
                                      departement=departement, at=at.isoformat()))

    for departement, submitted in SUBMITTED.items():
        submitted = share(submitted)
        filers: list[str | None] = []
        if departement == HOME:
            for n, filed in enumerate(filings):
                filers += [f"demo-{departement}-{n:04d}"] * filed
        filers = filers[:submitted] + [None] * (submitted - len(filers))  # the others: candidates alone
        rng.shuffle(filers)
        waiting = [s for s, n in WAITING.items() for _ in range(share(n))] if departement == HOME else \
            [S.UNDER_REVIEW] * (submitted - share(PROCESSED[departement]))
        finals = waiting + [S.REJECTED if rng.random() < REJECTED_SHARE else S.APPROVED
                            for _ in range(submitted - len(waiting))]
        rng.shuffle(finals)
        for n, (school, final) in enumerate(zip(filers, finals)):
            data.events += _request_history(f"D{departement}{n:05d}", departement, school, final, start, end, rng)

    tickets = {name: share(count) for name, count in SUPPORT.items()}
    for n in range(tickets["opened"]):
        opened = _moment(day_between(start, end - timedelta(days=8)), rng)
        ticket = f"T{n:04d}"
        data.events.append(_event(support_events.TICKET_OPENED, ticket, opened, ticket_id=ticket, departement=HOME,
                                  profile="auto-ecole", topic="demande", opened_at=opened.isoformat()))
        if n < tickets["answered"]:
            within = n < tickets["within_promise"]
            answered = opened + timedelta(days=rng.randrange(1, 6) if within else 8)
            data.events.append(_event(support_events.TICKET_ANSWERED, ticket, answered, ticket_id=ticket,
                                      departement=HOME, opened_at=opened.isoformat(),
                                      answered_at=answered.isoformat(), within_promise=within))
        if tickets["within_promise"] <= n < tickets["within_promise"] + tickets["breaches"]:
            data.events.append(_event(support_events.PROMISE_BREACHED, ticket, opened + timedelta(days=7),
                                      ticket_id=ticket, departement=HOME, opened_at=opened.isoformat()))
    return data


def _request_history(request_id: str, departement: str, school: str | None, final: RequestStatus, start: date,
                     end: date, rng: random.Random) -> list[OutboxEvent]:
    """The status changes of one request, from its submission to `final`, all before the end."""
    procedure = rng.choices(list(Procedure)[:4], weights=(70, 5, 20, 5))[0]
    decided = final in (S.APPROVED, S.REJECTED)
    delay = timedelta(hours=rng.choice((4, 8, 20, 26, 30, 36, 50, 72, 96, 160)) + rng.random())
    last = datetime.combine(end, time(16), timezone.utc) - (delay if decided else timedelta(hours=2))
    first = datetime.combine(start, time(8), timezone.utc)
    submitted = first + timedelta(seconds=rng.randrange(int((last - first).total_seconds())))
    path = [S.DRAFT]
    if final is S.AWAITING_CANDIDATE_VALIDATION or (school and rng.random() < 0.3):
        path.append(S.AWAITING_CANDIDATE_VALIDATION)  # filed without a mandate: the candidate validates
    if final is not S.AWAITING_CANDIDATE_VALIDATION:
        path.append(S.IMAGE_CHECK)
    if final not in (S.AWAITING_CANDIDATE_VALIDATION, S.IMAGE_CHECK):
        path.append(S.UNDER_REVIEW)
    if final in (S.MORE_INFORMATION_REQUESTED, S.APPROVED, S.REJECTED):
        path.append(final)
    steps = len(path) - 1
    events = []
    for number, (before, after) in enumerate(zip(path, path[1:])):
        # The decision `delay` after the submission; the steps before it spread in between.
        at = submitted + (delay if after in (S.APPROVED, S.REJECTED) else
                          min(delay, timedelta(hours=2)) * number / max(steps, 1))
        events.append(_event(request_events.STATUS_CHANGED, request_id, at, request_id=request_id,
                             procedure=procedure.value, departement=departement, school_id=school,
                             **{"from": before.value, "to": after.value}, at=at.isoformat(),
                             submitted_at=submitted.isoformat()))
    return events


DEMO_DAYS = 120
DEMO_REQUESTS_SHARE = 0.2  # the accounts and the registry whole; a fifth of the requests: counted in seconds


def load_demo_history(today: date) -> int:
    """`make run`: a simulated history of the last months, sent to the statistics queue (the events
    in the order they happened, ten per message batch); the pump's worker counts them as the stack
    starts. The registry's sizes are dated the day before the history begins. Returns the events sent."""
    from chalicelib import settings
    from chalicelib.adapters import wiring
    from chalicelib.adapters.queues import publish_events

    data = generate(end=today, days=DEMO_DAYS, seed=2026, requests_share=DEMO_REQUESTS_SHARE)
    wiring.statistics().record_registry(data.registry_day, data.registry)
    events = sorted(data.events, key=lambda event: event.occurred_at)
    publish_events(wiring.client("sqs"), settings.queue_url("statistics"), events)
    return len(events)
