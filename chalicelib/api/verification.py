"""Public verification of the documents Permis en ligne issues: anyone (an examiner, an employer,
a police officer) reads the QR code of an attestation, a CEPC or a deposit receipt and asks
whether it is authentic. The signature is checked with the signing key's public key (read once
from KMS per process); the public key is published for the offline command
(`python -m chalicelib.cli.verify`)."""
from __future__ import annotations

from datetime import date

from pydantic import ConfigDict, Field

from chalicelib.adapters import wiring
from chalicelib.api.auth import PUBLIC
from chalicelib.api.http import Routes, route
from chalicelib.domain.base import Model

blueprint = Routes(__name__)
TAGS = ("vérification",)
MAX_PAYLOAD = 1000  # a QR code of ours holds about 200 characters


class VerificationInput(Model):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    payload: str = Field(min_length=1, max_length=MAX_PAYLOAD,
                         description="Le texte du QR code, tel qu'un lecteur de QR code l'affiche")


class VerificationAnswer(Model):
    authentic: bool
    code: str = Field(description="authentic, malformed, unknown_key ou bad_signature")
    message: str
    document: str | None = Field(default=None, description="Le type de document, quand il est authentique")
    neph: str | None = None
    request_id: str | None = Field(default=None, description="Récépissé de dépôt : le numéro de la demande")
    procedure: str | None = Field(default=None, description="Récépissé de dépôt : la démarche")
    birth_name: str | None = None
    first_names: str | None = None
    birth_date: date | None = None
    issued_on: date | None = None
    deposited_on: date | None = Field(default=None, description="Récépissé de dépôt : le jour du dépôt")
    valid_until: date | None = Field(default=None, description="CEPC : valable jusqu'à cette date (4 mois)")


class PublicKey(Model):
    kid: str
    pem: str = Field(description="Clé publique ECDSA P-256 (SubjectPublicKeyInfo, PEM)")


@route(blueprint, "/verification", method="POST", summary="Vérifier le QR code d'un document", tags=TAGS,
       request_model=VerificationInput, response_model=VerificationAnswer, roles=PUBLIC, rate_limit="public",
       description="Répond « authentique » avec ce que le document doit porter (à comparer avec le papier), ou dit "
                   "pourquoi il ne l'est pas. Un document modifié ou signé par une autre clé n'est pas authentique.")
def verify(body: VerificationInput) -> VerificationAnswer:
    from chalicelib.domain.verification import verify_payload

    signer = wiring.signer()
    result = verify_payload(body.payload, {signer.kid: signer.public_key_der()})
    return VerificationAnswer(authentic=result.authentic, code=result.code, message=result.message,
                              document=result.document_label, neph=result.neph, request_id=result.request_id,
                              procedure=result.procedure_label, birth_name=result.birth_name,
                              first_names=result.first_names, birth_date=result.birth_date,
                              issued_on=result.issued_on, deposited_on=result.deposited_on,
                              valid_until=result.valid_until)


@route(blueprint, "/verification/public-key", summary="La clé publique des signatures (vérification hors ligne)",
       tags=TAGS, response_model=PublicKey, roles=PUBLIC)
def public_key() -> PublicKey:
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat, load_der_public_key

    signer = wiring.signer()
    pem = load_der_public_key(signer.public_key_der()).public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    return PublicKey(kid=signer.kid, pem=pem.decode())
