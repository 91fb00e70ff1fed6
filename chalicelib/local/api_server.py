"""The local API: chalice local's own server (same config loading as `chalice local --stage
local`), plus what `chalice local` lacks: API Gateway's gateway responses, in our error shape,
for requests that never reach the function (unknown route, authorizer refusal)."""
from __future__ import annotations

import argparse
import json
import os
from http.server import BaseHTTPRequestHandler
from typing import Any

from chalice.cli.factory import CLIFactory
from chalice.local import (ChaliceRequestHandler, LocalChalice, LocalDevServer, LocalGateway, LocalGatewayException,
                           create_local_server)

from chalicelib.api.auth import Unauthorized
from chalicelib.api.errors import error_body
from chalicelib.api.gateway import gateway_response
from chalicelib.local.processes import exit_with_parent

PROJECT_DIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_GATEWAY_TYPE_BY_STATUS = {401: "UNAUTHORIZED", 403: "ACCESS_DENIED", 500: "DEFAULT_5XX"}


def gateway_error(gateway_type: str) -> dict[str, Any]:
    response = gateway_response(gateway_type)
    return {
        "statusCode": response.status,
        "headers": {"Content-Type": "application/json; charset=utf-8",
                    "Access-Control-Allow-Origin": os.environ.get("WEB_ORIGIN", "*")},
        "multiValueHeaders": {},
        "body": json.dumps(error_body(response.code, response.message), ensure_ascii=False),
    }


class EmulatedGateway(LocalGateway):
    def handle_request(self, method: str, path: str, headers: Any, body: bytes | None) -> Any:
        try:
            self.event_converter._route_matcher.match_route(path)
        except ValueError:
            return gateway_error("MISSING_AUTHENTICATION_TOKEN")
        try:
            return super().handle_request(method, path, headers, body)
        except LocalGatewayException as error:
            return gateway_error(_GATEWAY_TYPE_BY_STATUS.get(error.CODE, "DEFAULT_5XX"))
        except Unauthorized:  # the authorizer refused the token: API Gateway answers 401
            return gateway_error("UNAUTHORIZED")


class EmulatedGatewayHandler(ChaliceRequestHandler):
    # The handler writes the headers, then the body, in two sends: with Nagle's algorithm the body
    # waits for the client's delayed ACK of the headers, ~40 ms on every keep-alive response.
    disable_nagle_algorithm = True

    def __init__(self, request, client_address, server, app_object, config):
        # ChaliceRequestHandler handles the request inside __init__: set our gateway, then do the same.
        self.local_gateway = EmulatedGateway(app_object, config)
        BaseHTTPRequestHandler.__init__(self, request, client_address, server)

    def log_message(self, format: str, *args: Any) -> None:  # access logs would print paths with ids
        pass

    def __getattr__(self, name: str) -> Any:
        # http.server answers a method it has no do_<METHOD> for with its own 501 page; API Gateway
        # passes every method on to the route, which refuses the undeclared ones with our 405.
        if name.startswith("do_"):
            return self._generic_handle
        raise AttributeError(name)

    def _parse_payload(self) -> tuple[Any, bytes | None]:
        declared = self.headers.get("content-length", "0")
        if not declared.isdigit():  # unreadable length: no body, and no way to find the next request
            self.close_connection = True
            return dict(self.headers), None
        return super()._parse_payload()


def build_server(host: str, port: int, stage: str = "local") -> LocalDevServer:
    config = CLIFactory(project_dir=PROJECT_DIR).create_config_obj(chalice_stage_name=stage)
    app = config.chalice_app
    if not isinstance(app, LocalChalice):  # a second server in one process (the tests) reuses it
        server = create_local_server(app, config, host, 0)  # makes the app thread-safe (LocalChalice)
        server.server.server_close()
    return LocalDevServer(app, config, host, port, handler_cls=EmulatedGatewayHandler)


def main() -> None:
    parser = argparse.ArgumentParser(description="API locale de Permis en ligne")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--stage", default="local")
    args = parser.parse_args()
    exit_with_parent()
    build_server(args.host, args.port, args.stage).serve_forever()


if __name__ == "__main__":
    main()
