"""Every route registered on the app at import, each route module imported on its route's first call.

Importing the route modules (their ~150 pydantic models, pydantic itself) cost a cold API function
most of its start-up before its first answer (issue 22). So the app registers, from the index
chalicelib/api/route_index.py (paths, methods, views' names and docstrings, written by this module
and checked by tests/unit/test_route_index.py), a view per route that imports the route's module
when first called and hands the request to the handler `http.route` declared there. The routes,
their authorizer, CORS and content types, and so the deployed API Gateway, are those the modules
declare.

After changing a route (path, method, roles, view name or docstring), or adding a route module:
    python -m chalicelib.api.routing  # rewrites chalicelib/api/route_index.py
"""
from __future__ import annotations

import functools
import importlib
import inspect
import sys
from pathlib import Path
from typing import Any, Callable

from chalice import Chalice, Response

from chalicelib.api import http
from chalicelib.api.route_index import ROUTES
from chalicelib.resources import runs_deployed

# The route modules, in the order their routes are registered (the order of the API's paths in the
# packaged template). Local-only ones (the demo resource, on moto only) are registered outside the
# deployed stages.
ROUTE_MODULES = (
    "chalicelib.api.health", "chalicelib.api.openapi", "chalicelib.api.accounts", "chalicelib.api.sessions",
    "chalicelib.api.franceconnect", "chalicelib.api.me", "chalicelib.api.school", "chalicelib.api.requests",
    "chalicelib.api.staff", "chalicelib.api.messages", "chalicelib.api.exams", "chalicelib.api.tracking",
    "chalicelib.api.verification", "chalicelib.api.alerts", "chalicelib.api.licence", "chalicelib.api.support",
    "chalicelib.api.mediation", "chalicelib.api.appointments", "chalicelib.api.statistics",
)
LOCAL_ONLY_MODULES = ("chalicelib.api.demo",)
INDEX_PATH = Path(__file__).with_name("route_index.py")


_REGISTERED: list[tuple[str, ...]] = []  # the route modules of the app registered (once per process)


def route_modules() -> tuple[str, ...]:
    """The route modules of the app's routes: those of its stage when it was registered (a test
    client may switch the stage's variables afterwards), or of this stage before that."""
    if _REGISTERED:
        return _REGISTERED[-1]
    return ROUTE_MODULES if runs_deployed() else ROUTE_MODULES + LOCAL_ONLY_MODULES


@functools.cache
def _handler(module: str, path: str, method: str) -> Callable[..., Response]:
    importlib.import_module(module)
    return http.HANDLERS[(path, method)]


def _view(module: str, path: str, method: str, name: str, doc: str | None) -> Callable[..., Response]:
    def view(**path_params: str) -> Response:
        return _handler(module, path, method)(**path_params)

    # As the module's own view: Chalice names the route after it and documents it with its docstring.
    view.__name__ = view.__qualname__ = name
    view.__module__ = module
    view.__doc__ = doc
    return view


def register(app: Chalice) -> None:
    """Every route of this stage on `app`, the authorizer's blueprint already registered."""
    from chalicelib.api import auth

    http.bind(app)
    _REGISTERED.append(ROUTE_MODULES if runs_deployed() else ROUTE_MODULES + LOCAL_ONLY_MODULES)
    modules = set(route_modules())
    for module, path, method, name, protected, doc in ROUTES:
        if module not in modules:
            continue
        options: dict[str, Any] = {"authorizer": auth.jwt_authorizer} if protected else {}
        app.route(path, methods=[method], cors=http.cors_config(), content_types=["application/json"],
                  name=name, **options)(_view(module, path, method, name, doc))


def index_rows() -> list[tuple[str, str, str, str, bool, str | None]]:
    """The index, from the route modules themselves (all imported)."""
    for module in ROUTE_MODULES + LOCAL_ONLY_MODULES:
        importlib.import_module(module)
    order = {module: rank for rank, module in enumerate(ROUTE_MODULES + LOCAL_ONLY_MODULES)}
    rows = []
    for (path, method), handler in http.HANDLERS.items():
        view = inspect.unwrap(handler)
        if view.__module__ not in order:
            raise ValueError(f"{method} {path} is declared in {view.__module__}, not a route module of "
                             "chalicelib.api.routing (add it to ROUTE_MODULES)")
        doc = http.ROUTE_DOCS[(path, method)]
        rows.append((view.__module__, path, method, view.__name__, bool(doc.roles), handler.__doc__))
    # Stable: within a module, the routes in the order the module declares them.
    return sorted(rows, key=lambda row: order[row[0]])


def index_source() -> str:
    lines = ['"""Every route of the API and the module that declares it. Written by `python -m',
             'chalicelib.api.routing` from the route modules; do not edit by hand (see chalicelib/api/routing.py)."""',
             "", "# (module, path, method, view name, behind the authorizer, view docstring)", "ROUTES = ("]
    lines += [f"    {row!r}," for row in index_rows()]
    lines += [")", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    INDEX_PATH.write_text(index_source(), encoding="utf-8")
    print(f"wrote {INDEX_PATH} ({len(index_rows())} routes)", file=sys.stderr)
