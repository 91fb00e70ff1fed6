"""The attestation d'inscription's cost: rendering time against a reference measured in the same
run (a one-page fpdf2 document with the same DejaVu font and one line of text), its size, and
the verification of its QR payload (against a bare ECDSA verification of the same message).

Samples alternate attestation and reference so that machine noise hits both alike; medians are
compared. `python bench/attestation.py [--rounds N]` prints the figures as JSON."""
from __future__ import annotations

import argparse
import base64
import json
import statistics
import sys
import time
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

PROJECT_DIR = Path(__file__).resolve().parent.parent
if str(PROJECT_DIR) not in sys.path:
    sys.path.insert(0, str(PROJECT_DIR))

RENDER_RATIO_TARGET = 3.0
SIZE_TARGET_BYTES = 60 * 1024


def _data():
    """A full attestation: a minor in AAC with a legal representative, accented names."""
    from chalicelib.documents.attestation import AttestationData, Declarations, HeldCategory, Representative

    return AttestationData(
        neph="261192100012", sex="F", birth_name="ŒUVRAY-ŁUKASZ", usage_name="DUPRÉ", first_names="ÉLOÏSE, MARIE",
        birth_date=date(2009, 3, 14), birth_place="Antony - 92 - FRANCE",
        address_lines=("11 Rue de l'Atlantique", "92160 Antony"), mobile_phone="06 13 45 97 24",
        email="eloise.oeuvray@example.fr", categories=("B",), complementary_training="Aucune",
        held_categories=(HeldCategory("AM"),),
        declarations=Declarations(False, True, False, True, False, False), aac=True, supervised_driving=False,
        legal_representative=Representative("ŒUVRAY JEAN-PIERRE (père)", date(1975, 5, 4),
                                            "11 Rue de l'Atlantique, 92160 Antony"),
        issued_on=date(2026, 11, 28), request_id="261100000001")


def _reference_pdf(with_bold: bool = False) -> bytes:
    """One line in DejaVu Sans; `with_bold`: a second line in DejaVu Sans Bold, the attestation's
    other font (embedding each font costs about as much as the rest of the attestation)."""
    from fpdf import FPDF

    from chalicelib.documents.attestation import _font_path

    pdf = FPDF(format="A4", unit="mm")
    pdf.set_creation_date(datetime(2026, 11, 28, tzinfo=timezone.utc))
    pdf.add_font("DejaVu", "", _font_path("DejaVuSans.ttf"))
    pdf.add_page()
    pdf.set_font("DejaVu", "", 12)
    pdf.cell(0, 10, "Attestation d'inscription au permis de conduire – Éloïse Œuvray-Łukasz")
    if with_bold:
        pdf.add_font("DejaVu", "B", _font_path("DejaVuSans-Bold.ttf"))
        pdf.set_font("DejaVu", "B", 12)
        pdf.ln()
        pdf.cell(0, 10, "ŒUVRAY-ŁUKASZ Éloïse")
    return bytes(pdf.output())


def _median_us(samples: list[float]) -> float:
    return round(statistics.median(samples) * 1e6, 1)


def measure(rounds: int = 30) -> dict[str, Any]:
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    from chalicelib.documents.attestation import payload_for, render_attestation
    from chalicelib.domain.verification import key_id, verify_payload

    private = ec.generate_private_key(ec.SECP256R1())
    der = private.public_key().public_bytes(serialization.Encoding.DER,
                                            serialization.PublicFormat.SubjectPublicKeyInfo)
    kid = key_id(der)
    data = _data()
    payload = payload_for(data, kid, lambda m: private.sign(m, ec.ECDSA(hashes.SHA256())))
    keys = {kid: der}
    message, signature_text = payload.rsplit("|", 1)
    signature = base64.urlsafe_b64decode(signature_text + "=" * (-len(signature_text) % 4))
    public = serialization.load_der_public_key(der)

    # Warm-up: imports, font files in the page cache, the verifier's key cache.
    pdf = render_attestation(data, payload)
    reference = _reference_pdf()
    assert verify_payload(payload, keys).authentic

    render, render_reference, render_two_fonts, verify, verify_reference = [], [], [], [], []
    for _ in range(rounds):
        start = time.perf_counter()
        render_attestation(data, payload)
        render.append(time.perf_counter() - start)
        start = time.perf_counter()
        _reference_pdf()
        render_reference.append(time.perf_counter() - start)
        start = time.perf_counter()
        _reference_pdf(with_bold=True)
        render_two_fonts.append(time.perf_counter() - start)
        for _ in range(20):
            start = time.perf_counter()
            verify_payload(payload, keys)
            verify.append(time.perf_counter() - start)
            start = time.perf_counter()
            public.verify(signature, message.encode(), ec.ECDSA(hashes.SHA256()))
            verify_reference.append(time.perf_counter() - start)

    render_ratio = statistics.median(render) / statistics.median(render_reference)
    verify_ratio = statistics.median(verify) / statistics.median(verify_reference)
    return {
        "rounds": rounds,
        "render_attestation_median_ms": round(statistics.median(render) * 1e3, 2),
        "reference_one_line_pdf_median_ms": round(statistics.median(render_reference) * 1e3, 2),
        "render_ratio": round(render_ratio, 2),
        "render_ratio_target": RENDER_RATIO_TARGET,
        "render_ratio_ok": render_ratio <= RENDER_RATIO_TARGET,
        "reference_two_fonts_median_ms": round(statistics.median(render_two_fonts) * 1e3, 2),
        "render_ratio_two_fonts": round(statistics.median(render) / statistics.median(render_two_fonts), 2),
        "attestation_bytes": len(pdf),
        "reference_pdf_bytes": len(reference),
        "size_target_bytes": SIZE_TARGET_BYTES,
        "size_ok": len(pdf) < SIZE_TARGET_BYTES,
        "payload_chars": len(payload),
        "verify_payload_median_us": _median_us(verify),
        "bare_ecdsa_verify_median_us": _median_us(verify_reference),
        "verify_ratio": round(verify_ratio, 2),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args(argv)
    print(json.dumps(measure(args.rounds), indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
