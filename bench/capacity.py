"""The capacity model (issue 19): France's volumes turned into per-second load, from the AWS calls
and the items each operation really makes and writes (bench/aws_calls.py, under moto).

What is declared here, and only here, is what the code cannot say: the yearly volumes, how many
times a request's life calls each operation, the peak factors, the share of the biggest
département and school, the services' quotas and list prices. Everything else is computed from
the measured operations: DynamoDB reads and writes per second, the writes per second on the most
written item (an item shared by many writers: a counter, a national shard), each item's size,
Lambda concurrency and the cost per 1,000 requests, at 1x, 10x and 100x.

`python bench/capacity.py [--aws-calls results.json]` prints the model as JSON; bench/run.py
writes it to infra/CAPACITY.md. Targets: no item above ~10 writes/s at 10x, no item that could
pass 100 KB."""
from __future__ import annotations

import argparse
import json
import re
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BENCH_DIR.parent
if str(PROJECT_DIR) not in sys.path:
    sys.path.insert(0, str(PROJECT_DIR))

# --- France's volumes (declared) ------------------------------------------------------------------

YEARLY_REQUESTS = {"registration": 1_500_000, "licence_production": 1_500_000}  # issue 19: 1.2-1.5 M each
PEAK_MONTH_FACTOR = 3.0  # September against the monthly mean
WORKING_DAYS_PER_MONTH = 21
PEAK_HOUR_SHARE = 0.15  # of a working day's operations in its busiest hour (evenings for families)
BIGGEST_DEPARTEMENT_SHARE = 0.04  # the Nord: 2.6 M of 68 M inhabitants
BIGGEST_SCHOOL_YEARLY = 3_000  # requests a year filed by the biggest driving-school network's agency
SCALES = (1, 10, 100)
ITEM_WRITES_TARGET = 10.0  # writes per second on one item, at 10x (DynamoDB allows 1,000 WCU a partition)
ITEM_BYTES_TARGET = 100 * 1024

# How many times a request's life calls each measured operation, by procedure (declared from the
# journeys of the README: a school files, autosaves, uploads 4 documents, submits, the candidate
# validates, an agent claims and decides, the workers follow). Operation names are bench/aws_calls.py's.
# About 8 status changes a request are counted by the statistics worker in full batches of 10 (it
# waits up to 5 s to fill one, and at the peak a batch fills in under a second).
JOURNEYS: dict[str, dict[str, float]] = {
    "registration": {
        "POST /requests": 1, "PUT /requests/{request_id}/steps/{step}": 8,
        "PUT /requests/{request_id}/steps/{step}/draft": 20, "GET /requests (one page)": 10,
        "GET /requests/{request_id}": 12, "GET /requests/{request_id}/documents": 4,
        "GET /requests/{request_id}/history": 2, "GET /me": 15, "jwt_authorizer (JWKS cached)": 3,
        "POST /sessions": 3, "POST /sessions/refresh": 6,
        "POST /requests/{request_id}/documents/{document}/upload": 4,
        "check_documents (1 upload, not the last)": 4, "PUT /requests/{request_id}/ephoto": 1,
        "POST /requests/{request_id}/submission (paper mandate)": 0.5,
        "POST /requests/{request_id}/submission (new candidate)": 0.5,
        "send_emails (1 activation link, a school's candidate)": 2, "POST /accounts/activation": 0.5,
        "POST /requests/{request_id}/validation": 0.5, "remind_and_expire_validations (1 reminder)": 0.3,
        "make_receipts (1 submission)": 1, "GET /requests/{request_id}/receipt": 1,
        "relay_outbox (ready for instruction)": 1, "relay_outbox (1 outbox INSERT)": 15,
        "POST /staff/claims": 1.1, "GET /staff/requests/{request_id}": 1,
        "GET /staff/requests/{request_id}/notes": 1.1, "GET /staff/worklist (à traiter)": 0.5,
        # The thread: loaded with each console view and each read of the request's page; a message
        # each way on one request in five (issue 20), each emailed.
        "GET /staff/requests/{request_id}/messages": 1.1, "GET /requests/{request_id}/messages": 4,
        "POST /staff/requests/{request_id}/messages": 0.2, "POST /requests/{request_id}/messages": 0.2,
        "notification (message from the agent: the school)": 0.2,
        "notification (message from the school: the agent)": 0.2,
        "GET /staff/requests/{request_id}/documents/{document}": 4, "POST /staff/requests/{request_id}/release": 0.1,
        # The ePhoto photo and signature beside the identity document: asked at the first view,
        # fetched once (its event relayed), then each shown from the bucket.
        "GET /staff/requests/{request_id}/documents/ephoto-photo (first view: asked)": 1,
        "make_attestations (1 ePhoto fetch)": 1, "GET /staff/requests/{request_id}/documents/ephoto-photo (kept)": 2.2,
        "POST /staff/requests/{request_id}/decision (complement)": 0.2,
        "POST /requests/{request_id}/complement": 0.2,
        "POST /staff/requests/{request_id}/decision (validate)": 1,
        "make_attestations (1 validation)": 1, "GET /requests/{request_id}/attestations/{document}": 1,
        "notification (validation: candidate and school)": 3, "count_statistics (a batch of 10 submissions)": 0.8,
        "POST /staff/exams/results (favourable practical)": 2, "POST /suivi": 2,
    },
    "licence_production": {
        "POST /requests": 1, "PUT /requests/{request_id}/steps/{step}": 6,
        "PUT /requests/{request_id}/steps/{step}/draft": 12, "GET /requests (one page)": 6,
        "GET /requests/{request_id}": 8, "GET /requests/{request_id}/documents": 3, "GET /me": 10,
        "jwt_authorizer (JWKS cached)": 2, "POST /sessions": 2, "POST /sessions/refresh": 4,
        "POST /requests/{request_id}/documents/{document}/upload": 3,
        "check_documents (1 upload, not the last)": 3, "PUT /requests/{request_id}/ephoto": 1,
        "POST /requests/{request_id}/submission (paper mandate)": 1, "make_receipts (1 submission)": 1,
        "relay_outbox (ready for instruction)": 1, "relay_outbox (1 outbox INSERT)": 13,
        "POST /staff/claims": 1.1, "GET /staff/requests/{request_id}": 1,
        "GET /staff/requests/{request_id}/notes": 1.1, "GET /staff/worklist (à traiter)": 0.5,
        "GET /staff/requests/{request_id}/messages": 1.1, "GET /requests/{request_id}/messages": 3,
        "POST /staff/requests/{request_id}/messages": 0.2, "POST /requests/{request_id}/messages": 0.2,
        "notification (message from the agent: the school)": 0.2,
        "notification (message from the school: the agent)": 0.2,
        "GET /staff/requests/{request_id}/documents/{document}": 3,
        "GET /staff/requests/{request_id}/documents/ephoto-photo (first view: asked)": 1,
        "make_attestations (1 ePhoto fetch)": 1, "GET /staff/requests/{request_id}/documents/ephoto-photo (kept)": 2.2,
        "POST /staff/requests/{request_id}/decision (validate)": 1,
        "notification (validation: candidate and school)": 4, "advance_licences (1 returned)": 0.05,
        "count_statistics (a batch of 10 submissions)": 0.8, "POST /suivi": 4,
    },
}

# Items many writers share, by the scope that shares them: the hottest instance takes this share
# of the operations that write its pattern. Any other item belongs to one request, person,
# event or link. A written key with no per-subject part (no number, id, hash or email) must be
# declared here, or the model fails: a new shared item is never taken for a private one.
SHARED_SCOPES: tuple[tuple[str, str, str], ...] = (
    # (normalised pk pattern, normalised sk pattern or "*", scope)
    (r"STATS#NATIONAL", "*", "national shard"),
    (r"STATS#DEP#<k>", "*", "département"),
    (r"STATS#INSTRUCTION#CERT", "*", "national"),  # the CERT decides every licence production
    (r"STATS#INSTRUCTION#DDT-<k>", "*", "département"),
    (r"COUNTER#NEPH#<id>", "*", "département"),  # per month and office: the biggest département's
    (r"NEPHHOLE#<id>", "*", "département"),
    (r"STATS#SCHOOL#<id>", "*", "school"),
    (r"STATS#REGISTRY", "*", "national"),
)
SCOPE_SHARE = {"national": 1.0, "département": BIGGEST_DEPARTEMENT_SHARE, "school": None, "subject": 0.0}

# Each service's call latency (ms, in-region, declared) and the CPU of the function's own work.
CALL_MS = {"dynamodb": 8, "sqs": 15, "s3": 25, "kms": 15, "cognito-identity-provider": 60, "ses": 50,
           "sesv2": 50, "sns": 40, "secretsmanager": 20}
FUNCTION_CPU_MS = {"check_documents": 900, "make_attestations": 250, "make_receipts": 200}
DEFAULT_CPU_MS = 15
# Default quotas that a September at 100x would meet first (requests per second, per account and
# region; most can be raised on request). Source: each service's quota page.
QUOTAS = {
    "lambda concurrency": 1_000,
    "cognito-identity-provider user authentication (InitiateAuth...)": 120,
    "cognito-identity-provider user creation (AdminCreateUser)": 50,
    "ses sending rate (production account, raised on request)": 14,
    "kms cryptographic operations (symmetric, shared)": 5_500,
    "api gateway requests": 10_000,
}
# List prices (USD, eu-west-3, declared; check before quoting): per million, or per GB-second.
PRICES = {"lambda_request": 0.20, "lambda_gb_second": 0.0000166667, "dynamodb_wru": 0.705, "dynamodb_rru": 0.141,
          "api_request": 3.70, "sqs_request": 0.40, "s3_put": 5.3, "s3_get": 0.42, "kms_request": 3.0}


# --- reading the measured operations ----------------------------------------------------------------

_SEGMENTS = (  # a key's segments (between "#"), in this order; the first that matches names it
    (re.compile(r"\d{4}-\d{2}-\d{2}T[0-9:.+Z-]+"), "<time>"),
    (re.compile(r"\d{4}-\d{2}-\d{2}"), "<day>"),
    (re.compile(r"\d{4}-\d{2}"), "<month>"),
    (re.compile(r"\d{12}"), "<n>"),  # a request number
    (re.compile(r"\d{1,3}|2A|2B"), "<k>"),  # a département's code, a shard
    (re.compile(r"DDT-(\d{1,3}|2A|2B)"), "DDT-<k>"),
    (re.compile(r"[A-Z][A-Z_]*|[a-z]+"), None),  # a constant word: kept
)
SUBJECT_PARTS = ("<id>", "<n>", "<time>")


def pattern(key: str | None) -> str:
    """The key with its variable parts named: `STATS#DEP#69` -> `STATS#DEP#<k>`; an identifier of one
    subject (an id, a code, a hash, an email...) -> `<id>`."""
    if key is None:
        return "-"
    named = []
    for segment in key.split("#"):
        for regex, placeholder in _SEGMENTS:
            if regex.fullmatch(segment):
                named.append(placeholder or segment)
                break
        else:
            named.append("<id>")
    return "#".join(named)


def scope_of(pk_pattern: str, sk_pattern: str) -> str | None:
    """The declared scope of a written item, "subject" for a per-subject one, None when undeclared."""
    for pk_rule, sk_rule, scope in SHARED_SCOPES:
        if re.fullmatch(pk_rule, pk_pattern) and (sk_rule == "*" or re.fullmatch(sk_rule, sk_pattern)):
            return scope
    if any(part in pk_pattern for part in SUBJECT_PARTS):
        return "subject"
    return None


@dataclass
class Operation:
    name: str
    calls: list[str]
    writes: list[dict[str, Any]]

    @property
    def function(self) -> str:
        """The Lambda function that runs it: a worker by its name, else the API."""
        head = self.name.split(" ", 1)[0]
        if head == "handler":
            return self.name.split(" ")[1]
        if head.isupper():
            return "api_handler"
        return {"notification": "send_notifications"}.get(head, head)

    def count(self, prefix: str) -> int:
        return sum(1 for call in self.calls if call.startswith(prefix))

    @property
    def dynamodb_units(self) -> tuple[float, float]:
        """(read units, write units) at 4 KB / 1 KB an item, transactions twice the units."""
        reads = self.count("dynamodb.GetItem") + self.count("dynamodb.Query") + self.count("dynamodb.BatchGetItem")
        writes = 0.0
        for write in self.writes:
            size_kb = max(1, -(-(write.get("bytes") or 1000) // 1024))
            writes += size_kb * (2 if write["op"].startswith("Transact") else 1)
        return reads, writes

    def duration_ms(self) -> float:
        calls = sum(CALL_MS.get(call.split(".")[0], 20) for call in self.calls)
        return calls + FUNCTION_CPU_MS.get(self.function, DEFAULT_CPU_MS)


def operations_from(aws: dict[str, Any]) -> dict[str, Operation]:
    return {row["operation"]: Operation(row["operation"], row["calls"], row.get("writes", []))
            for row in aws["operations"]}


# --- the model ---------------------------------------------------------------------------------------

def peak_per_second(yearly: float) -> float:
    return yearly / 12 * PEAK_MONTH_FACTOR / WORKING_DAYS_PER_MONTH * PEAK_HOUR_SHARE / 3600


def operation_rates(operations: dict[str, Operation]) -> tuple[dict[str, float], list[str]]:
    """Operations per second at 1x, in September's busiest hour; and the journey steps not measured."""
    rates: dict[str, float] = defaultdict(float)
    missing = []
    for procedure, steps in JOURNEYS.items():
        requests_per_second = peak_per_second(YEARLY_REQUESTS[procedure])
        for name, times in steps.items():
            if name not in operations:
                missing.append(f"{procedure}: {name}")
                continue
            rates[name] += requests_per_second * times
    return dict(rates), sorted(set(missing))


def school_share() -> float:
    return BIGGEST_SCHOOL_YEARLY / sum(YEARLY_REQUESTS.values())


def hot_items(operations: dict[str, Operation], rates: dict[str, float], table_items: list[list[Any]]
              ) -> tuple[list[dict[str, Any]], list[str]]:
    """Writes (and write units) per second at 1x on the most written instance of each shared item pattern."""
    largest, bounds = _largest_by_pattern(table_items), growth_bounds()
    per_pattern: dict[tuple[str, str], dict[str, Any]] = {}
    undeclared = set()
    for name, operation in operations.items():
        for write in operation.writes:
            if write["op"] == "TransactConditionCheck":
                continue  # a read in a transaction: it conflicts, it does not write
            pk, sk = pattern(write["pk"]), pattern(write.get("sk"))
            scope = scope_of(pk, sk)
            if scope is None:
                undeclared.add(f"{pk} / {sk} (written by {name})")
                continue
            if scope == "subject":
                continue
            row = per_pattern.setdefault((pk, sk), {"pk": pk, "sk": sk, "scope": scope, "writers": set(),
                                                    "writes_per_second": 0.0, "units_per_second": 0.0})
            share = school_share() if scope == "school" else (
                1 / _national_shards() if scope == "national shard" else SCOPE_SHARE[scope])
            row["writers"].add(name)
            row["writes_per_second"] += rates.get(name, 0.0) * share
            row["units_per_second"] += rates.get(name, 0.0) * share * write_units(pk, sk, largest, bounds) * (
                2 if write["op"].startswith("Transact") else 1)
    rows = sorted(per_pattern.values(), key=lambda row: -row["writes_per_second"])
    for row in rows:
        row["writers"] = sorted(row["writers"])
    return rows, sorted(undeclared)


def _national_shards() -> int:
    from chalicelib.domain.statistics import NATIONAL_SHARDS

    return NATIONAL_SHARDS


# Items that grow (counters added as days and procedures come, delay histograms), and the bound the
# code keeps them under; every other item has a fixed shape (its lists bounded by the input rules).
GROWING_ITEMS = (  # (pk pattern, sk pattern, module, constant)
    (r"STATS#(NATIONAL|DEP#<k>|INSTRUCTION#.*)", r"(DAY|MONTH)#.*", "chalicelib.domain.statistics",
     "DAY_ITEM_MAX_BYTES"),
)


def _largest_by_pattern(table_items: list[list[Any]]) -> dict[tuple[str, str], int]:
    largest: dict[tuple[str, str], int] = {}
    for pk, sk, size in table_items:
        key = (pattern(pk), pattern(sk))
        largest[key] = max(largest.get(key, 0), size)
    return largest


def item_sizes(table_items: list[list[Any]]) -> list[dict[str, Any]]:
    return [{"pk": pk, "sk": sk, "bytes": size} for (pk, sk), size in
            sorted(_largest_by_pattern(table_items).items(), key=lambda item: -item[1])]


def growth_bounds() -> list[dict[str, Any]]:
    import importlib

    return [{"items": f"{pk} / {sk}", "pk": pk, "sk": sk, "source": f"{module}.{constant}",
             "bound_bytes": getattr(importlib.import_module(module), constant)}
            for pk, sk, module, constant in GROWING_ITEMS]


def write_units(pk: str, sk: str, largest: dict[tuple[str, str], int], bounds: list[dict[str, Any]]) -> int:
    """DynamoDB's write units for one write of the item: a KB each, of the larger of its measured size
    and, for an item that grows, its bound (an update is charged on the item's size)."""
    size = largest.get((pk, sk), 1024)
    for bound in bounds:
        if re.fullmatch(bound["pk"], pk) and re.fullmatch(bound["sk"], sk):
            size = max(size, bound["bound_bytes"])
    return max(1, -(-size // 1024))


PARTITION_UNITS = 1_000  # DynamoDB's write units a second on one partition (a partition key's items)


def hottest_partition(hot: list[dict[str, Any]]) -> dict[str, Any]:
    """A partition key's items share its partition: the sum of their units (the shards of the national
    figures share one partition key, so they spread writes between items, not partitions)."""
    per_key: dict[str, float] = defaultdict(float)
    for row in hot:
        per_key[row["pk"]] += row["units_per_second"]
    pk, units = max(per_key.items(), key=lambda item: item[1], default=("-", 0.0))
    return {"pk": pk, "units_per_second": units}


def functions_load(operations: dict[str, Operation], rates: dict[str, float],
                   consumers: dict[str, str]) -> list[dict[str, Any]]:
    """Each function's invocations and concurrency at 1x; a queue consumer's cap (chalicelib/sizing.py)."""
    from chalicelib.sizing import QUEUE_CONSUMER_CONCURRENCY, memory_mb

    load: dict[str, dict[str, float]] = defaultdict(lambda: {"invocations": 0.0, "concurrency": 0.0})
    for name, rate in rates.items():
        operation = operations[name]
        load[operation.function]["invocations"] += rate
        load[operation.function]["concurrency"] += rate * operation.duration_ms() / 1000
    return [{"function": function, "memory_mb": memory_mb(function), **figures,
             "cap": QUEUE_CONSUMER_CONCURRENCY.get(consumers.get(function, ""))}
            for function, figures in sorted(load.items(), key=lambda item: -item[1]["concurrency"])]


def cost_per_thousand_requests(operations: dict[str, Operation]) -> dict[str, float]:
    """USD for 1,000 requests filed (half registrations, half productions), at list prices."""
    from chalicelib.sizing import memory_mb

    totals: dict[str, float] = defaultdict(float)
    share = {procedure: volume / sum(YEARLY_REQUESTS.values()) for procedure, volume in YEARLY_REQUESTS.items()}
    for procedure, steps in JOURNEYS.items():
        for name, times in steps.items():
            operation = operations.get(name)
            if operation is None:
                continue
            n = 1000 * share[procedure] * times
            reads, writes = operation.dynamodb_units
            totals["lambda"] += n * (PRICES["lambda_request"] / 1e6 + memory_mb(operation.function) / 1024
                                     * operation.duration_ms() / 1000 * PRICES["lambda_gb_second"])
            totals["dynamodb"] += n * (reads * PRICES["dynamodb_rru"] + writes * PRICES["dynamodb_wru"]) / 1e6
            totals["api_gateway"] += n * (PRICES["api_request"] / 1e6 if operation.function == "api_handler" else 0)
            totals["sqs"] += n * operation.count("sqs.") * PRICES["sqs_request"] / 1e6
            totals["s3"] += n * (operation.count("s3.Put") * PRICES["s3_put"] + operation.count("s3.Get")
                                 * PRICES["s3_get"]) / 1e6
            totals["kms"] += n * operation.count("kms.") * PRICES["kms_request"] / 1e6
    totals["total"] = sum(totals.values())
    return {key: round(value, 4) for key, value in totals.items()}


def quotas_met(operations: dict[str, Operation], rates: dict[str, float],
               functions: list[dict[str, Any]], hot: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each quota's use at 1x, and the scale at which it is reached."""
    partition = hottest_partition(hot)
    capped = min((f for f in functions if f["cap"] and f["concurrency"]), key=lambda f: f["cap"] / f["concurrency"])
    consumer_cap = f"a queue consumer's cap ({capped['function']}, chalicelib/sizing.py)"
    quotas = {**QUOTAS, f"dynamodb write units on one partition ({partition['pk']})": PARTITION_UNITS,
              "writes on one item (this model's target at 10x)": ITEM_WRITES_TARGET, consumer_cap: capped["cap"]}
    use = {
        consumer_cap: capped["concurrency"],
        f"dynamodb write units on one partition ({partition['pk']})": partition["units_per_second"],
        "writes on one item (this model's target at 10x)": hot[0]["writes_per_second"] if hot else 0.0,
        "lambda concurrency": sum(f["concurrency"] for f in functions),
        "cognito-identity-provider user authentication (InitiateAuth...)": sum(
            rate * operations[name].count("cognito-identity-provider.InitiateAuth")
            + rate * operations[name].count("cognito-identity-provider.RespondToAuthChallenge")
            for name, rate in rates.items()),
        "cognito-identity-provider user creation (AdminCreateUser)": sum(
            rate * operations[name].count("cognito-identity-provider.AdminCreateUser") for name, rate in rates.items()),
        "ses sending rate (production account, raised on request)": sum(
            rate * (operations[name].count("ses.") + operations[name].count("sesv2.")) for name, rate in rates.items()),
        "kms cryptographic operations (symmetric, shared)": sum(
            rate * operations[name].count("kms.") for name, rate in rates.items()),
        "api gateway requests": sum(rate for name, rate in rates.items()
                                    if operations[name].function == "api_handler"),
    }
    return sorted(({"quota": quota, "limit": limit, "use_1x": use[quota],
                    "reached_at": (limit / use[quota]) if use[quota] else None}
                   for quota, limit in quotas.items()), key=lambda row: row["reached_at"] or float("inf"))


def model(aws: dict[str, Any]) -> dict[str, Any]:
    operations = operations_from(aws)
    rates, missing = operation_rates(operations)
    hot, undeclared = hot_items(operations, rates, aws.get("table_items", []))
    sizes = item_sizes(aws.get("table_items", []))
    functions = functions_load(operations, rates, aws.get("consumers", {}))
    reads = sum(rate * operations[name].dynamodb_units[0] for name, rate in rates.items())
    writes = sum(rate * operations[name].dynamodb_units[1] for name, rate in rates.items())
    hottest = hot[0]["writes_per_second"] if hot else 0.0
    largest = sizes[0]["bytes"] if sizes else 0
    bounds = growth_bounds()
    return {
        "requests_per_second_1x": {p: peak_per_second(v) for p, v in YEARLY_REQUESTS.items()},
        "operations_per_second_1x": dict(sorted(rates.items(), key=lambda item: -item[1])),
        "not_measured": missing, "undeclared_shared_items": undeclared,
        "dynamodb_units_per_second_1x": {"read": reads, "write": writes},
        "hot_items": hot, "item_sizes": sizes[:15], "growth_bounds": bounds, "functions": functions,
        "cost_per_1000_requests_usd": cost_per_thousand_requests(operations),
        "quotas": quotas_met(operations, rates, functions, hot),
        "hottest_item_writes_per_second": {scale: hottest * scale for scale in SCALES},
        "item_writes_ok": hottest * 10 <= ITEM_WRITES_TARGET and not undeclared,
        "item_size_ok": largest < ITEM_BYTES_TARGET and all(b["bound_bytes"] < ITEM_BYTES_TARGET for b in bounds),
        "caps_ok": all(f["cap"] >= 10 * f["concurrency"] for f in functions if f["cap"]),
    }


def _rate(value: float) -> str:
    return f"{value:,.2f}".replace(",", " ") if value < 100 else f"{value:,.0f}".replace(",", " ")


def render(figures: dict[str, Any], when: str) -> str:
    """infra/CAPACITY.md."""
    lines: list[str] = []
    add = lines.append
    hottest = figures["hottest_item_writes_per_second"]
    add("# Capacity model")
    add("")
    add(f"_Generated by `bench/capacity.py` (`make bench`, {when}) from the AWS calls and items each operation "
        "really makes under moto (`bench/aws_calls.py`): do not edit by hand, rerun it. What is declared "
        "(volumes, journeys, shares, quotas, prices) is at the top of `bench/capacity.py`._")
    add("")
    add("## Volumes")
    add("")
    rps = figures["requests_per_second_1x"]
    add(f"France files about {', '.join(f'{v / 1e6:.1f} M {k.replace(chr(95), chr(32))}s' for k, v in YEARLY_REQUESTS.items())} "
        f"a year. September is {PEAK_MONTH_FACTOR:g}x the monthly mean, a month has {WORKING_DAYS_PER_MONTH} working "
        f"days and the busiest hour takes {PEAK_HOUR_SHARE:.0%} of a day: at 1x, "
        f"{sum(rps.values()):.2f} new requests a second in that hour. Each request's life calls the operations "
        "below (`JOURNEYS`); the rates are for that hour.")
    add("")
    add("| Operation | per second, 1x | 10x | 100x |")
    add("|---|---|---|---|")
    for name, rate in list(figures["operations_per_second_1x"].items())[:25]:
        add(f"| `{name}` | {_rate(rate)} | {_rate(rate * 10)} | {_rate(rate * 100)} |")
    if figures["not_measured"]:
        add("")
        add("Journey steps not measured yet (left out of every figure): " + ", ".join(
            f"`{m}`" for m in figures["not_measured"]) + ".")
    add("")
    units = figures["dynamodb_units_per_second_1x"]
    add(f"DynamoDB, whole table: {_rate(units['read'])} read units and {_rate(units['write'])} write units a second "
        f"at 1x ({_rate(units['read'] * 100)} and {_rate(units['write'] * 100)} at 100x): on-demand capacity, "
        "spread over the table's partitions by request number; what matters is the hottest item, below.")
    add("")
    add("## The most written items")
    add("")
    add(f"Target: no item above {ITEM_WRITES_TARGET:g} writes a second at 10x. The hottest takes "
        f"**{hottest[1]:.2f}** writes/s at 1x, **{hottest[10]:.2f}** at 10x, **{hottest[100]:.1f}** at 100x "
        f"({'PASS' if figures['item_writes_ok'] else 'FAIL'}).")
    add("")
    add("| Item (pk / sk) | shared by | writes/s 1x | 10x | 100x | write units/s 100x | written by |")
    add("|---|---|---|---|---|---|---|")
    for row in figures["hot_items"][:12]:
        add(f"| `{row['pk']}` / `{row['sk']}` | {row['scope']} | {row['writes_per_second']:.3f} | "
            f"{row['writes_per_second'] * 10:.2f} | {row['writes_per_second'] * 100:.1f} | "
            f"{row['units_per_second'] * 100:.0f} | {', '.join(f'`{w}`' for w in row['writers'])} |")
    add("")
    add("The hottest instance of each: the national shards take one batch in "
        f"{_national_shards()}; a département's items take the biggest département's share "
        f"({BIGGEST_DEPARTEMENT_SHARE:.0%}); a school's, the biggest school's ({BIGGEST_SCHOOL_YEARLY} requests a "
        "year). An update is charged on the item's size: a growing item at its bound.")
    if figures["undeclared_shared_items"]:
        add("")
        add("**Shared items with no declared scope** (declare them in `SHARED_SCOPES`): " + ", ".join(
            f"`{u}`" for u in figures["undeclared_shared_items"]) + ".")
    add("")
    add("## Item sizes")
    add("")
    add(f"Target: no item that could pass {ITEM_BYTES_TARGET // 1024} KB "
        f"({'PASS' if figures['item_size_ok'] else 'FAIL'}). Largest items left by the measured operations:")
    add("")
    add("| Item (pk / sk) | bytes |")
    add("|---|---|")
    for row in figures["item_sizes"][:10]:
        add(f"| `{row['pk']}` / `{row['sk']}` | {row['bytes']} |")
    add("")
    add("Items that grow, and the bound the code keeps them under: " + "; ".join(
        f"{b['items']}: {b['bound_bytes']} bytes (`{b['source']}`)" for b in figures["growth_bounds"]) + ". "
        "Every other item has a fixed shape (lists inside items are bounded by the input rules).")
    add("")
    add("## Lambda")
    add("")
    add("| Function | memory | invocations/s 1x | concurrency 1x | 10x | 100x | cap (queue consumers) |")
    add("|---|---|---|---|---|---|---|")
    for row in figures["functions"]:
        add(f"| `{row['function']}` | {row['memory_mb']} MB | {_rate(row['invocations'])} | "
            f"{row['concurrency']:.2f} | {row['concurrency'] * 10:.1f} | {row['concurrency'] * 100:.0f} | "
            f"{row['cap'] or '—'} |")
    add("")
    add("Concurrency = rate x duration; a duration is its calls at their declared latency (`CALL_MS`) plus its "
        "own work (`FUNCTION_CPU_MS`). The queue consumers' caps are in `chalicelib/sizing.py`.")
    add("")
    cost = figures["cost_per_1000_requests_usd"]
    add("## Cost per 1,000 requests filed")
    add("")
    add(f"**{cost['total']:.2f} USD** at list prices (`PRICES`): " + ", ".join(
        f"{k.replace('_', ' ')} {v:.3f}" for k, v in cost.items() if k != "total") + ".")
    add("")
    add("## What breaks first")
    add("")
    add("| Limit | quota | use at 1x | reached at |")
    add("|---|---|---|---|")
    for row in figures["quotas"]:
        reached = f"{row['reached_at']:.1f}x" if row["reached_at"] else "never"
        add(f"| {row['quota']} | {_rate(row['limit'])} | {_rate(row['use_1x'])} | {reached} |")
    add("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--aws-calls", type=Path, help="bench/aws_calls.py's JSON (else it is run)")
    args = parser.parse_args(argv)
    if args.aws_calls:
        aws = json.loads(args.aws_calls.read_text())
    else:
        sys.path.insert(0, str(BENCH_DIR))
        import aws_calls

        aws = aws_calls.measure()
    print(json.dumps(model(aws), indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
