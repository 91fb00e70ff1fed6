"""The ePhoto photo and signature of a request (issue 20), for the agents who instruct it.

Two halves, one per function (domain/ephoto.py tells the story):
- `stored_image`, in the API (GET /staff/requests/{id}/documents/ephoto-photo|ephoto-signature):
  the stored copy; else the operator's last answer (404 unknown code, 503 unavailable); else a
  fetch asked (one transaction: DOC#ephoto `pending` on condition, and its event) and 409
  `ephoto_pending` while it runs.
- `EphotoFetch`, in the attestations worker (it has the document checker, which the API's package
  has not): both images fetched from the operator, checked like an upload, kept in the documents
  bucket, their keys recorded on DOC#ephoto on condition that its code is still the one fetched."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Callable

from chalicelib.domain.ephoto import (DONE, EXTENSIONS, NOT_FOUND, PARTS, PENDING, REFUSED, SPECS, UNAVAILABLE, Ask,
                                      EphotoImage, EphotoUnavailable, EphotoUnknown, Failed, PartSpec, Stored, view)
from chalicelib.domain.errors import Conflict, NotFound, Unavailable
from chalicelib.resources import CHECKED_PREFIX

if TYPE_CHECKING:
    from chalicelib.domain.requests import Request
    from chalicelib.services.requests import Requests


def no_code() -> NotFound:
    return NotFound("ephoto_missing", "Aucun code ePhoto n'est enregistré pour cette demande : il n'y a ni photo ni "
                    "signature à afficher. Demandez un complément « Photo et signature numériques (code ePhoto) ».")


def unknown_code() -> NotFound:
    return NotFound("ephoto_not_found", "Le service ePhoto ne connaît pas ce code : demandez au demandeur de "
                    "vérifier le code ePhoto saisi (22 caractères, sur la planche remise par la cabine ou le "
                    "photographe agréé), par un message ou un complément « Photo et signature numériques ».")


def pending() -> Conflict:
    return Conflict("ephoto_pending", "La photo et la signature sont demandées au service ePhoto : elles "
                    "s'affichent dans quelques secondes.", current={"state": PENDING})


def unavailable(state: str, retry_after: int | None) -> Unavailable:
    if state == REFUSED:
        message = ("L'image reçue du service ePhoto n'a pas passé la vérification des pièces : réessayez dans "
                   "quelques minutes ; si cela se reproduit, signalez-le au support.")
    else:
        message = ("Le service ePhoto ne répond pas pour le moment : la photo et la signature ne peuvent pas être "
                   "affichées. Réessayez dans quelques minutes.")
    return Unavailable("ephoto_unavailable", message, retry_after=retry_after)


def stored_image(requests: "Requests", request: "Request", part: str, now: datetime) -> Stored:
    """The stored copy of `part` of the request's ePhoto (the caller checked the agent may see the
    request); NotFound, Unavailable, or Conflict `ephoto_pending` while the fetch asked runs."""
    from chalicelib.adapters.dynamo import TransactionRefused
    from chalicelib.domain import request_events

    record = requests.documents.get(request.request_id, "ephoto")
    code = (record or {}).get("code")
    if not code:
        raise no_code()
    seen = view(record, part, now)
    if isinstance(seen, Stored):
        return seen
    if isinstance(seen, Failed):
        raise unknown_code() if seen.state == NOT_FOUND else unavailable(seen.state, seen.retry_after_seconds)
    if isinstance(seen, Ask):
        event = requests.event_for(request_events.EPHOTO_REQUESTED, request, now)
        try:
            requests.repo.transact(requests.documents.ephoto_fetch_items(request.request_id, code, seen.seen_at,
                                                                         now, event))
        except TransactionRefused:
            pass  # another view asked it at the same moment (the photo and the signature open together)
    raise pending()


def stored_key(request_id: str, code: str, part: str, content_type: str) -> str:
    """checked/<request>/ephoto/<code digest>/<part>.<ext>: in the request's checked/ folder, so
    purged with it (services/documents.stored_file_prefixes); one folder per code, so that the late
    fetch of a code the filer has replaced since never overwrites the new code's images (the code
    itself stays out of the links agents' browsers see)."""
    digest = hashlib.sha256(code.encode()).hexdigest()[:16]
    return f"{CHECKED_PREFIX}{request_id}/ephoto/{digest}/{part}.{EXTENSIONS.get(content_type, 'bin')}"


@dataclass
class EphotoFetch:
    """Fetches, checks and keeps a request's ePhoto images when a view asked for them."""

    documents: Any  # DynamoDocumentsRepository
    fetch: Callable[[str, str], EphotoImage]  # (code, part) -> the operator's image (adapters/ephoto.py)
    # The document checker (documents/checks.py, bound by the worker): the image kept, or why not.
    check: Callable[[bytes, str, PartSpec], "EphotoImage | str"]
    store: Callable[[str, bytes, str], None]  # (key, content, content type) into the documents bucket
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(timezone.utc))

    def run(self, request_id: str) -> str | None:
        """The fetch's outcome (done, not_found, unavailable, refused), None when nothing was asked
        (a replayed message, the code replaced or the request deleted meanwhile)."""
        from chalicelib.observability import logger

        record = self.documents.get(request_id, "ephoto")
        code = (record or {}).get("code")
        if not code or record.get("fetch_state") != PENDING:
            return None
        stored: dict[str, tuple[str, str]] = {}
        outcome = DONE
        try:
            for part in PARTS:
                if record.get(f"{part}_key"):
                    continue
                spec = SPECS[part]
                image = self.fetch(code, part)
                checked = self.check(image.content, image.content_type, spec) \
                    if image.content_type in spec.content_types else "unsupported_type"
                if not isinstance(checked, EphotoImage):
                    logger.warning("ePhoto image refused by the checker", extra={"request_id": request_id,
                                                                                  "part": part, "refusal": checked})
                    outcome = REFUSED
                    break
                key = stored_key(request_id, code, part, checked.content_type)
                self.store(key, checked.content, checked.content_type)
                stored[part] = (key, checked.content_type)
        except EphotoUnknown:
            outcome = NOT_FOUND
        except EphotoUnavailable as failure:
            logger.warning("ePhoto operator unavailable", extra={"request_id": request_id, "failure": str(failure)})
            outcome = UNAVAILABLE
        if not self.documents.record_ephoto_fetch(request_id, code, outcome, stored, self.clock()):
            return None  # the code changed meanwhile: the new one is fetched at its own first view
        return outcome
