"""The signed QR code of the documents Permis en ligne issues, and its verification.

A document (attestation d'inscription, fiche retour au permis, CEPC, récépissé de dépôt) carries
a QR code whose text restates who and what it is about, signed with the service's key (ECDSA
P-256, SHA-256, held in AWS KMS). Anyone with the public key checks it offline: an examiner's
phone, a prefecture's desk, `python -m chalicelib.cli.verify`.

The text, in ASCII (a QR code reads it the same everywhere), fields separated by `|`:

    PEL1|<type>|<neph>|<birth name>|<first names>|<birth date YYYYMMDD>|<issue date YYYYMMDD>|<kid>|<signature>
    PEL1|REC|<request number>|<procedure>|<birth name>|<first names>|<birth date YYYYMMDD>|<deposit date YYYYMMDD>|<kid>|<signature>

- `<type>`: `ATT` attestation d'inscription, `FRP` fiche retour au permis, `CEPC` certificat
  d'examen, all three about a NEPH; `REC` récépissé de dépôt, about a request filed before any
  NEPH: its number (12 digits), its procedure's code (`Procedure`, as `inscription`) and the day
  it was filed, in France. The same identity as the others and nothing more (no address, no
  contact, no documents), all of it printed on the paper;
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
from typing import Any, Callable, Mapping
from urllib.parse import quote, unquote

PREFIX = "PEL1"
SEPARATOR = "|"

DOCUMENT_LABELS = {
    "ATT": "Attestation d'inscription au permis de conduire",
    "FRP": "Fiche retour au permis",
    "CEPC": "Certificat d'examen du permis de conduire",
    "REC": "Récépissé de dépôt",
}
RECEIPT = "REC"
# The fields between the type and the kid, by type: a NEPH's documents, and the receipt.
NEPH_FIELDS = ("neph", "birth_name", "first_names", "birth_date", "issued_on")
RECEIPT_FIELDS = ("request_id", "procedure", "birth_name", "first_names", "birth_date", "deposited_on")

# Far above a real payload (about 200 characters) and far below what could cost anything.
MAX_PAYLOAD_LENGTH = 1024
# The DER encoding of a P-256 ECDSA signature is 8 to 72 bytes.
MAX_SIGNATURE_BYTES = 80

_SAFE = "".join(chr(c) for c in range(0x20, 0x7F) if chr(c) not in "%|")  # printable ASCII kept as is
_NEPH = re.compile(r"[0-9]{12}")  # a request number has the same shape
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
    document_type: str | None = None  # ATT, FRP, CEPC, REC
    document_label: str | None = None
    neph: str | None = None  # ATT, FRP, CEPC
    request_id: str | None = None  # REC
    procedure: str | None = None  # REC: the procedure's code
    procedure_label: str | None = None  # REC
    birth_name: str | None = None
    first_names: str | None = None
    birth_date: date | None = None
    issued_on: date | None = None  # ATT, FRP, CEPC
    deposited_on: date | None = None  # REC: the day the request was filed, in France
    kid: str | None = None
    valid_until: date | None = None  # a CEPC is valid 4 months from the exam (its date of issue)

    def lines(self) -> list[str]:
        """The fields it has, one per line in French (none when not authentic)."""
        if not self.authentic:
            return []
        day = "{:%d/%m/%Y}".format
        rows = (("Document", self.document_label), ("NEPH", self.neph), ("Demande n°", self.request_id),
                ("Démarche", self.procedure_label), ("Nom de naissance", self.birth_name),
                ("Prénoms", self.first_names), ("Date de naissance", self.birth_date and day(self.birth_date)),
                ("Établi le", self.issued_on and day(self.issued_on)),
                ("Déposée le", self.deposited_on and day(self.deposited_on)),
                ("Valable jusqu'au", self.valid_until and day(self.valid_until)), ("Clé de signature", self.kid))
        return [f"{label} : {value}" for label, value in rows if value]


def key_id(public_key_der: bytes) -> str:
    """The `kid` of a public key: first 8 hex characters of the SHA-256 of its DER SubjectPublicKeyInfo."""
    return hashlib.sha256(public_key_der).hexdigest()[:8]


def _field(value: str, what: str) -> str:
    if SEPARATOR in value:
        raise ValueError(f"{what} contains '{SEPARATOR}', the payload's separator")
    return quote(value, safe=_SAFE, encoding="utf-8", errors="strict")


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _encoded(name: str, value: object) -> str:
    """One field of the payload as written. ValueError when it does not fit."""
    if name in ("neph", "request_id"):
        if not isinstance(value, str) or not _NEPH.fullmatch(value):
            raise ValueError(f"the {name} is 12 digits")
        return value
    if name == "procedure":
        from chalicelib.domain.procedures import Procedure

        if value not in Procedure._value2member_map_:
            raise ValueError(f"unknown procedure {value!r}")
        return str(value)
    if name in ("birth_name", "first_names"):
        encoded = _field(str(value).strip().upper(), name)
        if not encoded:
            raise ValueError("the names must not be empty")
        return encoded
    if not isinstance(value, date):
        raise ValueError(f"{name} must be a date")
    return f"{value:%Y%m%d}"


def _unsigned(document_type: str, fields: tuple[str, ...], values: Mapping[str, object], kid: str) -> str:
    if not isinstance(kid, str) or not _KID.fullmatch(kid):
        raise ValueError("the kid is 8 lower-case hex characters")
    return SEPARATOR.join([PREFIX, document_type, *(_encoded(name, values[name]) for name in fields), kid])


def unsigned_payload(document_type: str, neph: str, birth_name: str, first_names: str, birth_date: date,
                     issued_on: date, kid: str) -> str:
    """The signed part of a NEPH document's payload (everything before the last `|`).
    ValueError on a field that does not fit."""
    if document_type not in DOCUMENT_LABELS or document_type == RECEIPT:
        raise ValueError(f"unknown document type {document_type!r}: one of "
                         f"{', '.join(t for t in DOCUMENT_LABELS if t != RECEIPT)} (a receipt has its own fields)")
    return _unsigned(document_type, NEPH_FIELDS, locals(), kid)


def unsigned_receipt_payload(request_id: str, procedure: str, birth_name: str, first_names: str, birth_date: date,
                             deposited_on: date, kid: str) -> str:
    """The signed part of a receipt's payload. ValueError on a field that does not fit."""
    return _unsigned(RECEIPT, RECEIPT_FIELDS, locals(), kid)


def signed_payload(document_type: str, neph: str, birth_name: str, first_names: str, birth_date: date,
                   issued_on: date, kid: str, sign: Callable[[bytes], bytes]) -> str:
    """The QR code's text: the fields and `sign`'s signature (DER ECDSA P-256 / SHA-256 of the
    UTF-8 message, `KmsSigner.sign`). ValueError on a field that does not fit (a `|`, a NEPH that
    is not 12 digits, an unknown type)."""
    return sign_message(unsigned_payload(document_type, neph, birth_name, first_names, birth_date, issued_on, kid),
                        sign)


def sign_message(message: str, sign: Callable[[bytes], bytes]) -> str:
    """An unsigned payload (`unsigned_payload`, `unsigned_receipt_payload`) with its signature."""
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


def _decoded(name: str, text: str) -> object | None:
    """A field back to its value; None unless it is exactly what `_encoded` writes."""
    if name in ("neph", "request_id"):
        return text if _NEPH.fullmatch(text) else None
    if name == "procedure":
        from chalicelib.domain.procedures import Procedure

        return text if text in Procedure._value2member_map_ else None
    if name in ("birth_name", "first_names"):
        return _name(text)
    return _date(text)


def _verify(text: str, public_keys: Mapping[str, bytes]) -> Verification:
    if not isinstance(text, str) or len(text) > MAX_PAYLOAD_LENGTH:
        return _refused(MALFORMED)
    text = text.strip()  # a scanner may add a line end
    if not _PRINTABLE_ASCII.fullmatch(text):
        return _refused(MALFORMED)
    parts = text.split(SEPARATOR)
    if len(parts) < 2 or parts[0] != PREFIX or parts[1] not in DOCUMENT_LABELS:
        return _refused(MALFORMED)
    document_type = parts[1]
    fields = RECEIPT_FIELDS if document_type == RECEIPT else NEPH_FIELDS
    if len(parts) != len(fields) + 4:
        return _refused(MALFORMED)
    values = {name: _decoded(name, part) for name, part in zip(fields, parts[2:])}
    kid, signature = parts[-2], _signature(parts[-1])
    if None in values.values() or not _KID.fullmatch(kid) or signature is None:
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
    return _authentic(document_type, values, kid)


def _authentic(document_type: str, values: Mapping[str, Any], kid: str) -> Verification:
    """The answer for a payload whose signature holds: what it says, in French."""
    label = DOCUMENT_LABELS[document_type]
    who = f"{values['first_names']} {values['birth_name']}, né(e) le {values['birth_date']:%d/%m/%Y}"
    if document_type == RECEIPT:
        from chalicelib.domain.procedures import PROCEDURE_LABELS, Procedure

        procedure_label = PROCEDURE_LABELS[Procedure(values["procedure"])]
        return Verification(
            authentic=True, code=AUTHENTIC,
            message=(f"{label} authentique : demande n° {values['request_id']}, « {procedure_label} », de {who}, "
                     f"déposée le {values['deposited_on']:%d/%m/%Y}. Il atteste le dépôt de la demande, pas son "
                     "acceptation."),
            document_type=document_type, document_label=label, procedure_label=procedure_label, kid=kid, **values)
    valid_until = None
    validity = ""
    if document_type == "CEPC":
        from chalicelib.domain.exams import cepc_valid_until

        valid_until = cepc_valid_until(values["issued_on"])
        validity = f" Il est valable jusqu'au {valid_until:%d/%m/%Y} : vérifiez que cette date n'est pas passée."
    return Verification(
        authentic=True, code=AUTHENTIC,
        message=(f"Document authentique : {label[0].lower() + label[1:]} de {who}, NEPH {values['neph']}, "
                 f"établi(e) le {values['issued_on']:%d/%m/%Y}.{validity}"),
        document_type=document_type, document_label=label, kid=kid, valid_until=valid_until, **values)
