"""The deposit receipt (récépissé de dépôt): a one-page A4 PDF saying what was filed, when, by whom,
with which documents. It is laid out and tagged as the attestation d'inscription (the State's
header, the document's language, title and author, the QR code a figure with its alternative
text: `documents.attestation`'s own functions) and carries a signed QR code too, of the receipt's
kind (`domain.verification`: the request's number, its procedure, the candidate's names and date
of birth as the attestation prints them, the day it was filed).

Pure: the receipts worker gives it the data and the QR code's text (`payload_for` with the
signer), and stores the bytes. The same data and payload give the same bytes (the PDF's date is
the submission's), and `payload_for` reuses the payload kept from a first delivery, so a message
delivered twice writes the same file twice."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Callable, Sequence

from chalicelib.documents.attestation import (CONTENT_W, MARGIN, _day, _density, _field, _footer, _header,
                                              _issue_and_qr, _number, _one_page, _section, _title, _upper, _wrapped,
                                              verify_caption)
from chalicelib.domain.dates import PARIS, paris_day

NOTE = ("Suivez la demande à tout moment avec son numéro sur Permis en ligne, rubrique « Où en est mon permis de "
        "conduire ? ». Ce récépissé atteste du dépôt ; il ne vaut pas autorisation de conduire.")
CAPTION = verify_caption("numéro de demande, démarche, nom, prénoms, date de naissance et date de dépôt")


@dataclass(frozen=True)
class ReceiptData:
    """What the receipt shows (names upper-cased, as on the attestation)."""

    request_id: str
    procedure: str  # the procedure's code (`Procedure`), in the QR code
    procedure_label: str
    mandate_label: str
    submitted_at: datetime
    birth_name: str
    usage_name: str
    first_names: str
    birth_date: date
    categories: tuple[str, ...]
    school_name: str | None
    documents: tuple[str, ...]  # labels of the documents supplied
    next_step: str  # the status it left in, explained

    @property
    def deposited_on(self) -> date:
        """The day it was filed, in France (the QR code's date)."""
        return paris_day(self.submitted_at)


def receipt_data(request, documents: Sequence[str], next_step: str) -> ReceiptData:
    """The receipt of a submitted request (`chalicelib.domain.requests.Request`). ValueError when
    it has not been submitted or lacks its civil status."""
    from chalicelib.domain.procedures import MANDATE_LABELS

    civil = request.steps.get("civil_status")
    if request.submitted_at is None or not civil:
        raise ValueError(f"request {request.request_id} is not submitted with a civil status")
    return ReceiptData(
        request_id=request.request_id, procedure=request.procedure.value, procedure_label=request.procedure_label,
        mandate_label=MANDATE_LABELS[request.mandate], submitted_at=request.submitted_at,
        birth_name=_upper(civil.get("birth_name")), usage_name=_upper(civil.get("usage_name")),
        first_names=_upper(civil.get("first_names")), birth_date=_day(civil["birth_date"]),
        categories=tuple((request.steps.get("categories") or {}).get("categories", ())),
        school_name=request.school_name, documents=tuple(documents), next_step=next_step)


def payload_for(data: ReceiptData, kid: str, sign: Callable[[bytes], bytes], kept: str | None = None) -> str:
    """The signed QR code text of this receipt. `kept`: the payload of the receipt made before
    for the request, reused when it says the same (an ECDSA signature differs every time)."""
    from chalicelib.domain.verification import SEPARATOR, sign_message, unsigned_receipt_payload

    message = unsigned_receipt_payload(data.request_id, data.procedure, data.birth_name, data.first_names,
                                       data.birth_date, data.deposited_on, kid)
    if kept and kept.rpartition(SEPARATOR)[0] == message:
        return kept
    return sign_message(message, sign)


def render_receipt(data: ReceiptData, qr_payload: str) -> bytes:
    pdf, block_top = _one_page(f"Récépissé de dépôt – demande n° {data.request_id}", data.deposited_on,
                               lambda pdf: _receipt(pdf, data))
    _issue_and_qr(pdf, block_top, "Demande déposée le", data.deposited_on, qr_payload, NOTE, CAPTION)
    _footer(pdf, f"Récépissé de dépôt – demande n° {data.request_id}", 1, 1)
    return bytes(pdf.output())


def _receipt(pdf, data: ReceiptData) -> float:
    _header(pdf, "Permis en ligne\nDépôt d'une demande")
    y = _title(pdf, 38, "RÉCÉPISSÉ DE DÉPÔT")
    y = _section(pdf, y + 2, "LA DEMANDE")
    y = _number(pdf, y, "Demande n°", data.request_id)
    submitted = data.submitted_at.astimezone(PARIS)
    y = _field(pdf, MARGIN, y, "Démarche", data.procedure_label, CONTENT_W, 34)
    y = _field(pdf, MARGIN, y, "Déposée le", f"{submitted:%d/%m/%Y} à {submitted:%Hh%M} (heure de Paris)",
               CONTENT_W, 34)
    y = _field(pdf, MARGIN, y, "Mode de dépôt", data.mandate_label, CONTENT_W, 34)
    if data.school_name:
        y = _field(pdf, MARGIN, y, "Auto-école", data.school_name, CONTENT_W, 34)
    y = _section(pdf, y + 2, "LE CANDIDAT")
    y = _field(pdf, MARGIN, y, "Nom de famille", data.birth_name, CONTENT_W, 34)
    if data.usage_name:
        y = _field(pdf, MARGIN, y, "Nom d'usage", data.usage_name, CONTENT_W, 34)
    y = _field(pdf, MARGIN, y, "Prénoms", data.first_names, CONTENT_W, 34)
    y = _field(pdf, MARGIN, y, "Né(e) le", f"{data.birth_date:%d/%m/%Y}", CONTENT_W, 34)
    y = _field(pdf, MARGIN, y, "Catégorie(s)", ", ".join(data.categories) or "–", CONTENT_W, 34)
    y = _section(pdf, y + 2, "PIÈCES JOINTES")
    h, size, *_ = _density(pdf)
    for label in data.documents or ("Aucune",):
        y = _text(pdf, y, h, size, f"•  {label}")
    y = _section(pdf, y + 2, "ET ENSUITE ?")
    return _text(pdf, y, h, size, data.next_step)


def _text(pdf, y: float, h: float, size: float, text: str) -> float:
    """A line of the receipt's own data in regular type, wrapped; the y below it."""
    pdf.set_xy(MARGIN, y)
    pdf.set_font("DejaVu", "", size)
    return _wrapped(pdf, y, CONTENT_W, h, text)
