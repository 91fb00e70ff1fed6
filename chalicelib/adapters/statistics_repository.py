"""DynamoDB storage of the statistics' counters (access patterns in chalicelib/resources.py, MAIN_TABLE):
  STATS#DEP#69 / DAY#<YYYY-MM-DD>              a département's day: counters (ADD), delays as histogram
                                               buckets delays_<procedure>_h<edge> (ADD)
  STATS#DEP#69 / MONTH#<YYYY-MM>               the same counters summed per month (no delays): the
                                               cumulative figures read months, not years of days
  STATS#NATIONAL / DAY#<YYYY-MM-DD>#<k>        the country's day, shard k of NATIONAL_SHARDS (an event's
  STATS#NATIONAL / MONTH#<YYYY-MM>#<k>         shard: a hash of its id); one Query reads them all, summed
  STATS#INSTRUCTION#<authority> / DAY#<date>   an authority's decisions of the (UTC) day, per kind, and
                                               their delays' buckets delays_h<edge> (queue health)
  STATS#SCHOOL#<id> / FILED                    a school's count of filed requests (its band)
  STATS#REQUEST#<number> / FILED               the request's first submission was counted
  STATS#EVENT#<event id> / COUNTED             the event was applied (expires after 30 days)
  STATS#REGISTRY / DAY#<YYYY-MM-DD>            the registry's size per département, set at each load
Every counter item is bounded: a fixed set of counters and histogram buckets, at most
DAY_ITEM_MAX_BYTES (10 KB) whatever the volume, never a list that grows with the decisions.
An event is applied in one TransactWriteItems: its marker (on condition it is new), the filing
marker and the school's count (on condition of the count read), and every counter item. Decisions
are counted here, from their committed events, not in the decision's own transaction: two agents
deciding at once never meet on a counter."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any

from chalicelib.adapters.dynamo import TransactionRefused, from_item, to_item, transact
from chalicelib.domain.statistics import Deltas, ItemKey, Question, ScopeItems, merged_by

MARKER_RETENTION = timedelta(days=30)  # longer than a message lives in the queue and its DLQ
INSTRUCTION_RETENTION = timedelta(days=400)  # a year of daily figures, and the same month last year


class AlreadyCounted(Exception):
    """The event's marker exists: a replay or a second delivery, which changes nothing."""


class FilingAlreadyCounted(Exception):
    """The request was submitted before (taken back, then submitted again): not a new filing."""


class SchoolCountChanged(Exception):
    """Another event moved the school's count since it was read: read it again and retry."""


@dataclass(frozen=True)
class SchoolCount:
    requests: int
    departement: str | None
    exists: bool


def _key(pk: str, sk: str) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def _attributes(pk: str, sk: str) -> dict[str, Any]:
    """What a counter item says of itself besides its counters."""
    kind, value = sk.split("#")[:2]
    if pk.startswith("STATS#INSTRUCTION#"):
        expires = datetime.fromisoformat(value) + INSTRUCTION_RETENTION
        return {"entity": "instruction_stats", "expires_at": int(expires.replace(tzinfo=timezone.utc).timestamp())}
    return {kind.lower(): value, "entity": f"stats_{kind.lower()}"}


def _update(table: str, key: ItemKey, deltas: Deltas) -> dict[str, Any]:
    """ADD of every counter (delays are counters too: their buckets), SET of the item's own attributes."""
    names: dict[str, str] = {}
    values: dict[str, Any] = {}
    sets, adds = [], []
    for n, (name, value) in enumerate(sorted(_attributes(*key).items())):
        names[f"#a{n}"], values[f":a{n}"] = name, {"N": str(value)} if isinstance(value, int) else {"S": value}
        sets.append(f"#a{n} = :a{n}")
    for n, (name, value) in enumerate(sorted(deltas.counters.items())):
        names[f"#c{n}"], values[f":c{n}"] = name, {"N": str(value)}
        adds.append(f"#c{n} :c{n}")
    expression = "SET " + ", ".join(sets) + (" ADD " + ", ".join(adds) if adds else "")
    return {"Update": {"TableName": table, "Key": _key(*key), "UpdateExpression": expression,
                       "ExpressionAttributeNames": names, "ExpressionAttributeValues": values}}


def _marker(table: str, event_id: str, expires: int) -> dict[str, Any]:
    return {"Put": {"TableName": table, "ConditionExpression": "attribute_not_exists(pk)",
                    "Item": to_item({"pk": f"STATS#EVENT#{event_id}", "sk": "COUNTED", "entity": "stats_marker",
                                     "expires_at": expires})}}


def _filing(table: str, request_id: str, event_id: str) -> dict[str, Any]:
    return {"Put": {"TableName": table, "ConditionExpression": "attribute_not_exists(pk)",
                    "Item": to_item({"pk": f"STATS#REQUEST#{request_id}", "sk": "FILED", "entity": "stats_filing",
                                     "event_id": event_id or None})}}


def _school_update(table: str, school_id: str, read: SchoolCount, count: int, departement: str | None
                   ) -> dict[str, Any]:
    """The school's new count, on condition it is still the one read (the département of its
    first filing is kept: its bands are counted there)."""
    values: dict[str, Any] = {":count": {"N": str(count)}, ":entity": {"S": "stats_school"}}
    if read.exists:
        values[":read"] = {"N": str(read.requests)}
    departement = read.departement or departement
    if departement:
        values[":dep"] = {"S": departement}
    return {"Update": {"TableName": table, "Key": _key(f"STATS#SCHOOL#{school_id}", "FILED"),
                       "UpdateExpression": "SET requests = :count, entity = :entity"
                                           + (", departement = :dep" if departement else ""),
                       "ConditionExpression": "requests = :read" if read.exists else "attribute_not_exists(pk)",
                       "ExpressionAttributeValues": values}}


class DynamoStatisticsRepository:
    def __init__(self, dynamodb_client, table_name: str):
        self._db = dynamodb_client
        self._table = table_name

    # --- the worker ----------------------------------------------------------------------------

    def school_count(self, school_id: str) -> SchoolCount:
        item = self._db.get_item(TableName=self._table, ConsistentRead=True,
                                 Key=_key(f"STATS#SCHOOL#{school_id}", "FILED")).get("Item")
        values = from_item(item) if item else {}
        return SchoolCount(int(values.get("requests", 0)), values.get("departement"), bool(item))

    def apply_many(self, event_ids: list[str], now: datetime, per_item: dict[ItemKey, Deltas],
                   filed_requests: list[str], schools: dict[str, tuple[SchoolCount, int, str | None]]) -> None:
        """Several events at once, in one transaction: each one's marker, each first filing's marker,
        each school's count (read, then added to), and the counters merged per item ((pk, sk) ->
        deltas). Any refusal raises TransactionRefused: the caller applies them one by one instead."""
        expires = int((now + MARKER_RETENTION).timestamp())
        items: list[dict[str, Any]] = [_marker(self._table, event_id, expires) for event_id in event_ids]
        items += [_filing(self._table, request_id, "") for request_id in filed_requests]
        items += [_school_update(self._table, school_id, read, read.requests + added, departement)
                  for school_id, (read, added, departement) in sorted(schools.items())]
        items += [_update(self._table, key, deltas) for key, deltas in sorted(per_item.items()) if deltas]
        transact(self._db, items)

    def apply(self, event_id: str, now: datetime, per_item: dict[ItemKey, Deltas], *,
              filed_request: str | None = None, school_id: str | None = None, school: SchoolCount | None = None,
              school_departement: str | None = None) -> None:
        """One event's counters, once. Raises AlreadyCounted, FilingAlreadyCounted or SchoolCountChanged."""
        expires = int((now + MARKER_RETENTION).timestamp())
        items: list[dict[str, Any]] = [_marker(self._table, event_id, expires)]
        filing_index = school_index = -1
        if filed_request:
            filing_index = len(items)
            items.append(_filing(self._table, filed_request, event_id))
        if filed_request and school_id and school is not None:
            school_index = len(items)
            items.append(_school_update(self._table, school_id, school, school.requests + 1, school_departement))
        items += [_update(self._table, key, deltas) for key, deltas in sorted(per_item.items()) if deltas]
        try:
            transact(self._db, items)
        except TransactionRefused as refused:
            if 0 in refused.failed:
                raise AlreadyCounted() from None
            if filing_index in refused.failed:
                raise FilingAlreadyCounted() from None
            if school_index in refused.failed:
                raise SchoolCountChanged() from None
            raise

    # --- the registry (an administrator's batch) -----------------------------------------------

    def set_registry_sizes(self, day: date, sizes: dict[str, int]) -> None:
        """The registry's size of each département of a load, as of `day`."""
        if not sizes:
            return
        names = {f"#d{n}": code for n, code in enumerate(sorted(sizes))}
        values = {f":d{n}": {"N": str(sizes[code])} for n, code in enumerate(sorted(sizes))}
        self._db.update_item(
            TableName=self._table, Key=_key("STATS#REGISTRY", f"DAY#{day.isoformat()}"),
            UpdateExpression="SET #day = :day, entity = :entity, sizes = if_not_exists(sizes, :none)",
            ExpressionAttributeNames={"#day": "day"},
            ExpressionAttributeValues={":day": {"S": day.isoformat()}, ":entity": {"S": "stats_registry"},
                                       ":none": {"M": {}}})
        self._db.update_item(
            TableName=self._table, Key=_key("STATS#REGISTRY", f"DAY#{day.isoformat()}"),
            UpdateExpression="SET " + ", ".join(f"sizes.{name} = {name.replace('#', ':')}" for name in names),
            ExpressionAttributeNames=names, ExpressionAttributeValues=values)

    # --- the route -----------------------------------------------------------------------------

    def _query(self, pk: str, low: str, high: str) -> list[dict[str, Any]]:
        items, start = [], None
        while True:
            page = self._db.query(TableName=self._table, KeyConditionExpression="pk = :pk AND sk BETWEEN :low AND :high",
                                  ExpressionAttributeValues={":pk": {"S": pk}, ":low": {"S": low}, ":high": {"S": high}},
                                  **({"ExclusiveStartKey": start} if start else {}))
            items += [from_item(item) for item in page["Items"]]
            start = page.get("LastEvaluatedKey")
            if not start:
                return items

    def scope_items(self, scope: str, q: Question, with_period: bool = True) -> ScopeItems:
        """Two Queries: the months before the date's month, and the days from the period's start
        (or only the date's month so far, `with_period` False) to the date; "~" sorts after the
        "#<k>" of the national shards, which are summed per day and per month."""
        before = (q.month_start - timedelta(days=1)).isoformat()[:7]
        months = self._query(f"STATS#{scope}", "MONTH#0000", f"MONTH#{before}~")
        first = q.first_day_read if with_period else q.month_start
        days = self._query(f"STATS#{scope}", f"DAY#{first.isoformat()}", f"DAY#{q.date.isoformat()}~")
        return ScopeItems(merged_by(months, "month"), merged_by(days, "day"))

    # --- an authority's decisions (queue health) -----------------------------------------------

    def decision_days(self, authority: str, first_day: date, last_day: date) -> list[dict[str, Any]]:
        """The authority's day items from `first_day` to `last_day` (one Query, at most a few dozen)."""
        return self._query(f"STATS#INSTRUCTION#{authority}", f"DAY#{first_day.isoformat()}",
                           f"DAY#{last_day.isoformat()}")

    def registry_items(self, q: Question) -> list[dict[str, Any]]:
        return self._query("STATS#REGISTRY", "DAY#0000", f"DAY#{q.date.isoformat()}")
