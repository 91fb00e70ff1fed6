"""The whole request as one PDF, for the agents' file (issue 20): the request, the candidate's civil
status and contact, every step as filed, the documents and their states, the history with the
decisions (and the points an agent acknowledged before validating). With the State's header and
the same document properties as the attestation (title, author, language French); its pages flow
(fpdf2's tables break across pages and repeat their headings)."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Mapping, Sequence

from chalicelib.documents.attestation import (BLUE_FRANCE, CONTENT_W, GREY, MARGIN, PAGE_H, TEXT, _header, _new_pdf,
                                              _section, address_lines, birth_place)

PARIS = "Europe/Paris"
FIELD_LABELS = {"categories": "Catégories", "training_path": "Formation",
                "complementary_training": "Formation complémentaire", "has_licence": "Déjà titulaire d'un permis",
                "first_request": "Première demande", "held_categories": "Catégories détenues",
                "exam_pending_elsewhere": "Examen en cours ailleurs", "reads_french": "Lit le français",
                "adapted_vehicle": "Véhicule aménagé", "vision_correction": "Correction de la vue",
                "medical_condition": "Affection médicale déclarée", "disability_pension": "Pension d'invalidité"}
STEP_TITLES = {"civil_status": "État civil", "contact": "Adresse et contact", "categories": "Catégories et formation",
               "declarations": "Déclarations", "representative": "Représentant légal"}


def _paris(moment: datetime | None) -> str:
    from zoneinfo import ZoneInfo

    return moment.astimezone(ZoneInfo(PARIS)).strftime("%d/%m/%Y %H:%M") if moment else "—"


def _plain(value: Any) -> str:
    """A step's value as a person reads it: yes/no, lists joined, nested parts "key : value"."""
    if value is True:
        return "Oui"
    if value is False:
        return "Non"
    if value is None or value == "":
        return "—"
    if isinstance(value, Mapping):
        return " ; ".join(f"{key} : {_plain(inner)}" for key, inner in value.items())
    if isinstance(value, (list, tuple)):
        return ", ".join(_plain(inner) for inner in value) or "—"
    return str(value)


def render_dossier(request, documents: Sequence[Mapping[str, str]], history: Sequence[Mapping[str, Any]],
                   generated_at: datetime) -> bytes:
    """`documents`: label, state label, refusal; `history`: at, from, to, by, reason, acknowledged
    (the readers' words, made by the caller)."""
    pdf = _new_pdf(f"Dossier de la demande {request.request_id}", generated_at.date())
    pdf.set_auto_page_break(True, 18)
    pdf.add_page()
    _header(pdf, "Permis en ligne\nDossier d'instruction")
    pdf.set_xy(MARGIN, 34)
    pdf.set_text_color(*BLUE_FRANCE)
    pdf.set_font("DejaVu", "B", 14)
    pdf.cell(CONTENT_W, 7, f"DOSSIER DE LA DEMANDE {request.request_id}", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(*GREY)
    pdf.set_font("DejaVu", "", 8)
    pdf.cell(CONTENT_W, 4.5, f"Édité le {_paris(generated_at)} (heure de Paris) pour le dossier de l'agent ; "
             "document interne, non communicable en l'état.", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(*TEXT)

    civil = request.steps.get("civil_status") or {}
    contact = request.steps.get("contact") or {}
    rows = [("Démarche", request.procedure_label), ("Statut", request.status_label),
            ("Service instructeur", request.authority() or "—"), ("NEPH", request.neph or "—"),
            ("Auto-école", request.school_name or "Aucune (candidat libre)"),
            ("Déposée le", _paris(request.submitted_at)), ("Dans la file depuis", _paris(request.queued_at))]
    _pairs(pdf, "La demande", rows)
    _pairs(pdf, "Le candidat", [
        ("Nom et prénoms", request.candidate_name()), ("Nom d'usage", civil.get("usage_name") or "—"),
        ("Sexe", {"F": "Féminin", "M": "Masculin"}.get(civil.get("sex"), civil.get("sex") or "—")),
        ("Né(e) le", civil.get("birth_date") or "—"), ("À", birth_place(civil.get("birth_place")) or "—"),
        ("Adresse", ", ".join(address_lines(contact.get("address"))) or "—"),
        ("Courriel", contact.get("email") or "—"), ("Téléphone", contact.get("mobile_phone") or "—")])
    for step, values in request.steps.items():
        if step in ("civil_status", "contact", "procedure") or not isinstance(values, Mapping):
            continue
        _pairs(pdf, "Étape : " + STEP_TITLES.get(step, step),
               [(FIELD_LABELS.get(key, key.replace("_", " ").capitalize()), _plain(value))
                for key, value in values.items()])
    _table(pdf, "Les pièces", ("Pièce", "État", "Motif de refus"), [
        (d["label"], d["state_label"], d.get("refusal") or "") for d in documents] or [("Aucune pièce", "", "")],
        (0.45, 0.2, 0.35))
    _table(pdf, "L'historique et les décisions", ("Date", "Statut", "Par", "Motif, points vérifiés"), [
        (_paris(row["at"]), row["to"], row["by"],
         " ".join(filter(None, [row.get("reason") or "", ("Points vérifiés par l'agent : " + " ; ".join(
             row["acknowledged"])) if row.get("acknowledged") else ""])) or "—") for row in history],
        (0.18, 0.22, 0.18, 0.42))
    pages = pdf.page_no()
    for page in range(1, pages + 1):
        pdf.page = page
        pdf.set_auto_page_break(False)
        pdf.set_xy(MARGIN, PAGE_H - 12)
        pdf.set_font("DejaVu", "", 7)
        pdf.set_text_color(*GREY)
        pdf.cell(CONTENT_W / 2, 4, f"Permis en ligne – dossier de la demande {request.request_id}")
        pdf.cell(CONTENT_W / 2, 4, f"Page {page}/{pages}", align="R")
    return bytes(pdf.output())


def _pairs(pdf, title: str, rows: Sequence[tuple[str, str]]) -> None:
    _table(pdf, title, ("", ""), rows, (0.3, 0.7), shown=False)


def _table(pdf, title: str, headings: Sequence[str], rows: Sequence[Sequence[str]], widths: Sequence[float],
           shown: bool = True) -> None:
    """A titled section holding a table (its headings repeated on each page it spans)."""
    if pdf.get_y() > PAGE_H - 40:
        pdf.add_page()
    pdf.ln(3)
    _section(pdf, pdf.get_y(), title)
    pdf.set_font("DejaVu", "", 8)
    with pdf.table(col_widths=[w * CONTENT_W for w in widths], width=CONTENT_W, align="L",
                   first_row_as_headings=shown, line_height=4.2, padding=1,
                   borders_layout="HORIZONTAL_LINES") as table:
        if shown:
            table.row(list(headings))
        for values in rows:
            table.row([str(value) for value in values])
    pdf.set_x(MARGIN)
