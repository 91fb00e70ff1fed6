"""Support desk (issue 9): the contact form (signed in, or anonymous with the anti-robot proof),
the sender's own tickets and their answers, and the agents' queue of their département with the
answer (emailed to the sender from its outbox event). Answer within a week: PROMISE_DAYS."""
from __future__ import annotations

from datetime import datetime, timezone

from pydantic import Field

from chalicelib.adapters import wiring
from chalicelib.api.accounts import _check_antirobot
from chalicelib.api.auth import PUBLIC
from chalicelib.api.http import Routes, route
from chalicelib.domain import support
from chalicelib.domain.accounts import Profile, Role
from chalicelib.domain.base import Model
from chalicelib.domain.support import AnonymousTicketInput, AnswerInput, SignedInTicketInput, Ticket
from chalicelib.domain.support_events import FLAG_AFTER_DAYS, PROMISE_DAYS

blueprint = Routes(__name__)
TAGS = ("support",)
SENDERS = (Role.AUTO_ECOLE.value, Role.CANDIDAT.value)
# Who answers: the prefecture's administrators and the DDT's instructors of the ticket's
# département, who know its schools and its requests (the CERT has no département).
AGENTS = (Role.PREFECTURE.value, Role.INSTRUCTEUR_DDT.value)


class TicketOpened(Model):
    ticket_id: str
    promised_by: datetime
    message: str = Field(description="« Réponse au plus tard le … »")


class TicketView(Model):
    ticket_id: str
    status: str
    status_label: str
    profile: str
    topic: str
    topic_label: str
    subject: str
    message: str
    request_id: str | None
    opened_at: datetime
    promised_by: datetime
    answer: str | None
    answered_at: datetime | None


class TicketList(Model):
    tickets: list[TicketView]


class StaffTicketView(TicketView):
    departement: str
    email: str
    sender_name: str | None
    answered_by_name: str | None
    near_deadline: bool = Field(description=f"Ouvert depuis {FLAG_AFTER_DAYS} jours, sans réponse")
    overdue: bool = Field(description=f"Sans réponse après {PROMISE_DAYS} jours : promesse non tenue")


class StaffQueue(Model):
    departement: str | None
    tickets: list[StaffTicketView]


class Answered(Model):
    ticket: StaffTicketView
    message: str


def view(ticket: Ticket) -> TicketView:
    return TicketView(ticket_id=ticket.ticket_id, status=ticket.status.value,
                      status_label=support.STATUS_LABELS[ticket.status], profile=ticket.profile.value,
                      topic=ticket.topic.value, topic_label=support.TOPIC_LABELS[ticket.topic],
                      subject=ticket.subject, message=ticket.message, request_id=ticket.request_id,
                      opened_at=ticket.opened_at, promised_by=ticket.promised_by, answer=ticket.answer,
                      answered_at=ticket.answered_at)


def staff_view(ticket: Ticket) -> StaffTicketView:
    now = datetime.now(timezone.utc)
    return StaffTicketView(**view(ticket).model_dump(), departement=ticket.departement, email=ticket.email,
                           sender_name=ticket.sender_name, answered_by_name=ticket.answered_by_name,
                           near_deadline=support.near_deadline(ticket, now), overdue=support.overdue(ticket, now))


def _opened(ticket: Ticket) -> TicketOpened:
    return TicketOpened(ticket_id=ticket.ticket_id, promised_by=ticket.promised_by,
                        message=f"Votre message n° {ticket.ticket_id} est bien reçu. "
                                f"{support.promise_text(ticket.opened_at)}, par courriel à {ticket.email}.")


@route(blueprint, "/support/tickets", method="POST", summary="Écrire au support (compte connecté)", tags=TAGS,
       request_model=SignedInTicketInput, response_model=TicketOpened, status=201, errors=(404,), roles=SENDERS,
       description=f"Le message est rattaché au compte (à l'auto-école pour ses membres) et, si un numéro est "
                   f"donné, à l'une de ses demandes (404 sinon). Réponse sous {PROMISE_DAYS} jours au plus.")
def open_ticket(body: SignedInTicketInput, caller: Profile) -> TicketOpened:
    return _opened(wiring.support().open_signed_in(caller, body))


@route(blueprint, "/support/contact", method="POST", summary="Écrire au support sans être connecté", tags=TAGS,
       request_model=AnonymousTicketInput, response_model=TicketOpened, status=201, roles=PUBLIC,
       rate_limit="public",
       description="Pour qui n'a pas de compte ou ne parvient pas à se connecter : profil, département, adresse "
                   "électronique et preuve anti-robot. La réponse est envoyée par courriel uniquement.")
def contact(body: AnonymousTicketInput) -> TicketOpened:
    _check_antirobot(body.altcha)
    return _opened(wiring.support().open_anonymous(body))


@route(blueprint, "/support/tickets", summary="Mes messages au support (les plus récents d'abord)", tags=TAGS,
       response_model=TicketList, roles=SENDERS)
def my_tickets(caller: Profile) -> TicketList:
    return TicketList(tickets=[view(t) for t in wiring.support().mine(caller)])


@route(blueprint, "/support/tickets/{ticket_id}", summary="Lire un de mes messages au support et sa réponse",
       tags=TAGS, response_model=TicketView, errors=(404,), roles=SENDERS)
def my_ticket(ticket_id: str, caller: Profile) -> TicketView:
    return view(wiring.support().get_mine(caller, ticket_id))


@route(blueprint, "/staff/support", summary="Les messages sans réponse de mon département (les plus anciens "
       "d'abord)", tags=TAGS, response_model=StaffQueue, roles=AGENTS)
def staff_queue(caller: Profile) -> StaffQueue:
    return StaffQueue(departement=caller.departement,
                      tickets=[staff_view(t) for t in wiring.support().queue(caller)])


@route(blueprint, "/staff/support/{ticket_id}", summary="Lire un message au support de mon département",
       tags=TAGS, response_model=StaffTicketView, errors=(404,), roles=AGENTS)
def staff_ticket(ticket_id: str, caller: Profile) -> StaffTicketView:
    return staff_view(wiring.support().get_for_agent(caller, ticket_id))


@route(blueprint, "/staff/support/{ticket_id}/answer", method="POST", summary="Répondre à un message au support",
       tags=TAGS, request_model=AnswerInput, response_model=Answered, errors=(404, 409), roles=AGENTS,
       description="Une seule réponse par message : si un autre agent a répondu entre-temps, 409. La réponse est "
                   "envoyée par courriel à l'expéditeur.")
def answer_ticket(ticket_id: str, body: AnswerInput, caller: Profile) -> Answered:
    ticket = wiring.support().answer(caller, ticket_id, body.answer)
    return Answered(ticket=staff_view(ticket),
                    message=f"Votre réponse au message n° {ticket.ticket_id} est enregistrée ; elle est envoyée par "
                            f"courriel à l'expéditeur.")
