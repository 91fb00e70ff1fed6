"""The attestations a validated registration receives, made outside the API function (fpdf2 and
its fonts never load there), from the committed decision's event: the attestation d'inscription
and, after an invalidation or a cancellation, the fiche retour au permis. Each carries a QR code
signed with the KMS signing key; the PDFs are stored encrypted in the documents bucket.

Made again (the event delivered twice, a replay from the dead-letter queue), a document is the
same file: the signed payload and the date of issue are kept with it and reused, since an ECDSA
signature differs every time it is computed."""
from __future__ import annotations

from datetime import date
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

ATTESTATION, FICHE_RETOUR = "ATT", "FRP"
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
    from chalicelib.documents.attestation import attestation_data, render_attestation

    data = attestation_data(request, issued_on)
    return render_attestation(data, sign(data))


def _fiche_retour(request: "Request", issued_on: date, sign: Callable[[object], str]) -> bytes:
    from chalicelib.documents.attestation import fiche_retour_data, render_fiche_retour

    fiche = fiche_retour_data(request, issued_on, wiring.documents_repository().by_type(request.request_id))
    return render_fiche_retour(fiche.attestation, fiche.references, sign(fiche.attestation))


def _issue(request: "Request", document_type: str, decided_on: date, render) -> str:
    from chalicelib.documents.attestation import payload_for

    repository = wiring.requests_repository()
    kept = repository.issued(request.request_id, document_type)
    if kept is not None and kept["neph"] != request.neph:
        kept = None  # issued for another NEPH (never happens unless the registry was corrected): anew
    issued_on = date.fromisoformat(kept["issued_on"]) if kept else decided_on
    payloads: list[str] = []

    def sign(data) -> str:
        signer = wiring.signer()
        payloads.append(kept["payload"] if kept else payload_for(data, signer.kid, signer.sign, document_type))
        return payloads[-1]

    pdf = render(request, issued_on, sign)
    key = attestation_key(request.request_id, document_type)
    wiring.client("s3").put_object(Bucket=settings.bucket_name("documents"), Key=key, Body=pdf,
                                   ContentType="application/pdf")
    repository.put_issued(request.request_id, document_type, key, payloads[-1], request.neph or "",
                          issued_on.isoformat())
    return key


def process_record(record: "SQSRecord") -> None:
    from chalicelib.adapters.queues import event_from_message_body

    event = event_from_message_body(record.body)
    if event.type == request_events.APPROVED:
        from zoneinfo import ZoneInfo

        # The date printed is the decision's, in France.
        issue_attestations(event.payload["request_id"], event.occurred_at.astimezone(ZoneInfo("Europe/Paris")).date())


@blueprint.on_sqs_message(queue=physical_name("attestations"), batch_size=5)
def make_attestations(event):
    from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

    processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
    return process_partial_response(event=event.to_dict(), record_handler=process_record,
                                    processor=processor, context=event.context)
