"""The signed QR payload of the documents (domain/verification.py): what signs, what verifies,
and what a forger or a bad scan gets."""
from __future__ import annotations

import hashlib
from datetime import date

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from chalicelib.domain.verification import (DOCUMENT_LABELS, RECEIPT, Verification, key_id, sign_message,
                                            signed_payload, unsigned_payload, unsigned_receipt_payload, verify_payload)


class Key:
    """A P-256 key standing for the KMS key: DER public key, kid, and a `sign` like KmsSigner's."""

    def __init__(self, curve=None):
        self.private = ec.generate_private_key(curve or ec.SECP256R1())
        self.der = self.private.public_key().public_bytes(serialization.Encoding.DER,
                                                          serialization.PublicFormat.SubjectPublicKeyInfo)
        self.kid = key_id(self.der)

    def sign(self, message: bytes) -> bytes:
        return self.private.sign(message, ec.ECDSA(hashes.SHA256()))


@pytest.fixture(scope="module")
def key():
    return Key()


FIELDS = dict(document_type="ATT", neph="170392100012", birth_name="Œuvray-Łukasz", first_names="Éloïse, Marie",
              birth_date=date(2008, 2, 29), issued_on=date(2026, 11, 28))


RECEIPT_FIELDS = dict(request_id="261100000001", procedure="inscription", birth_name="Joun", first_names="Testun",
                      birth_date=date(1986, 1, 1), deposited_on=date(2026, 11, 20))


def _payload(key: Key, **changes) -> str:
    return signed_payload(**{**FIELDS, **changes}, kid=key.kid, sign=key.sign)


def _receipt(key: Key, **changes) -> str:
    return sign_message(unsigned_receipt_payload(**{**RECEIPT_FIELDS, **changes}, kid=key.kid), key.sign)


def _replace_field(payload: str, index: int, value: str) -> str:
    parts = payload.split("|")
    parts[index] = value
    return "|".join(parts)


def test_a_signed_payload_verifies_with_its_fields(key):
    payload = _payload(key)
    result = verify_payload(payload, {key.kid: key.der})
    assert result.authentic and result.code == "authentic"
    assert (result.document_type, result.document_label) == ("ATT", "Attestation d'inscription au permis de conduire")
    assert (result.neph, result.birth_name, result.first_names) == ("170392100012", "ŒUVRAY-ŁUKASZ", "ÉLOÏSE, MARIE")
    assert (result.birth_date, result.issued_on, result.kid) == (date(2008, 2, 29), date(2026, 11, 28), key.kid)
    assert result.message.startswith("Document authentique : attestation d'inscription")
    assert "ÉLOÏSE, MARIE ŒUVRAY-ŁUKASZ" in result.message and "29/02/2008" in result.message
    assert "NEPH : 170392100012" in result.lines()


def test_the_payload_is_compact_ascii_with_the_documented_fields(key):
    payload = _payload(key)
    assert payload.isascii() and len(payload) < 250
    parts = payload.split("|")
    assert parts[:3] == ["PEL1", "ATT", "170392100012"]
    assert parts[3:8] == ["%C5%92UVRAY-%C5%81UKASZ", "%C3%89LO%C3%8FSE, MARIE", "20080229", "20261128", key.kid]
    assert "=" not in parts[8] and "+" not in parts[8] and "/" not in parts[8]  # base64url, no padding
    assert key.kid == hashlib.sha256(key.der).hexdigest()[:8]


def test_the_signature_covers_everything_before_the_last_separator_kid_included(key):
    import base64

    payload = _payload(key)
    message, signature = payload.rsplit("|", 1)
    assert message == unsigned_payload(**FIELDS, kid=key.kid)
    der_signature = base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4))
    key.private.public_key().verify(der_signature, message.encode(), ec.ECDSA(hashes.SHA256()))  # raises if not


def test_it_fits_a_small_qr_code(key):
    import segno

    code = segno.make_qr(_payload(key, birth_name="A" * 80, first_names="É" * 60), error="m", boost_error=False)
    assert code.version <= 20


@pytest.mark.parametrize("index, value", [
    (3, "%C5%92UVRAY-LUKASZ"),  # one letter of the birth name
    (4, "%C3%89LO%C3%8FSE, MARIA"),  # of the first names
    (2, "170392100013"),  # the NEPH
    (5, "20080228"),  # the birth date
    (6, "20261129"),  # the issue date
    (1, "FRP"),  # the kind of document
])
def test_one_character_changed_breaks_the_signature(key, index, value):
    tampered = _replace_field(_payload(key), index, value)
    result = verify_payload(tampered, {key.kid: key.der})
    assert (result.authentic, result.code) == (False, "bad_signature")
    assert result.message == "La signature ne correspond pas au contenu : le document a été modifié ou falsifié."
    assert result.neph is None and result.birth_name is None  # nothing to believe in a forged code


def test_a_payload_signed_with_another_key_does_not_verify(key):
    other = Key()
    assert other.kid != key.kid
    unknown = verify_payload(_payload(other), {key.kid: key.der})
    assert (unknown.authentic, unknown.code) == (False, "unknown_key")
    assert "clé inconnue" in unknown.message
    # A forger who copies our kid into their payload: the kid is known, the signature is not ours.
    forged = signed_payload(**FIELDS, kid=key.kid, sign=other.sign)
    assert verify_payload(forged, {key.kid: key.der}).code == "bad_signature"
    # After a rotation, both keys are known: each payload verifies with its own.
    both = {key.kid: key.der, other.kid: other.der}
    assert verify_payload(_payload(other), both).authentic and verify_payload(_payload(key), both).authentic


def test_a_kid_that_names_a_key_of_another_kind_is_not_ours(key):
    p384 = Key(ec.SECP384R1())
    assert verify_payload(_payload(key), {key.kid: p384.der}).code == "unknown_key"
    assert verify_payload(_payload(key), {key.kid: b"not a key"}).code == "unknown_key"


def test_a_truncated_signature_or_payload_does_not_verify(key):
    import base64

    payload = _payload(key)
    for cut in (1, 2, 3, 4, 10, 40):
        result = verify_payload(payload[:-cut], {key.kid: key.der})
        assert not result.authentic and result.code in {"bad_signature", "malformed"}, cut
    # Cut inside the signature's bytes, still well-formed base64url: the DER no longer holds.
    message, signature = payload.rsplit("|", 1)
    raw = base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4))
    for kept in (len(raw) - 1, len(raw) - 3, 8, 1):
        shorter = base64.urlsafe_b64encode(raw[:kept]).rstrip(b"=").decode()
        assert verify_payload(f"{message}|{shorter}", {key.kid: key.der}).code == "bad_signature", kept
    assert verify_payload(payload[:payload.rindex("|")], {key.kid: key.der}).code == "malformed"
    assert verify_payload(payload[:60], {key.kid: key.der}).code == "malformed"


@pytest.mark.parametrize("text", [
    "", " ", "hello", "PEL1", "PEL1|", "|" * 8, "https://example.org/?q=1", "PEL1|ATT|" + "A" * 5000, "x" * 10_000_000,
    "PEL2|ATT|170392100012|JOUN|TESTUN|19860101|20170314|0123abcd|MEUCIQ",
    "PEL1|XYZ|170392100012|JOUN|TESTUN|19860101|20170314|0123abcd|MEUCIQ",
    "PEL1|ATT|17039210001|JOUN|TESTUN|19860101|20170314|0123abcd|MEUCIQ",
    "PEL1|ATT|170392100012|JOUN|TESTUN|19861301|20170314|0123abcd|MEUCIQ",
    "PEL1|ATT|170392100012|JOUN|TESTUN|19860101|20170314|0123ABCD|MEUCIQ",
    "PEL1|ATT|170392100012|JOUN|TESTUN|19860101|20170314|0123abcd|MEUC!Q",
    "PEL1|ATT|170392100012|JOUN|TESTUN|19860101|20170314|0123abcd|MEUCI==",
    "PEL1|ATT|170392100012|Joun|TESTUN|19860101|20170314|0123abcd|MEUCIQ",
    "PEL1|ATT|170392100012|JÖUN|TESTUN|19860101|20170314|0123abcd|MEUCIQ",
    "PEL1|ATT|170392100012|%FF%FE|TESTUN|19860101|20170314|0123abcd|MEUCIQ",
    "PEL1|ATT|170392100012||TESTUN|19860101|20170314|0123abcd|MEUCIQ",
    "PEL1|ATT|170392100012|JOUN|TESTUN|19860101|20170314|0123abcd|MEUCIQ|extra",
    "\x00\x01\x02", "é" * 100, "🙂|" * 9, "PEL1|ATT|١٧٠٣٩٢١٠٠٠١٢|JOUN|TESTUN|19860101|20170314|0123abcd|MEUCIQ",
])
def test_anything_else_is_refused_as_malformed_without_raising(key, text):
    result = verify_payload(text, {"0123abcd": key.der, key.kid: key.der})
    assert isinstance(result, Verification)
    assert (result.authentic, result.code) == (False, "malformed")
    assert result.message == "Ce code n'est pas celui d'un document Permis en ligne."


@pytest.mark.parametrize("value", [None, 12, b"PEL1|ATT", ["PEL1"]])
def test_what_is_not_even_text_is_malformed(key, value):
    assert verify_payload(value, {key.kid: key.der}).code == "malformed"  # type: ignore[arg-type]


def test_a_non_canonical_escape_is_refused_even_if_it_decodes_to_the_same_name(key):
    payload = _payload(key)
    lower = payload.replace("%C5%92", "%c5%92", 1)
    assert verify_payload(lower, {key.kid: key.der}).code == "malformed"
    escaped = _payload(key, birth_name="JOUN").replace("|JOUN|", "|%4AOUN|")
    assert verify_payload(escaped, {key.kid: key.der}).code == "malformed"


def test_a_scanner_line_end_is_tolerated(key):
    assert verify_payload(_payload(key) + "\r\n", {key.kid: key.der}).authentic


def test_every_document_type_has_a_french_label(key):
    for document_type, label in DOCUMENT_LABELS.items():
        payload = _receipt(key) if document_type == RECEIPT else _payload(key, document_type=document_type)
        result = verify_payload(payload, {key.kid: key.der})
        assert result.authentic and result.document_label == label


# --- the deposit receipt's payload -------------------------------------------------------------

def test_a_receipt_says_which_request_was_filed_when_and_by_whom(key):
    payload = _receipt(key)
    assert payload.startswith(f"PEL1|REC|261100000001|inscription|JOUN|TESTUN|19860101|20261120|{key.kid}|")
    assert payload.isascii() and len(payload) < 250
    result = verify_payload(payload, {key.kid: key.der})
    assert result.authentic and (result.document_type, result.document_label) == ("REC", "Récépissé de dépôt")
    assert (result.request_id, result.procedure, result.birth_name, result.first_names) == (
        "261100000001", "inscription", "JOUN", "TESTUN")
    assert result.procedure_label.startswith("Inscription à l'examen du permis de conduire")
    assert (result.birth_date, result.deposited_on, result.neph, result.issued_on) == (
        date(1986, 1, 1), date(2026, 11, 20), None, None)
    assert result.message == ("Récépissé de dépôt authentique : demande n° 261100000001, « Inscription à l'examen du "
                              "permis de conduire (primo-accédant, extension de catégorie) », de TESTUN JOUN, né(e) "
                              "le 01/01/1986, déposée le 20/11/2026. Il atteste le dépôt de la demande, pas son "
                              "acceptation.")
    assert result.lines() == ["Document : Récépissé de dépôt", "Demande n° : 261100000001",
                              f"Démarche : {result.procedure_label}", "Nom de naissance : JOUN", "Prénoms : TESTUN",
                              "Date de naissance : 01/01/1986", "Déposée le : 20/11/2026",
                              f"Clé de signature : {key.kid}"]


@pytest.mark.parametrize("index, value", [
    (2, "261100000002"),  # the request number
    (3, "titre-examen"),  # the procedure
    (4, "JOUX"), (5, "TESTAN"),  # the names
    (6, "19860102"),  # the birth date
    (7, "20261121"),  # the deposit date
])
def test_one_field_of_a_receipt_changed_breaks_the_signature(key, index, value):
    result = verify_payload(_replace_field(_receipt(key), index, value), {key.kid: key.der})
    assert (result.authentic, result.code, result.request_id) == (False, "bad_signature", None)


@pytest.mark.parametrize("text", [
    "PEL1|REC|261100000001|JOUN|TESTUN|19860101|20261120|0123abcd|MEUCIQ",  # a NEPH document's shape
    "PEL1|REC|261100000001|permis|JOUN|TESTUN|19860101|20261120|0123abcd|MEUCIQ",  # no such procedure
    "PEL1|REC|261100000001|Inscription|JOUN|TESTUN|19860101|20261120|0123abcd|MEUCIQ",
    "PEL1|REC|26110000000|inscription|JOUN|TESTUN|19860101|20261120|0123abcd|MEUCIQ",
    "PEL1|REC|261100000001|inscription|JOUN|TESTUN|19860101|20261320|0123abcd|MEUCIQ",
    "PEL1|ATT|261100000001|inscription|JOUN|TESTUN|19860101|20261120|0123abcd|MEUCIQ",  # a receipt's shape
])
def test_a_receipt_of_the_wrong_shape_is_malformed(key, text):
    assert verify_payload(text, {"0123abcd": key.der}).code == "malformed"


@pytest.mark.parametrize("changes", [{"request_id": "2611000000"}, {"procedure": "permis"}, {"first_names": "A|B"},
                                     {"deposited_on": "20261120"}])
def test_receipt_fields_that_do_not_fit_are_refused_when_signing(key, changes):
    with pytest.raises(ValueError):
        _receipt(key, **changes)
    with pytest.raises(ValueError):
        _payload(key, document_type=RECEIPT)  # a receipt is not about a NEPH


@pytest.mark.parametrize("changes", [
    {"birth_name": "JOUN|TESTUN"}, {"first_names": "A|B"}, {"neph": "1703921000"}, {"neph": "17039210001A"},
    {"document_type": "PERMIS"}, {"birth_name": "  "},
])
def test_fields_that_do_not_fit_are_refused_when_signing(key, changes):
    with pytest.raises(ValueError):
        _payload(key, **changes)
    with pytest.raises(ValueError):
        signed_payload(**FIELDS, kid="ABCDEF12", sign=key.sign)
