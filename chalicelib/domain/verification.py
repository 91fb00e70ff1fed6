"""The signed QR code of the documents Permis en ligne issues, and its verification.

A document (attestation d'inscription, fiche retour au permis, later the CEPC) carries a QR code
whose text restates who and what it is about, signed with the service's key (ECDSA P-256,
SHA-256, held in AWS KMS). Anyone with the public key checks it offline: an examiner's phone, a
prefecture's desk, `python -m chalicelib.cli.verify`.

The text, in ASCII (a QR code reads it the same everywhere), fields separated by `|`:

    PEL1|<type>|<neph>|<birth name>|<first names>|<birth date YYYYMMDD>|<issue date YYYYMMDD>|<kid>|<signature>

- `<type>`: `ATT` attestation d'inscription, `FRP` fiche retour au permis, `CEPC` certificat
  d'examen;
- names upper-cased as the document prints them; what is not printable ASCII (accents, Œ, Ł, the
  typographic apostrophe) is written as UTF-8 percent-escapes (`É` is `%C3%89`), so the verifier
  shows the name exactly as printed; a `|` in a field is refused;
- `<kid>`: the first 8 hex characters of the SHA-256 of the public key (DER SubjectPublicKeyInfo),
  to choose the key after a rotation;
- `<signature>`: the DER ECDSA signature (as AWS KMS returns it for `ECDSA_SHA_256` on a `RAW`
  message) in base64url without padding, of the UTF-8 text of everything before the last `|`.

Pure: no AWS here. Signing is a callable given by the caller (`adapters.signer.KmsSigner.sign`);
verification is local (`cryptography`, imported when first needed). `verify_payload` never
raises, whatever it is given: it always answers with a `Verification`.
"""
from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import re
from dataclasses import dataclass
from datetime import date
from typing import Callable, Mapping
from urllib.parse import quote, unquote

PREFIX = "PEL1"
SEPARATOR = "|"

DOCUMENT_LABELS = {
    "ATT": "Attestation d'inscription au permis de conduire",
    "FRP": "Fiche retour au permis",
    "CEPC": "Certificat d'examen du permis de conduire",
}

# Far above a real payload (about 200 characters) and far below what could cost anything.
MAX_PAYLOAD_LENGTH = 1024
# The DER encoding of a P-256 ECDSA signature is 8 to 72 bytes.
MAX_SIGNATURE_BYTES = 80

_SAFE = "".join(chr(c) for c in range(0x20, 0x7F) if chr(c) not in "%|")  # printable ASCII kept as is
_NEPH = re.compile(r"[0-9]{12}")
_KID = re.compile(r"[0-9a-f]{8}")
_DATE = re.compile(r"[0-9]{8}")
_B64URL = re.compile(r"[A-Za-z0-9_-]+")
_PRINTABLE_ASCII = re.compile(r"[\x20-\x7e]*")

AUTHENTIC, MALFORMED, UNKNOWN_KEY, BAD_SIGNATURE = "authentic", "malformed", "unknown_key", "bad_signature"

MESSAGES = {
    MALFORMED: "Ce code n'est pas celui d'un document Permis en ligne.",
    UNKNOWN_KEY: "Ce document a été signé par une clé inconnue : ce n'est pas un document émis par Permis en ligne.",
    BAD_SIGNATURE: "La signature ne correspond pas au contenu : le document a été modifié ou falsifié.",
}


@dataclass(frozen=True)
class Verification:
    """The answer to "is this document authentic?". `code` is stable (English) for programs,
    `message` is for people (French). The fields are set only when the document is authentic: a
    payload that does not verify says nothing anyone should believe."""

    authentic: bool
    code: str  # authentic, malformed, unknown_key, bad_signature
    message: str
    document_type: str | None = None  # ATT, FRP, CEPC
    document_label: str | None = None
    neph: str | None = None
    birth_name: str | None = None
    first_names: str | None = None
    birth_date: date | None = None
    issued_on: date | None = None
    kid: str | None = None
    valid_until: date | None = None  # a CEPC is valid 4 months from the exam (its date of issue)

    def lines(self) -> list[str]:
        """The fields, one per line in French (empty when not authentic)."""
        if not self.authentic:
            return []
        assert self.birth_date is not None and self.issued_on is not None
        return [f"Document : {self.document_label}",
                f"NEPH : {self.neph}",
                f"Nom de naissance : {self.birth_name}",
                f"Prénoms : {self.first_names}",
                f"Date de naissance : {self.birth_date:%d/%m/%Y}",
                f"Établi le : {self.issued_on:%d/%m/%Y}",
                *([f"Valable jusqu'au : {self.valid_until:%d/%m/%Y}"] if self.valid_until else []),
                f"Clé de signature : {self.kid}"]


def key_id(public_key_der: bytes) -> str:
    """The `kid` of a public key: first 8 hex characters of the SHA-256 of its DER SubjectPublicKeyInfo."""
    return hashlib.sha256(public_key_der).hexdigest()[:8]


def _field(value: str, what: str) -> str:
    if SEPARATOR in value:
        raise ValueError(f"{what} contains '{SEPARATOR}', the payload's separator")
    return quote(value, safe=_SAFE, encoding="utf-8", errors="strict")


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unsigned_payload(document_type: str, neph: str, birth_name: str, first_names: str, birth_date: date,
                     issued_on: date, kid: str) -> str:
    """The signed part of the payload (everything before the last `|`). ValueError on a field
    that does not fit."""
    if document_type not in DOCUMENT_LABELS:
        raise ValueError(f"unknown document type {document_type!r}: one of {', '.join(DOCUMENT_LABELS)}")
    if not isinstance(neph, str) or not _NEPH.fullmatch(neph):
        raise ValueError("the NEPH is 12 digits")
    if not isinstance(kid, str) or not _KID.fullmatch(kid):
        raise ValueError("the kid is 8 lower-case hex characters")
    for value, what in ((birth_date, "birth_date"), (issued_on, "issued_on")):
        if not isinstance(value, date):
            raise ValueError(f"{what} must be a date")
    names = [_field(birth_name.strip().upper(), "birth_name"), _field(first_names.strip().upper(), "first_names")]
    if not all(names):
        raise ValueError("the names must not be empty")
    return SEPARATOR.join([PREFIX, document_type, neph, *names, f"{birth_date:%Y%m%d}", f"{issued_on:%Y%m%d}",
                           kid])


def signed_payload(document_type: str, neph: str, birth_name: str, first_names: str, birth_date: date,
                   issued_on: date, kid: str, sign: Callable[[bytes], bytes]) -> str:
    """The QR code's text: the fields and `sign`'s signature (DER ECDSA P-256 / SHA-256 of the
    UTF-8 message, `KmsSigner.sign`). ValueError on a field that does not fit (a `|`, a NEPH that
    is not 12 digits, an unknown type)."""
    message = unsigned_payload(document_type, neph, birth_name, first_names, birth_date, issued_on, kid)
    signature = sign(message.encode("utf-8"))
    if not signature:
        raise ValueError("the signer returned no signature")
    return f"{message}{SEPARATOR}{_b64url(bytes(signature))}"


def _refused(code: str) -> Verification:
    return Verification(authentic=False, code=code, message=MESSAGES[code])


def _name(encoded: str) -> str | None:
    """A name field back to its text; None unless it is exactly what `_field` writes."""
    if not encoded:
        return None
    try:
        name = unquote(encoded, encoding="utf-8", errors="strict")
    except UnicodeDecodeError:
        return None
    if quote(name, safe=_SAFE) != encoded or name != name.upper() or name.strip() != name:
        return None  # not canonical: our signer never writes it
    return name


def _date(text: str) -> date | None:
    if not _DATE.fullmatch(text):
        return None
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        return None


def _signature(text: str) -> bytes | None:
    if not _B64URL.fullmatch(text) or len(text) % 4 == 1:
        return None
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        return None
    if _b64url(raw) != text or len(raw) > MAX_SIGNATURE_BYTES:
        return None  # stray bits in the last character, or far too long for P-256
    return raw


@functools.lru_cache(maxsize=32)
def _load_p256(public_key_der: bytes):
    """The public key, or None when it is not an EC P-256 key."""
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import load_der_public_key

    try:
        key = load_der_public_key(public_key_der)
    except (ValueError, TypeError):
        return None
    if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, ec.SECP256R1):
        return None
    return key


def _verify_signature(public_key_der: bytes, signature: bytes, message: bytes) -> bool | None:
    """True/False; None when the key cannot verify anything (not a P-256 key)."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec

    key = _load_p256(bytes(public_key_der))
    if key is None:
        return None
    try:
        key.verify(signature, message, ec.ECDSA(hashes.SHA256()))
    except (InvalidSignature, ValueError):  # a signature that is not DER ends here too
        return False
    return True


def verify_payload(text: str, public_keys: Mapping[str, bytes]) -> Verification:
    """Checks a QR code's text against the service's public keys (kid -> DER public key).

    `malformed`: not one of our payloads (any text at all, too long, wrong shape); `unknown_key`:
    signed with a key not in `public_keys`; `bad_signature`: the content was changed after signing
    (or signed by another key under a known kid); `authentic`: the fields are set."""
    try:
        return _verify(text, public_keys)
    except Exception:  # noqa: BLE001 — hostile input must never escape as an exception
        return _refused(MALFORMED)


def _verify(text: str, public_keys: Mapping[str, bytes]) -> Verification:
    if not isinstance(text, str) or len(text) > MAX_PAYLOAD_LENGTH:
        return _refused(MALFORMED)
    text = text.strip()  # a scanner may add a line end
    if not _PRINTABLE_ASCII.fullmatch(text):
        return _refused(MALFORMED)
    parts = text.split(SEPARATOR)
    if len(parts) != 9 or parts[0] != PREFIX:
        return _refused(MALFORMED)
    _, document_type, neph, birth_name_text, first_names_text, birth_text, issued_text, kid, signature_text = parts
    birth_name, first_names = _name(birth_name_text), _name(first_names_text)
    birth_date, issued_on = _date(birth_text), _date(issued_text)
    signature = _signature(signature_text)
    if (document_type not in DOCUMENT_LABELS or not _NEPH.fullmatch(neph) or birth_name is None
            or first_names is None or birth_date is None or issued_on is None or not _KID.fullmatch(kid)
            or signature is None):
        return _refused(MALFORMED)
    public_key = public_keys.get(kid)
    if public_key is None:
        return _refused(UNKNOWN_KEY)
    message = text[:text.rindex(SEPARATOR)].encode("utf-8")
    valid = _verify_signature(public_key, signature, message)
    if valid is None:
        return _refused(UNKNOWN_KEY)
    if not valid:
        return _refused(BAD_SIGNATURE)
    label = DOCUMENT_LABELS[document_type]
    valid_until = None
    validity = ""
    if document_type == "CEPC":
        from chalicelib.domain.exams import cepc_valid_until

        valid_until = cepc_valid_until(issued_on)
        validity = f" Il est valable jusqu'au {valid_until:%d/%m/%Y} : vérifiez que cette date n'est pas passée."
    return Verification(
        authentic=True, code=AUTHENTIC,
        message=(f"Document authentique : {label[0].lower() + label[1:]} de {first_names} {birth_name}, "
                 f"né(e) le {birth_date:%d/%m/%Y}, NEPH {neph}, établi(e) le {issued_on:%d/%m/%Y}.{validity}"),
        document_type=document_type, document_label=label, neph=neph, birth_name=birth_name,
        first_names=first_names, birth_date=birth_date, issued_on=issued_on, kid=kid, valid_until=valid_until)
