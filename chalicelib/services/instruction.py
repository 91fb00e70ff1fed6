"""Use cases of instruction: an agent claims the next request of their authority's queue (the
queue message's lease), examines it with its documents and the pre-checks (every read recorded),
extends or releases the claim, and decides: validate (a registration gets its NEPH), ask for a
complement, or reject. Administrators read the queue health, the reads of a request and the
dead letters.

A person who already has a NEPH keeps it; otherwise the next number of the month for the
département is given in the same transaction as the decision (`decision_items`): from its first
office that has numbers left (domain.instruction.next_order); its order is taken without waiting
for the other decisions (see give_neph). When every office has given its 9,999 numbers of the
month, the validation is refused with a 503 that changes nothing, and the operators are alerted."""
from __future__ import annotations

import itertools
import random
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Callable

from chalicelib.adapters.dynamo import TransactionRefused
from chalicelib.domain.instruction import NephExhausted, neph, neph_prefixes, next_order

if TYPE_CHECKING:
    from chalicelib.adapters.instruction_queues import QueuedMessage, SqsInstructionQueues
    from chalicelib.adapters.instruction_repository import DynamoInstructionRecords, DynamoNephRegistry
    from chalicelib.domain.accounts import Profile
    from chalicelib.domain.errors import Unavailable
    from chalicelib.domain.instruction import (Claim, DayOfDecisions, DecisionKind, Note, PreCheck, WorklistTab,
                                               WorkRow)
    from chalicelib.domain.procedures import Transition
    from chalicelib.domain.requests import Request
    from chalicelib.services.requests import Requests

# A decision takes its order without waiting for the others (adapters/instruction_repository.py);
# it tries again only when the hole it took was taken by another decision at the same moment, or
# the person was given a NEPH meanwhile. Those retries wait a random, doubling time (full
# jitter) and are bounded by time, well within API Gateway's 29 s (bench/neph_contention.py).
ALLOCATION_SECONDS = 20.0
BACKOFF_BASE, BACKOFF_CAP = 0.005, 0.25


class NephBusy(Exception):
    """Holes kept being taken by others for ALLOCATION_SECONDS: far beyond what one office sees."""


def backoff(attempt: int, draw: Callable[[float, float], float] = random.uniform) -> float:
    """Seconds to wait before the attempt after `attempt` (0-based): full jitter."""
    return draw(0.0, min(BACKOFF_CAP, BACKOFF_BASE * 2 ** attempt))


def give_neph(registry: "DynamoNephRegistry", transact: Callable[[list[dict[str, Any]]], None], *, day: date,
              departement: str, identity_key: str, request_id: str,
              decision_items: Callable[[str], list[dict[str, Any]]],
              monotonic: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep) -> str:
    """Commits the decision (`decision_items(neph)`) with the person's NEPH: theirs already, or the
    next one. TransactionRefused from the decision's own items is raised as is; NephExhausted when
    every office of the département has given its numbers of the month (nothing committed)."""
    prefixes = neph_prefixes(day, departement)
    deadline = monotonic() + ALLOCATION_SECONDS
    for attempt in itertools.count():
        if attempt:
            if monotonic() >= deadline:
                break
            sleep(backoff(attempt - 1))
        existing = registry.neph_for_identity(identity_key)
        if existing is not None:  # even in a month whose numbers are all given
            transact(decision_items(existing))
            return existing
        prefix, order, from_hole = next_order(prefixes, registry.first_hole, registry.reserve_order)
        number = neph(prefix, order)
        allocation = registry.allocation_items(prefix, order, number, identity_key, request_id,
                                               from_hole=from_hole)
        try:
            transact(allocation + decision_items(number))
        except TransactionRefused as refused:
            if not from_hole:
                registry.leave_hole(prefix, order)  # handed out to us and not given: the next one takes it
            elif registry.NEPH_ITEM in refused.failed:
                registry.drop_hole(prefix, order)  # a stale hole: its number was given after all
            if any(i >= len(allocation) for i in refused.failed):
                raise  # the decision itself was refused (the request changed meanwhile)
            continue  # the hole was taken by another decision, or the person got a NEPH meanwhile
        except Exception:
            if not from_hole:  # no answer (a timeout): if it did commit, the hole is dropped as stale
                registry.leave_hole(prefix, order)
            raise
        return number
    raise NephBusy(prefixes[0])


LEASE_SECONDS = 15 * 60  # the family's visibility timeout: an agent's claim, extendable
STALE_SKIPS = 20  # messages about requests decided meanwhile are dropped on the way to the next one
LINK_SECONDS = 60  # presigned links to documents
HEALTH_DAYS = 7  # decisions per day and the median delay are shown over the last week
REQUEUE_AFTER = timedelta(days=10)  # well within SQS's 14 days, even if a daily run is missed


def _staff_not_found():
    from chalicelib.domain.errors import NotFound

    return NotFound("request_not_found", "Aucune demande instruite par votre service ne porte ce numéro : vérifiez-le.")


def _claim_expired():
    from chalicelib.domain.errors import Conflict

    return Conflict("claim_expired", "Votre prise en charge de cette demande a expiré : reprenez-la depuis la file "
                                     "(« Demande suivante ») puis recommencez.")


@dataclass(frozen=True)
class Examination:
    """What an agent sees of a request: the request, its documents, the pre-checks, who holds it."""

    request: "Request"
    documents: dict[str, dict[str, Any]]
    pre_checks: list["PreCheck"]
    claim: "Claim | None"
    history: list["Transition"]


@dataclass(frozen=True)
class QueueHealth:
    authority: str
    waiting: int
    returning_waiting: int
    claimed: int
    oldest_queued_at: datetime | None
    oldest_request_id: str | None
    days: list["DayOfDecisions"]
    median_delay_seconds: float | None  # submission to final decision, over the days shown


class Instruction:
    """An agent's work on their authority's queue: claim, examine, extend, release, decide. A
    decision is one transaction (status, history row, event, the claim's end and, for a new NEPH,
    the counter) followed by one queue delete. The authority's day of decisions is counted from the
    committed event by the statistics worker, out of that transaction: two agents deciding two
    requests never meet on a shared item (`decisions` reads it back for the queue health)."""

    def __init__(self, requests: "Requests", registry: "DynamoNephRegistry", records: "DynamoInstructionRecords",
                 queues: "SqsInstructionQueues", presign: Callable[[str, str], str] | None = None,
                 open_link: Callable[[str, str, str, int], str] | None = None,
                 decisions: Callable[[str, date, date], tuple[list[tuple[date, int]], float | None]] | None = None):
        self.requests = requests
        self.registry = registry
        self.records = records
        self.queues = queues
        self.presign = presign  # (S3 key, file name) -> a short-lived link that downloads
        self.open_link = open_link  # (S3 key, file name, content type, seconds) -> one shown in the page
        self.decisions = decisions  # (authority, first day, last day) -> (decisions per day, median delay in s)

    @property
    def clock(self):
        return self.requests.clock

    # --- what an agent may see -------------------------------------------------------------

    def instructed(self, agent: "Profile", request_id: str) -> "Request":
        """The request, if this agent's service instructs it; else the same 404 as an unknown number."""
        from chalicelib.domain.instruction import may_instruct

        request = self.requests.repo.get(request_id) if request_id.isdigit() and len(request_id) == 12 else None
        authority = request.authority() if request else None
        if request is None or authority is None or not may_instruct(agent.role.value, agent.departement, authority):
            raise _staff_not_found()
        return request

    def authority_of(self, agent: "Profile") -> str:
        from chalicelib.domain.errors import Forbidden
        from chalicelib.domain.instruction import agent_authority

        authority = agent_authority(agent.role.value, agent.departement)
        if authority is None:
            raise Forbidden("no_queue", "Votre compte n'est rattaché à aucune file d'instruction : demandez à "
                                        "l'administrateur de la préfecture d'indiquer votre service.")
        return authority

    # --- claims ------------------------------------------------------------------------------

    def claim_next(self, agent: "Profile") -> Examination | None:
        """The next request of the agent's queue, held for them: requests back from a complement
        first, then the others in the order they came. None when both queues are empty."""
        from chalicelib.adapters.instruction_repository import ClaimHeld
        from chalicelib.domain.instruction import Claim
        from chalicelib.domain.procedures import RequestStatus

        authority = self.authority_of(agent)
        for returning in (True, False):
            for _ in range(STALE_SKIPS):
                message = self.queues.receive(authority, returning, LEASE_SECONDS)
                if message is None:
                    break
                request_id = message.request_id()
                if request_id is None:
                    self.queues.set_aside(authority, message)  # no code can read it: operators look at it
                    continue
                request = self.requests.repo.get(request_id)
                if request is None or request.status is not RequestStatus.UNDER_REVIEW \
                        or request.authority() != authority:
                    # Decided meanwhile (or a duplicate of a message already decided): nothing to do.
                    self.queues.delete(authority, returning, message.receipt_handle)
                    continue
                now = self.clock()
                claim = Claim(request_id=request_id, agent_id=agent.account_id, agent_name=agent.display_name(),
                              authority=authority, returning=returning, receipt_handle=message.receipt_handle,
                              claimed_at=now, lease_until=now + timedelta(seconds=LEASE_SECONDS))
                try:
                    self.records.put_claim(claim, now)
                except ClaimHeld as held:
                    # A second copy of a message someone holds (SQS delivers at least once): keep
                    # it out of sight while their lease runs, never delete it under them.
                    remaining = int((held.claim.lease_until - now).total_seconds()) + 1 if held.claim else 0
                    self.queues.hold(authority, returning, message.receipt_handle, max(remaining, 0))
                    continue
                return self._examine(agent, request, claim)
        return None

    def claim(self, agent: "Profile", request_id: str) -> Examination:
        """An agent takes a request opened from the worklist, if nobody holds it: the same lease as
        "next", without the queue's message (a colleague who receives it meanwhile finds it held)."""
        from chalicelib.adapters.instruction_repository import ClaimHeld
        from chalicelib.domain.errors import Conflict
        from chalicelib.domain.instruction import Claim
        from chalicelib.domain.procedures import RequestStatus

        request = self.instructed(agent, request_id)
        if request.status is not RequestStatus.UNDER_REVIEW:
            raise Conflict("not_under_review", f"Cette demande n'est pas à instruire ({request.status_label}) : "
                           "il n'y a rien à prendre en charge.", current={"status": request.status.value})
        now = self.clock()
        claim = Claim(request_id=request_id, agent_id=agent.account_id, agent_name=agent.display_name(),
                      authority=request.authority() or "", returning=request.returning, receipt_handle="",
                      claimed_at=now, lease_until=now + timedelta(seconds=LEASE_SECONDS))
        try:
            self.records.put_claim(claim, now)
        except ClaimHeld as held:
            if held.claim is not None:
                self._check_held(agent, held.claim)  # says who holds it, until when
            raise Conflict("claimed_by_other", "Un autre agent vient de prendre cette demande en charge : "
                                               "choisissez-en une autre.") from None
        return self._examine(agent, request, claim)

    def worklist(self, agent: "Profile", tab: "WorklistTab", *, limit: int, cursor: str | None = None,
                 procedure: str | None = None, name: str | None = None, waiting_days: int | None = None,
                 oldest_first: bool = True) -> tuple[list["WorkRow"], str | None]:
        """One page of the agent's authority's worklist, from its index (never a Scan): à traiter
        (gsi3 INSTRUCTION#, with who holds each row and whose filer waits for an answer on its
        thread: one BatchGetItem), en cours (the running claims,
        gsi3 CLAIMS#, and their requests: one BatchGetItem), complement (gsi3 COMPLEMENT#, with the same
        BatchGetItem: a school may write while it gathers the pieces) and traités
        (gsi3 DECIDED#, the last DONE_DAYS days, newest first). `waiting_days`: only rows waiting for
        more than that many days."""
        from chalicelib.domain.instruction import DONE_DAYS, WorklistTab, WorkRow
        from chalicelib.domain.procedures import Procedure
        from chalicelib.adapters.requests_repository import complement_partition, instruction_partition
        from chalicelib.adapters.instruction_repository import decided_partition
        from chalicelib.domain.identity_match import normalize_name

        authority = self.authority_of(agent)
        now = self.clock()
        cutoff = (now - timedelta(days=waiting_days)).isoformat() if waiting_days else None
        if tab is WorklistTab.IN_PROGRESS:
            claims = self.records.running_claims(authority, now)
            requests = self.requests.repo.get_many([c.request_id for c in claims])
            rows = [WorkRow(request_id=c.request_id, procedure=r.procedure, candidate_name=r.candidate_name(),
                            submitted_at=r.submitted_at, since=r.queued_at, claim=c)
                    for c in claims if (r := requests.get(c.request_id)) is not None]
            wanted = normalize_name(name) if name else None
            rows = [row for row in rows if (not procedure or row.procedure.value == procedure)
                    and (not wanted or wanted in normalize_name(row.candidate_name))
                    and (not cutoff or (row.since is not None and row.since.isoformat() < cutoff))]
            return sorted(rows, key=lambda row: (row.since is None, row.since), reverse=not oldest_first), None
        if tab is WorklistTab.DONE:
            def done_row(item: dict[str, Any]) -> "WorkRow":
                from chalicelib.adapters.dynamo import from_item

                values = from_item(item)
                return WorkRow(request_id=values["request_id"], procedure=Procedure(values["procedure"]),
                               candidate_name=values["candidate_name"],
                               submitted_at=_moment(values.get("submitted_at")), since=_moment(values["decided_at"]),
                               decision=values["decision"], decided_by=values["agent_name"])

            return self.requests.repo.page("gsi3", decided_partition(authority), limit=limit, cursor=cursor,
                                           procedure=procedure, name=name, oldest_first=False,
                                           sorted_after=(now - timedelta(days=DONE_DAYS)).isoformat(),
                                           parse=done_row)
        partition = instruction_partition(authority) if tab is WorklistTab.TO_DO else complement_partition(authority)
        found, next_cursor = self.requests.repo.page("gsi3", partition, limit=limit, cursor=cursor,
                                                     procedure=procedure, name=name, oldest_first=oldest_first,
                                                     sorted_before=cutoff)
        claims, waiting = self.records.marks_of([r.request_id for r in found]) if found else ({}, set())
        return [WorkRow(request_id=r.request_id, procedure=r.procedure, candidate_name=r.candidate_name(),
                        submitted_at=r.submitted_at,
                        since=r.queued_at if tab is WorklistTab.TO_DO else r.complement_asked_at,
                        claim=c if (c := claims.get(r.request_id)) is not None and c.active(now) else None,
                        message_waiting=r.request_id in waiting)
                for r in found], next_cursor

    def find(self, agent: "Profile", number: str) -> list["WorkRow"]:
        """The agent's authority's requests that a 12-digit number names: the request of that number,
        and the registrations validated under that NEPH (both are 12 digits). Others' are left out."""
        from chalicelib.domain.instruction import WorkRow, may_instruct

        if not (number.isdigit() and len(number) == 12):
            return []
        ids = [number, *self.registry.registrations(number)]
        found = self.requests.repo.get_many(ids)
        now = self.clock()
        mine = [r for r in (found.get(i) for i in dict.fromkeys(ids))
                if r is not None and r.authority() and may_instruct(agent.role.value, agent.departement, r.authority())]
        claims, waiting = self.records.marks_of([r.request_id for r in mine]) if mine else ({}, set())
        return [WorkRow(request_id=r.request_id, procedure=r.procedure, candidate_name=r.candidate_name(),
                        submitted_at=r.submitted_at, since=r.status_since,
                        claim=c if (c := claims.get(r.request_id)) is not None and c.active(now) else None,
                        message_waiting=r.request_id in waiting)
                for r in mine]

    def _own_claim(self, agent: "Profile", request_id: str) -> "Claim":
        """The agent's running claim on a request of their service, in one read: the claim names its
        authority, so the request is read only to refuse (the same 404 as for an unknown number)."""
        from chalicelib.domain.instruction import may_instruct

        claim = self.records.get_claim(request_id) if request_id.isdigit() and len(request_id) == 12 else None
        if claim is None or not may_instruct(agent.role.value, agent.departement, claim.authority):
            self.instructed(agent, request_id)
        return self._check_held(agent, claim)

    def _held_claim(self, agent: "Profile", request_id: str) -> "Claim":
        return self._check_held(agent, self.records.get_claim(request_id))

    def _check_held(self, agent: "Profile", claim: "Claim | None") -> "Claim":
        from chalicelib.domain.errors import Conflict

        now = self.clock()
        if claim is not None and claim.active(now) and claim.agent_id != agent.account_id:
            raise Conflict("claimed_by_other", f"{claim.agent_name} instruit cette demande jusqu'à "
                           f"{_paris(claim.lease_until):%Hh%M} : elle vous sera proposée si elle est libérée ou "
                           "si cette prise en charge expire.",
                           current={"claimed_by": claim.agent_name, "lease_until": claim.lease_until.isoformat()})
        if claim is None or claim.agent_id != agent.account_id:
            raise Conflict("claim_required", "Prenez d'abord la demande en charge (« Demande suivante ») : on décide "
                                             "d'une demande que l'on détient.")
        if not claim.active(now):
            raise _claim_expired()
        return claim

    def extend(self, agent: "Profile", request_id: str) -> "Claim":
        """Another lease for the request the agent is working on."""
        from dataclasses import replace

        claim = self._own_claim(agent, request_id)
        now = self.clock()
        until = now + timedelta(seconds=LEASE_SECONDS)
        held = not claim.from_queue or self.queues.hold(claim.authority, claim.returning, claim.receipt_handle,
                                                        LEASE_SECONDS)
        if not held or not self.records.extend_claim(claim, until, now):
            raise _claim_expired()
        return replace(claim, lease_until=until)

    def release(self, agent: "Profile", request_id: str) -> None:
        """The agent gives the request up: it is offered to the next agent at once."""
        claim = self._own_claim(agent, request_id)
        self.records.delete_claim(claim)
        if claim.from_queue:
            self.queues.hold(claim.authority, claim.returning, claim.receipt_handle, 0)

    # --- examining -------------------------------------------------------------------------

    def examine(self, agent: "Profile", request_id: str) -> Examination:
        request = self.instructed(agent, request_id)
        return self._examine(agent, request, self.records.get_claim(request_id))

    def _examine(self, agent: "Profile", request: "Request", claim: "Claim | None") -> Examination:
        now = self.clock()
        self._record_read(agent, request.request_id, "demande", now)
        documents, checks = self._pre_checks(request, now)
        return Examination(request=request, documents=documents, pre_checks=checks,
                           claim=claim if claim is not None and claim.active(now) else None,
                           history=self.requests.repo.history(request.request_id))

    def _pre_checks(self, request: "Request", now: datetime) -> tuple[dict[str, dict[str, Any]], list["PreCheck"]]:
        """The request's documents and its pre-checks as of now: what the agent is shown, and what a
        validation checks again (a NEPH given to the same person meanwhile is seen)."""
        from chalicelib.domain.instruction import identity_key, pre_checks
        from chalicelib.domain.requests import candidate_civil_identity

        documents = self.requests.documents.by_type(request.request_id)
        code = (documents.get("ephoto") or {}).get("code")
        civil = candidate_civil_identity(request)
        existing = self.registry.neph_for_identity(identity_key(civil.birth_name, civil.first_names, civil.birth_date)) \
            if civil.birth_date else None
        return documents, pre_checks(request, documents,
                                     ephoto_owner=self.requests.repo.ephoto_owner(code) if code else None,
                                     existing_neph=existing if existing != request.neph else None, day=now.date())

    def document_link(self, agent: "Profile", request_id: str, document: str) -> tuple[str, str, str, datetime]:
        """Links of a minute to an accepted document, as (to download, to show in the page, its
        content type, until when); the read is recorded. `ephoto-photo` and `ephoto-signature`:
        the images the ePhoto operator gives for the request's code (services/ephoto.py: fetched
        and checked at the first view, 409 ephoto_pending meanwhile, then kept)."""
        from chalicelib.domain.ephoto import DOCUMENT_PARTS, EXTENSIONS
        from chalicelib.domain.errors import NotFound
        from chalicelib.domain.rules import DocumentType

        request = self.instructed(agent, request_id)
        now = self.clock()
        if document in DOCUMENT_PARTS:
            from chalicelib.services.ephoto import stored_image

            image = stored_image(self.requests, request, DOCUMENT_PARTS[document], now)
            key, content_type = image.key, image.content_type
        else:
            known = document in DocumentType._value2member_map_
            record = self.requests.documents.get(request_id, document) if known else None
            if record is None or record.get("state") != "accepted" or not record.get("clean_key"):
                raise NotFound("document_not_found", "Cette pièce n'est pas jointe à la demande, ou n'est pas "
                                                     "encore vérifiée : seules les pièces acceptées s'ouvrent.")
            key, content_type = record["clean_key"], record.get("content_type") or "image/jpeg"
        self._record_read(agent, request_id, f"piece:{document}", now)
        assert self.presign is not None and self.open_link is not None
        extension = "pdf" if content_type == "application/pdf" else EXTENSIONS.get(content_type, "jpg")
        name = f"{document}-{request_id}.{extension}"
        return (self.presign(key, name), self.open_link(key, name, content_type, LINK_SECONDS), content_type,
                now + timedelta(seconds=LINK_SECONDS))

    def _record_read(self, agent: "Profile", request_id: str, what: str, now: datetime) -> None:
        self.records.record_read(request_id, agent.account_id, agent.display_name(), agent.role.value, what, now)

    # --- deciding --------------------------------------------------------------------------

    def decide(self, agent: "Profile", request_id: str, version: int, kind: "DecisionKind", reasons: list[str],
               comment: str | None = None, documents: list[str] | None = None,
               acknowledged: list[str] | None = None) -> "Request":
        """`acknowledged`: the codes of the pre-checks "À vérifier" the agent has looked at; a
        validation is refused (422 checks_not_acknowledged) while one is not named."""
        from chalicelib.domain import request_events
        from chalicelib.domain.errors import ErrorDetail, InvalidInput
        from chalicelib.domain.instruction import DecisionKind, check_reasons, identity_key, reason_text
        from chalicelib.domain.procedures import (PRODUCTION_PROCEDURES, REGISTRATION_PROCEDURES, RequestStatus,
                                                  Transition, check_transition)
        from chalicelib.domain.requests import candidate_civil_identity
        from chalicelib.domain.rules import DocumentType
        from chalicelib.services.requests import changed_meanwhile

        request = self.instructed(agent, request_id)
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
        claim = self._held_claim(agent, request_id)
        now = self.clock()
        verified: tuple[str, ...] = ()
        if kind is DecisionKind.VALIDATE:
            verified = self._acknowledged_checks(request, now, acknowledged or [])
        reason = None if kind is DecisionKind.VALIDATE else reason_text(kind, reasons, comment)
        update: dict[str, Any] = {"returning": False}
        if kind is DecisionKind.COMPLEMENT:
            update.update(complement_documents=documents, complement_asked_at=now)
        event_type = {DecisionKind.VALIDATE: request_events.APPROVED, DecisionKind.REJECT: request_events.REJECTED,
                      DecisionKind.COMPLEMENT: request_events.COMPLEMENT_REQUESTED}[kind]
        final = kind is not DecisionKind.COMPLEMENT
        delay = int((now - request.submitted_at).total_seconds()) if final and request.submitted_at else None
        bookkeeping = [self.records.claim_ends_item(claim, now)]
        if final:  # its row in the authority's "traités" list
            bookkeeping.append(self.records.decided_item(request, claim.authority, kind.value,
                                                         agent.display_name(), now))

        # A validated production request goes on into production in the same transaction.
        status, ordered, order_events = target, [], []
        if kind is DecisionKind.VALIDATE and request.procedure in PRODUCTION_PROCEDURES:
            from chalicelib.services.licence import production_order

            status, ordered, order_events, order_update = production_order(self.requests, request, now)
            update.update(order_update)

        def decided(neph_given: str | None) -> "Request":
            return request.model_copy(update={**update, "neph": neph_given or request.neph, "status": status,
                                              "updated_at": now, "version": request.version + 1})

        def decision_items(neph_given: str | None) -> list[dict[str, Any]]:
            transition = Transition(from_status=request.status, to_status=target, at=now, reason=reason,
                                    actor_account_id=agent.account_id, actor_role=agent.role, acknowledged=verified)
            event = self.requests.event_for(event_type, request, now, neph=neph_given, reason=reason,
                                            authority=claim.authority, submitted_at=request.submitted_at.isoformat()
                                            if request.submitted_at else None)  # the statistics' delay
            registered = [self.registry.registration_item(neph_given, request_id)] if neph_given else []
            return self.requests.repo.change_items(decided(neph_given), [transition, *ordered],
                                                   [event, *order_events]) + bookkeeping + registered

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
        except NephBusy:
            from chalicelib.domain.errors import Conflict

            raise Conflict("neph_busy", "Trop de décisions arrivent en même temps pour ce département : rien n'a été "
                           "enregistré. Validez de nouveau dans un instant.",
                           current={"status": request.status.value}) from None
        except NephExhausted as exhausted:
            raise _neph_exhausted(request.departement() or "", request_id, now, exhausted) from None
        except TransactionRefused:
            current = self.requests.repo.get(request_id)
            if current is not None and current.version == request.version:
                self._held_claim(agent, request_id)  # the claim ended meanwhile: says so
            raise changed_meanwhile(current) from None
        self._finish(claim)
        _count_decision(claim.authority, kind.value, delay)
        return decided(given)

    def _acknowledged_checks(self, request: "Request", now: datetime, acknowledged: list[str]) -> tuple[str, ...]:
        """The statements of the checks "À vérifier" a validation names, for the history; refuses the
        validation while one is not named, each with its label and detail (as the page shows it)."""
        from chalicelib.domain.errors import ErrorDetail, InvalidInput
        from chalicelib.domain.instruction import unacknowledged

        _, checks = self._pre_checks(request, now)
        missing = unacknowledged(checks, acknowledged)
        if missing:
            raise InvalidInput("checks_not_acknowledged", "Avant de valider, confirmez avoir vérifié "
                               + ("le point signalé" if len(missing) == 1 else f"les {len(missing)} points signalés")
                               + " par les contrôles automatiques : rien n'a été enregistré.",
                               [ErrorDetail(check.statement(), field="acknowledged", code=check.code)
                                for check in missing])
        return tuple(check.statement() for check in checks if check.to_verify)

    # --- the whole request as one PDF --------------------------------------------------------

    def ask_dossier(self, agent: "Profile", request_id: str) -> str:
        """Asks for the whole request as one PDF (made by the attestations worker, which has the
        document family); returns its id, to fetch with `dossier_link` once made."""
        import uuid

        from chalicelib.domain import request_events

        request = self.instructed(agent, request_id)
        now = self.clock()
        dossier_id = uuid.uuid4().hex
        event = self.requests.event_for(request_events.DOSSIER_REQUESTED, request, now, dossier_id=dossier_id)
        self.requests.repo.transact(self.records.dossier_items(request_id, dossier_id, agent.account_id, now, event))
        return dossier_id

    def dossier_link(self, agent: "Profile", request_id: str, dossier_id: str) -> tuple[str, datetime]:
        """A link of a minute to the PDF the agent asked for, once made (409 dossier_pending
        before); another agent's or an unknown one: 404. The read is recorded."""
        from chalicelib.domain.errors import Conflict, NotFound

        self.instructed(agent, request_id)
        record = self.records.get_dossier(request_id, dossier_id) \
            if len(dossier_id) == 32 and dossier_id.isalnum() else None
        if record is None or record.get("requested_by") != agent.account_id:
            raise NotFound("dossier_not_found", "Ce dossier n'existe pas ou n'est plus disponible (un jour) : "
                                                "demandez-le de nouveau.")
        if record.get("state") != "ready":
            raise Conflict("dossier_pending", "Le dossier est en préparation : il sera prêt dans quelques secondes.",
                           current={"state": record.get("state")})
        now = self.clock()
        self._record_read(agent, request_id, "dossier", now)
        assert self.presign is not None
        return self.presign(record["key"], f"dossier-{request_id}.pdf"), now + timedelta(seconds=LINK_SECONDS)

    # --- private notes ---------------------------------------------------------------------

    def add_note(self, agent: "Profile", request_id: str, text: str) -> "Note":
        """A note for the agents of the request's authority; kept as its own item with the request."""
        import uuid

        from chalicelib.domain.errors import ErrorDetail, InvalidInput
        from chalicelib.domain.instruction import Note, note_problem

        request = self.instructed(agent, request_id)
        problem = note_problem(text)
        if problem:
            raise InvalidInput("note_invalid", problem, [ErrorDetail(problem, field="text", code="note_invalid")])
        note = Note(note_id=uuid.uuid4().hex, request_id=request_id, authority=request.authority() or "",
                    agent_id=agent.account_id, agent_name=agent.display_name(), text=text.strip(), at=self.clock())
        self.records.put_note(note)
        return note

    def notes(self, agent: "Profile", request_id: str) -> list["Note"]:
        """The request's notes, oldest first, for an agent of its authority (404 for anyone else)."""
        self.instructed(agent, request_id)
        return self.records.notes(request_id)

    def _finish(self, claim: "Claim") -> None:
        """The decision is committed: its message leaves the queue. Should this fail, the message
        comes back after the lease and the next claim drops it (the request is decided)."""
        from botocore.exceptions import ClientError

        from chalicelib.observability import logger

        if not claim.from_queue:  # taken from the worklist: the message's next receiver drops it
            return
        try:
            self.queues.delete(claim.authority, claim.returning, claim.receipt_handle)
        except ClientError as error:
            logger.warning("decided request's message left in its queue",
                           extra={"error_code": error.response["Error"]["Code"]})

    # --- administrators ----------------------------------------------------------------------

    def reads(self, admin: "Profile", request_id: str) -> list[dict[str, Any]]:
        """Who read the request and its documents, when: for an administrator of its département
        (a national administrator has none and sees all)."""
        request = self.requests.repo.get(request_id) if request_id.isdigit() and len(request_id) == 12 else None
        if request is None or (admin.departement and request.departement() != admin.departement.upper()):
            raise _staff_not_found()
        return self.records.reads(request_id)

    def dead_letters(self, authority: str) -> list[tuple["QueuedMessage", "Request | None"]]:
        """The authority's messages set aside, each with the request it names (None: unreadable,
        or a request that no longer exists)."""
        letters = []
        for message in self.queues.dead_letters(authority):
            request_id = message.request_id()
            letters.append((message, self.requests.repo.get(request_id) if request_id else None))
        return letters

    def redrive(self, authority: str) -> int:
        """The messages set aside go back to their queue (the claims drop those decided since)."""
        return self.queues.redrive(authority)

    def requeue_long_waiting(self) -> int:
        """SQS keeps a message 14 days at most; a request waiting longer than REQUEUE_AFTER gets its
        message sent again (through the outbox, like the first), then every REQUEUE_AFTER. The
        old and new copies meet the claims' rules for duplicates: never two agents, the decided
        one dropped. The number of messages sent again."""
        from chalicelib.domain import request_events
        from chalicelib.resources import CATALOGUE

        now = self.clock()
        due = now - REQUEUE_AFTER
        sent = 0
        for member in CATALOGUE.queue_family("instruction").members:
            authority = member.upper()
            for request in self.requests.repo.waiting_for_instruction(authority, due):
                if (request.queue_message_at or request.queued_at or now) > due:
                    continue
                event = self.requests.event_for(request_events.READY_FOR_INSTRUCTION, request, now,
                                                returning=request.returning, authority=authority, requeued=True)
                try:
                    self.requests.repo.transact(self.requests.repo.requeued_items(request, event, now))
                except TransactionRefused:
                    continue  # decided meanwhile: nothing to send
                sent += 1
        return sent

    def health(self, authority: str) -> QueueHealth:
        from chalicelib.domain.instruction import DayOfDecisions

        assert self.decisions is not None, "wired with the statistics' decisions"
        depth = self.queues.depth(authority)
        today = self.clock().date()
        counted, median_delay = self.decisions(authority, today - timedelta(days=HEALTH_DAYS - 1), today)
        days = [DayOfDecisions(day=day, decisions=count) for day, count in counted]
        oldest = next(iter(self.requests.repo.waiting_for_instruction(authority, self.clock(), limit=1)), None)
        return QueueHealth(authority=authority, waiting=depth.waiting, returning_waiting=depth.returning_waiting,
                           claimed=depth.claimed + depth.returning_claimed,
                           oldest_queued_at=oldest.queued_at if oldest else None,
                           oldest_request_id=oldest.request_id if oldest else None, days=days,
                           median_delay_seconds=median_delay)


def _moment(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _paris(moment: datetime) -> datetime:
    from chalicelib.domain.dates import PARIS

    return moment.astimezone(PARIS)


def _neph_exhausted(departement: str, request_id: str, now: datetime, exhausted: NephExhausted) -> "Unavailable":
    """No NEPH left this month for the département: the operators are alerted (a metric with its
    alarm, an error line without personal data) and the agent reads what happens to the request.
    Nothing is committed; a new month opens every office again, hence the Retry-After."""
    from chalicelib import observability
    from chalicelib.domain.appointments import french_day
    from chalicelib.domain.errors import Unavailable
    from chalicelib.domain.instruction import NEPH_OFFICES, first_day_of_next_month
    from chalicelib.observability import logger

    observability.alert_metric("NephExhausted")
    logger.error("NEPH numbers exhausted for the month: every office of the departement is full",
                 extra={"departement": departement, "month": f"{now:%Y-%m}", "offices": len(exhausted.prefixes),
                        "request_id": request_id})
    reopens = first_day_of_next_month(now.date())
    retry_after = int((datetime.combine(reopens, datetime.min.time(), tzinfo=now.tzinfo) - now).total_seconds())
    return Unavailable(
        "neph_exhausted",
        f"Les numéros NEPH du département {departement} sont épuisés pour ce mois : ses {len(NEPH_OFFICES)} "
        f"bureaux d'enregistrement ont donné chacun leurs 9 999 numéros. Rien n'a été enregistré : la demande "
        f"reste en cours d'instruction, à valider. L'équipe technique est alertée. Réessayez plus tard, ou "
        f"libérez la demande pour qu'elle retourne dans la file ; de nouveaux numéros seront disponibles au plus "
        f"tard le {french_day(reopens)}.",
        retry_after=max(retry_after, 1))


def _count_decision(authority: str, kind: str, delay: int | None) -> None:
    """EMF metrics of a decision (CloudWatch): count per authority and kind, delay from submission."""
    from aws_lambda_powertools.metrics import MetricUnit

    from chalicelib.observability import metrics

    metrics.add_metric(name=f"Decisions_{kind}", unit=MetricUnit.Count, value=1)
    if delay is not None:
        metrics.add_metric(name="DecisionDelay", unit=MetricUnit.Seconds, value=delay)
