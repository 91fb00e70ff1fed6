"""GET /openapi.json, generated from the app's real routes and the pydantic models each route
declares (never written by hand). OpenAPI 3.1, whose schemas are JSON Schema 2020-12, which is
what pydantic emits."""
from __future__ import annotations

import dataclasses
import functools
import re
from typing import Any

from pydantic import BaseModel, Field
from pydantic.json_schema import models_json_schema

from chalicelib.api.health import VERSION
from chalicelib.api.auth import PUBLIC
from chalicelib.api.http import ROUTE_DOCS, Routes, route

blueprint = Routes(__name__)

_REASONS = {
    400: "Requête illisible (JSON invalide, en-têtes incohérents)",
    401: "Authentification requise",
    403: "Accès refusé",
    404: "Introuvable",
    409: "Conflit avec l'état actuel (modification concurrente)",
    413: "Corps de requête supérieur à 1 Mio",
    422: "Champs à corriger (voir details)",
    429: "Trop de requêtes",
    503: "Service momentanément indisponible : rien n'a été enregistré (voir l'en-tête Retry-After)",
}


class ErrorDetailBody(BaseModel):
    message: str
    field: str | None = Field(default=None, description="Chemin du champ concerné, en notation pointée.")
    code: str | None = None


class ErrorBody(BaseModel):
    code: str = Field(description="Code stable, pour les programmes.")
    message: str = Field(description="Phrase en français qui dit quoi corriger.")
    details: list[ErrorDetailBody] = []


class Health(BaseModel):
    status: str
    service: str
    stage: str
    version: str


# GET /health answers without pydantic (chalicelib.api.health): its response's model is documented here.
ROUTE_DOCS[("/health", "GET")] = dataclasses.replace(ROUTE_DOCS[("/health", "GET")], response_model=Health)


def _schema_ref(model: type[BaseModel], mode: str, names: dict) -> dict[str, Any]:
    return names[(model, mode)]


def build_spec(routes: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The OpenAPI document of `routes` (a Chalice app's `routes` mapping)."""
    keyed = [(ROUTE_DOCS.get((path, method)), path, method)
             for path, methods in sorted(routes.items()) for method in sorted(methods)]
    models: set[tuple[type[BaseModel], str]] = {(ErrorBody, "serialization")}
    for doc, _, _ in keyed:
        if doc and doc.request_model:
            models.add((doc.request_model, "validation"))
        if doc and doc.response_model:
            models.add((doc.response_model, "serialization"))
    names, definitions = models_json_schema(sorted(models, key=lambda m: (m[0].__name__, m[1])),
                                            ref_template="#/components/schemas/{model}")
    error_ref = {"$ref": _schema_ref(ErrorBody, "serialization", names)["$ref"]}
    paths: dict[str, dict[str, Any]] = {}
    for doc, path, method in keyed:
        operation: dict[str, Any] = {
            "operationId": f"{method.lower()}_{re.sub(r'[^a-zA-Z0-9]+', '_', path).strip('_') or 'root'}",
            "summary": doc.summary if doc else "",
            "tags": list(doc.tags) if doc else [],
            "responses": {},
        }
        if doc and doc.description:
            operation["description"] = doc.description
        if doc and doc.roles:
            operation["security"] = [{"jeton": []}]
            operation["x-roles"] = list(doc.roles)
        parameters = [{"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
                      for name in re.findall(r"{(\w+)}", path)]
        parameters += [{"name": name, "in": "query", "required": False, "schema": {"type": "string"}}
                       for name in (doc.query if doc else ())]
        if parameters:
            operation["parameters"] = parameters
        if doc and doc.request_model:
            operation["requestBody"] = {"required": True, "content": {"application/json": {
                "schema": {"$ref": _schema_ref(doc.request_model, "validation", names)["$ref"]}}}}
        success = {"description": "Succès"}
        if doc and doc.response_model:
            success["content"] = {"application/json": {
                "schema": {"$ref": _schema_ref(doc.response_model, "serialization", names)["$ref"]}}}
        elif doc:
            success["content"] = {"application/json": {"schema": {"type": "object"}}}
        operation["responses"][str(doc.success_status if doc else 200)] = success
        for status in (doc.error_codes if doc else ()):
            operation["responses"][str(status)] = {
                "description": _REASONS.get(status, "Refus"),
                "content": {"application/json": {"schema": error_ref}}}
        paths.setdefault(path, {})[method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {"title": "Permis en ligne", "version": VERSION,
                 "description": "API des démarches en ligne du permis de conduire."},
        "paths": paths,
        "components": {"schemas": definitions.get("$defs", {}), "securitySchemes": {"jeton": {
            "type": "http", "scheme": "bearer", "bearerFormat": "JWT",
            "description": "Jeton d'accès obtenu par POST /sessions (en-tête Authorization: Bearer ...)."}}},
    }


def undocumented_routes(routes: dict[str, dict[str, Any]]) -> list[str]:
    return [f"{method} {path}" for path, methods in routes.items() for method in methods
            if (path, method) not in ROUTE_DOCS]


@functools.cache
def _cached_spec(app_id: int) -> dict[str, Any]:
    return build_spec(blueprint.current_app.routes)


@route(blueprint, "/openapi.json", summary="Description OpenAPI 3.1 de l'API", tags=("plateforme",),
       roles=PUBLIC)
def openapi_document() -> dict[str, Any]:
    return _cached_spec(id(blueprint.current_app))
