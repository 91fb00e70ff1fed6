"""The attestation d'inscription, from the agent's validation to the school's download: made by
its worker from the decision's event, stored in S3, downloaded by a link of a minute after the
same checks as the request itself; its QR code, read off the printed page, verifies as authentic
on the public route; an edited copy, a payload of another key and garbage do not. Made again, it
is the same file."""
from __future__ import annotations

import requests as http_client
import pytest

from tests.accounts_support import active_school
from tests.integration.test_instruction_queues import claim, decide, queued
from tests.integration.test_requests import body, call
from tests.unit.test_attestation import _scan, _text


@pytest.fixture
def school(http, accounts):
    return active_school(http, accounts, "E0000000001", "ecole@example.fr")


@pytest.fixture
def validated(http, school, pump, agents):
    number = queued(http, school, pump)
    early = call(http, "GET", f"/requests/{number}/attestations/inscription", school)
    assert early.status_code == 409 and body(early)["code"] == "attestation_not_ready"
    version = claim(http, agents["ddt92"])["request"]["version"]
    assert decide(http, agents["ddt92"], number, version).status_code == 200
    pump.run_until_idle()
    return number


def download(http, token, number, document="inscription") -> bytes:
    answer = call(http, "GET", f"/requests/{number}/attestations/{document}", token)
    assert answer.status_code == 200, answer.body
    link = body(answer)["url"]
    assert "X-Amz-Expires=60" in link
    pdf = http_client.get(link, timeout=10)
    assert pdf.status_code == 200
    return pdf.content


def verify(http, payload: str):
    answer = http.post("/verification", body=__import__("json").dumps({"payload": payload}).encode(),
                       headers={"Content-Type": "application/json"})
    assert answer.status_code == 200, answer.body
    return body(answer)


def test_the_school_downloads_the_attestation_and_its_qr_code_verifies(http, school, validated, tmp_path):
    neph = body(call(http, "GET", f"/requests/{validated}", school))["neph"]
    pdf = download(http, school, validated)
    recto, verso = _text(pdf)
    assert "ATTESTATION D'INSCRIPTION AU PERMIS DE CONDUIRE" in recto.upper() and neph in recto.replace(" ", "")
    assert "JOUN" in recto and "EXAMENS" in verso.upper()
    [payload] = _scan(pdf, tmp_path)
    answer = verify(http, payload)
    assert answer["authentic"] is True and answer["code"] == "authentic" and answer["neph"] == neph
    assert answer["birth_name"] == "JOUN" and answer["document"].startswith("Attestation")
    edited = payload.replace("|JOUN|", "|JOHN|")
    assert edited != payload and verify(http, edited)["code"] == "bad_signature"
    assert verify(http, "PEL1|ATT|pas un document")["code"] == "malformed"


def test_a_document_signed_by_another_key_is_not_authentic(http, validated, tmp_path, school):
    from datetime import date

    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    from chalicelib.domain.verification import key_id, signed_payload

    forger = ec.generate_private_key(ec.SECP256R1())
    der = forger.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    forged = signed_payload("ATT", "261192100001", "JOUN", "TESTUN", date(2000, 1, 1), date(2026, 12, 1),
                            key_id(der), lambda m: forger.sign(m, ec.ECDSA(hashes.SHA256())))
    assert verify(http, forged)["code"] == "unknown_key"
    [real] = _scan(download(http, school, validated), tmp_path)
    kid = real.split("|")[7]
    same_kid = signed_payload("ATT", "261192100001", "JOUN", "TESTUN", date(2000, 1, 1), date(2026, 12, 1), kid,
                              lambda m: forger.sign(m, ec.ECDSA(hashes.SHA256())))
    assert verify(http, same_kid)["code"] == "bad_signature"


def test_made_again_the_attestation_is_the_same_file(http, school, validated):
    from datetime import date

    from chalicelib.workers.attestations import issue_attestations

    first = download(http, school, validated)
    issue_attestations(validated, date(2031, 1, 1))  # the event delivered again, later: same date, same signature
    assert download(http, school, validated) == first


def test_only_the_school_and_the_candidate_of_the_request_download_it(http, school, validated, accounts):
    from tests.accounts_support import active_school

    other = active_school(http, accounts, "E0000000002", "autre@example.fr")
    refused = call(http, "GET", f"/requests/{validated}/attestations/inscription", other)
    unknown = call(http, "GET", "/requests/999999999999/attestations/inscription", other)
    assert refused.status_code == unknown.status_code == 404 and body(refused)["code"] == body(unknown)["code"]
    assert call(http, "GET", f"/requests/{validated}/attestations/cerfa", school).status_code == 404
    # No fiche retour for a first registration.
    assert call(http, "GET", f"/requests/{validated}/attestations/fiche-retour", school).status_code == 409


def test_the_public_key_is_published_for_offline_verification(http, school, validated, tmp_path):
    from chalicelib.cli import verify as offline

    key = body(http.get("/verification/public-key"))
    assert key["pem"].startswith("-----BEGIN PUBLIC KEY-----") and len(key["kid"]) == 8
    (tmp_path / "cle.pem").write_text(key["pem"])
    (tmp_path / "attestation.pdf").write_bytes(download(http, school, validated))
    assert offline.main(["--pdf", str(tmp_path / "attestation.pdf"), "--public-key", str(tmp_path / "cle.pem")]) == 0


@pytest.mark.parametrize("payload", [{}, {"payload": ""}, {"payload": "x" * 1001}, {"payload": 3}, {"qr": "x"}])
def test_a_malformed_verification_is_refused_with_the_field(http, aws, payload):
    answer = http.post("/verification", body=__import__("json").dumps(payload).encode(),
                       headers={"Content-Type": "application/json"})
    assert answer.status_code == 422 and body(answer)["details"]


def test_a_registration_after_invalidation_also_gets_the_fiche_retour_au_permis(http, school, pump, agents,
                                                                                  tmp_path):
    from tests.integration.test_requests import new_request
    from tests.integration.test_submission import fill, send_documents, submit

    number = new_request(http, school, procedure="inscription-retour", mandate="mandat-papier")["request_id"]
    fill(http, school, number)
    send_documents(http, school, number, pump)
    assert body(submit(http, school, number))["status"] == "en-instruction"
    pump.run_until_idle()
    version = claim(http, agents["ddt92"])["request"]["version"]
    # The agent opens the decision of invalidation (a document type with a hyphen in its name).
    link = call(http, "GET", f"/staff/requests/{number}/documents/decision-invalidation", agents["ddt92"])
    assert link.status_code == 200, link.body
    assert decide(http, agents["ddt92"], number, version).status_code == 200
    pump.run_until_idle()
    fiche = download(http, school, number, "fiche-retour")
    text = " ".join(_text(fiche)).upper()
    assert "FICHE RETOUR AU PERMIS" in text and "JOUN" in text
    [payload] = _scan(fiche, tmp_path)
    answer = verify(http, payload)
    assert answer["authentic"] is True and answer["document"].lower().startswith("fiche retour")
    assert download(http, school, number).startswith(b"%PDF")  # and its attestation d'inscription
