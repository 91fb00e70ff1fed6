"""NEPH allocation under contention: 200 validations of registrations in one département at the
same moment (a September morning in a big DDT), each a decision's transaction giving the next
number, against in-process moto. Reference, measured in the same run: the same 200 decisions one
after another. Reported: failures (target 0), numbers unique and gap-free, the p95 of a decision,
and the time of the 200 at once over the time of the 200 in a row (the cost of contention).

moto, in-process and threaded, is made atomic by one lock (as tests/integration/test_neph.py
does): DynamoDB applies each call whole, moto does not. The lock also serialises the calls, as a
single hot item would on DynamoDB.

Run alone: `.venv/bin/python bench/neph_contention.py [--decisions 200]` (JSON on stdout)."""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import threading
import time
from datetime import date
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_DIR))
os.environ.update({"PERMIS_STAGE": "test", "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
                   "AWS_DEFAULT_REGION": "eu-west-3", "AWS_REGION": "eu-west-3",
                   "POWERTOOLS_TRACE_DISABLED": "true", "POWERTOOLS_METRICS_DISABLED": "true"})
os.environ.pop("AWS_ENDPOINT_URL", None)

DAY = date(2026, 9, 7)
def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def run(decisions: int) -> dict:
    import boto3
    from moto import mock_aws

    from chalicelib.adapters.dynamo import transact
    from chalicelib.adapters.instruction_repository import DynamoNephRegistry
    from chalicelib.local.moto_threads import IsolatedClient
    from chalicelib.domain.instruction import identity_key
    from chalicelib.services.instruction import give_neph

    with mock_aws():
        client = boto3.client("dynamodb")
        table = "bench-neph"
        client.create_table(TableName=table, BillingMode="PAY_PER_REQUEST",
                            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                                  {"AttributeName": "sk", "AttributeType": "S"}],
                            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                                       {"AttributeName": "sk", "KeyType": "RANGE"}])
        isolated = IsolatedClient(client)
        registry = DynamoNephRegistry(isolated, table)

        def decide(departement: str, i: int) -> tuple[str, float]:
            """One validation: the NEPH with a decision's own row, in one transaction."""
            def decision_items(number: str):
                return [{"Put": {"TableName": table, "ConditionExpression": "attribute_not_exists(pk)",
                                 "Item": {"pk": {"S": f"REQUEST#{departement}{i:06d}"}, "sk": {"S": "DECISION"},
                                          "neph": {"S": number}}}}]
            started = time.perf_counter()
            number = give_neph(registry, lambda items: transact(isolated, items), day=DAY, departement=departement,
                               identity_key=identity_key(f"Candidat{departement}{i}", "Léa", date(2008, 1, 1)),
                               request_id=f"{departement}{i:06d}", decision_items=decision_items)
            return number, time.perf_counter() - started

        # Reference: one after another (Rhône).
        started = time.perf_counter()
        sequential = [decide("69", i) for i in range(decisions)]
        sequential_s = time.perf_counter() - started

        # All at once (Nord), started together.
        results: list[tuple[str, float]] = []
        failures: list[str] = []
        barrier = threading.Barrier(decisions)

        def worker(i: int) -> None:
            barrier.wait(timeout=60)
            try:
                results.append(decide("59", i))
            except Exception as error:  # noqa: BLE001 — counted and reported
                failures.append(type(error).__name__)

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(decisions)]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=300)
        concurrent_s = time.perf_counter() - started

    numbers = sorted(number for number, _ in results)
    expected = [f"{DAY:%y%m}5910{order:04d}" for order in range(1, decisions + 1)]
    latencies = [seconds * 1000 for _, seconds in results]
    reference = [seconds * 1000 for _, seconds in sequential]
    return {
        "decisions": decisions, "failures": len(failures), "failure_kinds": sorted(set(failures)),
        "unique_and_gap_free": numbers == expected,
        "p50_ms": statistics.median(latencies) if latencies else None,
        "p95_ms": percentile(latencies, 0.95) if latencies else None,
        "max_ms": max(latencies) if latencies else None,
        "reference_p95_ms": percentile(reference, 0.95),
        "concurrent_s": concurrent_s, "sequential_s": sequential_s,
        "time_ratio": concurrent_s / sequential_s,
        "ok": not failures and numbers == expected,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--decisions", type=int, default=200)
    args = parser.parse_args()
    print(json.dumps(run(args.decisions), indent=2))


if __name__ == "__main__":
    main()
