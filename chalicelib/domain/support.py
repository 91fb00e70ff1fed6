"""The support desk (issue 9): a contact form whose ticket lands in its département's support
queue, answered by the département's agents within a week (the service's promise, PROMISE_DAYS).

Pure: the forms, the ticket and its states, the promise's dates and flags, the refusals. Who may
answer: the prefecture's administrators and the DDT's instructors of the ticket's département (the
people who know that département's schools and requests); the CERT has no département and no
support queue."""
from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from pydantic import ConfigDict, Field, field_validator

from chalicelib.domain import geography
from chalicelib.domain.accounts import EMAIL_FORMAT, check_email
from chalicelib.domain.base import Model
from chalicelib.domain.errors import Conflict, ErrorDetail, InvalidInput, NotFound
from chalicelib.domain.support_events import FLAG_AFTER_DAYS, PROMISE_DAYS

PARIS = ZoneInfo("Europe/Paris")
PROMISE = timedelta(days=PROMISE_DAYS)
FLAG_AFTER = timedelta(days=FLAG_AFTER_DAYS)
# An answered ticket (an email address and free text: personal data) is forgotten a year after its
# answer (TTL): long enough to read it again, and for the statistics, which count events, not tickets.
ANSWERED_RETENTION = timedelta(days=365)
SUBJECT_LENGTH = (5, 120)
MESSAGE_LENGTH = (20, 5000)
ANSWER_LENGTH = (10, 5000)
# Ticket numbers: "S-" and 10 characters without look-alikes (no 0/O, 1/I/L), said over the phone.
TICKET_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
TICKET_NUMBER = r"^S-[2-9A-HJKMNP-Z]{10}$"


class SenderProfile(StrEnum):
    AUTO_ECOLE = "auto-ecole"
    CANDIDAT = "candidat"
    AUTRE = "autre"


class Topic(StrEnum):
    COMPTE = "compte"
    DEMANDE = "demande"
    IMPRESSION = "impression-attestation"
    BUG = "bug"


TOPIC_LABELS = {Topic.COMPTE: "Mon compte (connexion, activation, adresse)", Topic.DEMANDE: "Une demande en cours",
                Topic.IMPRESSION: "Imprimer l'attestation d'inscription", Topic.BUG: "Un problème sur le site"}
PROFILE_LABELS = {SenderProfile.AUTO_ECOLE: "Auto-école", SenderProfile.CANDIDAT: "Candidat",
                  SenderProfile.AUTRE: "Autre"}


class TicketStatus(StrEnum):
    OPEN = "ouvert"
    ANSWERED = "repondu"


STATUS_LABELS = {TicketStatus.OPEN: "En attente de réponse", TicketStatus.ANSWERED: "Répondu"}


class _Form(Model):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class TicketForm(_Form):
    """What every sender writes."""

    topic: Topic = Field(description="compte, demande, impression-attestation ou bug")
    subject: str = Field(min_length=SUBJECT_LENGTH[0], max_length=SUBJECT_LENGTH[1], description="Objet")
    message: str = Field(min_length=MESSAGE_LENGTH[0], max_length=MESSAGE_LENGTH[1], description="Votre message")


class SignedInTicketInput(TicketForm):
    """A signed-in school or candidate: the account gives the profile, the email and the
    département (a candidate whose account has no address chooses it)."""

    request_id: str | None = Field(None, pattern=r"^[0-9]{12}$",
                                   description="Numéro de la demande concernée (12 chiffres), facultatif")
    departement: str | None = Field(None, description="Département, si le compte n'a pas d'adresse")

    @field_validator("request_id", "departement", mode="before")
    @classmethod
    def _blank_is_none(cls, value):
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("departement")
    @classmethod
    def _departement(cls, value: str | None) -> str | None:
        return check_departement(value) if value is not None else None


class AnonymousTicketInput(TicketForm):
    """Someone who is not signed in (or cannot sign in: the point of support)."""

    profile: SenderProfile = Field(description="auto-ecole, candidat ou autre")
    email: str = Field(min_length=3, max_length=254, json_schema_extra=EMAIL_FORMAT, description="Adresse électronique où recevoir la réponse")
    departement: str = Field(min_length=1, max_length=3, description="Département (code, par exemple 69)")
    altcha: str = Field(min_length=1, max_length=2000, description="Solution du défi anti-robot")

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        return check_email(value)

    @field_validator("departement")
    @classmethod
    def _departement(cls, value: str) -> str:
        return check_departement(value)


class AnswerInput(_Form):
    answer: str = Field(min_length=ANSWER_LENGTH[0], max_length=ANSWER_LENGTH[1], description="La réponse")


def check_departement(value: str) -> str:
    if not geography.is_departement(value):
        raise ValueError("Ce département n'existe pas : choisissez-le dans la liste.")
    return value.strip().upper()


class Ticket(Model):
    ticket_id: str
    status: TicketStatus
    profile: SenderProfile
    topic: Topic
    subject: str
    message: str
    email: str  # where the answer is sent
    departement: str  # the support queue it is in
    account_id: str | None = None  # the signed-in sender
    school_id: str | None = None  # a school's ticket: every member of the school sees it
    sender_name: str | None = None  # the school's or the candidate's name, for the agent
    request_id: str | None = None  # one of the sender's requests, checked
    opened_at: datetime
    answer: str | None = None
    answered_at: datetime | None = None
    answered_by: str | None = None  # the agent's account
    answered_by_name: str | None = None
    promise_breached_at: datetime | None = None
    version: int = 1

    @property
    def promised_by(self) -> datetime:
        return promise_deadline(self.opened_at)

    def owner_partition(self) -> str | None:
        if self.school_id:
            return f"SCHOOL#{self.school_id}#SUPPORT"
        return f"ACCOUNT#{self.account_id}#SUPPORT" if self.account_id else None


def new_ticket_number() -> str:
    return "S-" + "".join(secrets.choice(TICKET_ALPHABET) for _ in range(10))


def looks_like_ticket_number(value: str) -> bool:
    import re

    return bool(re.fullmatch(TICKET_NUMBER, value or ""))


def promise_deadline(opened_at: datetime) -> datetime:
    return opened_at + PROMISE


def promise_text(opened_at: datetime) -> str:
    """"Réponse au plus tard le 09/12/2026", in Paris time."""
    return f"Réponse au plus tard le {promise_deadline(opened_at).astimezone(PARIS).strftime('%d/%m/%Y')}"


def near_deadline(ticket: Ticket, now: datetime) -> bool:
    """Still open FLAG_AFTER_DAYS after it was opened, the promise not over yet."""
    return ticket.status is TicketStatus.OPEN and ticket.opened_at + FLAG_AFTER <= now < ticket.promised_by


def overdue(ticket: Ticket, now: datetime) -> bool:
    return ticket.status is TicketStatus.OPEN and now >= ticket.promised_by


def within_promise(opened_at: datetime, answered_at: datetime) -> bool:
    return answered_at - opened_at <= PROMISE


def answered(ticket: Ticket, answer: str, agent_id: str, agent_name: str, now: datetime) -> Ticket:
    if ticket.status is not TicketStatus.OPEN:
        raise ALREADY_ANSWERED
    return ticket.model_copy(update={"status": TicketStatus.ANSWERED, "answer": answer, "answered_at": now,
                                     "answered_by": agent_id, "answered_by_name": agent_name,
                                     "version": ticket.version + 1})


TICKET_NOT_FOUND = NotFound("support_ticket_not_found",
                            "Aucun message au support ne porte ce numéro dans votre espace : vérifiez-le.")
ALREADY_ANSWERED = Conflict("support_ticket_answered",
                            "Ce message a déjà reçu une réponse (peut-être d'un autre agent à l'instant) : "
                            "rouvrez-le pour la lire.")
DEPARTEMENT_NEEDED = InvalidInput(
    "validation_failed", "Indiquez votre département : votre message sera traité par son équipe de support.",
    [ErrorDetail("Choisissez votre département dans la liste.", field="departement", code="departement_missing")])
