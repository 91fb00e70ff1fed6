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
from chalicelib.local.moto_threads import IsolatedClient
from chalicelib.services.instruction import give_neph

DAY = date(2026, 11, 28)


@pytest.fixture
def registry(aws):
    return DynamoNephRegistry(IsolatedClient(wiring.client("dynamodb")), os.environ["TABLE_MAIN_NAME"])


def decision(request_id: str):
    """A stand-in for a decision's own items: a row recording the NEPH given to the request."""
    def items(number: str):
        return [{"Put": {"TableName": os.environ["TABLE_MAIN_NAME"], "ConditionExpression": "attribute_not_exists(pk)",
                         "Item": {"pk": {"S": f"TEST#{request_id}"}, "sk": {"S": "DECISION"},
                                  "neph": {"S": number}}}}]
    return items


def atomic_transact(items):
    transact(IsolatedClient(wiring.client("dynamodb")), items)


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


def at_once(count: int, work) -> tuple[list, list]:
    """`work(i)` in `count` threads started together: what they returned, what they raised."""
    results, errors = [], []
    start = threading.Barrier(count)

    def run(i):
        start.wait(timeout=30)
        try:
            results.append(work(i))
        except Exception as error:  # noqa: BLE001 (the caller asserts on them)
            errors.append((i, error))

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results, errors


def test_refused_decisions_leave_holes_that_the_next_validations_fill_at_once(registry):
    """Decisions refused at the same moment (the request changed meanwhile) give their orders back;
    concurrent validations take each hole once, and the month's numbers end without a gap."""
    give(registry, "Premier", "taken")
    # Every third decision is refused: its own item exists already.
    results, errors = at_once(30, lambda i: give(registry, f"Personne{i}", "taken" if i % 3 == 0 else f"q{i}"))
    assert all(isinstance(error, TransactionRefused) for _, error in errors)
    errors = [i for i, _ in errors]
    assert sorted(errors) == list(range(0, 30, 3))
    for i in range(10):  # later validations fill whatever holes remain, lowest first
        results.append(give(registry, f"Suivant{i}", f"later{i}"))
    assert sorted(results) == [f"261169100{n:03d}" for n in range(2, 32)]
    assert registry.first_hole("26116910") is None


def test_a_hundred_validations_at_once_in_one_departement_all_get_their_number(registry):
    """A September morning in a big DDT, scaled to the suite: every decision gets its number,
    unique and without a gap."""
    results, errors = at_once(100, lambda i: give(registry, f"Rentree{i}", f"s{i}"))
    assert errors == []
    assert sorted(results) == [f"261169100{n:03d}" for n in range(1, 101)]


def test_holes_taken_by_others_again_and_again_give_up_after_the_time_budget_with_growing_random_waits(
        registry):
    """Bounded by time, not by a count of attempts; the waits double up to the cap, at random."""
    from chalicelib.services import instruction

    registry.leave_hole("26116910", 1)
    now = [0.0]
    waits: list[float] = []

    def sleep(seconds):
        waits.append(seconds)
        now[0] += seconds + 0.01  # each attempt itself takes 10 ms

    def hole_always_taken(items):
        raise TransactionRefused([registry.HOLE_ITEM])

    with pytest.raises(instruction.NephBusy):
        give_neph(registry, hole_always_taken, day=DAY, departement="69", identity_key="x", request_id="r",
                  decision_items=decision("r"), monotonic=lambda: now[0], sleep=sleep)
    assert now[0] >= instruction.ALLOCATION_SECONDS
    assert max(waits) <= instruction.BACKOFF_CAP and len(set(waits)) > len(waits) // 2  # random, not fixed
    assert instruction.backoff(0, draw=lambda low, high: high) < instruction.backoff(3, draw=lambda low, high: high)
    assert instruction.backoff(50, draw=lambda low, high: high) == instruction.BACKOFF_CAP


def test_a_decision_that_gets_no_answer_leaves_a_hole_dropped_once_its_number_proves_given(registry):
    """A timeout after the order was taken: the order is put back as a hole. Had the decision in
    fact committed, the next validation finds the number given, drops the hole and takes the next."""
    def committed_without_answer(items):
        atomic_transact(items)
        raise TimeoutError("no answer from DynamoDB")

    with pytest.raises(TimeoutError):
        give_neph(registry, committed_without_answer, day=DAY, departement="69",
                  identity_key=identity_key("Perdu", "Léa", date(2008, 1, 1)), request_id="lost",
                  decision_items=decision("lost"))
    assert registry.first_hole("26116910") == 1
    assert give(registry, "Suivant", "next") == "261169100002"
    assert registry.first_hole("26116910") is None
