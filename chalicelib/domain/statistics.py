"""The prefecture's statistics (issue 9), pure: which counters an event moves, the schools' bands,
median and 90th percentile of the decision delays, and the answer built from the counter items.

Statistics are never computed by scanning requests: each committed event (request status change,
school account opened, support ticket, an agent's decision) is applied once by the statistics worker
to pre-aggregated counters of its day and month, for its département and for the whole country
(chalicelib/adapters/statistics_repository.py). Counters are deltas: a figure "at" a date is the sum
of the months before the date's month plus the days of its month up to the date; a figure of a
period is the sum of its days. "Waiting" counters move +1 when a request enters a status that
waits on someone and −1 when it leaves it, so their sum is the number waiting at the date.

National scale (issue 19): every event of the country moves the national figures, so they are
spread over NATIONAL_SHARDS items per day and per month (chosen by the event's id, summed on read):
no single item takes every write. Decision delays are a histogram of DELAY_EDGES buckets (counters
moved by ADD), never a list, so every item is bounded (DAY_ITEM_MAX_BYTES); the median and the 90th
percentile come from the histogram, within one bucket of the exact value. A question's period is
bounded by what one response reads (READ_BUDGET_BYTES, MAX_PERIOD_DAYS)."""
from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Iterable

from chalicelib.domain import account_events, geography, request_events, support_events
from chalicelib.domain.dates import paris_day
from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.procedures import Procedure, RequestStatus

NATIONAL = "NATIONAL"
NATIONAL_LABEL = "France entière"
DEFAULT_PERIOD_DAYS = 90  # `du` defaults to the date minus 89 days: 90 days in all
# The national items of a day (and of a month) are this many, each an event's share: at 10x France's
# volume the September peak is ~20 counted events a second nationally, ~5 on one shard (batches of
# the queue merge several events into one write), below the busiest département's day (~1).
NATIONAL_SHARDS = 4
# Decision delays in hours: the lower edges of the histogram's buckets (the last one is open). Finer
# where decisions are frequent (hours, days), coarser beyond a month; a bucket is at most 1/3 of its
# lower edge wide past the first day.
DELAY_EDGES = (0, 1, 2, 3, 4, 6, 8, 10, 12, 15, 18, 21, 24, 30, 36, 42, 48, 60, 72, 84, 96, 120, 144, 168,
               204, 240, 288, 336, 408, 480, 576, 720, 864, 1080, 1440, 1800, 2160, 2880, 4320, 6480, 8760)
# The largest day item: every counter and every bucket of every procedure at once, with counts up to
# 10^9 (tests/unit/test_statistics.py computes it with DynamoDB's sizing rules). Far below 400 KB.
DAY_ITEM_MAX_BYTES = 10_000
# What one GET /statistics may read: 4 Query pages of 1 MB (a second or so in a Lambda). The
# national period reads NATIONAL_SHARDS day items a day, so the period is bounded by that.
READ_BUDGET_BYTES = 4_000_000
MAX_PERIOD_DAYS = READ_BUDGET_BYTES // (NATIONAL_SHARDS * DAY_ITEM_MAX_BYTES)  # 100 days

# The statuses that wait on someone, in the order the page shows them (domain.md's names).
WAITING_STATUSES = (RequestStatus.AWAITING_CANDIDATE_VALIDATION, RequestStatus.IMAGE_CHECK,
                    RequestStatus.UNDER_REVIEW, RequestStatus.MORE_INFORMATION_REQUESTED)
DECIDED_STATUSES = (RequestStatus.APPROVED, RequestStatus.REJECTED)
PROCEDURE_SHORT_LABELS = {
    Procedure.EXAM_REGISTRATION: "Inscription au permis",
    Procedure.REGISTRATION_AFTER_INVALIDATION: "Inscription après invalidation ou annulation",
    Procedure.LICENCE_AFTER_EXAM: "Titre après réussite à l'examen",
    Procedure.LICENCE_AFTER_TRAINING: "Titre après une formation",
    Procedure.PROFESSIONAL_DIPLOMA: "Validation d'un diplôme professionnel",
}
# Schools by the number of requests they filed: (band, label, first count of the band).
BANDS = (("1-4", "1 à 4 demandes", 1), ("5-10", "5 à 10 demandes", 5), ("11+", "Plus de 10 demandes", 11))
# An agent's decision and the counter of its authority's day (queue health), out of its transaction.
DECISION_KINDS = {request_events.APPROVED: "valider", request_events.REJECTED: "rejeter",
                  request_events.COMPLEMENT_REQUESTED: "complement"}
COUNTED_EVENTS = (request_events.STATUS_CHANGED, account_events.SCHOOL_ACCOUNT_OPENED, *support_events.ALL,
                  *DECISION_KINDS)


def _name(text: str) -> str:
    return text.replace("-", "_").replace("+", "")


def counter(kind: str, value: str) -> str:
    """An item's attribute: waiting_<status>, decisions_<procedure>, band_<band>, or the prefix of a
    procedure's delay histogram, delays_<procedure>."""
    return f"{kind}_{_name(value)}"


def delay_bucket(hours: float) -> int:
    """The lower edge of the histogram bucket of a delay."""
    found = DELAY_EDGES[0]
    for edge in DELAY_EDGES:
        if hours >= edge:
            found = edge
    return found


def delay_counter(prefix: str, hours: float) -> str:
    """The counter of a delay's bucket: <prefix>_h<lower edge in hours>."""
    return f"{prefix}_h{delay_bucket(hours)}"


def histogram(counters: dict[str, int], prefix: str) -> dict[int, int]:
    """The buckets (lower edge -> count) of the histogram `prefix` among summed counters."""
    start = f"{prefix}_h"
    return {int(name[len(start):]): int(value) for name, value in counters.items()
            if name.startswith(start) and name[len(start):].isdigit() and value}


def histogram_quantile(buckets: dict[int, int], fraction: float) -> float | None:
    """The nearest-rank quantile estimated from a histogram: the rank's bucket, interpolated
    linearly within it (so within one bucket of the exact value); the open last bucket gives its
    lower edge. None without any."""
    total = sum(buckets.values())
    if total <= 0:
        return None
    rank, before = max(1, math.ceil(fraction * total)), 0
    for index, edge in enumerate(DELAY_EDGES):
        count = buckets.get(edge, 0)
        if count and before + count >= rank:
            if index + 1 == len(DELAY_EDGES):
                return float(edge)
            width = DELAY_EDGES[index + 1] - edge
            return edge + width * (rank - before - 0.5) / count
        before += count
    return None


def national_shard(event_id: str) -> int:
    """The national item an event counts on: spread evenly, the same for a replay."""
    return int(hashlib.sha256(event_id.encode()).hexdigest()[:8], 16) % NATIONAL_SHARDS


def scope_key(departement: str | None) -> str:
    return f"DEP#{departement}" if departement else NATIONAL


def band_of(count: int) -> str | None:
    """The band of a school that filed `count` requests (None before its first)."""
    found = None
    for band, _, first in BANDS:
        if count >= first:
            found = band
    return found


@dataclass
class Deltas:
    """What one or more events add to a scope's counters of one day (delays included: buckets)."""

    counters: dict[str, int] = field(default_factory=dict)

    def add(self, name: str, value: int = 1) -> None:
        self.counters[name] = self.counters.get(name, 0) + value

    def merge(self, other: "Deltas") -> None:
        for name, value in other.counters.items():
            self.add(name, value)

    def cleaned(self) -> "Deltas":
        return Deltas({k: v for k, v in self.counters.items() if v})

    def monthly(self) -> "Deltas":
        """The month's share: no delays (months are read for cumulative counts, never for delays)."""
        return Deltas({k: v for k, v in self.counters.items() if v and not k.startswith("delays_")})

    def __bool__(self) -> bool:
        return any(self.counters.values())


@dataclass(frozen=True)
class Filing:
    """A submission that may be the request's first: it counts once per request (a marker item),
    and moves its school between bands."""

    request_id: str
    school_id: str | None


@dataclass
class Change:
    """What an event does to the counters: the day it counts on, the deltas of the event's own
    département (None: national only) — the national item gets the same — and a filing. A
    decision moves its authority's day instead (`authority`, `authority_deltas`)."""

    day: date
    departement: str | None
    deltas: Deltas
    filing: Filing | None = None
    filing_deltas: Deltas = field(default_factory=Deltas)  # counted only for a first filing
    authority: str | None = None
    authority_deltas: Deltas = field(default_factory=Deltas)

    def per_scope(self, first_filing: bool, school_bands: tuple[str | None, Deltas] | None = None
                  ) -> dict[str, Deltas]:
        """Deltas per scope key (the département's and the national one). `school_bands`: the
        département the school's bands are counted in, and their moves."""
        own = Deltas()
        own.merge(self.deltas)
        if first_filing:
            own.merge(self.filing_deltas)
        scopes: dict[str, Deltas] = {NATIONAL: Deltas()}
        scopes[NATIONAL].merge(own)
        if self.departement:
            scopes[scope_key(self.departement)] = own
        if first_filing and school_bands is not None:
            band_departement, moves = school_bands
            scopes[NATIONAL].merge(moves)
            if band_departement:
                scopes.setdefault(scope_key(band_departement), Deltas()).merge(moves)
        return {key: deltas.cleaned() for key, deltas in scopes.items() if deltas.cleaned()}


ItemKey = tuple[str, str]  # (pk, sk) of a counter item


def counter_items(change: Change, per_scope: dict[str, Deltas], shard: int) -> dict[ItemKey, Deltas]:
    """The items an event's counters go to: each scope's day and month (the national ones on
    `shard`), and the authority's day of a decision."""
    items: dict[ItemKey, Deltas] = {}
    day, month = change.day.isoformat(), change.day.isoformat()[:7]
    for scope, deltas in per_scope.items():
        suffix = f"#{shard}" if scope == NATIONAL else ""
        items[(f"STATS#{scope}", f"DAY#{day}{suffix}")] = deltas
        if deltas.monthly():
            items[(f"STATS#{scope}", f"MONTH#{month}{suffix}")] = deltas.monthly()
    if change.authority and change.authority_deltas:
        items[(f"STATS#INSTRUCTION#{change.authority}", f"DAY#{day}")] = change.authority_deltas
    return items


def band_moves(count_before: int) -> Deltas:
    """A school's band counters when its count of filed requests goes from `count_before` to one more."""
    moves = Deltas()
    before, after = band_of(count_before), band_of(count_before + 1)
    if before != after:
        if before:
            moves.add(counter("band", before), -1)
        if after:
            moves.add(counter("band", after), 1)
    return moves


def _moment(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


def change_for(event_type: str, payload: dict[str, Any], occurred_at: datetime) -> Change | None:
    """The counters an event moves, or None when it counts nothing (e.g. "Titre expédié")."""
    departement = payload.get("departement") or None
    if event_type == request_events.STATUS_CHANGED:
        at = _moment(payload.get("at") or occurred_at)
        deltas, change = Deltas(), Change(paris_day(at), departement, Deltas())
        before, after = payload.get("from"), payload["to"]
        for status, step in ((before, -1), (after, 1)):
            if status in {s.value for s in WAITING_STATUSES}:
                deltas.add(counter("waiting", status), step)
        if after in {s.value for s in DECIDED_STATUSES}:
            deltas.add("processed")
            deltas.add(counter("decisions", payload["procedure"]))
            if payload.get("submitted_at"):
                hours = (at - _moment(payload["submitted_at"])).total_seconds() / 3600
                deltas.add(delay_counter(counter("delays", payload["procedure"]), max(hours, 0.0)))
        change.deltas = deltas
        if before == RequestStatus.DRAFT.value and after != RequestStatus.DRAFT.value:
            change.filing = Filing(payload["request_id"], payload.get("school_id"))
            change.filing_deltas.add("submitted")
        return change if deltas or change.filing else None
    if event_type in DECISION_KINDS:
        return _decision(event_type, payload, occurred_at)
    if event_type == account_events.SCHOOL_ACCOUNT_OPENED:
        deltas = Deltas({"accounts_opened": 1})
        return Change(paris_day(_moment(payload.get("at") or occurred_at)), departement, deltas)
    if event_type == support_events.TICKET_OPENED:
        return Change(paris_day(_moment(payload["opened_at"])), departement, Deltas({"support_opened": 1}))
    if event_type == support_events.TICKET_ANSWERED:
        deltas = Deltas({"support_answered": 1, **({"support_answered_within_promise": 1}
                                                    if payload.get("within_promise") else {})})
        return Change(paris_day(_moment(payload["answered_at"])), departement, deltas)
    if event_type == support_events.PROMISE_BREACHED:
        return Change(paris_day(occurred_at), departement, Deltas({"support_breaches": 1}))
    return None


def _decision(event_type: str, payload: dict[str, Any], occurred_at: datetime) -> Change | None:
    """An agent's decision on its authority's day (UTC, as the queue health reads it): one more
    decision of its kind and, for a final one, its delay from submission."""
    authority = payload.get("authority")
    if not authority:
        return None
    at = _moment(occurred_at)
    kind = DECISION_KINDS[event_type]
    deltas = Deltas({"decisions": 1, kind: 1})
    if event_type != request_events.COMPLEMENT_REQUESTED and payload.get("submitted_at"):
        hours = (at - _moment(payload["submitted_at"])).total_seconds() / 3600
        deltas.add(delay_counter("delays", max(hours, 0.0)))
    return Change(at.date(), None, Deltas(), authority=authority, authority_deltas=deltas)


def merged_by(items: Iterable[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    """Items of the same day (or month) summed into one: the national shards of each day."""
    merged: dict[str, dict[str, Any]] = {}
    for item in items:
        total = merged.setdefault(item[key], {key: item[key]})
        for name, value in summed([item]).items():
            total[name] = total.get(name, 0) + value
    return [merged[k] for k in sorted(merged)]


# --- the question and its answer ---------------------------------------------------------------

@dataclass(frozen=True)
class Question:
    departement: str | None
    date: date
    start: date

    @property
    def scope(self) -> str:
        return scope_key(self.departement)

    @property
    def month_start(self) -> date:
        return self.date.replace(day=1)

    @property
    def first_day_read(self) -> date:
        """Day items are read from here: the period and the date's month so far."""
        return min(self.start, self.month_start)


def _day(value: str | None, field_name: str, default: date) -> date:
    if value is None or value == "":
        return default
    try:
        return date.fromisoformat(value) if len(value) == 10 else _invalid_date(field_name)
    except ValueError:
        return _invalid_date(field_name)


def _invalid_date(field_name: str) -> date:
    raise InvalidInput("date_invalid", f"La date « {field_name} » doit être écrite AAAA-MM-JJ (par exemple 2017-10-11).")


def question(params: dict[str, str], today: date) -> Question:
    """The checked parameters of GET /statistics (all optional)."""
    raw = (params.get("departement") or "").strip().upper()
    departement = None if raw in ("", "NATIONAL") else raw
    if departement is not None and not geography.is_departement(departement):
        raise InvalidInput("departement_unknown", "Département inconnu : donnez son code (par exemple 69, 2A ou 971) "
                                                  "ou « national » pour la France entière.")
    at = _day(params.get("date"), "date", today)
    if at > today:
        raise InvalidInput("date_in_future", "Les statistiques ne portent que sur des jours passés ou sur "
                                             "aujourd'hui : choisissez une date qui n'est pas dans le futur.")
    start = _day(params.get("du"), "du", at - timedelta(days=DEFAULT_PERIOD_DAYS - 1))
    if start > at:
        raise InvalidInput("period_invalid", "Le début de la période (« du ») doit précéder la date des statistiques.")
    if (at - start).days + 1 > MAX_PERIOD_DAYS:  # what one answer can read (READ_BUDGET_BYTES)
        raise InvalidInput("period_too_long", f"La période est limitée à {MAX_PERIOD_DAYS} jours : choisissez "
                                              f"un début de période (« du ») au plus {MAX_PERIOD_DAYS - 1} jours "
                                              "avant la date.")
    return Question(departement, at, start)


def scope_label(departement: str | None) -> str:
    return f"{geography.DEPARTEMENTS[departement]} ({departement})" if departement else NATIONAL_LABEL


def quantile(values: list[float], fraction: float) -> float | None:
    """Nearest-rank quantile (exact: the value of one of the decisions); None without any. The
    reference the histogram's estimate is checked against."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(1, math.ceil(fraction * len(ordered))) - 1]


def summed(items: Iterable[dict[str, Any]]) -> dict[str, int]:
    total: dict[str, int] = {}
    for item in items:
        for name, value in item.items():
            if isinstance(value, (int, float)) and not isinstance(value, bool) and name != "expires_at":
                total[name] = total.get(name, 0) + int(value)
    return total


@dataclass(frozen=True)
class ScopeItems:
    """What the repository read for one scope: month items before the date's month, and day items
    from `Question.first_day_read` to the date (each a dict with `day` or `month` and counters)."""

    months: list[dict[str, Any]]
    days: list[dict[str, Any]]

    def cumulative(self, at: date) -> dict[str, int]:
        return summed([*self.months, *[d for d in self.days if d["day"] >= at.replace(day=1).isoformat()
                                     and d["day"] <= at.isoformat()]])


def registry_sizes(registry_items: list[dict[str, Any]], at: date) -> dict[str, int]:
    """Agréments per département at `at`: each load sets the sizes of the départements its file
    holds (the latest load before or on the day wins)."""
    sizes: dict[str, int] = {}
    for item in sorted(registry_items, key=lambda i: i["day"]):
        if item["day"] <= at.isoformat():
            sizes.update({k: int(v) for k, v in (item.get("sizes") or {}).items()})
    return sizes


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def percent(part: int, whole: int) -> float | None:
    """The one rule for a rate people read, on the page and in the export alike: a percentage to
    the tenth, rounded down, as the prefecture's own figures are written (259 accounts for 365
    agréments is 70.96 %, written 70,9 %). Integer arithmetic: no float lands on the wrong side."""
    return (part * 1000 // whole) / 10 if whole else None


def answer(q: Question, own: ScopeItems, national: ScopeItems, registry_items: list[dict[str, Any]]) -> dict:
    """GET /statistics's answer (the contract in its route)."""
    cumulative = own.cumulative(q.date)
    national_cumulative = national.cumulative(q.date) if q.departement else cumulative
    sizes = registry_sizes(registry_items, q.date)
    agrements = sizes.get(q.departement, 0) if q.departement else sum(sizes.values())
    period = [d for d in own.days if q.start.isoformat() <= d["day"] <= q.date.isoformat()]
    by_day = {d["day"]: d for d in period}
    in_period = summed(period)
    bands = [{"band": band, "label": label, "schools": max(0, cumulative.get(counter("band", band), 0))}
             for band, label, _ in BANDS]
    delays = []
    for procedure in Procedure:
        buckets = histogram(in_period, counter("delays", procedure.value))
        p50, p90 = histogram_quantile(buckets, 0.5), histogram_quantile(buckets, 0.9)
        delays.append({"procedure": procedure.value, "label": PROCEDURE_SHORT_LABELS[procedure],
                       "decisions": in_period.get(counter("decisions", procedure.value), 0),
                       "median_hours": round(p50, 1) if p50 is not None else None,
                       "p90_hours": round(p90, 1) if p90 is not None else None})
    series = []
    for offset in range((q.date - q.start).days + 1):
        day = (q.start + timedelta(days=offset)).isoformat()
        counters = by_day.get(day, {})
        series.append({"date": day, "submitted": int(counters.get("submitted", 0)),
                       "processed": int(counters.get("processed", 0)),
                       "accounts_opened": int(counters.get("accounts_opened", 0))})
    from chalicelib.domain.procedures import STATUS_LABELS

    accounts = cumulative.get("accounts_opened", 0)
    national_accounts, national_agrements = national_cumulative.get("accounts_opened", 0), sum(sizes.values())
    return {
        "scope": {"departement": q.departement, "label": scope_label(q.departement)},
        "date": q.date.isoformat(),
        "period": {"from": q.start.isoformat(), "to": q.date.isoformat()},
        "schools": {"agrements": agrements, "accounts_opened": accounts, "opening_rate": _rate(accounts, agrements),
                    "national_opening_rate": _rate(national_accounts, national_agrements),
                    "opening_percent": percent(accounts, agrements),
                    "national_opening_percent": percent(national_accounts, national_agrements),
                    "filing": sum(b["schools"] for b in bands), "by_requests_filed": bands},
        "requests": {"submitted": cumulative.get("submitted", 0), "processed": cumulative.get("processed", 0),
                     "waiting_by_status": [{"status": s.value, "label": STATUS_LABELS[s],
                                            "count": max(0, cumulative.get(counter("waiting", s.value), 0))}
                                           for s in WAITING_STATUSES],
                     "decision_delays": delays},
        "support": {"opened": cumulative.get("support_opened", 0), "answered": cumulative.get("support_answered", 0),
                    "answered_within_promise": cumulative.get("support_answered_within_promise", 0),
                    "breaches": cumulative.get("support_breaches", 0)},
        "series": series,
    }


def _number(value: float | None, decimals: int = 1) -> str:
    return "" if value is None else f"{value:.{decimals}f}".replace(".", ",")


def csv_text(result: dict) -> str:
    """The French CSV export: `;`, UTF-8 with a BOM (spreadsheets read the accents), decimal commas."""
    schools, requests, support = result["schools"], result["requests"], result["support"]
    rows: list[tuple[str, str]] = [
        ("Périmètre", result["scope"]["label"]), ("Date", result["date"]),
        ("Début de la période", result["period"]["from"]), ("Fin de la période", result["period"]["to"]),
        ("Agréments au registre", str(schools["agrements"])),
        ("Comptes d'auto-écoles ouverts", str(schools["accounts_opened"])),
        ("Taux d'ouverture des comptes (%)", _number(schools["opening_percent"])),
        ("Taux d'ouverture national (%)", _number(schools["national_opening_percent"])),
        ("Auto-écoles ayant déposé des demandes", str(schools["filing"])),
        *[(f"Auto-écoles ayant déposé {b['label'].lower()}", str(b["schools"])) for b in schools["by_requests_filed"]],
        ("Demandes déposées", str(requests["submitted"])), ("Demandes traitées", str(requests["processed"])),
        *[(f"En attente : {w['label']}", str(w["count"])) for w in requests["waiting_by_status"]],
    ]
    for delay in requests["decision_delays"]:
        rows += [(f"Décisions de la période : {delay['label']}", str(delay["decisions"])),
                 (f"Délai médian (heures) : {delay['label']}", _number(delay["median_hours"])),
                 (f"Délai 90e centile (heures) : {delay['label']}", _number(delay["p90_hours"]))]
    rows += [("Demandes d'assistance reçues", str(support["opened"])),
             ("Demandes d'assistance répondues", str(support["answered"])),
             ("Répondues dans la semaine promise", str(support["answered_within_promise"])),
             ("Délai d'une semaine dépassé", str(support["breaches"]))]

    def line(*cells: str) -> str:
        return ";".join('"' + c.replace('"', '""') + '"' if any(x in c for x in ';"\n') else c for c in cells)

    lines = [line("indicateur", "valeur"), *[line(k, v) for k, v in rows], "",
             line("date", "demandes déposées", "demandes traitées", "comptes ouverts"),
             *[line(d["date"], str(d["submitted"]), str(d["processed"]), str(d["accounts_opened"]))
               for d in result["series"]]]
    return "\ufeff" + "\r\n".join(lines) + "\r\n"


def csv_file_name(result: dict) -> str:
    return f"statistiques-{result['scope']['departement'] or 'national'}-{result['date']}.csv"
