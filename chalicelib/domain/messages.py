"""The messages of a request (issue 20, item 5): one thread per request between the people on the
filing side (the school's members, the candidate, the digital mediator) and the agents of the
service that instructs it. Each message is emailed to the others of the thread, once.

Pure: who may write, what a message may say, when the thread is closed, who hears of a message.
Storage (one item per message in the request's partition, never a list growing in one item) is
adapters/messages_repository.py; the emails, workers/notifications.py."""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

from chalicelib.domain.procedures import TERMINAL_STATUSES, RequestStatus
from chalicelib.domain.rules import JPEG, KB, MB, PDF, PNG, DocumentSpec

if TYPE_CHECKING:
    from chalicelib.domain.requests import Request

MESSAGE_MAX_CHARS = 2000
# A message is personal data: kept two years after it was written (a registration's exams and its
# licence's delivery are over well before), or purged earlier with its request.
MESSAGE_RETENTION = timedelta(days=730)
# A thread stays readable once closed; writing stops with the request (rejected, licence delivered
# or destroyed): a new request opens a new thread.
CLOSED_STATUSES = TERMINAL_STATUSES


# Attachments: a file sent with a message goes through the same checker as a request's documents
# (type sniffed, images re-encoded, PDFs parsed). Up to 3 per message, each its own item: a scan of
# a page, a photo of a document, a PDF of a few pages.
ATTACHMENT_FOLDER = "piece-jointe"  # uploads/<request>/piece-jointe/<id>: the checker's sign for it
ATTACHMENT_SPEC = DocumentSpec(frozenset({JPEG, PNG, PDF}), 1 * KB, 5 * MB)
MAX_ATTACHMENTS = 3
FILE_NAME_MAX_CHARS = 120
# An attachment prepared but never sent with a message (the page closed, the upload failed) goes
# after a day; once sent, it lives as long as its message.
UNSENT_ATTACHMENT_RETENTION = timedelta(days=1)
ATTACHMENT_STATE_LABELS = {"awaiting_upload": "Fichier non reçu", "pending": "Vérification en cours",
                           "accepted": "Vérifiée", "refused": "Refusée par la vérification"}


class Side(StrEnum):
    FILING = "demandeur"  # the school, the candidate, the mediator
    INSTRUCTION = "instruction"  # the agents of the request's authority


@dataclass(frozen=True)
class Attachment:
    """A file sent with a message: its name as the sender's computer gave it, its check's state."""
    attachment_id: str
    file_name: str
    content_type: str
    size: int
    state: str = "awaiting_upload"  # then pending, accepted or refused (by the checker)
    reason: str | None = None  # why the checker refused it
    message_id: str | None = None  # None until sent with a message
    author_account_id: str | None = None

    @property
    def state_label(self) -> str:
        return ATTACHMENT_STATE_LABELS.get(self.state, self.state)


@dataclass(frozen=True)
class Message:
    message_id: str
    request_id: str
    side: Side
    author_account_id: str
    author_label: str  # what the thread shows: « Auto-école Conduite Plus (Marie) », « DDT-75 (Paul) »
    text: str
    at: datetime
    attachments: tuple[Attachment, ...] = ()

    def expires_at(self) -> int:
        return int((self.at + MESSAGE_RETENTION).timestamp())


def message_problem(text: str) -> str | None:
    """Why a message's text cannot be sent, in French; None when it can."""
    if not text.strip():
        return "Écrivez le message avant de l'envoyer."
    if len(text) > MESSAGE_MAX_CHARS:
        return f"Un message fait au plus {MESSAGE_MAX_CHARS} caractères ({len(text)} ici) : raccourcissez-le."
    return None


def clean_file_name(name: str) -> str:
    """A file name as the thread shows it: its last path part, without control characters, at most
    FILE_NAME_MAX_CHARS (the extension kept). Never used as a key or a header: shown as text."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in unicodedata.normalize("NFC", base) if unicodedata.category(ch)[0] != "C").strip()
    if len(base) > FILE_NAME_MAX_CHARS:
        stem, dot, extension = base.rpartition(".")
        keep = extension if dot and len(extension) <= 5 else ""
        base = base[:FILE_NAME_MAX_CHARS - len(keep) - (2 if keep else 1)] + "…" + (f".{keep}" if keep else "")
    return base


def attachment_problem(file_name: str, content_type: str, size: int) -> tuple[str, str] | None:
    """(field, why in French) when this file cannot be attached; None when it can be sent to the checker."""
    if not clean_file_name(file_name):
        return "file_name", "Indiquez le nom du fichier joint."
    if content_type not in ATTACHMENT_SPEC.content_types:
        return "content_type", f"« {clean_file_name(file_name)} » : format non accepté. Joignez un fichier PDF, JPEG ou PNG."
    assert ATTACHMENT_SPEC.min_bytes is not None and ATTACHMENT_SPEC.max_bytes is not None
    if size < ATTACHMENT_SPEC.min_bytes:
        return "size", f"« {clean_file_name(file_name)} » est vide ou presque (moins de 1 Ko) : choisissez un autre fichier."
    if size > ATTACHMENT_SPEC.max_bytes:
        return "size", (f"« {clean_file_name(file_name)} » dépasse 5 Mo : réduisez sa résolution ou envoyez-le en "
                        "PDF.")
    return None


def attachments_problem(attachment_ids: list[str]) -> str | None:
    """Why this list of attachments cannot go with one message; None when it can."""
    if len(attachment_ids) > MAX_ATTACHMENTS:
        return f"Un message emporte au plus {MAX_ATTACHMENTS} pièces jointes ({len(attachment_ids)} ici) : envoyez " \
               "les autres dans un second message."
    if len(set(attachment_ids)) != len(attachment_ids):
        return "La même pièce jointe figure deux fois : retirez le doublon."
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
