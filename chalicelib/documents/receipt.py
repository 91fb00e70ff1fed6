"""The deposit receipt (récépissé de dépôt): a one-page A4 PDF saying what was filed, when, by whom,
with which documents. Pure: the receipts worker gives it the request and stores the bytes.

The same request gives the same bytes (the PDF's dates are the submission's), so a message
delivered twice writes the same file twice."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")
BLUE_FRANCE = (0, 0, 145)
GREY = (102, 102, 102)


@dataclass(frozen=True)
class ReceiptData:
    request_id: str
    procedure_label: str
    mandate_label: str
    submitted_at: datetime
    candidate_name: str
    birth_date: str | None  # dd/mm/yyyy
    categories: list[str]
    school_name: str | None
    documents: list[str]  # labels of the documents supplied
    next_step: str  # the status it left in, explained


def _font_path(name: str) -> str:
    return str(resources.files("chalicelib.data").joinpath("fonts", name))


def render_receipt(data: ReceiptData) -> bytes:
    from fpdf import FPDF

    pdf = FPDF(format="A4", unit="mm")
    pdf.set_creation_date(data.submitted_at)
    pdf.set_title(f"Récépissé de dépôt – demande n° {data.request_id}")
    pdf.set_author("Permis en ligne")
    pdf.set_lang("fr")
    pdf.add_font("DejaVu", "", _font_path("DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", _font_path("DejaVuSans-Bold.ttf"))
    pdf.set_margins(20, 20, 20)
    pdf.set_auto_page_break(True, margin=20)
    pdf.add_page()

    pdf.set_font("DejaVu", "B", 11)
    pdf.multi_cell(80, 5, "RÉPUBLIQUE\nFRANÇAISE", new_x="LMARGIN", new_y="NEXT", align="L")
    pdf.set_font("DejaVu", "", 8)
    pdf.set_text_color(*GREY)
    pdf.multi_cell(80, 4, "Liberté\nÉgalité\nFraternité", new_x="LMARGIN", new_y="NEXT", align="L")
    pdf.ln(8)

    pdf.set_text_color(*BLUE_FRANCE)
    pdf.set_font("DejaVu", "B", 18)
    pdf.cell(0, 10, "Récépissé de dépôt", new_x="LMARGIN", new_y="NEXT", align="L")
    pdf.set_font("DejaVu", "", 12)
    pdf.cell(0, 7, f"Demande n° {data.request_id}", new_x="LMARGIN", new_y="NEXT", align="L")
    pdf.ln(4)

    pdf.set_text_color(22, 22, 22)
    submitted = data.submitted_at.astimezone(PARIS)
    rows = [("Démarche", data.procedure_label),
            ("Déposée le", f"{submitted:%d/%m/%Y} à {submitted:%Hh%M} (heure de Paris)"),
            ("Mode de dépôt", data.mandate_label),
            ("Candidat", data.candidate_name + (f", né(e) le {data.birth_date}" if data.birth_date else "")),
            ("Catégorie(s)", ", ".join(data.categories) or "–")]
    if data.school_name:
        rows.append(("Auto-école", data.school_name))
    for label, value in rows:
        pdf.set_font("DejaVu", "B", 10)
        pdf.cell(45, 7, label)
        pdf.set_font("DejaVu", "", 10)
        pdf.multi_cell(0, 7, value, new_x="LMARGIN", new_y="NEXT", align="L")
    pdf.ln(4)

    pdf.set_font("DejaVu", "B", 11)
    pdf.cell(0, 8, "Pièces jointes", new_x="LMARGIN", new_y="NEXT", align="L")
    pdf.set_font("DejaVu", "", 10)
    for label in data.documents or ["Aucune"]:
        pdf.multi_cell(0, 6, f"•  {label}", new_x="LMARGIN", new_y="NEXT", align="L")
    pdf.ln(4)

    pdf.set_font("DejaVu", "B", 11)
    pdf.cell(0, 8, "Et ensuite ?", new_x="LMARGIN", new_y="NEXT", align="L")
    pdf.set_font("DejaVu", "", 10)
    pdf.multi_cell(0, 6, data.next_step, new_x="LMARGIN", new_y="NEXT", align="L")
    pdf.ln(2)
    pdf.multi_cell(0, 6, "Suivez la demande à tout moment avec son numéro sur Permis en ligne, rubrique « Où en est mon "
                         "permis de conduire ? ». Ce récépissé atteste du dépôt ; il ne vaut pas autorisation de "
                         "conduire.", new_x="LMARGIN", new_y="NEXT", align="L")

    pdf.set_y(-30)
    pdf.set_font("DejaVu", "", 8)
    pdf.set_text_color(*GREY)
    pdf.multi_cell(0, 4, "Permis en ligne – Ministère de l'Intérieur. Document établi automatiquement.",
                   new_x="LMARGIN", new_y="NEXT", align="L")
    return bytes(pdf.output())
