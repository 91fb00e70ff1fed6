"""Powertools Logger (JSON), Metrics (EMF) and Tracer shared by every function, and the filter
that keeps personal data out of logs.

Personal data never belongs in a log line: the formatter drops the values of sensitive keys
wherever they appear (extra keys, nested dicts) and scrubs emails, phone numbers, dates of birth
written as dates, NEPH-like numbers and tokens from every string, the message and exception
included.
"""
from __future__ import annotations

import functools
import os
import re
from contextlib import contextmanager
from typing import Any, Iterator

from aws_lambda_powertools.logging import Logger
from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter
from aws_lambda_powertools.metrics import Metrics

SERVICE = "permis"
METRICS_NAMESPACE = "PermisEnLigne"
REDACTED = "[masqué]"

SENSITIVE_KEY_PARTS = (
    "name", "nom", "prenom", "email", "mail", "phone", "telephone", "mobile", "address", "adresse",
    "street", "postal", "commune", "birth", "naissance", "password", "token", "secret",
    "authorization", "cookie", "ephoto", "signature", "content", "body", "text", "neph",
    "document", "health", "medical", "iban",
)
# Keys the logger itself writes: never personal, and "timestamp" would look like a date.
TECHNICAL_KEYS = frozenset({
    "level", "location", "timestamp", "service", "correlation_id", "xray_trace_id", "cold_start",
    "function_name", "function_memory_size", "function_arn", "function_request_id", "sampling_rate",
    "route", "method", "status", "duration_ms", "handler", "event_source", "records", "failures",
    "code", "error_code", "message_id", "queue", "stage", "exception_name",
})

# Opaque identifiers an audit needs (who tried what), logged as they are when they have their
# own shape: a request number is 12 digits like a NEPH, which the patterns below would mask.
# Anything else under these keys (a hostile path) is scrubbed like any text.
IDENTIFIER_KEYS = {
    "request_id": re.compile(r"[0-9]{12}"),
    "account_id": re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"),
}

_PATTERNS = (
    re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+"),  # email
    # Not inside identifiers (a UUID's last group can be all digits): no word character or dash around.
    re.compile(r"(?<![\w-])(?:\+33\s?|0033\s?|0)[1-9](?:[\s.-]?\d{2}){4}(?![\w-])"),  # French phone
    re.compile(r"(?<![\w-])\d{12}(?![\w-])"),  # NEPH
    re.compile(r"\b\d{2}/\d{2}/\d{4}\b"),  # date as written by people (birth dates)
    re.compile(r"\b(19|20)\d{2}-\d{2}-\d{2}\b"),  # ISO date
    re.compile(r"eyJ[\w-]+\.[\w-]+\.[\w-]*"),  # JWT
)


def scrub_text(text: str) -> str:
    for pattern in _PATTERNS:
        text = pattern.sub(REDACTED, text)
    return text


def _is_sensitive_key(key: str) -> bool:
    lowered = key.lower()
    return lowered not in TECHNICAL_KEYS and any(part in lowered for part in SENSITIVE_KEY_PARTS)


def redact(value: Any, key: str | None = None) -> Any:
    if key in IDENTIFIER_KEYS and isinstance(value, str) and IDENTIFIER_KEYS[key].fullmatch(value):
        return value
    if key is not None and _is_sensitive_key(key):
        return REDACTED
    if isinstance(value, dict):
        return {k: redact(v, str(k)) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact(v) for v in value]
    if isinstance(value, (bool, int, float)) or value is None:
        return value
    # Strings, and objects the JSON encoder would turn into strings (exceptions in stack traces).
    return scrub_text(str(value))


class RedactingFormatter(LambdaPowertoolsFormatter):
    def serialize(self, log: dict) -> str:  # type: ignore[override]
        cleaned = {
            key: (value if key in ("timestamp", "xray_trace_id") else redact(value, None if key in TECHNICAL_KEYS or key == "message" else key))
            for key, value in log.items()
        }
        return super().serialize(cleaned)


logger = Logger(service=SERVICE, logger_formatter=RedactingFormatter())
metrics = Metrics(namespace=METRICS_NAMESPACE, service=SERVICE)


# Counts operators are alarmed on (infra/alarms.py), each published alone with the service as its
# only dimension: the alarm matches it whatever function or route emits it.
ALERT_METRICS = ("NephExhausted",)
ALERT_DIMENSIONS = {"service": SERVICE}


def alert_metric(name: str) -> None:
    if name not in ALERT_METRICS:
        raise ValueError(f"{name} has no alarm: add it to ALERT_METRICS")
    if os.environ.get("POWERTOOLS_METRICS_DISABLED", "").lower() in ("1", "true"):
        return
    from aws_lambda_powertools.metrics import MetricUnit, single_metric

    with single_metric(name=name, unit=MetricUnit.Count, value=1, namespace=METRICS_NAMESPACE,
                       default_dimensions=ALERT_DIMENSIONS):
        pass


@functools.cache
def tracer():
    """The Powertools Tracer, built on first use and only where tracing is on: building it imports
    the X-Ray SDK (about 100 ms and 19 MiB of cold start, see bench/README.md)."""
    if os.environ.get("POWERTOOLS_TRACE_DISABLED", "").lower() in ("1", "true"):
        return None
    from aws_lambda_powertools import Tracer

    return Tracer(service=SERVICE)


@contextmanager
def traced(name: str, **annotations: str) -> Iterator[None]:
    """An X-Ray subsegment with searchable annotations; nothing when tracing is off."""
    active = tracer()
    if active is None:
        yield
        return
    with active.provider.in_subsegment(name) as subsegment:
        for key, value in annotations.items():
            subsegment.put_annotation(key, value)
        yield
