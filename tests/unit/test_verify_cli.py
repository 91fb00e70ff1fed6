"""`python -m chalicelib.cli.verify`: an offline check of a document from its text, a scan or the PDF,
against the PEM public key; exit 0 authentic, 1 not, 2 usage error."""
from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from chalicelib.cli.verify import main
from chalicelib.domain.verification import key_id, signed_payload


def _key(tmp_path: Path, name: str = "cle.pem"):
    private = ec.generate_private_key(ec.SECP256R1())
    public = private.public_key()
    pem = tmp_path / name
    pem.write_bytes(public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    der = public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return pem, key_id(der), lambda message: private.sign(message, ec.ECDSA(hashes.SHA256()))


def _payload(kid, sign, **changes) -> str:
    fields = dict(document_type="ATT", neph="170392100012", birth_name="Joun", first_names="Éloïse",
                  birth_date=date(1986, 1, 1), issued_on=date(2017, 3, 14))
    return signed_payload(**{**fields, **changes}, kid=kid, sign=sign)


@pytest.fixture
def key(tmp_path):
    return _key(tmp_path)


def test_an_authentic_payload(key, capsys):
    pem, kid, sign = key
    assert main(["--payload", _payload(kid, sign), "--public-key", str(pem)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Résultat : authentique. Document authentique : attestation d'inscription")
    for line in ("NEPH : 170392100012", "Nom de naissance : JOUN", "Prénoms : ÉLOÏSE", "Date de naissance : 01/01/1986",
                 "Établi le : 14/03/2017", f"Clé de signature : {kid}"):
        assert line in out


def test_a_tampered_payload_and_a_foreign_key(key, tmp_path, capsys):
    pem, kid, sign = key
    tampered = _payload(kid, sign).replace("|JOUN|", "|JOUX|")
    assert main(["--payload", tampered, "--public-key", str(pem)]) == 1
    assert "NON authentique (bad_signature)" in capsys.readouterr().out
    other_pem, other_kid, other_sign = _key(tmp_path, "autre.pem")
    assert main(["--payload", _payload(other_kid, other_sign), "--public-key", str(pem)]) == 1
    assert "clé inconnue" in capsys.readouterr().out
    # During a rotation both keys are given: either verifies.
    assert main(["--payload", _payload(other_kid, other_sign), "--public-key", str(pem),
                 "--public-key", str(other_pem)]) == 0
    assert main(["--payload", "n'importe quoi", "--public-key", str(pem)]) == 1
    assert "Ce code n'est pas celui d'un document Permis en ligne." in capsys.readouterr().out


def test_a_scanned_image(key, tmp_path, capsys):
    import segno

    pem, kid, sign = key
    image = tmp_path / "photo.png"
    segno.make_qr(_payload(kid, sign), error="m").save(str(image), scale=4, border=4)
    assert main(["--image", str(image), "--public-key", str(pem)]) == 0
    assert "authentique" in capsys.readouterr().out
    from PIL import Image

    blank = tmp_path / "blanc.png"
    Image.new("L", (200, 200), 255).save(blank)
    assert main(["--image", str(blank), "--public-key", str(pem)]) == 1
    assert "Aucun code QR" in capsys.readouterr().out


def test_the_pdf_itself_from_the_command_line(key, tmp_path):
    from chalicelib.documents.attestation import attestation_data, payload_for, render_attestation
    from tests.unit.test_attestation import ISSUED, _request

    pem, kid, sign = key
    data = attestation_data(_request(), ISSUED)
    pdf = tmp_path / "attestation.pdf"
    pdf.write_bytes(render_attestation(data, payload_for(data, kid, sign)))
    run = subprocess.run([sys.executable, "-m", "chalicelib.cli.verify", "--pdf", str(pdf), "--public-key", str(pem)],
                         capture_output=True, text=True, timeout=120, cwd=Path(__file__).parents[2])
    assert run.returncode == 0, run.stderr
    assert "Résultat : authentique" in run.stdout and "NEPH : 170392100012" in run.stdout


def test_a_receipt_from_its_pdf(key, tmp_path, capsys):
    from chalicelib.documents.receipt import payload_for, receipt_data, render_receipt
    from tests.unit.test_receipt import DOCUMENTS, NEXT, _submitted

    pem, kid, sign = key
    data = receipt_data(_submitted(), DOCUMENTS, NEXT)
    receipt = tmp_path / "recepisse.pdf"
    receipt.write_bytes(render_receipt(data, payload_for(data, kid, sign)))
    assert main(["--pdf", str(receipt), "--public-key", str(pem)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Résultat : authentique. Récépissé de dépôt authentique : demande n° 261100000001")
    for line in ("Document : Récépissé de dépôt", "Demande n° : 261100000001", "Nom de naissance : ŒUVRAY-ŁUKASZ",
                 "Déposée le : 20/11/2026"):
        assert line in out


def test_a_pdf_without_code(key, tmp_path, capsys):
    from fpdf import FPDF

    pem, _, _ = key
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(0, 10, "Un document sans code")
    plain = tmp_path / "sans-code.pdf"
    plain.write_bytes(bytes(pdf.output()))
    assert main(["--pdf", str(plain), "--public-key", str(pem)]) == 1
    assert "Aucun code QR" in capsys.readouterr().out


def test_usage_errors(key, tmp_path, capsys):
    pem, kid, sign = key
    payload = _payload(kid, sign)
    assert main(["--public-key", str(pem)]) == 2  # no source
    assert main(["--payload", payload]) == 2  # no key
    assert main(["--payload", payload, "--image", "x.png", "--public-key", str(pem)]) == 2
    assert main(["--payload", payload, "--public-key", str(tmp_path / "absente.pem")]) == 2
    not_pem = tmp_path / "pas-une-cle.pem"
    not_pem.write_text("bonjour")
    assert main(["--payload", payload, "--public-key", str(not_pem)]) == 2
    assert main(["--image", str(tmp_path / "absente.png"), "--public-key", str(pem)]) == 2
    assert main(["--image", str(not_pem), "--public-key", str(pem)]) == 2
    assert main(["--pdf", str(not_pem), "--public-key", str(pem)]) == 2
    err = capsys.readouterr().err
    assert "n'est pas une clé publique au format PEM" in err and "Fichier introuvable" in err
    assert "Image illisible" in err and "PDF illisible" in err
