"""GET /health: is the API up, which stage and version. No AWS call: it must stay cheap."""
from __future__ import annotations

from chalice import Blueprint
from pydantic import BaseModel

from chalicelib.api.auth import PUBLIC
from chalicelib.api.http import route
from chalicelib.resources import current_stage

VERSION = "0.1.0"

blueprint = Blueprint(__name__)


class Health(BaseModel):
    status: str
    service: str
    stage: str
    version: str


@route(blueprint, "/health", summary="État du service", tags=("plateforme",), response_model=Health,
       roles=PUBLIC)
def health() -> Health:
    return Health(status="ok", service="Permis en ligne", stage=current_stage(), version=VERSION)
