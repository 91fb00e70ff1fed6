"""Chalice middleware: correlation ids, logs, metrics and traces for every function; and, for
HTTP, the body size limit and the rewriting of Chalice's own refusals into our error shape.

Register it before the blueprints: Chalice binds middleware to blueprint handlers at
registration time."""
from __future__ import annotations

import json
import time
import uuid
from typing import Any, Callable

from aws_lambda_powertools.metrics import MetricUnit
from chalice import Chalice, Response
from chalice.app import ChaliceAuthorizer

from chalicelib import settings
from chalicelib.api.errors import JSON_HEADERS, error_body, error_response
from chalicelib.api.gateway import gateway_response
from chalicelib.domain.errors import PayloadTooLarge
from chalicelib.observability import logger, metrics, traced

MAX_BODY_BYTES = 1024 * 1024

# Chalice's built-in refusals (raised before or around our views) → our codes and French text.
_CHALICE_REFUSALS = {
    405: ("method_not_allowed", "Cette méthode HTTP n'est pas acceptée sur cette adresse : utilisez {allow}."),
    415: ("unsupported_media_type", "Le corps de la requête doit être envoyé en JSON (Content-Type: application/json)."),
    400: ("bad_request", "La requête n'est pas valide : vérifiez l'en-tête Accept et le corps envoyé."),
    500: (gateway_response("DEFAULT_5XX").code, gateway_response("DEFAULT_5XX").message),
}


def _is_our_shape(response: Response) -> bool:
    body = response.body
    if isinstance(body, (str, bytes)):
        try:
            body = json.loads(body)
        except ValueError:
            return False
    return isinstance(body, dict) and "code" in body and "message" in body


def normalise_refusal(response: Response) -> Response:
    if response.status_code < 400 or _is_our_shape(response):
        return response
    code, message = _CHALICE_REFUSALS.get(response.status_code, _CHALICE_REFUSALS[400])
    headers = {k: v for k, v in response.headers.items() if k.lower() != "content-type"}
    message = message.format(allow=headers.get("Allow", "une autre méthode"))
    return Response(body=json.dumps(error_body(code, message), ensure_ascii=False),
                    status_code=response.status_code, headers={**JSON_HEADERS, **headers})


def _body_too_large(request: Any) -> bool:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        return True
    return len(request.raw_body or b"") > MAX_BODY_BYTES


def http_middleware(request: Any, get_response: Callable[[Any], Response]) -> Response:
    request_id = request.context.get("requestId") or str(uuid.uuid4())
    route = request.context.get("resourcePath", "?")
    logger.set_correlation_id(request_id)
    started = time.perf_counter()
    with traced(f"## {request.method} {route}", route=route):
        if _body_too_large(request):
            response = error_response(PayloadTooLarge(
                "payload_too_large", "La requête est trop volumineuse : 1 Mio au maximum. Envoyez les documents par le formulaire de dépôt."))
        else:
            response = get_response(request)
        response = normalise_refusal(response)
    response.headers["X-Request-Id"] = request_id
    response.headers.setdefault("Access-Control-Allow-Origin", settings.web_origin())
    duration_ms = round((time.perf_counter() - started) * 1000, 1)
    logger.info("http request", extra={"method": request.method, "route": route,
                                        "status": response.status_code, "duration_ms": duration_ms})
    metrics.add_dimension(name="route", value=f"{request.method} {route}")
    metrics.add_metric(name="HttpRequests", unit=MetricUnit.Count, value=1)
    if response.status_code >= 400:
        metrics.add_metric(name="HttpRefusals" if response.status_code < 500 else "HttpErrors", unit=MetricUnit.Count, value=1)
    metrics.add_metric(name="HttpLatency", unit=MetricUnit.Milliseconds, value=duration_ms)
    _flush()
    return response


def event_middleware(event: Any, get_response: Callable[[Any], Any]) -> Any:
    """Every function but the API: SQS batches, stream records, schedules and the Cognito trigger.
    The correlation id is the first message's or record's id, the EventBridge event's id, or else
    Lambda's own request id."""
    raw = event.to_dict()
    records = raw.get("Records")
    first = (records or [{}])[0]
    correlation_id = (first.get("messageId") or first.get("eventID") or raw.get("id")
                      or getattr(event.context, "aws_request_id", "") or "")
    source = first.get("eventSource") or raw.get("source") or ("aws:cognito-idp" if "triggerSource" in raw else "lambda")
    handler = getattr(event.context, "function_name", "?")
    logger.set_correlation_id(correlation_id)
    started = time.perf_counter()
    with traced(f"## {handler}", event_source=source):
        result = get_response(event)
    failures = len((result or {}).get("batchItemFailures", [])) if isinstance(result, dict) else 0
    logger.info("event handled", extra={
        "handler": handler, "event_source": source, "records": len(records or []),
        "failures": failures, "duration_ms": round((time.perf_counter() - started) * 1000, 1)})
    metrics.add_dimension(name="handler", value=handler)
    metrics.add_metric(name="Invocations", unit=MetricUnit.Count, value=1)
    if records is not None:
        metrics.add_metric(name="RecordsProcessed", unit=MetricUnit.Count, value=len(records))
        metrics.add_metric(name="RecordsFailed", unit=MetricUnit.Count, value=failures)
    _flush()
    return result


class ObservedAuthorizer(ChaliceAuthorizer):
    """Chalice calls an authorizer without middleware (locally and on Lambda alike): the same
    correlation id, log line, metrics and subsegment as every other function, around its call."""

    def __call__(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        logger.set_correlation_id(getattr(context, "aws_request_id", "") or "")
        started = time.perf_counter()
        outcome = "refused"
        try:
            with traced(f"## {self.name}", event_source="aws:apigateway"):
                result = super().__call__(event, context)
            outcome = "allowed"
            return result
        finally:
            logger.info("authorizer answered", extra={
                "handler": self.name, "event_source": "aws:apigateway", "status": outcome,
                "duration_ms": round((time.perf_counter() - started) * 1000, 1)})
            metrics.add_dimension(name="handler", value=self.name)
            metrics.add_metric(name="Invocations", unit=MetricUnit.Count, value=1)
            metrics.add_metric(name="AuthorizerRefusals", unit=MetricUnit.Count, value=int(outcome == "refused"))
            _flush()


def observed_authorizer(authorizer: ChaliceAuthorizer) -> ChaliceAuthorizer:
    """Gives a registered authorizer the behaviour above (the object the routes and the app hold)."""
    authorizer.__class__ = ObservedAuthorizer
    return authorizer


def _flush() -> None:
    metrics.flush_metrics()
    metrics.clear_metrics()  # flush skips clearing when metrics are disabled (local stage)


def register(app: Chalice) -> None:
    app.register_middleware(http_middleware, "http")
    for event_type in ("sqs", "dynamodb", "scheduled", "pure_lambda"):
        app.register_middleware(event_middleware, event_type)
