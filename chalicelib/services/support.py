"""The support desk's use cases: open a ticket (signed in or not), the sender's own tickets, the
agents' queue of their département and their answer, and the scheduled check of the one-week
promise. Each change and its outbox event are one transaction (the answer's email and the
statistics follow from the events)."""
from __future__ import annotations

import uuid
from datetime import datetime, timezone
from typing import Callable

from chalicelib.adapters.dynamo import TransactionRefused
from chalicelib.domain import support
from chalicelib.domain import support_events as events
from chalicelib.domain.accounts import Profile, Role
from chalicelib.domain.errors import Conflict
from chalicelib.domain.events import OutboxEvent
from chalicelib.domain.support import (AnonymousTicketInput, SenderProfile, SignedInTicketInput, Ticket,
                                       TicketStatus)

NUMBER_ATTEMPTS = 5
SENDER_PROFILES = {Role.AUTO_ECOLE: SenderProfile.AUTO_ECOLE, Role.CANDIDAT: SenderProfile.CANDIDAT}


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


class Support:
    def __init__(self, repo, requests_repo, accounts_repo, clock: Callable[[], datetime] | None = None):
        self.repo = repo
        self.requests = requests_repo
        self.accounts = accounts_repo
        self.clock = clock or (lambda: utc_now())  # looked up at each call: tests move the time

    # --- senders --------------------------------------------------------------------------------

    def open_signed_in(self, caller: Profile, form: SignedInTicketInput) -> Ticket:
        """Linked to the caller's account (a school's: to the school, which every member sees), to
        one of their requests when named (another's number: 404, as everywhere), in their
        département's queue (the school's address; the candidate's, or the one they chose)."""
        if form.request_id is not None:
            from chalicelib.services.requests import NOT_FOUND, viewer

            request = self.requests.get(form.request_id)
            if request is None or viewer(caller, request) is None:
                raise NOT_FOUND
        school = self.accounts.get_school(caller.school_id) if caller.role == Role.AUTO_ECOLE and caller.school_id \
            else None
        if school is not None:
            departement, sender = school.address.departement, school.company_name
        else:
            departement = (caller.address.departement if caller.address else None) or form.departement
            sender = caller.display_name()
        if not departement:
            raise support.DEPARTEMENT_NEEDED
        return self._open(profile=SENDER_PROFILES[caller.role], form=form, email=caller.email,
                          departement=departement, account_id=caller.account_id,
                          school_id=school.school_id if school else None, sender_name=sender,
                          request_id=form.request_id)

    def open_anonymous(self, form: AnonymousTicketInput) -> Ticket:
        """The caller checked the anti-robot proof; the answer goes by email only."""
        return self._open(profile=form.profile, form=form, email=form.email, departement=form.departement)

    def _open(self, *, profile: SenderProfile, form, email: str, departement: str, **links) -> Ticket:
        now = self.clock()
        for _ in range(NUMBER_ATTEMPTS):
            ticket = Ticket(ticket_id=support.new_ticket_number(), status=TicketStatus.OPEN, profile=profile,
                            topic=form.topic, subject=form.subject, message=form.message, email=email,
                            departement=departement, opened_at=now, **links)
            event = self._event(events.TICKET_OPENED, ticket, now, profile=profile.value, topic=form.topic.value)
            try:
                self.repo.create(ticket, event)
                return ticket
            except TransactionRefused:
                continue  # the number was taken: draw another
        raise Conflict("number_unavailable", "Aucun numéro de message libre n'a été trouvé : réessayez.")

    def mine(self, caller: Profile) -> list[Ticket]:
        return self.repo.of_owner(_owner_partition(caller))

    def get_mine(self, caller: Profile, ticket_id: str) -> Ticket:
        ticket = self._get(ticket_id)
        if ticket.owner_partition() != _owner_partition(caller):
            raise support.TICKET_NOT_FOUND  # another school's or candidate's: as if it did not exist
        return ticket

    # --- agents ---------------------------------------------------------------------------------

    def queue(self, agent: Profile) -> list[Ticket]:
        return self.repo.open_in(agent.departement) if agent.departement else []

    def get_for_agent(self, agent: Profile, ticket_id: str) -> Ticket:
        ticket = self._get(ticket_id)
        if not agent.departement or ticket.departement != agent.departement:
            raise support.TICKET_NOT_FOUND  # another département's
        return ticket

    def answer(self, agent: Profile, ticket_id: str, text: str) -> Ticket:
        """One answer per ticket: of two agents answering at once, the second gets a 409. A
        concurrent breach of the promise (the job) is not a reason to refuse: read again, retry."""
        for _ in range(2):
            ticket = self.get_for_agent(agent, ticket_id)
            now = self.clock()
            done = support.answered(ticket, text, agent.account_id, agent.display_name(), now)
            event = self._event(events.TICKET_ANSWERED, ticket, now, answered_at=now.isoformat(),
                                within_promise=support.within_promise(ticket.opened_at, now))
            try:
                self.repo.change(done, ticket, event)
                return done
            except TransactionRefused:
                continue
        raise support.ALREADY_ANSWERED

    # --- the promise ----------------------------------------------------------------------------

    def breach_promises(self, out_of_time: Callable[[], bool] | None = None) -> dict[str, int]:
        """The scheduled job: each ticket still open PROMISE_DAYS after it was opened is recorded as
        breached, once (conditional on its version: a second run, or two at once, find nothing)."""
        now = self.clock()
        done = {"breached": 0}
        for ticket_id in self.repo.past_promise(now.isoformat()):
            if out_of_time is not None and out_of_time():
                break
            ticket = self.repo.get(ticket_id)
            if ticket is None or ticket.status is not TicketStatus.OPEN or ticket.promise_breached_at is not None:
                continue
            breached = ticket.model_copy(update={"promise_breached_at": now, "version": ticket.version + 1})
            try:
                self.repo.change(breached, ticket, self._event(events.PROMISE_BREACHED, ticket, now))
                done["breached"] += 1
            except TransactionRefused:
                continue  # answered or recorded meanwhile
        return done

    def _get(self, ticket_id: str) -> Ticket:
        ticket = self.repo.get(ticket_id) if support.looks_like_ticket_number(ticket_id) else None
        if ticket is None:
            raise support.TICKET_NOT_FOUND
        return ticket

    @staticmethod
    def _event(event_type: str, ticket: Ticket, now: datetime, **payload) -> OutboxEvent:
        """The payloads of chalicelib/domain/support_events.py (the statistics read them)."""
        base = {"ticket_id": ticket.ticket_id, "departement": ticket.departement,
                "opened_at": ticket.opened_at.isoformat(), **payload}
        return OutboxEvent(id=str(uuid.uuid4()), type=event_type, aggregate_id=ticket.ticket_id, occurred_at=now,
                           payload=base)


def _owner_partition(caller: Profile) -> str:
    if caller.role == Role.AUTO_ECOLE and caller.school_id:
        return f"SCHOOL#{caller.school_id}#SUPPORT"
    return f"ACCOUNT#{caller.account_id}#SUPPORT"
