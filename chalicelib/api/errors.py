"""The one place that turns errors into HTTP responses.

Body shape for every refusal: {"code": "<stable code>", "message": "<French sentence saying what
to fix>", "details": [{"field": "...", "message": "...", "code": "..."}]}.
"""
from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from chalice import Response

from chalicelib.domain.errors import (
    Conflict,
    DomainError,
    ErrorDetail,
    Forbidden,
    InvalidInput,
    MalformedRequest,
    NotFound,
    PayloadTooLarge,
    TooManyRequests,
    Unauthenticated,
    Unavailable,
)

if TYPE_CHECKING:  # pydantic stays off the import path of the authorizer and GET /health
    from pydantic import ValidationError


STATUS_BY_ERROR: tuple[tuple[type[DomainError], int], ...] = (
    (MalformedRequest, 400),
    (InvalidInput, 422),
    (Unauthenticated, 401),
    (Forbidden, 403),
    (NotFound, 404),
    (Conflict, 409),
    (PayloadTooLarge, 413),
    (TooManyRequests, 429),
    (Unavailable, 503),
)

JSON_HEADERS = {"Content-Type": "application/json; charset=utf-8"}


def status_for(error: DomainError) -> int:
    for error_type, status in STATUS_BY_ERROR:
        if isinstance(error, error_type):
            return status
    return 400


def error_body(code: str, message: str, details: list[ErrorDetail] | None = None, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"code": code, "message": message, "details": [d.to_dict() for d in details or []]}
    body.update(extra)
    return body


def error_response(error: DomainError, headers: dict[str, str] | None = None) -> Response:
    extra = {"current": error.current} if isinstance(error, Conflict) and error.current is not None else {}
    body = error_body(error.code, error.message, error.details, **extra)
    retry = {"Retry-After": str(error.retry_after)} if isinstance(error, Unavailable) and error.retry_after else {}
    return Response(body=json.dumps(body, ensure_ascii=False), status_code=status_for(error),
                    headers={**JSON_HEADERS, **retry, **(headers or {})})


# --- pydantic validation errors, in French ------------------------------------------------------

_FRENCH_BY_TYPE = {
    "missing": "Ce champ est obligatoire : renseignez-le.",
    "extra_forbidden": "Ce champ n'est pas accepté : retirez-le de la requête.",
    "string_type": "Ce champ doit être un texte.",
    "string_too_short": "Ce texte est trop court : {min_length} caractère(s) au minimum.",
    "string_too_long": "Ce texte est trop long : {max_length} caractères au maximum.",
    "string_pattern_mismatch": "Le format de ce champ n'est pas valide.",
    "int_type": "Ce champ doit être un nombre entier.",
    "int_parsing": "Ce champ doit être un nombre entier.",
    "float_type": "Ce champ doit être un nombre.",
    "float_parsing": "Ce champ doit être un nombre.",
    "bool_type": "Ce champ doit valoir true ou false.",
    "bool_parsing": "Ce champ doit valoir true ou false.",
    "date_type": "Ce champ doit être une date au format AAAA-MM-JJ.",
    "date_parsing": "Ce champ doit être une date au format AAAA-MM-JJ.",
    "date_from_datetime_parsing": "Ce champ doit être une date au format AAAA-MM-JJ.",
    "datetime_parsing": "Ce champ doit être une date et une heure au format ISO 8601.",
    "literal_error": "Valeur non acceptée : choisissez parmi {expected}.",
    "enum": "Valeur non acceptée : choisissez parmi {expected}.",
    "greater_than_equal": "Ce nombre doit être supérieur ou égal à {ge}.",
    "less_than_equal": "Ce nombre doit être inférieur ou égal à {le}.",
    "model_type": "Un objet JSON est attendu.",
    "model_attributes_type": "Un objet JSON est attendu.",
    "dict_type": "Un objet JSON est attendu.",
    "list_type": "Une liste est attendue.",
    "too_short": "Cette liste doit contenir au moins {min_length} élément(s).",
    "too_long": "Cette liste doit contenir au plus {max_length} élément(s).",
}


def french_message(error: dict[str, Any]) -> str:
    if error["type"] == "value_error":
        # Our own validators raise ValueError with a French sentence.
        return str(error.get("ctx", {}).get("error", error["msg"]))
    template = _FRENCH_BY_TYPE.get(error["type"], "Valeur non valide pour ce champ.")
    try:
        return template.format(**error.get("ctx", {}))
    except (KeyError, IndexError):
        return template


def validation_failed(exc: ValidationError) -> InvalidInput:
    details = [
        ErrorDetail(
            field=".".join(str(part) for part in error["loc"]) or None,
            message=french_message(error),
            code=error["type"],
        )
        for error in exc.errors(include_url=False, include_input=False)
    ]
    return InvalidInput(
        "validation_failed",
        "Certaines informations sont à corriger : le détail est indiqué pour chaque champ.",
        details,
    )
