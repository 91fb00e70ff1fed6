"""The attestations a validated registration receives, made outside the API function (fpdf2 and
its fonts never load there), from the committed decision's event: the attestation d'inscription
and, after an invalidation or a cancellation, the fiche retour au permis. Each carries a QR code
signed with the KMS signing key; the PDFs are stored encrypted in the documents bucket. For the
agents, the same worker makes the whole request as one PDF and fetches a request's ePhoto images
(both need the document family, which the API's package has not).

Made again (the event delivered twice, a replay from the dead-letter queue), a document is the
same file: the signed payload and the date of issue are kept with it and reused, since an ECDSA
signature differs every time it is computed."""
from __future__ import annotations

from datetime import date, datetime, timezone
from typing import TYPE_CHECKING, Callable

from chalice import Blueprint

from chalicelib import settings
from chalicelib.adapters import wiring
from chalicelib.domain import request_events
from chalicelib.resources import ATTESTATIONS_PREFIX, physical_name

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

    from chalicelib.domain.requests import Request

blueprint = Blueprint(__name__)

ATTESTATION, FICHE_RETOUR, CEPC = "ATT", "FRP", "CEPC"
FILE_NAMES = {ATTESTATION: "attestation-inscription", FICHE_RETOUR: "fiche-retour-au-permis"}


def attestation_key(request_id: str, document_type: str) -> str:
    return f"{ATTESTATIONS_PREFIX}{request_id}/{FILE_NAMES[document_type]}.pdf"


def issue_attestations(request_id: str, decided_on: date) -> list[str]:
    """Makes the request's attestations; the S3 keys written (none for a request that gets none)."""
    from chalicelib.domain.procedures import REGISTRATION_PROCEDURES, Procedure

    request = wiring.requests_repository().get(request_id)
    if request is None or request.neph is None or request.procedure not in REGISTRATION_PROCEDURES:
        return []
    made = [_issue(request, ATTESTATION, decided_on, _attestation)]
    if request.procedure is Procedure.REGISTRATION_AFTER_INVALIDATION:
        made.append(_issue(request, FICHE_RETOUR, decided_on, _fiche_retour))
    return made


def _attestation(request: "Request", issued_on: date, sign: Callable[[object], str]) -> bytes:
    from chalicelib.documents.attestation import attestation_data, render_attestation, with_exam_results

    data = attestation_data(request, issued_on)
    results = _exams().results(request.request_id)
    return render_attestation(with_exam_results(data, results) if results else data, sign(data))


def _exams():
    from chalicelib.adapters.exams_repository import DynamoExamsRepository

    return DynamoExamsRepository(wiring.client("dynamodb"), settings.table_name("main"))


def reprint_attestation(request_id: str) -> str | None:
    """The attestation made again with the results recorded since (its verso), same QR code."""
    request = wiring.requests_repository().get(request_id)
    if request is None or request.neph is None:
        return None
    from chalicelib.domain.dates import paris_day  # here: its module loads pydantic, which app.py's import must not

    # _issue keeps the date of issue of the attestation already made (today only if none was).
    return _issue(request, ATTESTATION, paris_day(datetime.now(timezone.utc)), _attestation)


def issue_cepc(request_id: str, category: str) -> str | None:
    """The CEPC of a favourable practical test of the registration `request_id`, issued on the
    exam's day (its validity runs from there)."""
    from chalicelib.services.exams import cepc_key

    request = wiring.requests_repository().get(request_id)
    cepc = next((c for c in _exams().cepcs(request_id) if c["category"] == category), None)
    if request is None or request.neph is None or cepc is None:
        return None
    record = next((r for r in _exams().results(request_id) if r.category.value == category
                   and r.test.value == "pratique" and r.outcome.value == "favorable"), None)
    if record is None:
        return None

    def render(request: "Request", issued_on: date, sign: Callable[[object], str]) -> bytes:
        from chalicelib.documents.attestation import cepc_data, render_cepc

        data = cepc_data(request, record, date.fromisoformat(cepc["valid_until"]), cepc["production_request_id"])
        return render_cepc(data, sign(data.attestation))

    return _issue(request, f"{CEPC}-{category}", record.day, render, key=cepc_key(request_id, category))



def _fiche_retour(request: "Request", issued_on: date, sign: Callable[[object], str]) -> bytes:
    from chalicelib.documents.attestation import fiche_retour_data, render_fiche_retour

    fiche = fiche_retour_data(request, issued_on, wiring.documents_repository().by_type(request.request_id))
    return render_fiche_retour(fiche.attestation, fiche.references, sign(fiche.attestation))


def _issue(request: "Request", document_type: str, decided_on: date, render, key: str | None = None) -> str:
    """`document_type`: ATT, FRP, or CEPC-<category> (stored apart per category, signed as CEPC)."""
    from chalicelib.documents.attestation import payload_for

    repository = wiring.requests_repository()
    kept = repository.issued(request.request_id, document_type)
    if kept is not None and kept["neph"] != request.neph:
        kept = None  # issued for another NEPH (never happens unless the registry was corrected): anew
    issued_on = date.fromisoformat(kept["issued_on"]) if kept else decided_on
    payloads: list[str] = []

    def sign(data) -> str:
        signer = wiring.signer()
        payloads.append(kept["payload"] if kept else payload_for(data, signer.kid, signer.sign,
                                                                 document_type.split("-", 1)[0]))
        return payloads[-1]

    pdf = render(request, issued_on, sign)
    key = key or attestation_key(request.request_id, document_type)
    wiring.client("s3").put_object(Bucket=settings.bucket_name("documents"), Key=key, Body=pdf,
                                   ContentType="application/pdf")
    repository.put_issued(request.request_id, document_type, key, payloads[-1], request.neph or "",
                          issued_on.isoformat())
    return key


def process_record(record: "SQSRecord") -> None:
    from chalicelib.adapters.queues import event_from_message_body
    from chalicelib.domain.dates import paris_day

    event = event_from_message_body(record.body)
    if event.type == request_events.APPROVED:
        # The date printed is the decision's, in France.
        issue_attestations(event.payload["request_id"], paris_day(event.occurred_at))
    elif event.type == request_events.EXAM_RESULT_RECORDED:
        reprint_attestation(event.payload["request_id"])
    elif event.type == request_events.CEPC_ISSUED:
        issue_cepc(event.payload["request_id"], event.payload["category"])
    elif event.type == request_events.DOSSIER_REQUESTED:
        make_dossier(event.payload["request_id"], event.payload["dossier_id"], event.occurred_at)
    elif event.type == request_events.EPHOTO_REQUESTED:
        fetch_ephoto(event.payload["request_id"])


def fetch_ephoto(request_id: str) -> str | None:
    """The request's ePhoto photo and signature, fetched from the operator at an agent's first
    view, checked as an upload is (documents/checks.py, which this worker's package has) and kept
    under checked/<request>/ephoto/ (services/ephoto.py). The outcome recorded; None: nothing to do."""
    from chalicelib.documents.checks import Accepted, check_document
    from chalicelib.domain.ephoto import EphotoImage, PartSpec
    from chalicelib.services.ephoto import EphotoFetch

    def check(data: bytes, content_type: str, spec: PartSpec) -> EphotoImage | str:
        result = check_document(data, content_type, spec.min_bytes, spec.max_bytes, spec.max_pixels)
        return EphotoImage(result.content, result.content_type) if isinstance(result, Accepted) else result.code

    return EphotoFetch(wiring.documents_repository(), wiring.ephoto_operator().fetch, check,
                       wiring.store_checked_file).run(request_id)


def make_dossier(request_id: str, dossier_id: str, asked_at) -> str:
    """The whole request as one PDF for the agent who asked (documents/dossier.py), in S3 for a day."""
    from chalicelib.documents.dossier import render_dossier
    from chalicelib.domain.accounts import ROLE_LABELS
    from chalicelib.domain.procedures import SYSTEM_ACTOR
    from chalicelib.domain.rules import DOCUMENT_LABELS, DocumentType
    from chalicelib.domain.status_texts import AUTOMATIC_ACTOR_LABEL, Audience, status_label
    from chalicelib.resources import DOSSIERS_PREFIX
    from chalicelib.services.documents import STATE_LABELS

    repository = wiring.requests_repository()
    request = repository.get(request_id)
    if request is None:  # deleted meanwhile: nothing to make
        return ""
    documents = [{"label": DOCUMENT_LABELS.get(DocumentType(name), name)
                  if name in DocumentType._value2member_map_ else name,
                  "state_label": STATE_LABELS.get(record.get("state", ""), "À fournir"),
                  "refusal": record.get("reason") or ""}
                 for name, record in sorted(wiring.documents_repository().by_type(request_id).items())]
    history = [{"at": t.at, "to": status_label(t.to_status, Audience.AGENT), "reason": t.reason,
                "by": AUTOMATIC_ACTOR_LABEL if t.actor_role == SYSTEM_ACTOR
                else ROLE_LABELS.get(t.actor_role, str(t.actor_role)), "acknowledged": list(t.acknowledged)}
               for t in repository.history(request_id)]
    pdf = render_dossier(request, documents, history, asked_at)
    key = f"{DOSSIERS_PREFIX}{request_id}/{dossier_id}.pdf"
    wiring.client("s3").put_object(Bucket=settings.bucket_name("documents"), Key=key, Body=pdf,
                                   ContentType="application/pdf")
    wiring.instruction_records().dossier_made(request_id, dossier_id, key)
    return key


@blueprint.on_sqs_message(queue=physical_name("attestations"), batch_size=5)
def make_attestations(event):
    from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

    processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
    return process_partial_response(event=event.to_dict(), record_handler=process_record,
                                    processor=processor, context=event.context)
