"""The API registers its routes from chalicelib/api/route_index.py and imports a route module on its
route's first call (issue 22): the index must say what the modules declare, and a cold API function
must answer GET /health without loading the models."""
import json
import subprocess
import sys
from pathlib import Path

from chalicelib.api import routing

PROJECT_DIR = Path(__file__).resolve().parents[2]


def test_the_index_is_what_the_route_modules_declare():
    assert routing.INDEX_PATH.read_text(encoding="utf-8") == routing.index_source(), \
        "chalicelib/api/route_index.py is stale: run `python -m chalicelib.api.routing`"


def test_every_declared_route_is_registered_on_the_app_as_declared(app):
    from chalicelib.api import auth
    from chalicelib.api.http import ROUTE_DOCS

    registered = {(path, method): entry for path, methods in app.routes.items() for method, entry in methods.items()}
    assert set(registered) == set(ROUTE_DOCS)
    for key, doc in ROUTE_DOCS.items():
        assert (registered[key].authorizer is auth.jwt_authorizer) == bool(doc.roles), key


def test_a_cold_api_function_answers_health_without_pydantic_or_a_route_module():
    script = """
import json, sys
sys.path.insert(0, "bench")
from lambda_shapes import LambdaContext, api_gateway_event
from app import app
response = app(api_gateway_event("GET", "/health"), LambdaContext())
print(json.dumps({"status": response["statusCode"], "body": response["body"],
                  "loaded": sorted(m for m in sys.modules if m.split(".")[0] == "pydantic"
                                   or m.startswith(("chalicelib.api.", "chalicelib.domain.accounts")))}))
"""
    out = subprocess.run([sys.executable, "-c", script], cwd=PROJECT_DIR, capture_output=True, text=True,
                         check=True).stdout.strip().splitlines()[-1]
    result = json.loads(out)
    assert result["status"] == 200
    assert json.loads(result["body"])["status"] == "ok"
    route_modules = set(routing.ROUTE_MODULES) - {"chalicelib.api.health"}
    assert not [m for m in result["loaded"] if m.split(".")[0] == "pydantic" or m in route_modules
                or m == "chalicelib.domain.accounts"]
