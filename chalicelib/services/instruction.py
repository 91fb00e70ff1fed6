"""Use cases of instruction (issue 6, in progress): an agent's decision, and the NEPH given when a
registration is validated.

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
    from chalicelib.domain.accounts import Profile
    from chalicelib.domain.instruction import DecisionKind
    from chalicelib.domain.requests import Request
    from chalicelib.services.requests import Requests

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


class Instruction:
    """An agent's decision on a request: validate (a registration gets its NEPH), ask for a
    complement (the documents to replace and why), or reject (why). One transaction with the
    status, the history row, the event and, for a new NEPH, the counter. Claims (the queue's lease)
    come with the queues."""

    def __init__(self, requests: "Requests", registry: "DynamoNephRegistry"):
        self.requests = requests
        self.registry = registry

    def _instructed(self, agent: "Profile", request_id: str) -> "Request":
        """The request, if this agent's service instructs it; else the same 404 as an unknown number."""
        from chalicelib.domain.instruction import authority_for, may_instruct
        from chalicelib.services.requests import NOT_FOUND

        request = self.requests.repo.get(request_id) if request_id.isdigit() and len(request_id) == 12 else None
        departement = request.departement() if request else None
        if request is None or departement is None or not may_instruct(
                agent.role.value, agent.departement, authority_for(request.procedure, departement)):
            raise NOT_FOUND
        return request

    def decide(self, agent: "Profile", request_id: str, version: int, kind: "DecisionKind", reasons: list[str],
               comment: str | None = None, documents: list[str] | None = None) -> "Request":
        from chalicelib.domain import request_events
        from chalicelib.domain.errors import ErrorDetail, InvalidInput
        from chalicelib.domain.instruction import DecisionKind, check_reasons, identity_key, reason_text
        from chalicelib.domain.procedures import REGISTRATION_PROCEDURES, RequestStatus, Transition, check_transition
        from chalicelib.domain.requests import candidate_civil_identity
        from chalicelib.domain.rules import DocumentType
        from chalicelib.services.requests import changed_meanwhile

        request = self._instructed(agent, request_id)
        if request.version != version:
            raise changed_meanwhile(request)
        target = {DecisionKind.VALIDATE: RequestStatus.APPROVED, DecisionKind.REJECT: RequestStatus.REJECTED,
                  DecisionKind.COMPLEMENT: RequestStatus.MORE_INFORMATION_REQUESTED}[kind]
        check_transition(request.status, target, procedure=request.procedure, mandate=request.mandate)
        problems = [ErrorDetail(p.message, field=p.field, code=p.code) for p in check_reasons(kind, reasons, comment)]
        documents = documents or []
        if kind is DecisionKind.COMPLEMENT:
            valid = {d.value for d in DocumentType}
            if not documents or any(d not in valid for d in documents):
                problems.append(ErrorDetail("Indiquez les pièces à remplacer (types de pièces de la demande).",
                                            field="documents", code="documents_required"))
        if problems:
            raise InvalidInput("decision_invalid", "La décision est incomplète : corrigez les champs indiqués.",
                               problems)
        now = self.requests.clock()
        reason = None if kind is DecisionKind.VALIDATE else reason_text(kind, reasons, comment)
        update: dict[str, Any] = {"returning": False}
        if kind is DecisionKind.COMPLEMENT:
            update.update(complement_documents=documents, complement_asked_at=now)
        event_type = {DecisionKind.VALIDATE: request_events.APPROVED, DecisionKind.REJECT: request_events.REJECTED,
                      DecisionKind.COMPLEMENT: request_events.COMPLEMENT_REQUESTED}[kind]

        def decided(neph_given: str | None) -> "Request":
            return request.model_copy(update={**update, "neph": neph_given or request.neph, "status": target,
                                              "updated_at": now, "version": request.version + 1})

        def decision_items(neph_given: str | None) -> list[dict[str, Any]]:
            transition = Transition(from_status=request.status, to_status=target, at=now, reason=reason,
                                    actor_account_id=agent.account_id, actor_role=agent.role)
            event = self.requests.event_for(event_type, request, now, neph=neph_given, reason=reason)
            return self.requests.repo.change_items(decided(neph_given), [transition], [event])

        given = None
        try:
            if kind is DecisionKind.VALIDATE and request.procedure in REGISTRATION_PROCEDURES:
                civil = candidate_civil_identity(request)
                assert civil.birth_date is not None  # a submitted request has its civil status
                given = give_neph(self.registry, self.requests.repo.transact, day=now.date(),
                                  departement=request.departement() or "", request_id=request_id,
                                  identity_key=identity_key(civil.birth_name, civil.first_names, civil.birth_date),
                                  decision_items=decision_items)
            else:
                self.requests.repo.transact(decision_items(None))
        except TransactionRefused:
            raise changed_meanwhile(self.requests.repo.get(request_id)) from None
        return decided(given)
