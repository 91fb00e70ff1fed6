"""Use cases of the licence's way (production requests): the order when the CERT validates, the
partners' signed events (Imprimerie nationale, La Poste), the scheduled steps (15 days at the post
office, the warning, the 6 months before destruction), and the filer's request for a resend.

Every change is one transaction: the request on condition of its version, its history rows, its
outbox events (LICENCE_MOVED, DESTRUCTION_WARNING, LICENCE_RESEND_REQUESTED) and, for a partner's
event, the event itself on condition its id is new (a replay changes nothing)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Callable

from chalicelib.adapters.dynamo import TransactionRefused
from chalicelib.domain import licence as rules
from chalicelib.domain import request_events
from chalicelib.domain.dates import paris_day
from chalicelib.domain.errors import Conflict, InvalidInput, NotFound
from chalicelib.domain.licence import Partner, PartnerEventInput
from chalicelib.domain.procedures import (PRODUCTION_PROCEDURES, PRODUCTION_STATUSES, SYSTEM_ACTOR,
                                          RequestStatus, Transition, check_transition)

if TYPE_CHECKING:
    from chalicelib.adapters.licence_records import DynamoLicenceRecords
    from chalicelib.domain.accounts import Profile
    from chalicelib.domain.events import OutboxEvent
    from chalicelib.domain.requests import Request
    from chalicelib.services.requests import Requests

S = RequestStatus
ATTEMPTS = 3  # a concurrent change (another event, the scheduled job) makes the event read again
LICENCE_NOT_FOUND = NotFound("licence_not_found", "Aucun titre en fabrication ne porte cette référence : vérifiez le "
                                                  "numéro de la demande de fabrication (12 chiffres).")
EVENT_REPLAYED = Conflict("event_replayed", "Cet identifiant d'événement a déjà été reçu de votre part : il n'est "
                                            "pas appliqué une seconde fois. Un nouvel événement porte un nouvel "
                                            "identifiant.")


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def moved_event(requests: "Requests", request: "Request", status: RequestStatus, at: datetime) -> "OutboxEvent":
    """LICENCE_MOVED as request_events documents it: status, at, and what the status needs."""
    payload: dict[str, Any] = {"status": status.value, "at": at.isoformat()}
    if status is S.SHIPPED:
        payload["tracking_number"] = request.tracking_number
    elif status is S.AT_POST_OFFICE:
        payload.update(collect_by=_iso(request.collect_by), post_office=request.post_office)
    elif status is S.RETURNED:
        payload["resend_until"] = _iso(request.resend_until)
    return requests.event_for(request_events.LICENCE_MOVED, request, at, **payload)


def production_order(requests: "Requests", request: "Request", now: datetime
                     ) -> tuple[RequestStatus, list[Transition], list["OutboxEvent"], dict[str, Any]]:
    """What the CERT's validation of a production request adds to its transaction: the system's move
    "Validée" -> "Titre en production", the licence order, LICENCE_MOVED."""
    check_transition(S.APPROVED, S.IN_PRODUCTION, procedure=request.procedure, mandate=request.mandate)
    transition = Transition(from_status=S.APPROVED, to_status=S.IN_PRODUCTION, at=now, actor_account_id=None,
                            actor_role=SYSTEM_ACTOR, reason="Titre commandé à l'Imprimerie nationale.")
    event = moved_event(requests, request, S.IN_PRODUCTION, now)
    return S.IN_PRODUCTION, [transition], [event], {"licence_ordered_at": now}


@dataclass(frozen=True)
class Acknowledgement:
    reference: str
    event_id: str
    outcome: str  # applied, late (older than the last event applied), already (the status it names)
    status: RequestStatus


class Licences:
    def __init__(self, requests: "Requests", records: "DynamoLicenceRecords",
                 partner_key: Callable[[Partner], bytes]):
        self.requests = requests
        self.records = records
        self.partner_key = partner_key

    @property
    def repo(self):
        return self.requests.repo

    def clock(self) -> datetime:
        return self.requests.clock()

    # --- partners --------------------------------------------------------------------------------

    def authenticate(self, headers: dict[str, str], method: str, path: str, body: bytes) -> Partner:
        """The partner who signed this request (401 otherwise; 422 when the headers are missing)."""
        named = {name: headers.get(name.lower()) or headers.get(name) for name in
                 (rules.PARTNER_HEADER, rules.TIMESTAMP_HEADER, rules.SIGNATURE_HEADER)}
        missing = rules.missing_headers(named)
        if missing:
            raise InvalidInput("partner_headers_missing", "Les en-têtes d'authentification du partenaire manquent : "
                               "X-Partner, X-Timestamp et X-Signature.", missing)
        partner = rules.partner_named(named[rules.PARTNER_HEADER] or "")
        timestamp = named[rules.TIMESTAMP_HEADER] or ""
        rules.check_timestamp(timestamp, self.clock())
        rules.check_signature(self.partner_key(partner), named[rules.SIGNATURE_HEADER] or "", timestamp, method,
                              path, body)
        return partner

    def receive(self, partner: Partner, event: PartnerEventInput) -> Acknowledgement:
        rules.check_may_send(partner, event.event)
        now = self.clock()
        occurred = event.occurred_at.astimezone(timezone.utc)
        rules.check_not_in_future(occurred, now)
        record = {**event.model_dump(mode="json"), "occurred_at": occurred.isoformat()}
        for _ in range(ATTEMPTS):
            request = self.repo.get(event.reference)
            if request is None or request.procedure not in PRODUCTION_PROCEDURES \
                    or request.status not in PRODUCTION_STATUSES:
                raise LICENCE_NOT_FOUND
            try:
                plan = rules.plan(request.status, event.event, occurred, request.partner_event_at,
                                  request.resend_requested_at is not None)
            except Conflict:
                if self.records.seen(request.request_id, partner.value, event.event_id):
                    raise EVENT_REPLAYED from None
                raise
            items = self._event_items(request, partner, event, occurred, plan)
            items.append(self.records.event_put(request.request_id, partner.value, record, now, plan.outcome))
            try:
                self.repo.transact(items)
            except TransactionRefused as refused:
                if len(items) - 1 in refused.failed:
                    raise EVENT_REPLAYED from None
                continue  # the licence changed meanwhile: read it again
            status = plan.chain[-1] if plan.chain else request.status
            return Acknowledgement(reference=request.request_id, event_id=event.event_id, outcome=plan.outcome,
                                   status=status)
        from chalicelib.services.requests import changed_meanwhile

        raise changed_meanwhile(self.repo.get(event.reference))

    def _event_items(self, request: "Request", partner: Partner, event: PartnerEventInput, occurred: datetime,
                     plan: rules.Plan) -> list[dict[str, Any]]:
        if not plan.chain:
            if event.tracking_number and request.tracking_number is None:
                # A late "expedie" (the delivery came first): its tracking number is kept.
                kept = request.model_copy(update={"tracking_number": event.tracking_number,
                                                  "version": request.version + 1})
                return self.repo.change_items(kept, [], [])
            return [self.records.unchanged(request.request_id, request.version)]
        update: dict[str, Any] = {"partner_event_at": max(occurred, request.partner_event_at or occurred)}
        if S.SHIPPED in plan.chain:  # a new shipment: the previous one's details go
            update.update(tracking_number=None, post_office=None, collect_by=None, resend_until=None,
                          resend_requested_at=None, destruction_warned=False)
        if event.tracking_number:
            update["tracking_number"] = event.tracking_number
        target = plan.chain[-1]
        if target is S.AT_POST_OFFICE:
            update.update(post_office=event.post_office, collect_by=rules.collect_by(occurred))
        elif target is S.RETURNED:
            update.update(resend_until=rules.resend_until(occurred), destruction_warned=False)
        moved = request.model_copy(update={**update, "status": target, "updated_at": self.clock(),
                                           "version": request.version + 1})
        reason = f"{rules.PARTNER_LABELS[partner]} : événement « {event.event.value} »"
        if len(plan.chain) > 1:
            reason += " (les étapes précédentes, non reçues, en découlent)"
        transitions, current = [], request.status
        for status in plan.chain:
            check_transition(current, status, procedure=request.procedure, mandate=request.mandate)
            transitions.append(Transition(from_status=current, to_status=status, at=occurred, actor_account_id=None,
                                          actor_role=SYSTEM_ACTOR, reason=reason + "."))
            current = status
        # One LICENCE_MOVED, for the status reached: steps implied by a later event are not announced.
        return self.repo.change_items(moved, transitions, [moved_event(self.requests, moved, target, occurred)])

    # --- the scheduled steps ---------------------------------------------------------------------

    def advance(self, out_of_time: Callable[[], bool] | None = None) -> dict[str, int]:
        """The hourly job: licences uncollected after 15 days are returned, a returned one is
        warned once before its 6 months end, then destroyed. A concurrent change wins: the
        transaction fails on the version, the next run looks again."""
        from chalicelib.services.requests import ChangeRefused

        now = self.clock()
        done = {"returned": 0, "warned": 0, "destroyed": 0}
        for request_id in self.repo.due_for_licence_job(now):
            if out_of_time is not None and out_of_time():
                break
            request = self.repo.get(request_id)
            if request is None:
                continue
            step = rules.due_step(request.status, now, collect_deadline=request.collect_by,
                                  resend_deadline=request.resend_until,
                                  resend_requested=request.resend_requested_at is not None,
                                  warned=request.destruction_warned)
            try:
                if step == "return":
                    assert request.collect_by is not None
                    returned = request.model_copy(update={"resend_until": rules.resend_until(request.collect_by),
                                                          "destruction_warned": False})
                    self.requests._move(request, [S.RETURNED], None, now,
                                        [moved_event(self.requests, returned, S.RETURNED, now)],
                                        update={"resend_until": returned.resend_until, "destruction_warned": False},
                                        reason="Titre non retiré au bureau de poste dans les 15 jours : retourné à "
                                               "l'Imprimerie nationale.")
                    done["returned"] += 1
                elif step == "warn":
                    assert request.resend_until is not None
                    event = self.requests.event_for(request_events.DESTRUCTION_WARNING, request, now,
                                                    destroy_on=paris_day(request.resend_until).isoformat())
                    self.requests._move(request, [], None, now, [event], update={"destruction_warned": True})
                    done["warned"] += 1
                elif step == "destroy":
                    self.requests._move(request, [S.DESTROYED], None, now,
                                        [moved_event(self.requests, request, S.DESTROYED, now)],
                                        reason="Renvoi non demandé dans les 6 mois : titre détruit. Une nouvelle "
                                               "demande est nécessaire.")
                    done["destroyed"] += 1
            except ChangeRefused:
                continue  # a partner's event or the filer came first
        return done

    # --- the filer asks for a resend ---------------------------------------------------------------

    def request_resend(self, caller: "Profile", request_id: str, version: int) -> "Request":
        from chalicelib.services.requests import changed_meanwhile

        request = self.requests.get(caller, request_id)  # someone else's: the same 404 as unknown
        now = self.clock()
        rules.check_resend(request.status, now, request.resend_until, request.resend_requested_at is not None)
        if request.version != version:
            raise changed_meanwhile(request)
        event = self.requests.event_for(request_events.LICENCE_RESEND_REQUESTED, request, now,
                                        reference=request.request_id, requested_at=now.isoformat())
        return self.requests._commit(request, [S.RETURNED], caller, now, [event], update={"resend_requested_at": now},
                                     reason="Renvoi du permis demandé : l'Imprimerie nationale l'expédiera de nouveau.")

