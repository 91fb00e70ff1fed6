"""Route declaration for the route modules: parses and validates the body with pydantic, calls the
view, serialises the response model, maps domain errors, and records what the route accepts and
returns so `GET /openapi.json` is generated from the code itself.

A route module is imported when one of its routes is first called (chalicelib.api.routing registers
every route on the app from chalicelib/api/route_index.py): a cold function builds only the models
of the request it serves. ROUTE_DOCS loads every route module when it is read as a whole."""
from __future__ import annotations

import functools
import importlib
import inspect
import json
import threading
from collections.abc import Iterator, MutableMapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

from chalice import Chalice, CORSConfig, Response

from chalicelib import settings
from chalicelib.adapters import wiring
from chalicelib.api import auth
from chalicelib.api.errors import JSON_HEADERS, error_response, validation_failed
from chalicelib.api.json_body import read_json
from chalicelib.domain.errors import DomainError, InvalidInput
from chalicelib.observability import logger

if TYPE_CHECKING:  # pydantic is imported by the route modules, not on the path of every function
    from pydantic import BaseModel


@dataclass(frozen=True)
class RouteDoc:
    path: str
    method: str
    summary: str
    tags: tuple[str, ...]
    request_model: type[BaseModel] | None
    response_model: type[BaseModel] | None
    success_status: int
    error_codes: tuple[int, ...]
    description: str = ""
    rate_limit: str = "standard"
    roles: tuple[str, ...] = ()  # () : anonymous
    mfa_exempt: bool = False
    query: tuple[str, ...] = ()  # the query parameters the view reads (all optional strings)


# API Gateway throttling classes; infra/stages.py gives each its requests per second per stage.
# "public": anonymous routes a robot would hammer (tracking, sign-up): tighter than the rest.
RATE_LIMITS = ("standard", "public")


class Routes:
    """What a route module declares its routes on (`blueprint = Routes(__name__)`): the request being
    served and the app come from the app the routes are registered on (chalicelib.api.routing)."""

    def __init__(self, module: str) -> None:
        self.module = module

    @property
    def current_app(self) -> Chalice:
        if _BOUND_APP is None:
            raise RuntimeError("routes are not registered on an app yet (chalicelib.api.routing.register)")
        return _BOUND_APP

    @property
    def current_request(self) -> Any:
        return self.current_app.current_request


_BOUND_APP: Chalice | None = None


def bind(app: Chalice) -> None:
    global _BOUND_APP
    _BOUND_APP = app


class _RouteDocs(MutableMapping):
    """The docs of every route. Read as a whole (iteration, length, a route not declared yet), it
    first imports every route module; a route module reading its own doc does not."""

    def __init__(self) -> None:
        self._docs: dict[tuple[str, str], RouteDoc] = {}
        self._loaded = False
        # Another thread of the local server waits for the whole; this one may re-enter (a route
        # module imported below reading its own doc).
        self._lock = threading.RLock()

    def _all(self) -> dict[tuple[str, str], RouteDoc]:
        with self._lock:
            if not self._loaded:
                self._loaded = True
                from chalicelib.api.routing import route_modules

                for module in route_modules():
                    importlib.import_module(module)
        return self._docs

    def __getitem__(self, key: tuple[str, str]) -> RouteDoc:
        return self._docs[key] if key in self._docs else self._all()[key]

    def __setitem__(self, key: tuple[str, str], doc: RouteDoc) -> None:
        self._docs[key] = doc

    def __delitem__(self, key: tuple[str, str]) -> None:
        del self._docs[key]

    def __contains__(self, key: object) -> bool:
        return key in self._docs or key in self._all()

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())


ROUTE_DOCS: MutableMapping[tuple[str, str], RouteDoc] = _RouteDocs()
# The handler of each declared route, called by the view chalicelib.api.routing registered for it.
HANDLERS: dict[tuple[str, str], Callable[..., Response]] = {}

# Every route may answer these: malformed input, oversize body, an unknown query parameter (422);
# the rest are per route.
COMMON_ERRORS = (400, 413, 422)


def cors_config() -> CORSConfig:
    return CORSConfig(
        allow_origin=settings.web_origin(),
        allow_headers=["Content-Type", "Authorization", "Idempotency-Key"],
        expose_headers=["X-Request-Id", "Content-Disposition"],  # the CSV export names its file
        max_age=600,
    )


def parse_body(raw: bytes | None, model: type[BaseModel]) -> BaseModel:
    """The body read strictly (json_body.read_json), then validated by the model in pydantic's strict
    JSON mode: a date is an ISO string (never a number of seconds), a boolean true or false, a
    number a number."""
    from pydantic import ValidationError

    data: Any = read_json(raw) if raw else {}
    if not isinstance(data, dict):
        raise InvalidInput("validation_failed", "Le corps de la requête doit être un objet JSON ({...}).")
    try:
        return model.model_validate_json(json.dumps(data, ensure_ascii=False), strict=True)
    except ValidationError as exc:
        raise validation_failed(exc) from None


def check_query(params: dict[str, str] | None, accepted: tuple[str, ...]) -> None:
    """A query parameter the route does not read is refused, as an unknown body field is: a typo
    ("limite") would otherwise be silently ignored."""
    unknown = sorted(set(params or {}) - set(accepted))
    if unknown:
        shown = ", ".join(f"« {name[:40]} »" for name in unknown[:3])
        allowed = ", ".join(accepted) if accepted else "aucun"
        raise InvalidInput("unknown_parameter", f"Paramètre inconnu dans l'adresse : {shown}. Paramètres acceptés : "
                                                f"{allowed}.")


def json_response(payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    if hasattr(payload, "model_dump_json"):  # a pydantic model (not imported here: see the module's doc)
        body = payload.model_dump_json()
    else:
        body = json.dumps(payload, ensure_ascii=False)
    return Response(body=body, status_code=status, headers={**JSON_HEADERS, **(headers or {})})


def route(
    blueprint: Routes,
    path: str,
    *,
    method: str = "GET",
    summary: str,
    tags: tuple[str, ...],
    request_model: type[BaseModel] | None = None,
    response_model: type[BaseModel] | None = None,
    status: int = 200,
    errors: tuple[int, ...] = (),
    roles: tuple[str, ...],
    description: str = "",
    rate_limit: str = "standard",
    mfa_exempt: bool = False,
    query: tuple[str, ...] = (),
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare one route. The view receives path parameters, plus `body` when a request model is
    given, and returns a response model instance (or a chalice Response). `rate_limit` is one of
    RATE_LIMITS: the API Gateway throttling class of the route.

    `roles` is mandatory: PUBLIC (anonymous) or the roles that may call the route. A protected
    route goes through the JWT authorizer, then the caller's profile is loaded and checked (active,
    not signed out, role, staff MFA unless `mfa_exempt`); a view that declares a `caller`
    parameter receives that profile, one that declares `access_token` receives the raw token."""
    if rate_limit not in RATE_LIMITS:
        raise ValueError(f"rate_limit must be one of {RATE_LIMITS}, not {rate_limit!r}")

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        wants = inspect.signature(view).parameters

        @functools.wraps(view)
        def handler(**path_params: str) -> Response:
            audit: dict[str, Any] = {}  # who tried what, for the log of a refusal (opaque ids only)
            try:
                kwargs: dict[str, Any] = dict(path_params)
                if "request_id" in path_params:
                    audit["request_id"] = path_params["request_id"]
                if roles == auth.FRANCECONNECT_NEWCOMER:
                    kwargs["newcomer"] = auth.newcomer(blueprint.current_request.context)
                elif roles:
                    request = blueprint.current_request
                    profile = auth.caller(request.context, wiring.accounts_repository().get_profile)
                    audit["account_id"] = profile.account_id
                    auth.check_role(profile, roles, mfa_exempt)
                    if "caller" in wants:
                        kwargs["caller"] = profile
                    if "access_token" in wants:
                        kwargs["access_token"] = auth.bearer_token(request.headers.get("authorization"))
                check_query(blueprint.current_request.query_params, query)
                if request_model is not None:
                    kwargs["body"] = parse_body(blueprint.current_request.raw_body, request_model)
                result = view(**kwargs)
            except DomainError as error:
                logger.info("request refused", extra={"error_code": error.code, **audit})
                return error_response(error)
            if isinstance(result, Response):
                return result
            return json_response(result, status)

        # Registered on the app by chalicelib.api.routing (its index says which module to import).
        HANDLERS[(path, method)] = handler
        ROUTE_DOCS[(path, method)] = RouteDoc(
            path=path, method=method, summary=summary, tags=tags, request_model=request_model,
            response_model=response_model, success_status=status,
            error_codes=tuple(sorted(set(COMMON_ERRORS + errors + ((401, 403) if roles else ())))),
            description=description, rate_limit=rate_limit, roles=tuple(roles), mfa_exempt=mfa_exempt,
            query=tuple(query),
        )
        return view

    return decorator
