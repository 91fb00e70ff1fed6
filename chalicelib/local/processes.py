"""Helpers for the processes of the local stack: free ports, readiness, and children that exit
when the launcher that started them is gone (so nothing is left behind, even after a kill -9)."""
from __future__ import annotations

import io
import json
import os
import socket
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request


class PortTaken(Exception):
    pass


def ensure_free(host: str, port: int, what: str, variable: str) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((host, port))
        except OSError:
            raise PortTaken(
                f"Le port {port} ({what}) est déjà utilisé sur {host}. Arrêtez le programme qui l'occupe "
                f"ou choisissez un autre port, par exemple : make run {variable}={port + 100}") from None


def free_ports(count: int, host: str = "127.0.0.1") -> list[int]:
    """`count` distinct free ports (held together while chosen, so the system cannot repeat one)."""
    probes = [socket.socket(socket.AF_INET, socket.SOCK_STREAM) for _ in range(count)]
    try:
        for probe in probes:
            probe.bind((host, 0))
        return [probe.getsockname()[1] for probe in probes]
    finally:
        for probe in probes:
            probe.close()


def wait_http(url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except urllib.error.HTTPError:
            return  # it answered
        except OSError:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{url} did not answer within {timeout:.0f} s") from None
            time.sleep(0.1)


def exit_with_parent(poll_seconds: float = 1.0) -> None:
    """Exit this process as soon as its parent (the launcher) is gone."""
    parent = os.getppid()

    def watch() -> None:
        while True:
            time.sleep(poll_seconds)
            if os.getppid() != parent:
                os._exit(0)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def serialized(app, lock=None):
    """A WSGI app that handles one request at a time. moto applies a DynamoDB transaction item by
    item and undoes a refused one by restoring a deep copy of the table, stream included: a request
    served meanwhile (the pump reading the stream, the API reading an item) could see half a
    transaction, or read stream records that the undo then takes back and hands out again under
    the same sequence numbers, which the relay would skip. DynamoDB applies each transaction at
    once; serving moto's requests one by one gives the local stack the same guarantee.
    `lock` (a new one by default, exposed as `.lock`): what else works on moto's models in the
    process takes it too (the OAuth stand-ins, chalicelib/local/cognito_oauth.py)."""
    lock = lock if lock is not None else threading.Lock()

    def handle(environ, start_response):
        with lock:
            return list(app(environ, start_response))

    handle.lock = lock
    return handle


# The emails and SMS moto accepted, for the local mailbox and `cli.messages`: moto's own
# /moto-api/data.json serialises every model of every service (each table item, each queue), which
# takes seconds on a stack in use, during which the one-at-a-time server serves nobody else.
SENT_MESSAGES_PATH = "/permis-local/sent.json"


def sent_messages_state() -> dict:
    """The same shape as /moto-api/data.json for SES messages and SNS SMS, read from the backends."""
    from moto.ses.models import ses_backends
    from moto.sns.models import sns_backends

    emails = [{"id": getattr(m, "id", None), "source": getattr(m, "source", None),
               "subject": getattr(m, "subject", None), "body": getattr(m, "body", None),
               "destinations": getattr(m, "destinations", None)}
              for regions in ses_backends.values() for backend in regions.values() for m in backend.sent_messages]
    texts = [{"message_id": message_id, "phone_number": phone, "message": text}
             for regions in sns_backends.values() for backend in regions.values()
             for message_id, (phone, text) in backend.sms_messages.items()]
    return {"ses": {"Message": emails}, "sns": {"SMS": texts}}


def read_sent_messages(aws_url: str) -> dict:
    """The sent messages of the local stack's moto (its own endpoint; moto's slow full dump for a
    moto server of another kind, as tests start)."""
    base = aws_url.rstrip("/")
    try:
        with urllib.request.urlopen(base + SENT_MESSAGES_PATH, timeout=10) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as error:
        if error.code != 404:
            raise
    with urllib.request.urlopen(base + "/moto-api/data.json", timeout=30) as response:
        return json.loads(response.read())


def with_sent_messages(app):
    def handle(environ, start_response):
        if environ.get("PATH_INFO") != SENT_MESSAGES_PATH:
            return app(environ, start_response)
        body = json.dumps(sent_messages_state()).encode()
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]

    return handle


# What moto was asked to write, for the event pump: it sleeps until a source it reads may have work
# (the push Lambda's event source mappings get from SQS's long polling and the streams), instead of
# polling every queue and stream of an idle stack several times a second.
CHANGES_PATH = "/permis-local/changes"
_SQS_WRITES = {"SendMessage", "SendMessageBatch", "ChangeMessageVisibility", "ChangeMessageVisibilityBatch"}
_DYNAMODB_WRITES = {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"}
_WRITES = _SQS_WRITES | _DYNAMODB_WRITES


class ChangeFeed:
    """A counter of moto's writes and, per source ("queue:<name>", "table:<name>", "bucket:<name>"),
    the count at its last write: as many entries as queues, tables and buckets, whatever the traffic."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._generation = 0
        self._last_write: dict[str, int] = {}

    def record(self, sources: list[str]) -> None:
        with self._condition:
            self._generation += 1
            for source in sources:
                self._last_write[source] = self._generation
            self._condition.notify_all()

    def wait(self, after: int | None, timeout: float) -> tuple[int, list[str]]:
        """The count once it passes `after` (or `timeout` seconds), with the sources written since;
        at once, the current count and no source, when `after` is None."""
        with self._condition:
            if after is not None:
                self._condition.wait_for(lambda: self._generation > after, timeout)
                return self._generation, [s for s, g in self._last_write.items() if g > after]
            return self._generation, []


def written_sources(environ: dict, body: bytes) -> list[str]:
    """The sources a call to moto may give work to: the queue a message is sent to (or made visible
    again in), the tables an item is written to (their streams), the bucket an object is uploaded to
    (S3 notifies its queue from inside moto; path-style, as the local stack addresses S3). Nothing for
    a read, nor for the query-protocol calls (SES, SNS: nothing here subscribes a queue to them)."""
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    service, _, operation = target.rpartition(".")
    if not target:
        if environ.get("REQUEST_METHOD") not in ("PUT", "POST") or \
                environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded"):
            return []
        bucket = environ.get("PATH_INFO", "").lstrip("/").split("/", 1)[0]
        return ["bucket:" + bucket] if bucket else []
    if service.startswith("AmazonSQS") and operation in _SQS_WRITES:
        return ["queue:" + str(json.loads(body).get("QueueUrl", "")).rstrip("/").rsplit("/", 1)[-1]]
    if service.startswith("DynamoDB_") and operation in _DYNAMODB_WRITES:
        call = json.loads(body)
        tables = {call.get("TableName")} | set(call.get("RequestItems") or {})
        tables |= {spec.get("TableName") for item in call.get("TransactItems") or [] for spec in item.values()}
        return ["table:" + str(table) for table in tables if table]
    return []


def with_change_feed(app, feed: ChangeFeed):
    """Serves CHANGES_PATH (`?after=N&wait=S`: waits, outside moto's lock, for a write after N) and
    records each write once moto has applied it."""

    def handle(environ, start_response):
        if environ.get("PATH_INFO") == CHANGES_PATH:
            query = urllib.parse.parse_qs(environ.get("QUERY_STRING", ""))
            after = int(query["after"][0]) if "after" in query else None
            generation, sources = feed.wait(after, min(float(query.get("wait", ["10"])[0]), 30.0))
            body = json.dumps({"generation": generation, "sources": sources}).encode()
            start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
            return [body]
        body = b""
        if environ.get("HTTP_X_AMZ_TARGET", "").rpartition(".")[2] in _WRITES and environ.get("CONTENT_LENGTH"):
            body = environ["wsgi.input"].read(int(environ["CONTENT_LENGTH"]))
            environ["wsgi.input"] = io.BytesIO(body)  # moto reads it again
        try:
            sources = written_sources(environ, body)
        except ValueError:  # a write's body that is not JSON: moto answers it; the pump's poll finds any work
            sources = []
        answer = list(app(environ, start_response))
        if sources:
            feed.record(sources)
        return answer

    return handle


def run_moto_server() -> None:
    """Entry point of the moto child: `python -m chalicelib.local.processes HOST PORT` (moto's own
    server, with its requests served one at a time: see `serialized`; plus the user pool domain's
    OAuth endpoints and the FranceConnect stand-in: chalicelib/local/cognito_oauth.py)."""
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
    from werkzeug.serving import run_simple

    exit_with_parent()
    from chalicelib.local import cognito_oauth, moto_speedups

    moto_speedups.install()  # transactions roll back what they touched, not a copy of the whole table
    cognito_oauth.install()  # AdminLinkProviderForUser, federated users
    host, port = sys.argv[1], sys.argv[2]
    os.environ.setdefault("MOTO_PORT", port)  # what moto's server sets: used in the URLs it builds
    app = DomainDispatcherApplication(create_backend_app)
    app.debug = True  # type: ignore[attr-defined]  (as moto's server: errors answered, not raised)
    moto = serialized(with_sent_messages(app))

    class NoDelayMotoRequestHandler(MotoRequestHandler):
        # Headers and body go out in separate sends: without this, a keep-alive client's delayed
        # ACK can hold the body back (Nagle), as it did for the local API.
        disable_nagle_algorithm = True

        def log_request(self, code="-", size="-"):
            # One line per call cost moto's server about a third of its time (the pump polls
            # constantly): moto.log keeps the refusals and errors.
            if str(getattr(code, "value", code)).isdigit() and int(getattr(code, "value", code)) < 400:
                return
            super().log_request(code, size)

    # Cognito's /oauth2/ endpoints and the FranceConnect stand-in, on moto's port but outside its
    # lock (the Cognito side calls the FranceConnect side over HTTP); they take it for moto's models.
    run_simple(host, int(port), with_change_feed(cognito_oauth.local_identity_app(moto, moto.lock), ChangeFeed()),
               threaded=True, request_handler=NoDelayMotoRequestHandler)


if __name__ == "__main__":
    run_moto_server()
