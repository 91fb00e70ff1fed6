"""The attestation d'inscription and the fiche retour au permis (documents/attestation.py): what
the candidate and the examiner read on the sheet, and its QR code as a phone would scan it."""
from __future__ import annotations

import dataclasses
import io
import re
import shutil
import subprocess
import sys
from datetime import date, datetime, timezone

import pytest

from chalicelib.documents.attestation import (ExamResult, HeldCategory, attestation_data, fiche_retour_data,
                                              format_mobile_phone, payload_for, render_attestation,
                                              render_fiche_retour)
from chalicelib.domain.procedures import Mandate, Procedure, RequestStatus
from chalicelib.domain.verification import verify_payload
from tests.unit.test_verification import Key

ISSUED = date(2026, 11, 28)
A4_POINTS = (595.28, 841.89)


@pytest.fixture(scope="module")
def key():
    return Key()


ADDRESS = {"number": "11", "street_type": "RUE", "street_name": "de l'Atlantique", "postal_code": "92160",
           "commune": "Antony"}


def _request(procedure=Procedure.EXAM_REGISTRATION, civil=None, categories=None, declarations=None, **changes):
    """A validated registration with every step, as tests/unit/test_instruction.py builds them."""
    from chalicelib.domain.requests import Request

    now = datetime(2026, 11, 20, 9, tzinfo=timezone.utc)
    steps = {
        "civil_status": {"birth_name": "Joun", "first_names": "Testun", "sex": "M", "birth_date": "1986-01-01",
                         "birth_place": {"country": "FR", "commune": "Antony", "departement": "92"}, **(civil or {})},
        "contact": {"address": ADDRESS, "email": "reoetbejoun@yopmail.com", "mobile_phone": "+33613459724"},
        "categories": {"categories": ["B"], "training_path": "traditionnelle", "has_licence": False,
                       "first_request": True, **(categories or {})},
        "declarations": {"exam_pending_elsewhere": False, "reads_french": True, "adapted_vehicle": False,
                         "vision_correction": False, "medical_condition": False, "disability_pension": False,
                         **(declarations or {})},
    }
    values = dict(request_id="261100000001", procedure=procedure, mandate=Mandate.NONE, status=RequestStatus.APPROVED,
                  created_by="x", created_at=now, updated_at=now, submitted_at=now, steps=steps, neph="170392100012")
    return Request(**{**values, **changes})


MINOR = {"birth_name": "Œuvray-Łukasz", "first_names": "Éloïse", "sex": "F", "birth_date": "2009-03-14",
         "legal_representative": {"birth_name": "Œuvray", "first_names": "Jean-Pierre", "birth_date": "1975-05-04",
                                  "quality": "pere", "address": ADDRESS}}


def _text(pdf: bytes) -> list[str]:
    """Each page's text, whitespace collapsed (as a person reads it, line breaks aside)."""
    from pypdf import PdfReader

    return [" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(pdf)).pages]


def _tagging(pdf: bytes) -> dict:
    """What assistive technologies read of a PDF besides its text: the language, the marked
    content, the title shown instead of the file name, and the structure tree's elements with
    their alternative texts (in order)."""
    from pypdf import PdfReader

    root = PdfReader(io.BytesIO(pdf)).trailer["/Root"]
    elements: list[tuple[str, str | None]] = []

    def walk(node) -> None:
        if "/S" in node:
            elements.append((str(node["/S"]), node.get("/Alt")))
        kids = node.get("/K")
        for kid in kids if isinstance(kids, list) else [kids]:
            kid = kid.get_object() if hasattr(kid, "get_object") else kid
            if isinstance(kid, dict):
                walk(kid)

    walk(root["/StructTreeRoot"].get_object())
    return {"lang": root["/Lang"], "marked": root["/MarkInfo"]["/Marked"],
            "display_title": root["/ViewerPreferences"]["/DisplayDocTitle"], "structure": elements}


def _pdftoppm() -> str:
    path = shutil.which("pdftoppm")
    assert path, "pdftoppm is missing: apt-get install poppler-utils (.ci/run installs it)"
    return path


def _scan(pdf: bytes, tmp_path, page: int = 1, dpi: int = 150) -> list[str]:
    """The QR codes a reader finds on a page printed at `dpi`."""
    import zxingcpp
    from PIL import Image

    source = tmp_path / "document.pdf"
    source.write_bytes(pdf)
    subprocess.run([_pdftoppm(), "-r", str(dpi), "-png", "-f", str(page), "-l", str(page), str(source),
                    str(tmp_path / "page")], check=True, timeout=60)
    (image,) = tmp_path.glob("page*.png")
    with Image.open(image) as png:
        # QR codes only, as the verifier reads them (chalicelib/cli/verify.py): a reader of every
        # format may take a line of print for a linear barcode.
        codes = [barcode.text for barcode in zxingcpp.read_barcodes(png, formats=zxingcpp.BarcodeFormat.QRCode)]
    image.unlink()
    return codes


# --- the data ---------------------------------------------------------------------------------

def test_the_data_is_what_the_seeds_recto_shows():
    data = attestation_data(_request(), ISSUED)
    assert (data.neph, data.sex, data.birth_name, data.usage_name, data.first_names) == (
        "170392100012", "M", "JOUN", "", "TESTUN")
    assert data.birth_date == date(1986, 1, 1) and data.birth_place == "Antony - 92 - FRANCE"
    assert data.address_lines == ("11 Rue de l'Atlantique", "92160 Antony")
    assert (data.mobile_phone, data.email) == ("06 13 45 97 24", "reoetbejoun@yopmail.com")
    assert data.categories == ("B",) and data.complementary_training == "Aucune" and data.held_categories == ()
    assert data.declarations.reads_french and not data.declarations.medical_condition
    assert (data.aac, data.supervised_driving, data.legal_representative) == (False, False, None)
    assert data.issued_on == ISSUED and data.exam_results == ()


def test_a_minor_in_aac_with_a_licence_and_a_representative():
    data = attestation_data(_request(civil=MINOR, categories={"training_path": "aac", "has_licence": True,
                                                               "held_categories": ["AM"],
                                                               "complementary_training": "b96"}), ISSUED)
    assert (data.birth_name, data.first_names, data.sex) == ("ŒUVRAY-ŁUKASZ", "ÉLOÏSE", "F")
    assert (data.aac, data.supervised_driving) == (True, False)
    assert data.held_categories == (HeldCategory("AM"),) and data.complementary_training == "B96"
    assert data.legal_representative.name == "ŒUVRAY JEAN-PIERRE (père)"
    assert data.legal_representative.birth_date == date(1975, 5, 4)
    assert data.legal_representative.address == "11 Rue de l'Atlantique, 92160 Antony"


def test_born_abroad_and_a_foreign_mobile():
    data = attestation_data(_request(civil={"birth_place": {"country": "MA", "commune": "Casablanca"}}), ISSUED)
    assert data.birth_place == "Casablanca - MAROC"
    assert format_mobile_phone("+32470123456") == "+32470123456"


def test_no_attestation_before_the_neph():
    with pytest.raises(ValueError, match="NEPH"):
        attestation_data(_request(neph=None), ISSUED)


def test_the_verso_holds_eight_exams_at_most():
    data = attestation_data(_request(), ISSUED)
    result = ExamResult(date(2027, 1, 12), "Lyon", "M. DURAND", "theorie", "favorable", "B")
    with pytest.raises(ValueError):
        dataclasses.replace(data, exam_results=(result,) * 9)
    with pytest.raises(ValueError):
        dataclasses.replace(data, exam_results=(dataclasses.replace(result, outcome="reussi"),))


def test_building_the_data_never_loads_the_pdf_libraries():
    code = ("import sys; from tests.unit.test_attestation import _request, ISSUED;"
            "from chalicelib.documents.attestation import attestation_data, fiche_retour_data;"
            "attestation_data(_request(), ISSUED);"
            "assert not {'fpdf', 'segno', 'fontTools'} & set(sys.modules), sorted(sys.modules)")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


# --- the attestation --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def minor_attestation(key):
    data = attestation_data(_request(civil=MINOR, categories={"training_path": "aac"},
                                     declarations={"vision_correction": True}), ISSUED)
    payload = payload_for(data, key.kid, key.sign)
    return data, payload, render_attestation(data, payload)


def test_the_recto_shows_the_candidate_and_the_date_of_issue(minor_attestation):
    _, _, pdf = minor_attestation
    recto, _ = _text(pdf)
    for expected in ("ATTESTATION D'INSCRIPTION AU PERMIS DE CONDUIRE", "MINISTÈRE DE L'INTÉRIEUR",
                     "RÉPUBLIQUE FRANÇAISE", "Liberté Égalité Fraternité", "Numéro NEPH : 170392100012",
                     "Nom de famille : ŒUVRAY-ŁUKASZ", "Prénoms : ÉLOÏSE", "Né(e) le : 14/03/2009",
                     "Antony - 92 - FRANCE", "11 Rue de l'Atlantique", "92160 Antony", "06 13 45 97 24",
                     "reoetbejoun@yopmail.com", "Catégorie(s) demandée(s) : B", "Formation complémentaire : Aucune",
                     "Représentant légal : ŒUVRAY JEAN-PIERRE (père)", "Né(e) le : 04/05/1975",
                     "Attestation établie le : 28/11/2026", "recto/verso"):
        assert expected in recto, expected
    assert "Femme ☒ Homme ☐" in recto


def test_the_declarations_and_the_training_path_are_ticked(minor_attestation):
    _, _, pdf = minor_attestation
    recto = _text(pdf)[0]
    yes, no = "☒ ☐", "☐ ☒"  # the OUI box, then the NON box
    assert f"un autre département {no}" in recto
    assert f"lentilles de contact...) {yes}" in recto  # vision correction declared
    assert f"Comprendre et lire couramment le français {yes}" in recto
    assert f"permis de conduire de validité limitée {no}" in recto
    assert f"Devoir conduire un véhicule aménagé {no}" in recto
    assert f"pension d'invalidité civile ou militaire {no}" in recto
    assert f"anticipé de la conduite (A.A.C.) {yes}" in recto
    assert f"de la conduite supervisée {no}" in recto


def test_the_verso_has_the_eight_exam_slots(minor_attestation):
    _, _, pdf = minor_attestation
    verso = _text(pdf)[1]
    assert verso.startswith("EXAMENS") and "(1) Rayer les mentions inutiles" in verso
    for mention in ("(1) THÉORIE - PRATIQUE", "(1) Absent - Excusé - Non excusé", "Favorable - Défavorable",
                    "Inspecteur(s)", "Signature", "Cat.", "Ind.", "de Centre", "du"):
        assert verso.count(mention) >= 8, mention
    slots = [int(n) for n in re.findall(r"(?:^|\s)(\d) de Centre", verso)]
    assert slots == list(range(1, 9))
    assert "imprimée en recto/verso sur une seule feuille" in verso


def test_the_results_fill_their_slots(key):
    data = attestation_data(_request(), ISSUED)
    data = dataclasses.replace(data, exam_results=(
        ExamResult(date(2027, 1, 12), "Lyon-Vénissieux", "M. DURAND", "theorie", "favorable", "B"),
        ExamResult(date(2027, 3, 2), "Antony", "Mme LEROY", "pratique", "absent-excuse", "B", ind="A1")))
    verso = _text(render_attestation(data, payload_for(data, key.kid, key.sign)))[1]
    assert "1 de Centre Lyon-Vénissieux du 12/01/2027 Inspecteur(s) M. DURAND" in verso
    assert "2 de Centre Antony du 02/03/2027 Inspecteur(s) Mme LEROY" in verso
    assert "Ind. A1" in verso and "3 de Centre du Inspecteur(s)" in verso


def test_two_a4_pages_printed_duplex_with_embedded_subset_fonts(minor_attestation):
    from pypdf import PdfReader

    _, _, pdf = minor_attestation
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 2
    for page in reader.pages:
        assert (round(float(page.mediabox.width), 2), round(float(page.mediabox.height), 2)) == A4_POINTS
    preferences = reader.trailer["/Root"]["/ViewerPreferences"]
    assert preferences["/Duplex"] == "/DuplexFlipLongEdge" and preferences["/PrintScaling"] == "/None"
    fonts = {font["/BaseFont"] for page in reader.pages for font in page["/Resources"]["/Font"].values()}
    assert fonts and all(re.fullmatch(r"/[A-Z]{6}\+DejaVuSans(Book|Bold)", str(f)) for f in fonts), fonts
    assert reader.metadata.title.startswith("Attestation d'inscription")


def test_tagged_for_assistive_technologies(minor_attestation):
    from pypdf import PdfReader

    _, _, pdf = minor_attestation
    assert _tagging(pdf) == {"lang": "fr", "marked": True, "display_title": True,
                             "structure": [("/Document", None), ("/Figure", "Code QR de vérification du document")]}
    assert PdfReader(io.BytesIO(pdf)).metadata.author == "Permis en ligne – Ministère de l'Intérieur"


def test_small_and_the_same_bytes_for_the_same_data(minor_attestation):
    data, payload, pdf = minor_attestation
    assert len(pdf) < 60 * 1024
    assert render_attestation(data, payload) == pdf
    assert render_attestation(dataclasses.replace(data, issued_on=date(2026, 11, 29)), payload) != pdf


def test_very_long_values_still_hold_on_the_recto(key):
    long = _request(civil={"birth_name": "De La Montagne-" + "Saint-Genest-" * 5 + "Isson", "usage_name": "B" * 80,
                           "first_names": "Jean-Baptiste " * 11, **{k: MINOR[k] for k in ("birth_date",
                                                                                            "legal_representative")}},
                    categories={"categories": ["B", "A2", "C1"], "complementary_training": "levee-code-78",
                                "held_categories": ["AM", "A1", "B1", "BE"]})
    long.steps["contact"] = {**long.steps["contact"], "email": "a" * 60 + "@" + "sous-domaine." * 10 + "example.fr",
                             "address": {**ADDRESS, "complement": "Résidence " + "Les Jardins " * 7}}
    data = dataclasses.replace(attestation_data(long, ISSUED), exam_results=(
        ExamResult(date(2027, 1, 12), "Centre d'examen du permis de conduire de " + "Saint-Genest " * 6, "M. DURAND",
                   "pratique", "defavorable", "B"),))
    pdf = render_attestation(data, payload_for(data, key.kid, key.sign))
    recto, verso = _text(pdf)
    assert "Attestation établie le : 28/11/2026" in recto and "EXAMENS" in verso
    assert "Levée du code 78" in recto and "AM, A1, B1, BE" in recto
    assert recto.endswith("Page 1/2")  # nothing runs past the footer
    # The verso names the candidate in one line, NEPH first, cut when it must (the recto has it all).
    assert "NEPH 170392100012 – DE LA MONTAGNE-SAINT-GENEST" in verso and "…" in verso
    assert "1 de Centre Centre d'examen du permis de conduire de S" in verso  # smaller type, then cut


# --- the QR code, as a reader scans it ---------------------------------------------------------

def test_the_printed_qr_code_verifies_with_the_documents_fields(minor_attestation, key, tmp_path):
    data, payload, pdf = minor_attestation
    assert _scan(pdf, tmp_path) == [payload]
    result = verify_payload(_scan(pdf, tmp_path, dpi=100)[0], {key.kid: key.der})  # a coarser scan reads too
    assert result.authentic, result.message
    assert (result.document_type, result.neph, result.birth_name, result.first_names) == (
        "ATT", data.neph, "ŒUVRAY-ŁUKASZ", "ÉLOÏSE")
    assert (result.birth_date, result.issued_on) == (date(2009, 3, 14), ISSUED)
    assert _scan(pdf, tmp_path, page=2) == []  # the verso is the examiners'


def test_a_tampered_copy_does_not_verify(minor_attestation, key, tmp_path):
    data, payload, _ = minor_attestation
    # The forger edits the name in the code and prints it: the signature no longer matches.
    forged_payload = payload.replace("%C3%89LO%C3%8FSE", "ELOISE")
    forged = render_attestation(dataclasses.replace(data, first_names="ELOISE"), forged_payload)
    (scanned,) = _scan(forged, tmp_path)
    result = verify_payload(scanned, {key.kid: key.der})
    assert (result.authentic, result.code) == (False, "bad_signature")
    assert "modifié ou falsifié" in result.message
    _genuine_code_on_another_name(render_attestation, data, payload, key, tmp_path)


def _genuine_code_on_another_name(render, data, payload: str, key, tmp_path) -> None:
    """A forger who keeps the genuine code of ÉLOÏSE on a sheet with another name: the verifier
    shows the genuine one."""
    other = render(dataclasses.replace(data, first_names="MARIE"), payload)
    assert "Prénoms : MARIE" in _text(other)[0]
    assert verify_payload(_scan(other, tmp_path)[0], {key.kid: key.der}).first_names == "ÉLOÏSE"


# --- the fiche retour au permis ----------------------------------------------------------------

def test_the_fiche_retour_tells_the_examiner_about_the_invalidation(key, tmp_path):
    request = _request(procedure=Procedure.REGISTRATION_AFTER_INVALIDATION,
                       categories={"has_licence": True, "held_categories": ["B"]})
    documents = {"decision-invalidation": {"state": "accepted", "checked_at": "2026-11-21T10:00:00+00:00"}}
    fiche = fiche_retour_data(request, ISSUED, documents)
    assert fiche.references.decision_status == "vérifiée et acceptée (le 21/11/2026)"
    payload = payload_for(fiche.attestation, key.kid, key.sign, document_type="FRP")
    pdf = render_fiche_retour(fiche.attestation, fiche.references, payload)
    (page,) = _text(pdf)
    for expected in ("FICHE RETOUR AU PERMIS", "Numéro NEPH : 170392100012", "Nom de famille : JOUN",
                     "Prénoms : TESTUN", "Catégorie(s) demandée(s) : B", "invalidation ou annulation de permis",
                     "Demande n° : 261100000001", "Déposée le : 20/11/2026",
                     "Pièce justificative : Décision d'invalidation ou d'annulation du permis",
                     "vérifiée et acceptée (le 21/11/2026)", "Fiche établie le : 28/11/2026"):
        assert expected in page, expected
    assert render_fiche_retour(fiche.attestation, fiche.references, payload) == pdf and len(pdf) < 60 * 1024
    result = verify_payload(_scan(pdf, tmp_path)[0], {key.kid: key.der})
    assert result.authentic and (result.document_type, result.document_label) == ("FRP", "Fiche retour au permis")


def test_a_fiche_retour_without_the_decision_says_so():
    request = _request(procedure=Procedure.REGISTRATION_AFTER_INVALIDATION)
    assert fiche_retour_data(request, ISSUED).references.decision_status == "non jointe à la demande"
    with pytest.raises(ValueError):
        fiche_retour_data(_request(), ISSUED)  # a first registration has no fiche retour
