"""The attestation d'inscription au permis de conduire (equivalent of Cerfa 02) and the fiche
retour au permis, as A4 PDFs carrying a signed QR code (`domain.verification`).

The attestation is the seed's form: on the recto the candidate, the categories, the declarations
(OUI/NON), the training path, the legal representative and the date of issue; on the verso the
8 exam slots the examiners fill in. It is printed recto/verso on one sheet (the PDF asks printers
for duplex) and shown at every exam. The fiche retour au permis tells the examiner that the
candidate comes back after an invalidation or a cancellation of their licence, and on what.

Pure: the caller gives the data and the QR code's text (`payload_for` with the signer), and
stores the bytes. The same data give the same bytes (the PDF's dates are the issue date). fpdf2
and segno are imported inside the render functions: building the data never loads them."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone
from importlib import resources
from typing import Any, Callable, Mapping, Sequence

from chalicelib.domain.procedures import (COMPLEMENTARY_TRAINING_LABELS, PROCEDURE_LABELS, ComplementaryTraining,
                                          Procedure, TrainingPath)

BLUE_FRANCE = (0, 0, 145)
RED_MARIANNE = (225, 0, 15)
GREY = (102, 102, 102)
TEXT = (22, 22, 22)
LIGHT = (238, 238, 246)  # section bars
RULE = (150, 150, 170)

MAX_EXAM_SLOTS = 8
CHECKED, UNCHECKED = "☒", "☐"


def verify_caption(fields: str) -> str:
    """What to do with a document's QR code; `fields`: what the verifier shows, to compare."""
    return ("Scannez le code ci-contre avec l'outil de vérification de Permis en ligne : il doit répondre "
            f"«\u00a0authentique\u00a0» et afficher les mêmes {fields} que ce document. Le code est signé : un "
            "document modifié ne passe pas la vérification.")


VERIFY_CAPTION = verify_caption("NEPH, nom, prénoms et date de naissance")
DUPLEX_NOTE = ("L'attestation d'inscription au permis de conduire (équivalent du Cerfa réf. 02) doit être imprimée "
               "en recto/verso sur une seule feuille. Elle est à présenter obligatoirement à l'inspecteur du permis "
               "de conduire chargé de l'évaluation lors des épreuves du permis de conduire, en sus des pièces "
               "habituelles (justification d'identité, livret d'apprentissage pour la conduite accompagnée, permis "
               "de conduire le cas échéant).")


# --- data ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class HeldCategory:
    """A category already obtained (the recto's "Catégorie(s) déjà obtenue(s)")."""

    category: str
    obtained_on: date | None = None  # Dernière date d'obtention
    how: str = ""  # Moyen d'obtention (examen, équivalence, échange...)
    where: str = ""  # Lieu d'obtention


@dataclass(frozen=True)
class Declarations:
    """The six OUI/NON of the recto."""

    exam_pending_elsewhere: bool  # en instance d'examen dans le même ou un autre département
    reads_french: bool
    adapted_vehicle: bool
    vision_correction: bool
    medical_condition: bool
    disability_pension: bool


@dataclass(frozen=True)
class Representative:
    """The legal representative of a minor candidate, as printed."""

    name: str  # "MARTIN Paul (père)"
    birth_date: date | None
    address: str


@dataclass(frozen=True)
class ExamResult:
    """One slot of the verso, filled by the examiner's record (exam results issue)."""

    day: date
    centre: str
    examiners: str
    test: str  # "theorie" or "pratique"
    outcome: str  # "favorable", "defavorable", "absent-excuse", "absent-non-excuse"
    category: str
    ind: str = ""  # the form's "Ind." box


TESTS = ("theorie", "pratique")
OUTCOMES = ("favorable", "defavorable", "absent-excuse", "absent-non-excuse")


@dataclass(frozen=True)
class AttestationData:
    """What the attestation shows, as printed (names upper-cased)."""

    neph: str
    sex: str  # "F" or "M"
    birth_name: str
    usage_name: str
    first_names: str
    birth_date: date
    birth_place: str  # "Antony - 92 - FRANCE"
    address_lines: tuple[str, ...]
    mobile_phone: str
    email: str
    categories: tuple[str, ...]
    complementary_training: str  # "Aucune" when none
    held_categories: tuple[HeldCategory, ...]
    declarations: Declarations
    aac: bool
    supervised_driving: bool
    legal_representative: Representative | None
    issued_on: date
    exam_results: tuple[ExamResult, ...] = ()
    request_id: str = ""

    def __post_init__(self) -> None:
        if len(self.exam_results) > MAX_EXAM_SLOTS:
            raise ValueError(f"the verso holds {MAX_EXAM_SLOTS} exams, not {len(self.exam_results)}")
        for result in self.exam_results:
            if result.test not in TESTS or result.outcome not in OUTCOMES:
                raise ValueError(f"exam result with test {result.test!r} / outcome {result.outcome!r}")


@dataclass(frozen=True)
class ReturnReferences:
    """What the fiche retour au permis tells the examiner about the invalidation or cancellation.

    The request holds no number or date of the decision as typed fields: the decision itself is a
    supporting document (`decision-invalidation`), whose receipt and check are reported here."""

    request_id: str
    procedure_label: str
    submitted_on: date | None
    decision_document: str  # the document's label
    decision_status: str  # "jointe le 20/11/2026, vérifiée et acceptée", "non jointe"...


@dataclass(frozen=True)
class FicheRetourData:
    attestation: AttestationData
    references: ReturnReferences


# --- from a request --------------------------------------------------------------------------

_QUALITY = {"pere": "père", "mere": "mère", "tuteur": "tuteur"}


def _fr(day: date | None) -> str:
    return f"{day:%d/%m/%Y}" if day else ""


def _day(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    return date.fromisoformat(value) if value else None


def format_mobile_phone(e164: str) -> str:
    """+33613459724 -> 06 13 45 97 24 (French mobiles as people write them); others as stored."""
    if e164.startswith("+33") and len(e164) == 12 and e164[3:].isdigit():
        national = "0" + e164[3:]
        return " ".join(national[i:i + 2] for i in range(0, 10, 2))
    return e164


def address_lines(address: Mapping[str, Any] | None) -> tuple[str, ...]:
    """A stored address (`AddressInput`) as the lines of an envelope: street, complement, postal
    code and commune name."""
    if not address:
        return ()
    from chalicelib.domain import geography
    from chalicelib.domain.accounts import AddressInput

    try:
        full = AddressInput.model_validate(address).to_address()
    except ValueError:  # saved under older reference data: print what was typed
        street = " ".join(p for p in (address.get("number"), address.get("street_type"), address.get("street_name"))
                          if p)
        return tuple(p for p in (street, address.get("complement"),
                                 f"{address.get('postal_code', '')} {address.get('commune', '')}".strip()) if p)
    extension = geography.STREET_NUMBER_EXTENSIONS.get(full.extension or "", "")
    street = " ".join(p for p in (full.number, extension, geography.STREET_TYPES[full.street_type], full.street_name)
                      if p)
    return tuple(p for p in (street, full.complement, f"{full.postal_code} {full.commune_name}") if p)


def birth_place(place: Mapping[str, Any] | None) -> str:
    """"Antony - 92 - FRANCE" in France, "Casablanca - MAROC" abroad."""
    if not place:
        return ""
    from chalicelib.domain import geography

    country = (place.get("country") or "FR").upper()
    country_name = (geography.country_name(country) or country).upper()
    return " - ".join(p for p in (place.get("commune"), place.get("departement"), country_name) if p)


def _upper(value: str | None) -> str:
    return " ".join((value or "").split()).upper()


def attestation_data(request, issued_on: date) -> AttestationData:
    """The attestation of a validated registration (`chalicelib.domain.requests.Request`).
    ValueError when the request has no NEPH yet or lacks its civil status."""
    steps = request.steps
    civil = steps.get("civil_status")
    if not request.neph:
        raise ValueError(f"request {request.request_id} has no NEPH: the attestation follows the validation")
    if not civil:
        raise ValueError(f"request {request.request_id} has no civil status")
    contact = steps.get("contact") or {}
    categories = steps.get("categories") or {}
    declared = steps.get("declarations") or {}
    path = TrainingPath(categories.get("training_path", TrainingPath.TRADITIONAL.value))
    training = ComplementaryTraining(categories.get("complementary_training") or ComplementaryTraining.NONE.value)
    representative = None
    if civil.get("legal_representative"):
        r = civil["legal_representative"]
        quality = _QUALITY.get(r.get("quality", ""), "")
        representative = Representative(
            name=f"{_upper(r.get('birth_name'))} {_upper(r.get('first_names'))}" + (f" ({quality})" if quality else ""),
            birth_date=_day(r.get("birth_date")), address=", ".join(address_lines(r.get("address"))))
    return AttestationData(
        neph=request.neph, sex=civil.get("sex", ""), birth_name=_upper(civil.get("birth_name")),
        usage_name=_upper(civil.get("usage_name")), first_names=_upper(civil.get("first_names")),
        birth_date=_day(civil["birth_date"]), birth_place=birth_place(civil.get("birth_place")),
        address_lines=address_lines(contact.get("address")),
        mobile_phone=format_mobile_phone(contact.get("mobile_phone", "")), email=contact.get("email", ""),
        categories=tuple(categories.get("categories", ())),
        complementary_training=COMPLEMENTARY_TRAINING_LABELS[training],
        held_categories=tuple(HeldCategory(c) for c in categories.get("held_categories", ())),
        declarations=Declarations(**{name: bool(declared.get(name, False)) for name in (
            "exam_pending_elsewhere", "reads_french", "adapted_vehicle", "vision_correction", "medical_condition",
            "disability_pension")}),
        aac=path is TrainingPath.AAC, supervised_driving=path is TrainingPath.SUPERVISED,
        legal_representative=representative, issued_on=issued_on, request_id=request.request_id)


_DOCUMENT_STATES = {"accepted": "vérifiée et acceptée", "pending": "en cours de vérification",
                    "refused": "refusée", "awaiting_upload": "annoncée, pas encore reçue"}


def fiche_retour_data(request, issued_on: date,
                      documents: Mapping[str, Mapping[str, Any]] | None = None) -> FicheRetourData:
    """The fiche retour au permis of a registration after invalidation or cancellation.
    `documents`: the request's document records by type (`DocumentsRepository.by_type`), for the
    decision's receipt and check. ValueError for another procedure."""
    from chalicelib.domain.rules import DOCUMENT_LABELS, DocumentType

    if request.procedure is not Procedure.REGISTRATION_AFTER_INVALIDATION:
        raise ValueError(f"request {request.request_id} is not a registration after invalidation or cancellation")
    record = (documents or {}).get(DocumentType.INVALIDATION_DECISION.value) or {}
    state = record.get("state")
    if not state:
        status = "non jointe à la demande"
    else:
        status = _DOCUMENT_STATES.get(state, state)
        when = _day((record.get("checked_at") or record.get("updated_at") or "")[:10] or None)
        if when:
            status += f" (le {_fr(when)})"
    return FicheRetourData(
        attestation=attestation_data(request, issued_on),
        references=ReturnReferences(
            request_id=request.request_id, procedure_label=PROCEDURE_LABELS[request.procedure],
            submitted_on=request.submitted_at.date() if request.submitted_at else None,
            decision_document=DOCUMENT_LABELS[DocumentType.INVALIDATION_DECISION], decision_status=status))


def payload_for(data: AttestationData, kid: str, sign: Callable[[bytes], bytes], document_type: str = "ATT") -> str:
    """The signed QR code text of this document (`ATT` attestation, `FRP` fiche retour)."""
    from chalicelib.domain.verification import signed_payload

    return signed_payload(document_type, data.neph, data.birth_name, data.first_names, data.birth_date,
                          data.issued_on, kid, sign)


# --- layout ----------------------------------------------------------------------------------

MARGIN = 15.0
PAGE_W, PAGE_H = 210.0, 297.0
CONTENT_W = PAGE_W - 2 * MARGIN


def _font_path(name: str) -> str:
    return str(resources.files("chalicelib.data").joinpath("fonts", name))


def _new_pdf(title: str, issued_on: date):
    from fpdf import FPDF, ViewerPreferences

    pdf = FPDF(format="A4", unit="mm")
    pdf.set_creation_date(datetime(issued_on.year, issued_on.month, issued_on.day, 12, tzinfo=timezone.utc))
    pdf.set_title(title)
    pdf.set_author("Permis en ligne – Ministère de l'Intérieur")
    pdf.set_creator("Permis en ligne")
    pdf.set_lang("fr")
    # Printed on one sheet: duplex along the long edge, at 100 % (no scaling, the QR code stays square).
    pdf.viewer_preferences = ViewerPreferences(duplex="DuplexFlipLongEdge", print_scaling="None",
                                               display_doc_title=True)
    pdf.add_font("DejaVu", "", _font_path("DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", _font_path("DejaVuSans-Bold.ttf"))
    pdf.set_margins(MARGIN, 12, MARGIN)
    pdf.set_auto_page_break(False)
    pdf.set_text_color(*TEXT)
    pdf.set_draw_color(*RULE)
    pdf.set_line_width(0.25)
    return pdf


def _header(pdf, subtitle: str) -> None:
    """Marianne block on the left, ministry on the right, as on the state's documents."""
    top = 12
    pdf.set_fill_color(*BLUE_FRANCE)
    pdf.rect(MARGIN, top, 4, 4, style="F")
    pdf.set_fill_color(255, 255, 255)
    pdf.set_draw_color(200, 200, 200)
    pdf.rect(MARGIN + 4, top, 4, 4, style="D")
    pdf.set_fill_color(*RED_MARIANNE)
    pdf.rect(MARGIN + 8, top, 4, 4, style="F")
    pdf.set_draw_color(*RULE)
    pdf.set_font("DejaVu", "B", 10)
    y = _paragraph(pdf, MARGIN, top + 5, 60, 4.5, "RÉPUBLIQUE\nFRANÇAISE")
    pdf.set_font("DejaVu", "", 7)
    pdf.set_text_color(*GREY)
    _paragraph(pdf, MARGIN, y, 60, 3.2, "Liberté\nÉgalité\nFraternité")
    pdf.set_text_color(*TEXT)
    pdf.set_xy(PAGE_W - MARGIN - 90, top + 1)
    pdf.set_font("DejaVu", "B", 11)
    pdf.cell(90, 5, "MINISTÈRE DE L'INTÉRIEUR", align="R")
    pdf.set_font("DejaVu", "", 8)
    pdf.set_text_color(*GREY)
    _paragraph(pdf, PAGE_W - MARGIN - 90, top + 6, 90, 3.8, subtitle, align="R")
    pdf.set_text_color(*TEXT)


_BROKEN: dict[tuple[str, float, str, float], list[str]] = {}  # the form's own texts, broken into lines once


def _paragraph(pdf, x: float, y: float, width: float, h: float, text: str, align: str = "L") -> float:
    """One of the form's fixed texts (never personal data) in the current font, wrapped inside
    `width`; the y below it. Its line breaks are computed once per process."""
    key = (text, width, pdf.font_style, pdf.font_size_pt)
    lines = _BROKEN.get(key)
    if lines is None:
        lines = _BROKEN[key] = pdf.multi_cell(width, h, text, dry_run=True, output="LINES")
    for line in lines:
        pdf.set_xy(x, y)
        pdf.cell(width, h, line, align=align)
        y += h
    return y


def _title(pdf, y: float, title: str, subtitle: str = "") -> float:
    pdf.set_xy(MARGIN, y)
    pdf.set_text_color(*BLUE_FRANCE)
    pdf.set_font("DejaVu", "B", 14)
    pdf.cell(CONTENT_W, 7, title, align="C")
    if subtitle:
        pdf.set_xy(MARGIN, y + 7)
        pdf.set_text_color(*GREY)
        _fitted(pdf, CONTENT_W, 4.5, subtitle, "", 8, align="C")
    pdf.set_text_color(*TEXT)
    return y + 7 + (4.5 if subtitle else 0)


def _fitted(pdf, width: float, h: float, text: str, style: str, size: float, align: str = "L",
            smallest: float = 5.5) -> None:
    """A one-line cell whose text never runs out of it: smaller type, then cut with "…" (a value
    written in full elsewhere, as the names on the verso)."""
    room = width - 2 * pdf.c_margin
    pdf.set_font("DejaVu", style, size)
    while pdf.get_string_width(text) > room and size > smallest:
        size = max(smallest, size - 0.5)
        pdf.set_font("DejaVu", style, size)
    if pdf.get_string_width(text) > room:
        while text and pdf.get_string_width(text + "…") > room:
            text = text[:-1]
        text = text.rstrip() + "…"
    pdf.cell(width, h, text, align=align)


def _section(pdf, y: float, title: str) -> float:
    pdf.set_xy(MARGIN, y)
    pdf.set_fill_color(*LIGHT)
    pdf.set_text_color(*BLUE_FRANCE)
    pdf.set_font("DejaVu", "B", 8.5)
    pdf.cell(CONTENT_W, 5.5, "  " + title, fill=True, new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(*TEXT)
    return pdf.get_y() + 1.2


# Line height, value and label font sizes of the fields, font size and line height of the OUI/NON
# tables: the first that lets the page hold (very long names, addresses, emails take the denser).
DENSITIES = ((5.2, 9.5, 8.5, 7.8, 3.6), (4.4, 8.5, 7.5, 7.2, 3.3), (3.6, 7.5, 6.5, 6.5, 2.9),
             (3.0, 6.5, 6.0, 6.0, 2.5))
BLOCK_H = 40.0  # the date of issue and QR code block
BLOCK_TOP = PAGE_H - 15 - BLOCK_H  # where it stands when the page has room


def _density(pdf) -> tuple[float, float, float, float, float]:
    return getattr(pdf, "permis_density", DENSITIES[0])


def _field(pdf, x: float, y: float, label: str, value: str, width: float, label_w: float) -> float:
    """"Label : value" at (x, y); the value wraps inside `width`. Returns the y below it."""
    h, value_size, label_size, *_ = _density(pdf)
    pdf.set_xy(x, y)
    pdf.set_font("DejaVu", "", label_size)
    pdf.set_text_color(*GREY)
    pdf.cell(label_w, h, f"{label} :")
    pdf.set_text_color(*TEXT)
    pdf.set_font("DejaVu", "B", value_size)
    return _wrapped(pdf, y, width - label_w, h, value or "")


def _wrapped(pdf, y: float, width: float, h: float, value: str) -> float:
    """The value from the current x, wrapped inside `width`; the y below it. (A plain cell when it
    holds on one line: fpdf2's line breaking is the slow part of a page.)"""
    if "\n" not in value and pdf.get_string_width(value) + 2 * pdf.c_margin <= width:
        pdf.cell(width, h, value)
        return y + h
    pdf.multi_cell(width, h, value, align="L", new_x="LMARGIN", new_y="NEXT")
    return max(pdf.get_y(), y + h)


def _box(pdf, checked: bool, x: float, y: float, h: float) -> None:
    pdf.set_xy(x, y)
    pdf.set_font("DejaVu", "", 11)
    pdf.cell(8, h, CHECKED if checked else UNCHECKED, align="C")


def _lines(pdf, text: str, width: float, size: float, line: float) -> list[str]:
    """`text` broken into the lines it takes in `width`."""
    pdf.set_font("DejaVu", "", size)
    if pdf.get_string_width(text) + 2 * pdf.c_margin <= width:
        return [text]
    return pdf.multi_cell(width, line, text, dry_run=True, output="LINES")


QR_PIXELS_PER_MODULE = 4  # sharp edges even in a viewer that smooths enlarged images


def _qr(pdf, payload: str, x: float, y: float, size: float) -> None:
    """The QR code (error correction M, 4 modules of quiet zone) as a black-and-white image:
    drawing its modules one by one costs more time than the rest of the page."""
    import io

    import segno

    code = segno.make_qr(payload, error="m", boost_error=False)
    png = io.BytesIO()
    code.save(png, kind="png", scale=QR_PIXELS_PER_MODULE, border=4)
    png.seek(0)
    pdf.image(png, x=x, y=y, w=size, h=size, alt_text="Code QR de vérification du document")


def _footer(pdf, reference: str, page: int, pages: int) -> None:
    """"Permis en ligne – <reference>" and the page number, under a rule."""
    pdf.set_draw_color(*RULE)
    pdf.line(MARGIN, PAGE_H - 13, PAGE_W - MARGIN, PAGE_H - 13)
    pdf.set_xy(MARGIN, PAGE_H - 12)
    pdf.set_font("DejaVu", "", 7)
    pdf.set_text_color(*GREY)
    pdf.cell(CONTENT_W / 2, 4, f"Permis en ligne – {reference}")
    pdf.cell(CONTENT_W / 2, 4, f"Page {page}/{pages}", align="R")
    pdf.set_text_color(*TEXT)


def _number(pdf, y: float, label: str, number: str) -> float:
    """The document's number in large type ("Numéro NEPH : ..."); the y below it."""
    pdf.set_xy(MARGIN, y)
    pdf.set_font("DejaVu", "", 9)
    pdf.set_text_color(*GREY)
    pdf.cell(30, 7, f"{label} :")
    pdf.set_text_color(*TEXT)
    pdf.set_font("DejaVu", "B", 13)
    pdf.cell(60, 7, number)
    return y + 9


def _identity(pdf, y: float, data: AttestationData) -> float:
    """NEPH, sex and the candidate's civil status and contacts."""
    below = _number(pdf, y, "Numéro NEPH", data.neph)
    x = PAGE_W - MARGIN - 62
    for label, sex in (("Femme", "F"), ("Homme", "M")):
        pdf.set_xy(x, y)
        pdf.set_font("DejaVu", "", 9)
        pdf.cell(14, 7, label, align="R")
        _box(pdf, data.sex == sex, x + 14, y, 7)
        x += 31
    y = below
    half = CONTENT_W / 2
    y = _field(pdf, MARGIN, y, "Nom de famille", data.birth_name, CONTENT_W, 34)
    y = _field(pdf, MARGIN, y, "Nom d'usage", data.usage_name, CONTENT_W, 34)
    y = _field(pdf, MARGIN, y, "Prénoms", data.first_names, CONTENT_W, 34)
    below = _field(pdf, MARGIN, y, "Né(e) le", _fr(data.birth_date), 70, 34)
    y = max(below, _field(pdf, MARGIN + 70, y, "à", data.birth_place, CONTENT_W - 70, 6))
    lines = data.address_lines or ("",)
    y = _field(pdf, MARGIN, y, "Adresse", lines[0], CONTENT_W, 34)
    for line in lines[1:]:
        y = _value_only(pdf, y, line, 34)
    if _fits(pdf, data.email, half - 17):
        below = _field(pdf, MARGIN, y, "Téléphone portable", data.mobile_phone, half, 34)
        return max(below, _field(pdf, MARGIN + half, y, "Courriel", data.email, half, 17))
    y = _field(pdf, MARGIN, y, "Téléphone portable", data.mobile_phone, CONTENT_W, 34)
    return _field(pdf, MARGIN, y, "Courriel", data.email, CONTENT_W, 34)


def _fits(pdf, value: str, width: float) -> bool:
    """Whether a field's value holds on one line of `width` (its label excluded)."""
    pdf.set_font("DejaVu", "B", _density(pdf)[1])
    return pdf.get_string_width(value) + 2 * pdf.c_margin <= width


def _value_only(pdf, y: float, value: str, label_w: float) -> float:
    h, value_size, *_ = _density(pdf)
    pdf.set_xy(MARGIN + label_w, y)
    pdf.set_font("DejaVu", "B", value_size)
    return _wrapped(pdf, y, CONTENT_W - label_w, h, value)


def _categories(pdf, y: float, data: AttestationData) -> float:
    half = CONTENT_W / 2
    requested = ", ".join(data.categories)
    if _fits(pdf, requested, half - 47) and _fits(pdf, data.complementary_training, half - 47):
        below = _field(pdf, MARGIN, y, "Catégorie(s) demandée(s)", requested, half, 47)
        y = max(below, _field(pdf, MARGIN + half, y, "Formation complémentaire", data.complementary_training, half,
                              47))
    else:
        y = _field(pdf, MARGIN, y, "Catégorie(s) demandée(s)", requested, CONTENT_W, 47)
        y = _field(pdf, MARGIN, y, "Formation complémentaire", data.complementary_training, CONTENT_W, 47)
    y += 1
    columns = (("Catégorie(s) déjà obtenue(s)", 50), ("Dernière date d'obtention", 42), ("Moyen d'obtention", 44),
               ("Lieu d'obtention", CONTENT_W - 136))
    pdf.set_xy(MARGIN, y)
    pdf.set_font("DejaVu", "", 7.5)
    pdf.set_text_color(*GREY)
    for label, width in columns:
        pdf.cell(width, 4.5, label, border="B")
    pdf.set_text_color(*TEXT)
    y += 4.5
    pdf.set_font("DejaVu", "B", 9)
    for category, obtained_on, how, where in _held_rows(data.held_categories):
        top, bottom = y, y + 5
        x = MARGIN
        for value, (_, width) in zip((category, _fr(obtained_on), how, where), columns):
            pdf.set_xy(x, top)
            bottom, x = max(bottom, _wrapped(pdf, top, width, 5, value)), x + width
        y = bottom
    return y


def _held_rows(held: Sequence[HeldCategory]) -> list[tuple[str, date | None, str, str]]:
    """One row per date, means and place of obtention, its categories together ("AM, A1" when
    the request gives no dates): the recto keeps its size whatever the candidate holds."""
    if not held:
        return [("Aucune", None, "", "")]
    rows: dict[tuple[date | None, str, str], list[str]] = {}
    for h in held:
        rows.setdefault((h.obtained_on, h.how, h.where), []).append(h.category)
    return [(", ".join(categories), *key) for key, categories in rows.items()]


# The recto's declarations: (left: LE CANDIDAT DÉCLARE, right: LE CANDIDAT EST), row by row.
DECLARATION_ROWS = (
    (("exam_pending_elsewhere", "Être en instance d'examen dans le même ou un autre département"),
     ("vision_correction", "Porteur d'un dispositif de correction de la vision (verres correcteurs, lentilles de "
                           "contact...)")),
    (("reads_french", "Comprendre et lire couramment le français"),
     ("medical_condition", "Atteint à sa connaissance d'une affection et/ou d'un handicap susceptible d'être "
                           "incompatible avec l'obtention ou le maintien du permis de conduire ou de donner lieu à "
                           "la délivrance d'un permis de conduire de validité limitée")),
    (("adapted_vehicle", "Devoir conduire un véhicule aménagé"),
     ("disability_pension", "Titulaire d'une pension d'invalidité civile ou militaire")),
)


def _yes_no_table(pdf, y: float, headers: Sequence[str], rows: Sequence[Sequence[tuple[str, bool]]]) -> float:
    """Side-by-side OUI/NON tables: `headers` one per column group; each row a (label, answer) per group."""
    groups = len(headers)
    group_w = CONTENT_W / groups
    box_w = 10.0
    label_w = group_w - 2 * box_w
    *_, size, line = _density(pdf)
    pdf.set_draw_color(*RULE)
    for g, header in enumerate(headers):
        x = MARGIN + g * group_w
        pdf.set_xy(x, y)
        pdf.set_font("DejaVu", "B", 8)
        pdf.set_fill_color(*LIGHT)
        pdf.cell(label_w, 5.5, " " + header, border=1, fill=True)
        pdf.cell(box_w, 5.5, "OUI", border=1, align="C", fill=True)
        pdf.cell(box_w, 5.5, "NON", border=1, align="C", fill=True)
    y += 5.5
    for row in rows:
        broken = [_lines(pdf, label, label_w - 2, size, line) for label, _ in row]
        height = max(len(lines) for lines in broken) * line + 2.4
        for g, ((_, answer), lines) in enumerate(zip(row, broken)):
            x = MARGIN + g * group_w
            pdf.rect(x, y, label_w, height)
            pdf.rect(x + label_w, y, box_w, height)
            pdf.rect(x + label_w + box_w, y, box_w, height)
            pdf.set_font("DejaVu", "", size)
            for index, text in enumerate(lines):
                pdf.set_xy(x + 1, y + 1.2 + index * line)
                pdf.cell(label_w - 2, line, text)
            middle = y + height / 2 - 3
            _box(pdf, answer, x + label_w + 1, middle, 6)
            _box(pdf, not answer, x + label_w + box_w + 1, middle, 6)
        y += height
    return y


def _representative(pdf, y: float, data: AttestationData) -> float:
    r = data.legal_representative
    y = _field(pdf, MARGIN, y, "Représentant légal", r.name if r else "", CONTENT_W, 34)
    y = _field(pdf, MARGIN, y, "Né(e) le", _fr(r.birth_date) if r else "", CONTENT_W, 34)
    return _field(pdf, MARGIN, y, "Adresse", r.address if r else "", CONTENT_W, 34)


def _issue_and_qr(pdf, y: float, label: str, issued_on: date, payload: str, note: str,
                  caption: str = VERIFY_CAPTION) -> None:
    """The date of issue, the QR code and what to do with the sheet, in one framed block."""
    qr_size = BLOCK_H - 4
    height = BLOCK_H
    pdf.set_draw_color(*RULE)
    pdf.rect(MARGIN, y, CONTENT_W, height)
    _qr(pdf, payload, PAGE_W - MARGIN - qr_size - 2, y + 2, qr_size)
    text_w = CONTENT_W - qr_size - 10
    pdf.set_xy(MARGIN + 4, y + 4)
    pdf.set_font("DejaVu", "", 9)
    pdf.set_text_color(*GREY)
    pdf.cell(pdf.get_string_width(label + " : ") + 1, 6, f"{label} :")
    pdf.set_text_color(*TEXT)
    pdf.set_font("DejaVu", "B", 11)
    pdf.cell(30, 6, _fr(issued_on), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 7.5)
    below = _paragraph(pdf, MARGIN + 4, y + 12, text_w, 3.5, note)
    pdf.set_xy(MARGIN + 4, below + 2)
    pdf.set_text_color(*BLUE_FRANCE)
    pdf.set_font("DejaVu", "B", 7.5)
    pdf.cell(text_w, 3.5, "Vérifier ce document")
    pdf.set_text_color(*TEXT)
    pdf.set_font("DejaVu", "", 7.5)
    _paragraph(pdf, MARGIN + 4, below + 5.5, text_w, 3.5, caption)


def _one_page(title: str, issued_on: date, draw: Callable[[Any], float]):
    """A new PDF whose first page `draw` fills, returning where its content ends: drawn again
    denser while it would run into the block of the date and QR code."""
    for density in DENSITIES:
        pdf = _new_pdf(title, issued_on)
        pdf.permis_density = density
        pdf.add_page()
        end = draw(pdf)
        if end + 3 <= BLOCK_TOP:
            break
    return pdf, max(end + 3, BLOCK_TOP)


def render_attestation(data: AttestationData, qr_payload: str) -> bytes:
    """The attestation d'inscription: A4, recto (the candidate, declarations, QR code) and verso
    (the 8 exam slots), to print on one sheet."""
    pdf, block_top = _one_page(f"Attestation d'inscription au permis de conduire – NEPH {data.neph}",
                               data.issued_on, lambda pdf: _recto(pdf, data))
    _issue_and_qr(pdf, block_top, "Attestation établie le", data.issued_on, qr_payload,
                  "À imprimer en recto/verso sur une seule feuille ; le verso reçoit les résultats des examens. "
                  "À présenter à chaque épreuve avec une pièce d'identité.")
    _footer(pdf, f"Attestation d'inscription – NEPH {data.neph}", 1, 2)
    pdf.add_page()
    _verso(pdf, data)
    _footer(pdf, f"Attestation d'inscription – NEPH {data.neph}", 2, 2)
    return bytes(pdf.output())


def _recto(pdf, data: AttestationData) -> float:
    _header(pdf, "Permis en ligne\nInscription à l'examen du permis de conduire")
    y = _title(pdf, 38, "ATTESTATION D'INSCRIPTION AU PERMIS DE CONDUIRE",
               "Équivalent du Cerfa réf. 02" + (f" – demande n° {data.request_id}" if data.request_id else ""))
    y = _section(pdf, y + 2, "LE CANDIDAT")
    y = _identity(pdf, y, data)
    y = _section(pdf, y + 2, "CATÉGORIES")
    y = _categories(pdf, y, data)
    d = data.declarations
    rows = [tuple((label, getattr(d, name)) for name, label in row) for row in DECLARATION_ROWS]
    y = _yes_no_table(pdf, y + 3, ("LE CANDIDAT DÉCLARE", "LE CANDIDAT EST :"), rows)
    y = _yes_no_table(pdf, y + 3, ("LE CANDIDAT A CHOISI : de suivre une formation selon la formule",),
                      [(("de l'apprentissage anticipé de la conduite (A.A.C.)", data.aac),),
                       (("de la conduite supervisée", data.supervised_driving),)])
    y = _section(pdf, y + 3, "REPRÉSENTANT LÉGAL (candidat mineur)")
    return _representative(pdf, y, data)


def _strike(pdf, x: float, y: float, text: str) -> None:
    width = pdf.get_string_width(text)
    pdf.set_draw_color(*TEXT)
    pdf.set_line_width(0.35)
    pdf.line(x, y, x + width, y)
    pdf.set_line_width(0.25)
    pdf.set_draw_color(*RULE)


def _mentions(pdf, x: float, y: float, mentions: Sequence[str], kept: set[str] | None, prefix: str = "(1) ") -> None:
    """A line of mentions separated by " - "; when the slot is filled, those not kept are struck out."""
    margin, pdf.c_margin = pdf.c_margin, 0  # cells exactly as wide as their text: the strokes fit the words
    pdf.set_xy(x, y)
    pdf.set_font("DejaVu", "", 7.5)
    if kept is None:  # an empty slot: the line as printed, for the examiner to strike
        pdf.cell(60, 4.5, prefix + " - ".join(mentions))
        pdf.c_margin = margin
        return
    if prefix:
        pdf.cell(pdf.get_string_width(prefix), 4.5, prefix)
    for index, mention in enumerate(mentions):
        if index:
            pdf.set_font("DejaVu", "", 7.5)
            pdf.cell(pdf.get_string_width(" - "), 4.5, " - ")
        bold = kept is not None and mention in kept
        pdf.set_font("DejaVu", "B" if bold else "", 7.5)
        start = pdf.get_x()
        pdf.cell(pdf.get_string_width(mention), 4.5, mention)
        if kept is not None and not bold:
            _strike(pdf, start, y + 2.3, mention)
    pdf.c_margin = margin


def _slot_line(pdf, x: float, y: float, width: float, label: str, value: str, label_w: float) -> None:
    """A label and a ruled line to write on (the value printed on it when known)."""
    pdf.set_xy(x, y)
    pdf.set_font("DejaVu", "", 7.5)
    pdf.set_text_color(*GREY)
    pdf.cell(label_w, 5, label)
    pdf.set_text_color(*TEXT)
    _fitted(pdf, width - label_w, 5, value, "B", 8.5)
    pdf.set_draw_color(200, 200, 210)
    pdf.line(x + label_w, y + 4.6, x + width, y + 4.6)
    pdf.set_draw_color(*RULE)


_TESTS = {"theorie": "THÉORIE", "pratique": "PRATIQUE"}
_ABSENCES = {"absent-excuse": {"Absent", "Excusé"}, "absent-non-excuse": {"Absent", "Non excusé"}}
_RESULTS = {"favorable": {"Favorable"}, "defavorable": {"Défavorable"}}


def _slot(pdf, number: int, x: float, y: float, w: float, h: float, result: ExamResult | None) -> None:
    """One exam of the verso: centre and date, examiners, the mentions to strike, category,
    the examiner's signature."""
    pdf.set_draw_color(*RULE)
    pdf.set_fill_color(*LIGHT)
    pdf.rect(x, y, 11, h, style="DF")
    pdf.rect(x, y, w, h)
    pdf.set_xy(x, y + 2)
    pdf.set_text_color(*BLUE_FRANCE)
    pdf.set_font("DejaVu", "B", 16)
    pdf.cell(11, 8, str(number), align="C")
    pdf.set_text_color(*TEXT)
    left, inner = x + 13, w - 15
    filled = result is not None

    _slot_line(pdf, left, y + 2, inner, "de", "", 6)
    pdf.set_xy(left + 6, y + 2)
    pdf.set_font("DejaVu", "", 7.5)
    pdf.set_text_color(*GREY)
    pdf.cell(12, 5, "Centre")
    pdf.set_text_color(*TEXT)
    _fitted(pdf, inner - 18, 5, result.centre if filled else "", "B", 8.5)
    _slot_line(pdf, left, y + 8, inner, "du", _fr(result.day) if filled else "", 6)
    _slot_line(pdf, left, y + 14, inner, "Inspecteur(s)", result.examiners if filled else "", 20)
    _mentions(pdf, left, y + 20.5, ("THÉORIE", "PRATIQUE"), {_TESTS[result.test]} if filled else None)
    _mentions(pdf, left, y + 25, ("Absent", "Excusé", "Non excusé"), _ABSENCES.get(result.outcome, set())
              if filled else None)
    _mentions(pdf, left, y + 29.5, ("Favorable", "Défavorable"), _RESULTS.get(result.outcome, set())
              if filled else None, prefix="")

    bottom = y + 35.5
    column = inner * 0.4
    _slot_line(pdf, left, bottom, column, "Cat.", result.category if filled else "", 9)
    _slot_line(pdf, left, bottom + 7, column, "Ind.", result.ind if filled else "", 9)
    box_x = left + column + 4
    pdf.set_xy(box_x, bottom - 1)
    pdf.set_font("DejaVu", "", 7.5)
    pdf.set_text_color(*GREY)
    pdf.cell(inner - column - 4, 4, "Signature")
    pdf.set_text_color(*TEXT)
    pdf.set_draw_color(200, 200, 210)
    pdf.rect(box_x, bottom + 3, inner - column - 4, y + h - bottom - 5)
    pdf.set_draw_color(*RULE)


def _verso(pdf, data: AttestationData) -> None:
    y = _title(pdf, 14, "EXAMENS", f"NEPH {data.neph} – {data.birth_name} {data.first_names}")
    pdf.set_xy(MARGIN, y + 1)
    pdf.set_font("DejaVu", "", 7.5)
    pdf.set_text_color(*GREY)
    pdf.cell(CONTENT_W, 4, "(1) Rayer les mentions inutiles – à remplir par l'inspecteur du permis de conduire")
    pdf.set_text_color(*TEXT)
    top = y + 7
    note_h = 18
    bottom = PAGE_H - 15 - note_h - 3
    gap = 4
    w = (CONTENT_W - gap) / 2
    h = (bottom - top - 3 * gap) / 4
    for index in range(MAX_EXAM_SLOTS):
        row, column = divmod(index, 2)
        result = data.exam_results[index] if index < len(data.exam_results) else None
        _slot(pdf, index + 1, MARGIN + column * (w + gap), top + row * (h + gap), w, h, result)
    pdf.set_font("DejaVu", "", 7.5)
    _paragraph(pdf, MARGIN, bottom + 3, CONTENT_W, 3.5, DUPLEX_NOTE)


def render_fiche_retour(data: AttestationData, references: ReturnReferences, qr_payload: str) -> bytes:
    """The fiche retour au permis: one A4 page for the examiner, about a candidate registered
    again after an invalidation or a cancellation of their licence."""
    pdf, block_top = _one_page(f"Fiche retour au permis – NEPH {data.neph}", data.issued_on,
                               lambda pdf: _fiche_retour(pdf, data, references))
    _issue_and_qr(pdf, block_top, "Fiche établie le", data.issued_on, qr_payload,
                  "Fiche à présenter avec l'attestation d'inscription et une pièce d'identité lors des épreuves.")
    _footer(pdf, f"Fiche retour au permis – NEPH {data.neph}", 1, 1)
    return bytes(pdf.output())


def _fiche_retour(pdf, data: AttestationData, references: ReturnReferences) -> float:
    _header(pdf, "Permis en ligne\nInscription suite à une invalidation ou annulation")
    y = _title(pdf, 38, "FICHE RETOUR AU PERMIS", "Information de l'inspecteur du permis de conduire")
    pdf.set_font("DejaVu", "", 8.5)
    y = _paragraph(pdf, MARGIN, y + 2, CONTENT_W, 4.2, "Le candidat ci-dessous se présente à l'examen du permis de "
                   "conduire après l'invalidation ou l'annulation de son permis. Vérifiez son identité et la "
                   "décision jointe à sa demande avant l'épreuve.")
    y = _section(pdf, y + 2, "LE CANDIDAT")
    y = _identity(pdf, y, data)
    y = _section(pdf, y + 2, "CATÉGORIES")
    y = _categories(pdf, y, data)
    y = _section(pdf, y + 3, "INVALIDATION OU ANNULATION DU PERMIS")
    r = references
    y = _field(pdf, MARGIN, y, "Démarche", r.procedure_label, CONTENT_W, 44)
    y = _field(pdf, MARGIN, y, "Demande n°", r.request_id, CONTENT_W, 44)
    y = _field(pdf, MARGIN, y, "Déposée le", _fr(r.submitted_on), CONTENT_W, 44)
    y = _field(pdf, MARGIN, y, "Pièce justificative", r.decision_document, CONTENT_W, 44)
    y = _field(pdf, MARGIN, y, "État de la pièce", r.decision_status, CONTENT_W, 44)
    if data.legal_representative:
        y = _section(pdf, y + 3, "REPRÉSENTANT LÉGAL (candidat mineur)")
        y = _representative(pdf, y, data)
    return y


# --- CEPC ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class CepcData:
    """The certificat d'examen du permis de conduire provisoire: the candidate (as on the
    attestation, issued on the exam's day), the category passed, where, and until when it is valid."""

    attestation: AttestationData  # issued_on: the day of the favourable practical test
    category: str
    centre: str
    examiner: str
    valid_until: date
    production_request_id: str


def exam_result_slot(record) -> ExamResult:
    """A recorded result (`chalicelib.domain.exams.ExamRecord`) as a slot of the verso."""
    ind = "AAC abandonnée" if record.still_follows_aac is False else ""
    return ExamResult(day=record.day, centre=record.centre, examiners=record.examiner, test=record.test.value,
                      outcome=record.outcome.value, category=record.category.value, ind=ind)


def with_exam_results(data: AttestationData, records: Sequence[Any]) -> AttestationData:
    """The attestation with the results on its verso: the latest 8 (a new sheet is printed when
    more are needed, the earlier ones staying on the old sheet)."""
    import dataclasses

    return dataclasses.replace(data, exam_results=tuple(exam_result_slot(r) for r in records[-MAX_EXAM_SLOTS:]))


def cepc_data(request, record, valid_until: date, production_request_id: str) -> CepcData:
    """The CEPC of a favourable practical `record` of the registration `request`."""
    import dataclasses

    attestation = dataclasses.replace(attestation_data(request, record.day), categories=(record.category.value,))
    return CepcData(attestation=attestation, category=record.category.value, centre=record.centre,
                    examiner=record.examiner, valid_until=valid_until, production_request_id=production_request_id)


def render_cepc(data: CepcData, qr_payload: str) -> bytes:
    """The CEPC: one A4 page the candidate shows with an identity document while the licence is
    made (it allows driving in France for 4 months), and joins to the production request."""
    a = data.attestation
    pdf, block_top = _one_page(f"Certificat d'examen du permis de conduire – NEPH {a.neph}", a.issued_on,
                               lambda pdf: _cepc(pdf, data))
    _issue_and_qr(pdf, block_top, "Certificat établi le", a.issued_on, qr_payload,
                  f"Valable jusqu'au {_fr(data.valid_until)} en France, avec une pièce d'identité. Joint à la "
                  f"demande de fabrication du titre n° {data.production_request_id}.")
    _footer(pdf, f"Certificat d'examen du permis de conduire – NEPH {a.neph}", 1, 1)
    return bytes(pdf.output())


def _cepc(pdf, data: CepcData) -> float:
    a = data.attestation
    _header(pdf, "Permis en ligne\nCertificat d'examen du permis de conduire")
    y = _title(pdf, 38, "CERTIFICAT D'EXAMEN DU PERMIS DE CONDUIRE (CEPC)", "Titre provisoire – valable 4 mois")
    pdf.set_font("DejaVu", "", 8.5)
    y = _paragraph(pdf, MARGIN, y + 2, CONTENT_W, 4.2, f"Le candidat ci-dessous a réussi l'épreuve pratique du "
                   f"permis de conduire de la catégorie {data.category}. Ce certificat lui permet de conduire les "
                   f"véhicules de cette catégorie en France jusqu'au {_fr(data.valid_until)}, le temps que son "
                   "permis soit fabriqué et lui soit remis.")
    y = _section(pdf, y + 2, "LE TITULAIRE")
    y = _identity(pdf, y, a)
    y = _section(pdf, y + 3, "L'EXAMEN")
    y = _field(pdf, MARGIN, y, "Catégorie obtenue", data.category, CONTENT_W, 44)
    y = _field(pdf, MARGIN, y, "Date de l'épreuve", _fr(a.issued_on), CONTENT_W, 44)
    y = _field(pdf, MARGIN, y, "Centre d'examen", data.centre, CONTENT_W, 44)
    y = _field(pdf, MARGIN, y, "Inspecteur", data.examiner, CONTENT_W, 44)
    y = _field(pdf, MARGIN, y, "Valable jusqu'au", _fr(data.valid_until), CONTENT_W, 44)
    y = _field(pdf, MARGIN, y, "Demande de titre n°", data.production_request_id, CONTENT_W, 44)
    if a.legal_representative:
        y = _section(pdf, y + 3, "REPRÉSENTANT LÉGAL (candidat mineur)")
        y = _representative(pdf, y, a)
    return y
