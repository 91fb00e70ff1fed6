"""The one entry for every request body: strict JSON read before any model sees it.

Python's `json` accepts what a hostile client may use to break or confuse the code behind it:
nesting deep enough to exhaust the stack, a key given twice (the last one silently wins), NaN and
Infinity, numbers beyond what a float or DynamoDB holds, lone UTF-16 surrogates that no UTF-8
store accepts, control characters. Each is refused here with a French message naming the field;
every string (keys included) is turned to NFC, so "É" typed as E + combining accent (some phones
and Macs send it so) is the same text as the precomposed "É"."""
from __future__ import annotations

import json
import math
import re
import unicodedata
from typing import Any

from chalicelib.domain.errors import ErrorDetail, MalformedRequest

# Deeper than any of our forms (a request's steps nest 4 levels) with room, far below the stack.
MAX_DEPTH = 32
# Integers a JavaScript client reads exactly (Number.MAX_SAFE_INTEGER); DynamoDB holds 38 digits.
MAX_SAFE_INTEGER = 2 ** 53 - 1
MAX_NUMBER_CHARS = 40
# C0 controls other than tab, line feed and carriage return; DEL; lone surrogates.
_FORBIDDEN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


class _Refused(Exception):
    def __init__(self, code: str, message: str, field: str | None = None):
        super().__init__(code)
        self.code, self.message, self.field = code, message, field


class _Duplicated(dict):
    """An object with a key given twice: refused by _clean, which knows where it is."""

    duplicate: str


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            duplicated = _Duplicated()
            duplicated.duplicate = key
            return duplicated
        result[key] = value
    return result


class _OutOfRange(str):
    """A number refused by the parser: refused by _clean, which knows where it is."""


def _int(text: str) -> Any:
    if len(text) > MAX_NUMBER_CHARS or abs(int(text)) > MAX_SAFE_INTEGER:
        return _OutOfRange(text)
    return int(text)


def _float(text: str) -> Any:
    value = float(text)
    if len(text) > MAX_NUMBER_CHARS or not math.isfinite(value):
        return _OutOfRange(text)
    return value


def _constant(text: str) -> Any:  # NaN, Infinity, -Infinity: not JSON
    return _OutOfRange(text)


def _shown(text: str) -> str:
    return text if len(text) <= 40 else text[:37] + "…"


def _path(parts: list[str | int]) -> str | None:
    return ".".join(str(part) for part in parts) or None


def _clean(data: Any) -> Any:
    """Depth, characters and NFC, walked without recursion (the depth is what is being checked)."""
    root: list[Any] = [data]
    stack: list[tuple[Any, Any, list[str | int]]] = [(root, 0, [])]
    while stack:
        container, key, path = stack.pop()
        value = container[key]
        if len(path) > MAX_DEPTH:
            raise _Refused("json_too_deep", f"Le corps de la requête a trop de niveaux d'imbrication : {MAX_DEPTH} "
                                            "au maximum.", _path(path[:MAX_DEPTH]))
        if isinstance(value, _OutOfRange):
            raise _Refused("number_out_of_range", f"Le nombre {_shown(value)} n'est pas accepté : les nombres doivent "
                                                  f"être finis et compris entre -{MAX_SAFE_INTEGER} et "
                                                  f"{MAX_SAFE_INTEGER}.", _path(path))
        if isinstance(value, str):
            container[key] = _text(value, path)
        elif isinstance(value, list):
            stack.extend((value, index, [*path, index]) for index in range(len(value)))
        elif isinstance(value, _Duplicated):
            raise _Refused("duplicate_key", f"Le champ « {_shown(value.duplicate)} » figure deux fois dans la "
                                            "requête : gardez-en un seul.", _path([*path, value.duplicate]))
        elif isinstance(value, dict):
            cleaned = {_text(name, [*path, name]): item for name, item in value.items()}
            if len(cleaned) != len(value):  # two keys equal once composed: a duplicate in disguise
                raise _Refused("duplicate_key", "Un champ figure deux fois dans la requête (écrit de deux façons) : "
                                                "gardez-en un seul.", _path(path))
            container[key] = cleaned
            stack.extend((cleaned, name, [*path, name]) for name in cleaned)
    return root[0]


def _text(value: str, path: list[str | int]) -> str:
    found = _FORBIDDEN.search(value)
    if found:
        raise _Refused("invalid_character", f"Un caractère de contrôle ou invalide (U+{ord(found.group()):04X}) se "
                                            "trouve dans ce champ : retapez-le sans copier-coller.", _path(path))
    return value if value.isascii() else unicodedata.normalize("NFC", value)


def read_json(raw: bytes) -> Any:
    """The body as Python data, or MalformedRequest (400) saying what to fix."""
    try:
        text = raw.decode("utf-8")
        return _clean(json.loads(text, object_pairs_hook=_pairs, parse_int=_int, parse_float=_float,
                                 parse_constant=_constant))
    except _Refused as refused:
        details = [ErrorDetail(field=refused.field, message=refused.message, code=refused.code)]
        raise MalformedRequest(refused.code, refused.message, details) from None
    except RecursionError:  # "[[[[…": deeper than the parser's stack, far beyond MAX_DEPTH
        raise MalformedRequest("json_too_deep", f"Le corps de la requête a trop de niveaux d'imbrication : "
                                                f"{MAX_DEPTH} au maximum.") from None
    except (ValueError, UnicodeDecodeError):
        raise MalformedRequest(
            "invalid_json",
            "Le corps de la requête n'est pas un JSON valide (en UTF-8) : vérifiez les guillemets, les virgules et "
            "les accolades.") from None
