"""Use cases of instruction (issue 6, in progress): the NEPH given when a registration is validated.

A person who already has a NEPH keeps it; otherwise the next number of the month for the
département and office is taken in the same transaction as the decision (`decision_items`), and
taken again from a fresh read when another decision took it first."""
from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any, Callable

from chalicelib.adapters.dynamo import TransactionRefused
from chalicelib.domain.instruction import neph, neph_prefix

if TYPE_CHECKING:
    from chalicelib.adapters.instruction_repository import DynamoNephRegistry

ALLOCATION_ATTEMPTS = 20  # each retry means another decision committed a number in between


class NephBusy(Exception):
    """Every attempt found the counter moved: too many decisions at once for one office."""


def give_neph(registry: "DynamoNephRegistry", transact: Callable[[list[dict[str, Any]]], None], *, day: date,
              departement: str, identity_key: str, request_id: str,
              decision_items: Callable[[str], list[dict[str, Any]]]) -> str:
    """Commits the decision (`decision_items(neph)`) with the person's NEPH: theirs already, or the
    next one. TransactionRefused from the decision's own items is raised as is."""
    prefix = neph_prefix(day, departement)
    for _ in range(ALLOCATION_ATTEMPTS):
        existing = registry.neph_for_identity(identity_key)
        if existing is not None:
            transact(decision_items(existing))
            return existing
        order = registry.next_order(prefix)
        number = neph(prefix, order)
        allocation = registry.allocation_items(prefix, order, number, identity_key, request_id)
        try:
            transact(allocation + decision_items(number))
        except TransactionRefused as refused:
            if any(i >= len(allocation) for i in refused.failed):
                raise  # the decision itself was refused (the request changed meanwhile)
            continue  # another decision took this number, or gave this person a NEPH: read again
        return number
    raise NephBusy(prefix)
