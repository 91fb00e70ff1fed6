"""GET /health: is the API up, which stage and version. No AWS call: it must stay cheap.

No pydantic either: a cold API function answers it without loading any model (the response's model,
for the OpenAPI document, is declared in chalicelib.api.openapi)."""
from __future__ import annotations

import json

from chalice import Response

from chalicelib.api.auth import PUBLIC
from chalicelib.api.errors import JSON_HEADERS
from chalicelib.api.http import Routes, route
from chalicelib.resources import current_stage

VERSION = "0.1.0"

blueprint = Routes(__name__)


@route(blueprint, "/health", summary="État du service", tags=("plateforme",), roles=PUBLIC)
def health() -> Response:
    # The bytes the response model would write (compact JSON, fields in its order).
    body = {"status": "ok", "service": "Permis en ligne", "stage": current_stage(), "version": VERSION}
    return Response(body=json.dumps(body, ensure_ascii=False, separators=(",", ":")), status_code=200,
                    headers=dict(JSON_HEADERS))
