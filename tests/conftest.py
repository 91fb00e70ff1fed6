"""Shared fixtures. The environment is set before anything imports the app: queue names in the
handlers' decorators are read at import time."""
from __future__ import annotations

import os

os.environ.update({
    "PERMIS_STAGE": "test",
    "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "eu-west-3", "AWS_REGION": "eu-west-3",
    "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
    "POWERTOOLS_TRACE_DISABLED": "true", "POWERTOOLS_METRICS_DISABLED": "true",
    "WEB_ORIGIN": "http://127.0.0.1:8001",
})
os.environ.pop("AWS_ENDPOINT_URL", None)
os.environ.pop("AWS_PROFILE", None)

import pytest  # noqa: E402
from moto import mock_aws  # noqa: E402

from chalicelib.adapters import wiring  # noqa: E402
from chalicelib.adapters.aws import _session as aws_session, reset_clients  # noqa: E402
from tests import moto_speed  # noqa: E402

moto_speed.install()  # before any test creates a session or a moto resource

# `make test` spreads the tests over workers by group (pytest-xdist, --dist loadgroup): each file is
# one group, run whole on one worker (its module fixtures made once), except these files, whose tests
# are long and share nothing but the worker's own stack: each of their tests goes where a worker is
# free.
SPREAD_FILES = ("tests/browser/test_every_page.py", "tests/browser/test_journeys.py")
# The longest work is handed out first (the workers take the groups in this order), so that no
# worker is left alone with a long file at the end: the templates' synthesis, the browser tests, the
# end-to-end ones, then the rest.
LONGEST_FIRST = ("tests/infra/", "tests/browser/", "tests/e2e/")
# The files that read the synthesised templates (tests/infra/conftest.py's `packaged`) are one group:
# on separate workers, all but the one that synthesises would wait for it, idle, at the start.
PACKAGED_GROUP = "tests/infra/ (synthesised templates)"


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the groups
def pytest_collection_modifyitems(items):
    def rank(item) -> int:
        path = item.nodeid.split("::")[0]
        return next((i for i, prefix in enumerate(LONGEST_FIRST) if path.startswith(prefix)), len(LONGEST_FIRST))

    items.sort(key=rank)  # stable: each file keeps its own order
    for item in items:
        path = item.nodeid.split("::")[0]
        if path not in SPREAD_FILES and item.get_closest_marker("xdist_group") is None:
            item.add_marker(pytest.mark.xdist_group(PACKAGED_GROUP if "packaged" in item.fixturenames else path))


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_protocol(item, nextitem):
    """A test's time limit (pytest.ini's, or its own mark) catches a test that hangs, not a slow
    machine: it is scaled to the load when the test starts (tests/patience.py), before pytest-timeout
    reads it."""
    from tests import patience

    marker = item.get_closest_marker("timeout")
    base = (marker.args[0] if marker.args else marker.kwargs.get("timeout")) if marker else item.config.getini("timeout")
    if base:
        item.add_marker(pytest.mark.timeout(patience.seconds(float(base))))
    yield


# The authorities whose instruction queues the tests provision: the test candidates live in the
# Hauts-de-Seine (92) or the Rhône (69); titles go to the CERT. All 102 take half a second to
# create, for every test; test_provision creates them all once.
TEST_AUTHORITIES = ("ddt-92", "ddt-69", "cert")


def moto_jwks(url: str) -> bytes:
    """The public keys moto signs its tokens with (moto serves them only in server mode)."""
    import gzip
    from pathlib import Path

    import moto.cognitoidp

    return gzip.decompress((Path(moto.cognitoidp.__file__).parent / "resources" / "jwks-public.json.gz").read_bytes())


def _refuse_every_code(oauth, code, code_verifier):
    from chalicelib.domain.errors import Unauthenticated

    raise Unauthenticated("franceconnect_code_invalid", "Cette connexion FranceConnect a expiré ou a déjà servi.")


@pytest.fixture
def aws(monkeypatch, tmp_path):
    """A fresh in-process moto with every catalogue resource; yields the provisioned environment."""
    from chalicelib.adapters.identity import CognitoOAuth
    from chalicelib.api import auth
    from chalicelib.auth.tokens import JwksCache, TokenVerifier, issuer_for
    from chalicelib.local import stack
    from chalicelib.local.provision import provision

    # The operator commands join a running `make run` stack through this file: never in tests.
    monkeypatch.setattr(stack, "STACK_ENV_FILE", tmp_path / "no-running-stack.json")

    with mock_aws():
        env = provision("test", os.environ["WEB_ORIGIN"], family_members=TEST_AUTHORITIES)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        wiring.reset()
        session = aws_session()  # the clients of the test before, still good (tests/moto_speed.py)
        verifier = TokenVerifier(JwksCache("moto", fetch=moto_jwks), issuer_for("eu-west-3", env["USER_POOL_USERS_ID"]),
                                 env["USER_POOL_USERS_CLIENT_ID"])
        monkeypatch.setattr(auth, "verifier", lambda: verifier)
        # In-process moto has no OAuth endpoints, and no sign-in gave out a code: the token endpoint
        # refuses every code, as Cognito does (tests/integration/test_franceconnect.py gives some).
        monkeypatch.setattr(CognitoOAuth, "exchange", _refuse_every_code)
        yield env
        if aws_session.cache_info().currsize == 0 or aws_session() is not session:
            reset_clients()  # the test made its own, hooked clients: never for the next test
        wiring.reset()


@pytest.fixture
def log_lines():
    """What the Powertools logger writes, read from its own handler (bound to stdout at import)."""
    import io
    import json

    from chalicelib.observability import logger

    handler = logger.registered_handler
    buffer = io.StringIO()
    previous = handler.setStream(buffer)

    def read():
        return [json.loads(line) for line in buffer.getvalue().splitlines() if line.startswith("{")]

    yield read
    handler.setStream(previous)


@pytest.fixture
def app():
    from app import app as chalice_app

    return chalice_app


@pytest.fixture
def http(app):
    """The API as the local stack serves it: chalice's local gateway plus API Gateway's own answers
    (unknown route, authorizer refusal) in our error shape."""
    from chalice.test import Client

    from chalicelib.local.api_server import EmulatedGateway

    with Client(app, stage_name="local") as client:
        client.http._local_gateway = EmulatedGateway(app, client.http._config)
        yield client.http


@pytest.fixture
def ephoto_operator(monkeypatch):
    """The ePhoto operator's local stand-in (chalicelib/local/ephoto_server.py) on a free port, as
    `make run` starts it; EPHOTO_API_URL points at it. `served` lists the paths it answered."""
    import threading

    from chalicelib.local.ephoto_server import build_ephoto_server

    server = build_ephoto_server("127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, name="ephoto", daemon=True).start()
    monkeypatch.setenv("EPHOTO_API_URL", server.url)
    yield server
    server.shutdown()
    server.server_close()
