"""The messages of a request (issue 20, item 5): one thread per request between the people on the
filing side (the school's members, the candidate, the digital mediator) and the agents of the
service that instructs it. Each message is emailed to the others of the thread, once.

Pure: who may write, what a message may say, when the thread is closed, who hears of a message.
Storage (one item per message in the request's partition, never a list growing in one item) is
adapters/messages_repository.py; the emails, workers/notifications.py."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

from chalicelib.domain.procedures import TERMINAL_STATUSES, RequestStatus

if TYPE_CHECKING:
    from chalicelib.domain.requests import Request

MESSAGE_MAX_CHARS = 2000
# A message is personal data: kept two years after it was written (a registration's exams and its
# licence's delivery are over well before), or purged earlier with its request.
MESSAGE_RETENTION = timedelta(days=730)
# A thread stays readable once closed; writing stops with the request (rejected, licence delivered
# or destroyed): a new request opens a new thread.
CLOSED_STATUSES = TERMINAL_STATUSES


class Side(StrEnum):
    FILING = "demandeur"  # the school, the candidate, the mediator
    INSTRUCTION = "instruction"  # the agents of the request's authority


@dataclass(frozen=True)
class Message:
    message_id: str
    request_id: str
    side: Side
    author_account_id: str
    author_label: str  # what the thread shows: « Auto-école Conduite Plus (Marie) », « DDT-75 (Paul) »
    text: str
    at: datetime

    def expires_at(self) -> int:
        return int((self.at + MESSAGE_RETENTION).timestamp())


def message_problem(text: str) -> str | None:
    """Why a message's text cannot be sent, in French; None when it can."""
    if not text.strip():
        return "Écrivez le message avant de l'envoyer."
    if len(text) > MESSAGE_MAX_CHARS:
        return f"Un message fait au plus {MESSAGE_MAX_CHARS} caractères ({len(text)} ici) : raccourcissez-le."
    return None


def closed_problem(status: RequestStatus) -> str | None:
    """Why nobody may write on the thread of a request in `status`; None while it is open. A draft
    has no thread yet: nobody instructs it, its filer changes it directly."""
    if status is RequestStatus.DRAFT:
        return "un brouillon n'a pas encore de messages, ils s'ouvrent une fois la demande envoyée"
    if status in CLOSED_STATUSES:
        return "elle est close, ses messages restent lisibles mais on ne peut plus y écrire"
    return None


def thread_closed(request: "Request") -> str | None:
    """The refusal of a message on this request's thread, naming its status; None while it is open."""
    problem = closed_problem(request.status)
    if problem is None:
        return None
    return f"La demande n° {request.request_id} est au statut « {request.status_label} » : {problem}."


def instruction_recipients(thread: list[Message], holder_id: str | None, decider_id: str | None,
                           author_id: str) -> list[str]:
    """The agents who hear of a message from the filing side: those who wrote on the thread, the
    one holding the request now and the one who made its last decision (who asked for the
    complement the school writes about), except the author. None yet: the message waits in the
    console for the agent who opens the request (the console shows the thread)."""
    found = [m.author_account_id for m in thread if m.side is Side.INSTRUCTION]
    found += [agent for agent in (holder_id, decider_id) if agent]
    return [account for account in dict.fromkeys(found) if account != author_id]
