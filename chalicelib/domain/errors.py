"""Domain errors. Each carries a stable code for programs and a French sentence for people
that says what to fix; `chalicelib.api.errors` maps them to HTTP in one place."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ErrorDetail:
    """One precise problem, usually one field: `field` is a dotted path into the request body."""

    message: str
    field: str | None = None
    code: str | None = None

    def to_dict(self) -> dict[str, Any]:
        detail: dict[str, Any] = {"message": self.message}
        if self.field is not None:
            detail["field"] = self.field
        if self.code is not None:
            detail["code"] = self.code
        return detail


@dataclass
class DomainError(Exception):
    code: str
    message: str
    details: list[ErrorDetail] = field(default_factory=list)

    def __str__(self) -> str:  # the code only: messages may quote user input, keep it out of logs
        return self.code


class InvalidInput(DomainError):
    """The input is malformed or breaks a rule (400/422)."""


class MalformedRequest(InvalidInput):
    """Syntactically unusable input (a body that is not strict JSON, a tampered cursor): 400, not 422."""


class Unauthenticated(DomainError):
    pass


class Forbidden(DomainError):
    pass


class NotFound(DomainError):
    pass


class Conflict(DomainError):
    """A concurrent change or a state that forbids the action; carries the current state."""

    def __init__(self, code: str, message: str, details: list[ErrorDetail] | None = None,
                 current: dict[str, Any] | None = None):
        super().__init__(code, message, details or [])
        self.current = current


class TooManyRequests(DomainError):
    pass


class Unavailable(DomainError):
    """The service cannot do this for now, through no fault of the caller (503); `retry_after`:
    seconds after which it can, when known."""

    def __init__(self, code: str, message: str, details: list[ErrorDetail] | None = None,
                 retry_after: int | None = None):
        super().__init__(code, message, details or [])
        self.retry_after = retry_after


class PayloadTooLarge(DomainError):
    pass
