"""The NEPH counter (adapters/instruction_repository.py, services/instruction.py): never the same
number twice, never a gap, under concurrent decisions; a person keeps their NEPH."""
from __future__ import annotations

import os
import threading
from datetime import date

import boto3
import pytest

from chalicelib.adapters import wiring
from chalicelib.adapters.dynamo import TransactionRefused, transact
from chalicelib.adapters.instruction_repository import DynamoNephRegistry
from chalicelib.domain.instruction import identity_key
from chalicelib.services.instruction import give_neph

DAY = date(2026, 11, 28)


@pytest.fixture
def registry(aws):
    return DynamoNephRegistry(wiring.client("dynamodb"), os.environ["TABLE_MAIN_NAME"])


def decision(request_id: str):
    """A stand-in for a decision's own items: a row recording the NEPH given to the request."""
    def items(number: str):
        return [{"Put": {"TableName": os.environ["TABLE_MAIN_NAME"], "ConditionExpression": "attribute_not_exists(pk)",
                         "Item": {"pk": {"S": f"TEST#{request_id}"}, "sk": {"S": "DECISION"},
                                  "neph": {"S": number}}}}]
    return items


# DynamoDB applies each transaction atomically and in isolation; moto, in-process, does not when
# threads call it at once (it can apply half a refused transaction). The lock gives moto
# DynamoDB's guarantee; the reads, and the order in which transactions arrive, still interleave.
ATOMIC = threading.Lock()


def atomic_transact(items):
    with ATOMIC:
        transact(wiring.client("dynamodb"), items)


def give(registry, person: str, request_id: str, departement="69"):
    return give_neph(registry, atomic_transact, day=DAY,
                     departement=departement, identity_key=identity_key(person, "Léa", date(2008, 1, 1)),
                     request_id=request_id, decision_items=decision(request_id))


def test_numbers_follow_each_other_per_month_and_departement(registry):
    assert [give(registry, f"Personne{i}", f"r{i}") for i in range(3)] == [
        "261169100001", "261169100002", "261169100003"]
    assert give(registry, "Autre", "r9", departement="92") == "261192100001"


def test_a_person_who_has_a_neph_keeps_it(registry):
    first = give(registry, "Dupont", "r1")
    assert give(registry, "DUPONT", "r2") == first
    assert give(registry, "Martin", "r3") == "261169100002"  # no number consumed by the second decision


def test_a_decision_that_does_not_commit_consumes_no_number(registry):
    give(registry, "Dupont", "r1")
    with pytest.raises(TransactionRefused):
        give(registry, "Martin", "r1")  # the decision's own item already exists: refused
    assert give(registry, "Martin", "r2") == "261169100002"


def test_concurrent_decisions_never_share_nor_skip_a_number(registry, monkeypatch):
    """Every decision reads the counter first, then all commit: one wins per number, the others
    read again. Threads, so reads and commits really interleave."""
    barrier = threading.Barrier(6)
    real_next = DynamoNephRegistry.next_order
    first_read = set()

    def next_order(self, prefix):
        order = real_next(self, prefix)
        if threading.get_ident() not in first_read:  # everyone reads the same value at first
            first_read.add(threading.get_ident())
            barrier.wait(timeout=10)
        return order

    monkeypatch.setattr(DynamoNephRegistry, "next_order", next_order)
    results, errors = [], []

    def run(i):
        try:
            results.append(give(registry, f"Candidat{i}", f"c{i}"))
        except Exception as error:  # noqa: BLE001 (reported below)
            errors.append(error)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors
    assert sorted(results) == [f"2611691000{n:02d}" for n in range(1, 7)]
    given = boto3.client("dynamodb").scan(TableName=os.environ["TABLE_MAIN_NAME"], FilterExpression="entity = :neph",
                                          ExpressionAttributeValues={":neph": {"S": "neph"}})["Items"]
    assert len(given) == 6
