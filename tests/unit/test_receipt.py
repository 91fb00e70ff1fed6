"""The deposit receipt (documents/receipt.py): what the filer reads on it, the State's header and
the tagging it shares with the attestation, and its signed QR code as a phone would scan it."""
from __future__ import annotations

import dataclasses
import io
import subprocess
import sys
from datetime import date, datetime, timezone

import pytest

from chalicelib.documents.receipt import payload_for, receipt_data, render_receipt
from chalicelib.domain.procedures import Mandate, RequestStatus
from chalicelib.domain.verification import verify_payload
from tests.unit.test_attestation import (MINOR, _genuine_code_on_another_name, _request, _scan, _tagging, _text,
                                        key, minor_attestation)  # noqa: F401 (fixtures)

DOCUMENTS = ("Pièce d'identité", "Justificatif de domicile", "Attestation de sécurité routière (ASSR2)")
NEXT = "Votre demande est en cours d'instruction : vous serez prévenu de la décision."
HEADER = "RÉPUBLIQUE FRANÇAISE Liberté Égalité Fraternité MINISTÈRE DE L'INTÉRIEUR Permis en ligne"


def _submitted(**changes):
    """A request just filed by a school with a paper mandate: no NEPH yet."""
    values = dict(civil=MINOR, status=RequestStatus.UNDER_REVIEW, neph=None, mandate=Mandate.PAPER,
                  school_name="Auto-école du Centre")
    return _request(**{**values, **changes})


@pytest.fixture(scope="module")
def receipt(key):
    data = receipt_data(_submitted(), DOCUMENTS, NEXT)
    payload = payload_for(data, key.kid, key.sign)
    return data, payload, render_receipt(data, payload)


# --- the data ---------------------------------------------------------------------------------

def test_the_data_names_the_candidate_as_the_attestation_does():
    data = receipt_data(_submitted(), DOCUMENTS, NEXT)
    assert (data.request_id, data.procedure, data.mandate_label) == ("261100000001", "inscription",
                                                                     "Avec mandat papier")
    assert (data.birth_name, data.usage_name, data.first_names) == ("ŒUVRAY-ŁUKASZ", "", "ÉLOÏSE")
    assert data.birth_date == date(2009, 3, 14) and data.categories == ("B",)
    assert data.documents == DOCUMENTS and data.school_name == "Auto-école du Centre"
    assert data.deposited_on == date(2026, 11, 20)
    # Filed at 0h30 in Paris: the day printed and signed is France's, not UTC's.
    late = receipt_data(_submitted(submitted_at=datetime(2026, 11, 20, 23, 30, tzinfo=timezone.utc)), (), NEXT)
    assert late.deposited_on == date(2026, 11, 21)


def test_no_receipt_before_the_submission():
    with pytest.raises(ValueError):
        receipt_data(_submitted(submitted_at=None), DOCUMENTS, NEXT)


def test_building_the_data_never_loads_the_pdf_libraries():
    code = ("import sys; from tests.unit.test_receipt import _submitted, DOCUMENTS, NEXT;"
            "from chalicelib.documents.receipt import receipt_data; receipt_data(_submitted(), DOCUMENTS, NEXT);"
            "assert not {'fpdf', 'segno', 'fontTools'} & set(sys.modules), sorted(sys.modules)")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


# --- the page ---------------------------------------------------------------------------------

def test_the_receipt_has_the_states_header_and_says_what_was_filed(receipt, minor_attestation):
    _, _, pdf = receipt
    (page,) = _text(pdf)
    assert page.startswith(HEADER) and _text(minor_attestation[2])[0].startswith(HEADER)  # the same header
    for expected in ("RÉCÉPISSÉ DE DÉPÔT", "Demande n° : 261100000001",
                     "Démarche : Inscription à l'examen du permis de conduire",
                     "Déposée le : 20/11/2026 à 10h00 (heure de Paris)", "Mode de dépôt : Avec mandat papier",
                     "Auto-école : Auto-école du Centre", "Nom de famille : ŒUVRAY-ŁUKASZ", "Prénoms : ÉLOÏSE",
                     "Né(e) le : 14/03/2009", "Catégorie(s) : B", "• Pièce d'identité",
                     "• Attestation de sécurité routière (ASSR2)", NEXT, "Demande déposée le : 20/11/2026",
                     "il ne vaut pas autorisation de conduire", "Vérifier ce document",
                     "afficher les mêmes numéro de demande, démarche, nom, prénoms, date de naissance et date de dépôt"):
        assert expected in page, expected
    assert page.endswith("Permis en ligne – Récépissé de dépôt – demande n° 261100000001 Page 1/1")


def test_one_a4_page_tagged_like_the_attestation(receipt, minor_attestation):
    from pypdf import PdfReader

    _, _, pdf = receipt
    assert _tagging(pdf) == _tagging(minor_attestation[2]) == {
        "lang": "fr", "marked": True, "display_title": True,
        "structure": [("/Document", None), ("/Figure", "Code QR de vérification du document")]}
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    assert reader.metadata.title == "Récépissé de dépôt – demande n° 261100000001"
    assert reader.metadata.author == PdfReader(io.BytesIO(minor_attestation[2])).metadata.author
    assert reader.trailer["/Root"]["/ViewerPreferences"]["/PrintScaling"] == "/None"  # the QR code stays square


def test_small_and_the_same_bytes_for_the_same_data(receipt):
    data, payload, pdf = receipt
    assert len(pdf) < 60 * 1024
    assert render_receipt(data, payload) == pdf


def test_many_documents_and_long_values_still_hold_on_the_page(key, tmp_path):
    long = _submitted(civil={**MINOR, "birth_name": "De La Montagne-" + "Saint-Genest-" * 5 + "Isson",
                             "usage_name": "B" * 80, "first_names": "Jean-Baptiste " * 11},
                      school_name="Auto-école " + "du Grand Centre " * 8)
    data = receipt_data(long, [f"Pièce justificative numéro {n} avec un intitulé assez long" for n in range(12)],
                        NEXT * 3)
    payload = payload_for(data, key.kid, key.sign)
    pdf = render_receipt(data, payload)
    (page,) = _text(pdf)
    assert "numéro 11 avec" in page and "Demande déposée le : 20/11/2026" in page and page.endswith("Page 1/1")
    assert _scan(pdf, tmp_path) == [payload]


# --- the QR code, as a reader scans it ---------------------------------------------------------

def test_the_printed_qr_code_verifies_as_a_deposit_receipt(receipt, key, tmp_path):
    data, payload, pdf = receipt
    assert payload.startswith("PEL1|REC|261100000001|inscription|%C5%92UVRAY-%C5%81UKASZ|%C3%89LO%C3%8FSE|20090314|"
                              f"20261120|{key.kid}|")
    assert _scan(pdf, tmp_path) == [payload]
    result = verify_payload(_scan(pdf, tmp_path, dpi=100)[0], {key.kid: key.der})  # a coarser scan reads too
    assert result.authentic, result.message
    assert (result.document_type, result.document_label) == ("REC", "Récépissé de dépôt")
    assert (result.request_id, result.procedure, result.birth_name, result.first_names) == (
        "261100000001", "inscription", "ŒUVRAY-ŁUKASZ", "ÉLOÏSE")
    assert (result.birth_date, result.deposited_on, result.neph, result.issued_on) == (
        date(2009, 3, 14), date(2026, 11, 20), None, None)
    assert result.message.startswith("Récépissé de dépôt authentique : demande n° 261100000001, « Inscription à "
                                     "l'examen du permis de conduire")
    assert "déposée le 20/11/2026" in result.message


def test_a_tampered_receipt_does_not_verify(receipt, key, tmp_path):
    data, payload, _ = receipt
    # The forger changes the number (another request's) and prints it: the signature no longer matches.
    forged_payload = payload.replace("|261100000001|", "|261100000002|")
    forged = render_receipt(dataclasses.replace(data, request_id="261100000002"), forged_payload)
    result = verify_payload(_scan(forged, tmp_path)[0], {key.kid: key.der})
    assert (result.authentic, result.code, result.request_id) == (False, "bad_signature", None)
    _genuine_code_on_another_name(render_receipt, data, payload, key, tmp_path)


def test_made_again_it_keeps_its_signature_unless_what_it_says_changed(receipt, key):
    data, payload, _ = receipt
    assert payload_for(data, key.kid, key.sign) != payload  # ECDSA: a new signature every time
    assert payload_for(data, key.kid, key.sign, kept=payload) == payload
    # Filed again after a return, the next day: a new receipt, signed anew.
    again = receipt_data(_submitted(submitted_at=datetime(2026, 11, 21, 9, tzinfo=timezone.utc)), DOCUMENTS, NEXT)
    renewed = payload_for(again, key.kid, key.sign, kept=payload)
    assert renewed != payload and "|20261121|" in renewed
    assert verify_payload(renewed, {key.kid: key.der}).deposited_on == date(2026, 11, 21)
