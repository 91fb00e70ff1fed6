"""Matching a request's civil status against the candidate's account.

A driving school files a request for a candidate; before the request is attached to the
candidate's account, the civil status typed in the request is compared with the one held by the
account. The seed's FAQ (questions 7/9 and 8/9) describes what goes wrong:

* 7/9: a driving school gets « Divergence d'identité ... pour les champs : Date de naissance »
  although "everything looks right". The cause: the account was created without a birth date, and
  an empty field was compared with a filled one. The fix is for the candidate to add the birth date
  to the account ("Mon compte" / "Mes informations").
* 8/9: the other causes are genuine typos in the civil status (in the account or in the request),
  or an email that belongs to someone else (a mistyped address, a shared family address).

Hence two goals that pull in opposite directions, and the rules below:

1. Be tolerant of variants that are the same name written differently, so that a school is not
   blocked by a difference nobody can see:
   - Unicode forms: NFC and NFD spellings are equal; compatibility forms are folded by NFKC
     (full-width "Ｍａｒｉｅ" is "Marie", the "ﬁ" ligature is "fi").
   - accents and cedillas are ignored ("Zoë" = "Zoe", "François" = "Francois"); the ligatures
     "œ", "æ" are spelled out ("Lætitia" = "Laetitia") and "ß" is "ss";
   - case is ignored (Unicode case folding, not just lower()).
   - hyphens (every Unicode dash and the minus sign), apostrophes (' ’ ʼ ‘ `) and runs of
     whitespace are all one single separator: "Jean-Pierre" = "jean pierre" = "JEAN  PIERRE",
     "N'Diaye" = "N’DIAYE" = "n diaye". Leading and trailing separators are dropped.
   - between first names, a comma is a separator too: "Marie, Louise" = "Marie Louise".
2. Be strict on everything else, because a tolerated difference may be a different person
   (FAQ 8/9: shared addresses, typos landing on someone else's account):
   - letters are compared exactly: "Dupont" != "Dupond", "Marie" != "Maria";
   - a separator is never invented nor removed: "Jeanpierre" != "Jean-Pierre";
   - no abbreviation is expanded ("St" != "Saint") and dots are kept as they are;
   - first names are compared as the whole list, in order: a missing, extra or reordered first
     name is a difference ("Jean Pierre" != "Jean", "Marie Louise" != "Louise Marie");
   - a missing value (None or blank) on either side facing a present value is a difference. This
     is exactly the FAQ 7/9 situation: it must be reported, naming the field, not silently
     accepted, so that the candidate completes the account.
   - the birth date is mandatory: when both sides lack it, it is still reported as a difference.
     For the other fields, both sides missing is not a divergence between them (a person may
     legitimately have no first name; required fields are enforced by the forms, not here).

`compare_identities` returns the keys of the differing fields in a fixed order, and
`divergence_message` turns them into a French sentence that names the fields (with their labels)
and says how to fix them.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date

__all__ = [
    "FIELD_LABELS",
    "FIELD_ORDER",
    "CivilIdentity",
    "compare_identities",
    "divergence_message",
    "normalize_first_names",
    "normalize_name",
]


@dataclass(frozen=True)
class CivilIdentity:
    """Civil status as typed, either in the candidate's account or in a request.

    `first_names` holds all first names as typed, separated by spaces or commas.
    `sex` is "F" or "M" (case and surrounding spaces are ignored when comparing)."""

    birth_name: str
    first_names: str
    birth_date: date | None
    sex: str | None


FIELD_LABELS = {
    "birth_name": "Nom de naissance",
    "first_names": "Prénoms",
    "birth_date": "Date de naissance",
    "sex": "Sexe",
}

# The order in which differing fields are reported.
FIELD_ORDER = ("birth_name", "first_names", "birth_date", "sex")

# Characters that are one separator inside a name: every Unicode dash (category Pd, which covers
# the hyphen-minus, U+2010 hyphen, U+2011 non-breaking hyphen, en and em dashes...), the minus
# sign, and the apostrophe variants. Whitespace is handled by str.split().
_APOSTROPHES = frozenset("'\u2019\u02bc\u2018`")
_EXTRA_DASHES = frozenset("\u2212")  # MINUS SIGN is a math symbol (Sm), not a Pd dash
_SPELLED_OUT = {"œ": "oe", "æ": "ae"}  # after case folding, which already turns ß and ẞ into ss


def _is_separator(ch: str) -> bool:
    return ch in _APOSTROPHES or ch in _EXTRA_DASHES or unicodedata.category(ch) == "Pd"


def normalize_name(value: str) -> str:
    """The comparable form of a name: compatibility-folded, without accents, case-folded, with
    every hyphen, apostrophe or whitespace run turned into one space, trimmed.

    Nothing else is changed: letters, dots and other punctuation stay as they are."""
    text = unicodedata.normalize("NFKC", value).casefold()
    text = "".join(ch for ch in unicodedata.normalize("NFD", text) if not unicodedata.combining(ch))
    text = "".join(_SPELLED_OUT.get(ch, ch) for ch in text)
    text = "".join(" " if _is_separator(ch) else ch for ch in text)
    return " ".join(text.split())


def normalize_first_names(value: str) -> str:
    """The comparable form of a list of first names: `normalize_name`, with commas (including
    full-width ones, folded by NFKC) also accepted as separators between first names."""
    return " ".join(normalize_name(value).replace(",", " ").split())


def _normalize_sex(value: str | None) -> str:
    return (value or "").strip().upper()


def _comparable(field: str, identity: CivilIdentity) -> object:
    """The value compared for `field`, or None when the value is missing (None or blank)."""
    value = getattr(identity, field)
    if field == "birth_date":
        return value
    if field == "birth_name":
        text = normalize_name(value or "")
    elif field == "first_names":
        text = normalize_first_names(value or "")
    else:
        text = _normalize_sex(value)
    return text or None


def compare_identities(account: CivilIdentity, request: CivilIdentity) -> tuple[str, ...]:
    """The keys of the fields that differ between the account and the request, in the fixed
    order birth_name, first_names, birth_date, sex; () when the identities match.

    Names are compared with the tolerances of `normalize_name` (and commas between first names).
    A missing value (None or blank) on either side compared with a present value is a difference:
    this is the seed's FAQ 7/9 case (an account created without a birth date), which must be
    reported rather than accepted. The birth date is mandatory, so two missing birth dates are a
    difference as well; for the other fields, two missing values are not a divergence."""
    differing = []
    for field in FIELD_ORDER:
        left, right = _comparable(field, account), _comparable(field, request)
        if field == "birth_date" and left is None and right is None:
            differing.append(field)
        elif left != right:
            differing.append(field)
    return tuple(differing)


def divergence_message(fields: tuple[str, ...]) -> str:
    """A French sentence naming the differing fields (by their labels, in the given order) and
    the remedy; "" when there is no differing field."""
    if not fields:
        return ""
    unknown = [field for field in fields if field not in FIELD_LABELS]
    if unknown:
        raise ValueError(f"Unknown identity fields: {', '.join(unknown)}")
    labels = ", ".join(FIELD_LABELS[field] for field in fields)
    return (
        "Divergence d'identité entre le compte du candidat et la demande pour les champs : "
        f"{labels}. Vérifiez l'état civil saisi dans la demande ; si le compte est erroné, "
        "le candidat le corrige dans « Mon compte » › « Mes informations »."
    )
