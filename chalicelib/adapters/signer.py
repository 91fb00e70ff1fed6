"""The documents' signing key in AWS KMS (catalogue key "signing": ECC_NIST_P256, SIGN_VERIFY).

The only code that talks to KMS about signatures. The private key never leaves KMS; the public
key is read once per instance (a Lambda container) and gives the `kid` printed in every payload
(`domain.verification`)."""
from __future__ import annotations

from chalicelib.domain.verification import key_id

SIGNING_ALGORITHM = "ECDSA_SHA_256"


class KmsSigner:
    """Signs documents' payloads with a KMS asymmetric key (ECDSA P-256, SHA-256).

    Messages are sent `RAW`: KMS hashes them (SHA-256) and returns a DER signature, which
    `cryptography` verifies as `ECDSA(SHA256())` on the same message. (moto 5.2.5 hashes a
    `DIGEST` message a second time, so a digest signed there would not verify.)"""

    def __init__(self, kms_client, key_id: str):
        self._kms = kms_client
        self._key_id = key_id
        self._public_key_der: bytes | None = None

    def sign(self, message: bytes) -> bytes:
        answer = self._kms.sign(KeyId=self._key_id, Message=message, MessageType="RAW",
                                SigningAlgorithm=SIGNING_ALGORITHM)
        return bytes(answer["Signature"])

    def public_key_der(self) -> bytes:
        """The key's DER SubjectPublicKeyInfo, read from KMS on first use only."""
        if self._public_key_der is None:
            self._public_key_der = bytes(self._kms.get_public_key(KeyId=self._key_id)["PublicKey"])
        return self._public_key_der

    @property
    def kid(self) -> str:
        return key_id(self.public_key_der())
