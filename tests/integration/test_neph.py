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


def set_counter(prefix: str, last_order: int) -> None:
    """An office's month as if `last_order` numbers were given (rather than giving them all)."""
    boto3.client("dynamodb").put_item(TableName=os.environ["TABLE_MAIN_NAME"], Item={
        "pk": {"S": f"COUNTER#NEPH#{prefix}"}, "sk": {"S": "COUNTER"}, "entity": {"S": "neph_counter"},
        "last_order": {"N": str(last_order)}})


def test_the_9999th_number_of_the_prefectures_office_is_followed_by_the_first_of_the_next_office(registry):
    set_counter("26116910", 9998)
    assert [give(registry, f"Personne{i}", f"r{i}") for i in range(3)] == [
        "261169109999", "261169110001", "261169110002"]
    assert give(registry, "Ailleurs", "a1", departement="92") == "261192100001"  # each département its own


def test_validations_at_once_across_the_end_of_an_office_get_unique_numbers_without_a_gap(registry):
    """Twenty decisions at once while the first office has eight numbers left, some refused (the
    request changed meanwhile): the numbers go on in the next office, the refused ones' numbers,
    in either office, are given by the next validations, and nothing is given twice."""
    set_counter("26116910", 9990)
    give(registry, "Premier", "taken")
    results, errors = at_once(20, lambda i: give(registry, f"Rentree{i}", "taken" if i % 5 == 0 else f"s{i}"))
    assert sorted(i for i, error in errors if isinstance(error, TransactionRefused)) == [0, 5, 10, 15]
    results += [give(registry, f"Suivant{i}", f"later{i}") for i in range(4)]
    assert sorted(results) == [f"2611691099{n:02d}" for n in range(92, 100)] + [
        f"26116911{n:04d}" for n in range(1, 13)]
    assert registry.first_hole("26116910") is None and registry.first_hole("26116911") is None


def test_when_every_office_of_the_departement_is_full_no_number_is_given_and_nothing_is_committed(registry):
    from chalicelib.domain.instruction import NephExhausted, neph_prefixes

    prefixes = neph_prefixes(DAY, "69")
    for prefix in prefixes:
        set_counter(prefix, 9999)
    with pytest.raises(NephExhausted):
        give(registry, "Tardif", "late")
    item = boto3.client("dynamodb").get_item(TableName=os.environ["TABLE_MAIN_NAME"],
                                             Key={"pk": {"S": "TEST#late"}, "sk": {"S": "DECISION"}})
    assert "Item" not in item  # the decision was not committed
    assert [registry.first_hole(prefix) for prefix in prefixes] == [None] * len(prefixes)
    assert give(registry, "Ailleurs", "a1", departement="92") == "261192100001"
