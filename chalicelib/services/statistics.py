"""Use cases of the statistics: apply one committed event to the counters (the worker), record the
registry's size at a load (the administrators' batch), answer the prefecture's question (the route)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import TYPE_CHECKING, Any, Callable, Iterable

from chalicelib.domain import statistics
from chalicelib.domain.dates import paris_day
from chalicelib.domain.events import OutboxEvent

if TYPE_CHECKING:
    from chalicelib.adapters.statistics_repository import DynamoStatisticsRepository
    from chalicelib.domain.accounts import Agrement

MAX_ATTEMPTS = 8  # a school's count changed by a concurrent event: read again and retry


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


class _NotTogether(Exception):
    """The events cannot share one transaction: they are applied one by one."""


class ConcurrentChanges(Exception):
    """Retried MAX_ATTEMPTS times without success: SQS delivers the message again later."""


@dataclass
class Statistics:
    repo: "DynamoStatisticsRepository"
    clock: Callable[[], datetime] = field(default=lambda: utc_now())

    def apply(self, event: OutboxEvent) -> bool:
        """Counts the event once; False when it counts nothing or was counted already."""
        from chalicelib.adapters.statistics_repository import (AlreadyCounted, FilingAlreadyCounted,
                                                               SchoolCountChanged)

        change = statistics.change_for(event.type, event.payload, event.occurred_at)
        if change is None:
            return False
        first_filing = change.filing is not None
        for _ in range(MAX_ATTEMPTS):
            school_id = change.filing.school_id if first_filing and change.filing else None
            school = self.repo.school_count(school_id) if school_id else None
            bands = ((school.departement or change.departement, statistics.band_moves(school.requests))
                     if school is not None else None)
            per_item = statistics.counter_items(change, change.per_scope(first_filing, bands),
                                                statistics.national_shard(event.id))
            if not per_item:
                return False
            try:
                self.repo.apply(event.id, self.clock(), per_item,
                                filed_request=change.filing.request_id if first_filing and change.filing else None,
                                school_id=school_id, school=school, school_departement=change.departement)
                return True
            except AlreadyCounted:
                return False
            except FilingAlreadyCounted:
                first_filing = False  # submitted again after a take-back: one filing per request
            except SchoolCountChanged:
                continue
        raise ConcurrentChanges(event.id)

    def apply_all(self, events: Iterable[OutboxEvent]) -> None:
        """Events applied together when they can be (a queue's batch: one transaction, the counters
        of a day written once), else one by one: a replayed event, a request submitted again or a
        school's count changed meanwhile refuses the batch's transaction, and nothing of it is kept."""
        from chalicelib.adapters.dynamo import TransactionRefused

        events = list({event.id: event for event in events}.values())
        try:
            self._apply_together(events)
        except (TransactionRefused, _NotTogether):
            for event in events:
                self.apply(event)

    def _apply_together(self, events: list[OutboxEvent]) -> None:
        changes = [(event, change) for event in events
                   if (change := statistics.change_for(event.type, event.payload, event.occurred_at)) is not None]
        if not changes:
            return
        filed = [change.filing for _, change in changes if change.filing]
        if len({filing.request_id for filing in filed}) != len(filed):
            raise _NotTogether()  # the same request submitted twice: only one is its first filing
        running = {school_id: (self.repo.school_count(school_id), 0, None)
                   for school_id in sorted({f.school_id for f in filed if f.school_id})}
        per_item: dict[statistics.ItemKey, statistics.Deltas] = {}
        shard = statistics.national_shard(changes[0][0].id)  # the batch's national share: one item, not four
        for _, change in changes:
            bands = None
            school_id = change.filing.school_id if change.filing else None
            if school_id:
                read, added, departement = running[school_id]
                departement = read.departement or departement or change.departement
                bands = (departement, statistics.band_moves(read.requests + added))
                running[school_id] = (read, added + 1, departement)
            per_scope = change.per_scope(change.filing is not None, bands)
            for key, deltas in statistics.counter_items(change, per_scope, shard).items():
                per_item.setdefault(key, statistics.Deltas()).merge(deltas)
        if len(changes) + len(filed) + len(running) + len(per_item) > 100:  # DynamoDB's limit
            raise _NotTogether()
        self.repo.apply_many([event.id for event, _ in changes], self.clock(), per_item,
                             [f.request_id for f in filed], running)

    def registry_loaded(self, agrements: list["Agrement"], day: date | None = None) -> dict[str, int]:
        """A load is the registry's export for the départements it holds: their sizes from now on."""
        sizes: dict[str, int] = {}
        for agrement in agrements:
            sizes[agrement.departement] = sizes.get(agrement.departement, 0) + 1
        self.record_registry(day or paris_day(self.clock()), sizes)
        return sizes

    def record_registry(self, day: date, sizes: dict[str, int]) -> None:
        self.repo.set_registry_sizes(day, sizes)

    def today(self) -> date:
        return paris_day(self.clock())

    def decisions(self, authority: str, first_day: date, last_day: date
                  ) -> tuple[list[tuple[date, int]], float | None]:
        """An authority's decisions per day (counted from their events) and the median delay from
        submission to a final decision over those days, in seconds (queue health)."""
        items = self.repo.decision_days(authority, first_day, last_day)
        days = [(date.fromisoformat(item["sk"][4:14]), int(item.get("decisions", 0))) for item in items]
        buckets = statistics.histogram(statistics.summed(items), "delays")
        hours = statistics.histogram_quantile(buckets, 0.5)
        return days, hours * 3600 if hours is not None else None

    def answer(self, params: dict[str, str]) -> dict[str, Any]:
        q = statistics.question(params, self.today())
        own = self.repo.scope_items(q.scope, q)
        national = (self.repo.scope_items(statistics.NATIONAL, q, with_period=False) if q.departement
                    else own)
        return statistics.answer(q, own, national, self.repo.registry_items(q))
