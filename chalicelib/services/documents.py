"""Supporting documents of a request: the upload goes straight from the browser to S3 with a
presigned POST whose policy the server writes (exact content type, size range of the document
type, key chosen by the server, a few minutes' validity); the checker worker then checks the file
and records the result."""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

from chalicelib.domain.errors import Conflict, ErrorDetail, InvalidInput, NotFound
from chalicelib.domain.procedures import RequestStatus
from chalicelib.domain.requests import UPLOADABLE
from chalicelib.domain.rules import DOCUMENT_LABELS, DOCUMENT_SPECS, DocumentType, check_file
from chalicelib.resources import CHECKED_PREFIX, RECEIPTS_PREFIX, UPLOADS_PREFIX

UPLOAD_VALIDITY = timedelta(minutes=5)
FILE_LINK_SECONDS = 60  # a filer's or candidate's own file, opened in the page
FILE_EXTENSIONS = {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg"}
FILE_NOT_FOUND = NotFound("document_not_found", "Cette pièce n'est pas jointe à la demande ou n'est pas encore "
                          "vérifiée : seules les pièces vérifiées et acceptées s'ouvrent.")
STATE_LABELS = {"awaiting_upload": "En attente d'envoi", "pending": "En cours de vérification",
                "accepted": "Acceptée", "refused": "Refusée"}


def upload_key(request_id: str, document: str) -> str:
    """uploads/<request>/<document type>/<random>: made by the server, never by the browser."""
    return f"{UPLOADS_PREFIX}{request_id}/{document}/{uuid.uuid4().hex}"


def stored_file_prefixes(request_id: str) -> list[str]:
    """Every key of the documents bucket a request's own files are under: the uploads as sent, their
    checked copies, the deposit receipt (never the attestations or a CEPC, which belong to the
    registration they were issued for)."""
    return [f"{UPLOADS_PREFIX}{request_id}/", f"{CHECKED_PREFIX}{request_id}/", f"{RECEIPTS_PREFIX}{request_id}.pdf"]


def parse_upload_key(key: str) -> tuple[str, str] | None:
    parts = key.split("/")
    if len(parts) != 4 or f"{parts[0]}/" != UPLOADS_PREFIX or not parts[1].isdigit():
        return None
    try:
        DocumentType(parts[2])
    except ValueError:
        return None
    return parts[1], parts[2]


def upload_conditions(key: str, content_type: str, min_bytes: int, max_bytes: int) -> list[Any]:
    """The policy S3 enforces on the POST (moto does not: tests read this policy itself)."""
    return [{"key": key}, {"Content-Type": content_type}, ["content-length-range", min_bytes, max_bytes]]


@dataclass
class Documents:
    repo: Any  # DynamoDocumentsRepository
    presign: Callable[..., dict[str, Any]]  # s3.generate_presigned_post bound to the bucket
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(timezone.utc))
    # A short link to a file shown in the page: (key, file name, content type, seconds) -> URL.
    open_link: Callable[[str, str, str, int], str] | None = None

    def prepare_upload(self, request, document: str, content_type: str, size: int) -> dict[str, Any]:
        try:
            kind = DocumentType(document)
        except ValueError:
            raise NotFound("document_unknown", "Ce type de pièce n'existe pas.") from None
        if request.status not in UPLOADABLE:
            raise Conflict("documents_locked", f"La demande est au statut « {request.status_label} » : les pièces ne "
                           "se changent pas à ce stade.",
                           current={"status": request.status.value, "status_label": request.status_label})
        if request.status is RequestStatus.MORE_INFORMATION_REQUESTED and kind.value not in request.complement_documents:
            raise Conflict("documents_locked", "L'instructeur a demandé un complément : seules les pièces qu'il a "
                           "nommées se remplacent (elles sont signalées « À remplacer » sur la demande).",
                           current={"status": request.status.value, "status_label": request.status_label})
        problem = check_file(kind, content_type, size)
        if problem is not None:
            raise InvalidInput(problem.code or "file_refused", problem.message,
                               [ErrorDetail(field="content_type" if problem.code == "content_type" else "size",
                                            code=problem.code, message=problem.message)])
        spec = DOCUMENT_SPECS[kind]
        key = upload_key(request.request_id, kind.value)
        now = self.clock()
        post = self.presign(Key=key, Fields={"Content-Type": content_type},
                            Conditions=upload_conditions(key, content_type, spec.min_bytes or 1, spec.max_bytes or 1),
                            ExpiresIn=int(UPLOAD_VALIDITY.total_seconds()))
        self.repo.expect_upload(request.request_id, kind.value, key, content_type, now)
        return {"url": post["url"], "fields": post["fields"], "expires_at": now + UPLOAD_VALIDITY,
                "document": kind.value, "label": DOCUMENT_LABELS[kind]}

    def states(self, request) -> list[dict[str, Any]]:
        return [{"document": d["document"], "label": DOCUMENT_LABELS[DocumentType(d["document"])],
                 "state": d["state"], "state_label": STATE_LABELS.get(d["state"], d["state"]),
                 "reason": d.get("reason"), "updated_at": d.get("updated_at")}
                for d in self.repo.list(request.request_id)]

    def file_link(self, request, document: str) -> dict[str, Any]:
        """A link of a minute to the checked copy of an accepted document of `request` (whose access
        the caller was checked for), served inline: an image shows as a thumbnail, a PDF opens in
        the browser. The ePhoto code is not a file; a file not checked yet or refused is not served."""
        kind = DocumentType._value2member_map_.get(document)
        record = self.repo.get(request.request_id, document) if kind and DOCUMENT_SPECS[kind].is_file else None
        if record is None or record.get("state") != "accepted" or not record.get("clean_key"):
            raise FILE_NOT_FOUND
        content_type = record.get("content_type") or "application/pdf"
        file_name = f"{document}-{request.request_id}.{FILE_EXTENSIONS.get(content_type, 'bin')}"
        now = self.clock()
        assert self.open_link is not None
        return {"url": self.open_link(record["clean_key"], file_name, content_type, FILE_LINK_SECONDS),
                "expires_at": now + timedelta(seconds=FILE_LINK_SECONDS), "content_type": content_type,
                "file_name": file_name}
