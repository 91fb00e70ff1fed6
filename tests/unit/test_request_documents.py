"""Pure rules of a request's documents and of its validation deadline (domain/requests.py)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from chalicelib.domain.procedures import Mandate, Procedure, RequestStatus
from chalicelib.domain.requests import Request, after_image_check, all_accepted, document_problems
from chalicelib.domain.rules import DOCUMENT_LABELS, DocumentType, RequiredDocument

REQUIRED = [RequiredDocument(document=d, label=DOCUMENT_LABELS[d], reason="…")
            for d in (DocumentType.EPHOTO, DocumentType.IDENTITY, DocumentType.PROOF_OF_ADDRESS)]


def test_each_document_not_sent_or_refused_is_named_with_what_to_do():
    states = {"ephoto": {"state": "accepted"}, "identite": {"state": "refused", "reason": "Le fichier est illisible."},
              "domicile": {"state": "awaiting_upload"}}
    problems = {p.field: p for p in document_problems(REQUIRED, states)}
    assert set(problems) == {"documents.identite", "documents.domicile"}
    assert problems["documents.identite"].code == "document_refused"
    assert "illisible" in problems["documents.identite"].message and "Remplacez-la" in problems[
        "documents.identite"].message
    assert problems["documents.domicile"].message.endswith("joignez le fichier.")
    assert document_problems(REQUIRED, {})[0].message.endswith("saisissez le code ePhoto.")


def test_a_document_being_checked_lets_the_submission_go_on_but_not_the_instruction():
    states = {d.document.value: {"state": "accepted"} for d in REQUIRED}
    states["identite"] = {"state": "pending"}
    assert document_problems(REQUIRED, states) == []
    assert not all_accepted(REQUIRED, states)
    assert after_image_check(False) == [RequestStatus.IMAGE_CHECK]
    states["identite"] = {"state": "accepted"}
    assert all_accepted(REQUIRED, states)
    assert after_image_check(True) == [RequestStatus.IMAGE_CHECK, RequestStatus.UNDER_REVIEW]


def test_the_validation_job_looks_at_day_5_then_at_the_deadline_and_never_after():
    now = datetime(2026, 11, 28, 10, tzinfo=timezone.utc)
    request = Request(request_id="261100000001", procedure=Procedure.EXAM_REGISTRATION, mandate=Mandate.NONE,
                      status=RequestStatus.AWAITING_CANDIDATE_VALIDATION, created_by="x", created_at=now,
                      updated_at=now, submitted_at=now, validation_deadline=now + timedelta(days=7))
    assert request.validation_due_at() == now + timedelta(days=5)
    assert request.model_copy(update={"validation_reminded": True}).validation_due_at() == now + timedelta(days=7)
    assert request.model_copy(update={"status": RequestStatus.IMAGE_CHECK}).validation_due_at() is None
    assert request.rules_day(now.date() + timedelta(days=30)) == now.date()  # the submission date
