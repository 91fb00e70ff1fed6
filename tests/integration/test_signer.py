"""The documents' signer against KMS (moto): what it signs verifies locally with the public key KMS
gives, under the kid computed from it; the public key is read once."""
from __future__ import annotations

import hashlib
from datetime import date

import boto3
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from moto import mock_aws

from chalicelib.adapters.signer import KmsSigner
from chalicelib.domain.verification import signed_payload, verify_payload
from chalicelib.resources import CATALOGUE


class CountingKms:
    """The KMS client, counting the calls made through it."""

    def __init__(self, client):
        self._client = client
        self.calls: list[str] = []

    def __getattr__(self, name):
        method = getattr(self._client, name)

        def call(**kwargs):
            self.calls.append(name)
            return method(**kwargs)

        return call


@pytest.fixture
def kms():
    with mock_aws():
        yield boto3.client("kms", region_name="eu-west-3")


def _signing_key(kms) -> str:
    spec = CATALOGUE.key("signing")  # the key infra and the local stack create
    assert (spec.spec, spec.usage) == ("ECC_NIST_P256", "SIGN_VERIFY")
    return kms.create_key(KeySpec=spec.spec, KeyUsage=spec.usage, Description=spec.description)["KeyMetadata"]["KeyId"]


def _payload(signer: KmsSigner, **changes) -> str:
    fields = dict(document_type="ATT", neph="261192100012", birth_name="Œuvray-Łukasz", first_names="Éloïse",
                  birth_date=date(2008, 2, 29), issued_on=date(2026, 11, 28))
    return signed_payload(**{**fields, **changes}, kid=signer.kid, sign=signer.sign)


def test_a_payload_signed_by_kms_verifies_locally(kms):
    signer = KmsSigner(kms, _signing_key(kms))
    payload = _payload(signer)
    result = verify_payload(payload, {signer.kid: signer.public_key_der()})
    assert result.authentic, result.message
    assert (result.neph, result.birth_name, result.first_names) == ("261192100012", "ŒUVRAY-ŁUKASZ", "ÉLOÏSE")
    tampered = payload.replace("|20080229|", "|20080228|")
    assert verify_payload(tampered, {signer.kid: signer.public_key_der()}).code == "bad_signature"


def test_the_kid_is_the_hash_of_the_public_key_kms_gives(kms):
    key = _signing_key(kms)
    signer = KmsSigner(kms, key)
    der = kms.get_public_key(KeyId=key)["PublicKey"]
    assert signer.kid == hashlib.sha256(der).hexdigest()[:8]
    public = serialization.load_der_public_key(signer.public_key_der())
    assert isinstance(public, ec.EllipticCurvePublicKey) and isinstance(public.curve, ec.SECP256R1)


def test_messages_are_signed_raw_as_ecdsa_sha256(kms):
    signer = KmsSigner(kms, _signing_key(kms))
    signature = signer.sign(b"PEL1|ATT|message")
    public = serialization.load_der_public_key(signer.public_key_der())
    public.verify(signature, b"PEL1|ATT|message", ec.ECDSA(hashes.SHA256()))  # raises when not


def test_the_public_key_is_read_once_per_signer(kms):
    counting = CountingKms(kms)
    signer = KmsSigner(counting, _signing_key(kms))
    for neph in ("261192100012", "261192100013", "261192100014"):
        _payload(signer, neph=neph)
    assert counting.calls.count("get_public_key") == 1
    assert counting.calls.count("sign") == 3


def test_another_kms_key_is_not_ours(kms):
    ours, theirs = KmsSigner(kms, _signing_key(kms)), KmsSigner(kms, _signing_key(kms))
    assert ours.kid != theirs.kid
    assert verify_payload(_payload(theirs), {ours.kid: ours.public_key_der()}).code == "unknown_key"
    forged = signed_payload("ATT", "261192100012", "JOUN", "TESTUN", date(2000, 1, 1), date(2026, 11, 28),
                            kid=ours.kid, sign=theirs.sign)
    assert verify_payload(forged, {ours.kid: ours.public_key_der()}).code == "bad_signature"
