"""AWS calls made by each operation of the app, counted under moto (in-process).

Every boto3/botocore client created in this process gets a handler on botocore's `before-call`
event, which fires once per API operation (retries are not counted again). Counting is switched
on only around each operation, so provisioning and the benchmark's own reads (stream records,
queue messages) are excluded.

Run alone: `.venv/bin/python bench/aws_calls.py [--json OUT]`. bench/run.py runs it in a
subprocess, because it sets the environment, patches botocore and imports the app."""
from __future__ import annotations

import argparse
import json
import os
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BENCH_DIR.parent
REGION = "eu-west-3"
WEB_ORIGIN = "http://127.0.0.1:8001"

# The fewest AWS calls each operation can make, and which ones. More is reported as over target.
MINIMUM_CALLS: dict[str, tuple[str, ...]] = {
    "GET /health": (),
    "POST /demo/messages": ("dynamodb.TransactWriteItems",),
    "GET /demo/messages/{message_id}": ("dynamodb.GetItem",),
    "GET /openapi.json": (),
    "relay_outbox (1 outbox INSERT)": ("sqs.SendMessage",),
    "process_demo_messages (1 message)": ("dynamodb.GetItem", "dynamodb.PutItem"),
    "staff_mfa_gate (candidate's token)": (),
    "staff_mfa_gate (agent's token)": ("cognito-identity-provider.AdminGetUser",),
    # Accounts. Sign-up: the proof of work marked used, the agrément and the email checked (clear
    # refusals before any user is created), the Cognito user and its group, one transaction.
    "POST /accounts/schools": ("dynamodb.PutItem", "dynamodb.GetItem", "dynamodb.GetItem",
                               "cognito-identity-provider.AdminCreateUser",
                               "cognito-identity-provider.AdminAddUserToGroup", "dynamodb.TransactWriteItems"),
    # Activation signs a candidate, a school or a mediator in (issue 17: the password is typed
    # once): the sign-in the person no longer makes themselves.
    "POST /accounts/activation": ("dynamodb.GetItem", "dynamodb.GetItem",
                                  "cognito-identity-provider.AdminSetUserPassword", "dynamodb.TransactWriteItems",
                                  "cognito-identity-provider.InitiateAuth"),
    "POST /sessions": ("cognito-identity-provider.InitiateAuth",),
    # Token check: the authorizer verifies against the cached JWKS (no call); the route reads the
    # caller's profile once (disabled, removed and signed-out accounts are refused at once).
    "jwt_authorizer (JWKS cached)": (),
    "GET /me": ("dynamodb.GetItem",),
    # Requests (every signed-in route reads the caller's profile first): one write per change,
    # one query per listing page.
    # Creating a request also reads the school once, to copy its name on the request (lists,
    # emails and receipts then need no read of their own).
    "POST /requests": ("dynamodb.GetItem", "dynamodb.GetItem", "dynamodb.PutItem"),
    "PUT /requests/{request_id}/steps/{step}": ("dynamodb.GetItem", "dynamodb.GetItem", "dynamodb.PutItem"),
    "GET /requests (one page)": ("dynamodb.GetItem", "dynamodb.Query"),
    # Submission: caller, Idempotency-Key, request, its documents; one transaction for the status,
    # the history, the events, the key, the ePhoto code and the documents read.
    "POST /requests/{request_id}/submission (paper mandate)": (
        "dynamodb.GetItem", "dynamodb.GetItem", "dynamodb.GetItem", "dynamodb.Query", "dynamodb.TransactWriteItems"),
    # Without mandate, for a candidate with no account: the email looked up, the Cognito user and
    # its group; the account itself is in the same transaction.
    "POST /requests/{request_id}/submission (new candidate)": (
        "dynamodb.GetItem", "dynamodb.GetItem", "dynamodb.GetItem", "dynamodb.Query", "dynamodb.GetItem",
        "cognito-identity-provider.AdminCreateUser", "cognito-identity-provider.AdminAddUserToGroup",
        "dynamodb.TransactWriteItems"),
    "POST /requests/{request_id}/validation": (
        "dynamodb.GetItem", "dynamodb.GetItem", "dynamodb.Query", "dynamodb.TransactWriteItems"),
    # Instruction. The relay sends a request ready for instruction to its authority's queue.
    "relay_outbox (ready for instruction)": ("sqs.SendMessage",),
    # A claim: the caller; the returns queue (empty here), then the queue (the lease); the request;
    # the claim record; the read recorded; what the agent sees: documents, ePhoto code's owner,
    # an existing NEPH for this identity, the history.
    "POST /staff/claims": ("dynamodb.GetItem", "sqs.ReceiveMessage", "sqs.ReceiveMessage", "dynamodb.GetItem",
                           "dynamodb.PutItem", "dynamodb.PutItem", "dynamodb.Query", "dynamodb.GetItem",
                           "dynamodb.GetItem", "dynamodb.Query"),
    # A decision (a registration validated, a new NEPH): the caller, the request, the claim, the
    # person's NEPH read; the month's holes looked up (a Query, usually empty) and, with none, the
    # next order taken by an atomic increment (never refused, whoever decides at the same time);
    # ONE transaction; ONE queue delete.
    "POST /staff/requests/{request_id}/decision (validate)": (
        "dynamodb.GetItem", "dynamodb.GetItem", "dynamodb.GetItem", "dynamodb.GetItem", "dynamodb.Query",
        "dynamodb.UpdateItem", "dynamodb.TransactWriteItems", "sqs.DeleteMessage"),
    # The attestation: the request, an attestation already made (its signature is reused), the
    # public key (once per container: the kid), the signature, the exam results of the verso (a
    # validation's event delivered again after results must not print them away), the PDF, its record.
    "make_attestations (1 validation)": ("dynamodb.GetItem", "dynamodb.GetItem", "kms.GetPublicKey", "kms.Sign",
                                         "dynamodb.Query", "s3.PutObject", "dynamodb.PutItem"),
    # Exams: the caller, the NEPH's registrations, each registration, its results; ONE transaction
    # (for a favourable practical it also holds the CEPC, the production request and its document).
    "POST /staff/exams/results (favourable practical)": (
        "dynamodb.GetItem", "dynamodb.Query", "dynamodb.GetItem", "dynamodb.Query", "dynamodb.TransactWriteItems"),
    # Public tracking: the proof of work marked used, then ONE read of the request (a projection of
    # its status: nothing personal is read).
    "POST /suivi": ("dynamodb.PutItem", "dynamodb.GetItem"),
    # Verification with the public key cached in the container: no call.
    "POST /verification (key cached)": (),
    # A partner's signed event, its key cached in the container: the licence read, then ONE
    # transaction (the request, its history row, LICENCE_MOVED, the event id on condition it is new).
    "POST /partenaires/evenements (key cached)": ("dynamodb.GetItem", "dynamodb.TransactWriteItems"),
    # A notification (the validation above, no alert subscriber): the request, the candidate's and the
    # filer's profiles, the subscriptions; per recipient its sent marker read, the email, the marker put.
    "notification (validation: candidate and school)": (
        "dynamodb.GetItem", "dynamodb.GetItem", "dynamodb.GetItem", "dynamodb.Query",
        "dynamodb.GetItem", "ses.SendEmail", "dynamodb.PutItem", "dynamodb.GetItem", "ses.SendEmail",
        "dynamodb.PutItem"),
    # Support desk: the caller, the school (its département and name), ONE transaction (the ticket
    # and its event); anonymous: the proof of work marked used, ONE transaction. Listings: one
    # query; the answer: the caller, the ticket, ONE transaction; the promise's job: one query,
    # then per ticket past its week a read and ONE transaction.
    "POST /support/tickets": ("dynamodb.GetItem", "dynamodb.GetItem", "dynamodb.TransactWriteItems"),
    "POST /support/contact": ("dynamodb.PutItem", "dynamodb.TransactWriteItems"),
    "GET /support/tickets": ("dynamodb.GetItem", "dynamodb.Query"),
    "GET /support/tickets/{ticket_id}": ("dynamodb.GetItem", "dynamodb.GetItem"),
    "GET /staff/support": ("dynamodb.GetItem", "dynamodb.Query"),
    "GET /staff/support/{ticket_id}": ("dynamodb.GetItem", "dynamodb.GetItem"),
    "POST /staff/support/{ticket_id}/answer": ("dynamodb.GetItem", "dynamodb.GetItem", "dynamodb.TransactWriteItems"),
    "breach_support_promises (1 ticket past its week)": ("dynamodb.Query", "dynamodb.GetItem",
                                                         "dynamodb.TransactWriteItems"),
    # A mediator's letters to post: the caller, then ONE query of their letters.
    "GET /mediation/letters": ("dynamodb.GetItem", "dynamodb.Query"),
    # Appointments (issue 9). Every route reads the caller's profile first. A school's routes read
    # its school and its agrément (the département of the prefecture that gave it).
    "POST /staff/appointments/slots": ("dynamodb.GetItem", "dynamodb.PutItem"),
    "GET /staff/appointments/slots": ("dynamodb.GetItem", "dynamodb.Query"),
    "DELETE /staff/appointments/slots/{slot_id}": ("dynamodb.GetItem", "dynamodb.GetItem", "dynamodb.DeleteItem"),
    "GET /appointments/slots": ("dynamodb.GetItem", "dynamodb.GetItem", "dynamodb.GetItem", "dynamodb.Query"),
    # The request and the slot read, then ONE transaction (place counted on condition, booking, the
    # request's current appointment, the confirmation's event).
    "POST /appointments/bookings": ("dynamodb.GetItem", "dynamodb.GetItem", "dynamodb.GetItem", "dynamodb.GetItem",
                                    "dynamodb.GetItem", "dynamodb.TransactWriteItems"),
    "GET /appointments/bookings (one booking)": ("dynamodb.GetItem", "dynamodb.Query", "dynamodb.GetItem"),
    # The booking and its slot (the event carries the place), then ONE transaction.
    "DELETE /appointments/bookings/{booking_id}": ("dynamodb.GetItem", "dynamodb.GetItem", "dynamodb.GetItem",
                                                   "dynamodb.TransactWriteItems"),
    # The day's slots, each slot's bookings, each booking's request.
    "GET /staff/appointments (one slot, one booking)": ("dynamodb.GetItem", "dynamodb.Query", "dynamodb.Query",
                                                        "dynamodb.GetItem"),
    # The due bookings (sparse index), the booking and its slot, ONE transaction (mark and event).
    "remind_appointments (1 due)": ("dynamodb.Query", "dynamodb.GetItem", "dynamodb.GetItem",
                                    "dynamodb.TransactWriteItems"),
    # Statistics (issue 9): a school's submission counted: the school's count read, then ONE
    # transaction (the event's marker, the filing's, the school's count, the day's and month's counters).
    "count_statistics (1 school submission)": ("dynamodb.GetItem", "dynamodb.TransactWriteItems"),
    # The figures of a département: the caller; its months and days, the national months and month
    # to date (the national opening rate), the registry's loads: five Queries, never a scan.
    "GET /statistics (département)": ("dynamodb.GetItem", "dynamodb.Query", "dynamodb.Query", "dynamodb.Query",
                                      "dynamodb.Query", "dynamodb.Query"),
    "GET /statistics/export (département)": ("dynamodb.GetItem", "dynamodb.Query", "dynamodb.Query",
                                             "dynamodb.Query", "dynamodb.Query", "dynamodb.Query"),
}
# What this benchmark drives, to list anything the app has that it does not measure.
MEASURED_ROUTES = {("/health", "GET"), ("/demo/messages", "POST"), ("/demo/messages/{message_id}", "GET"),
                   ("/accounts/schools", "POST"), ("/accounts/activation", "POST"), ("/sessions", "POST"),
                   ("/me", "GET"), ("/requests", "POST"), ("/requests/{request_id}/steps/{step}", "PUT"),
                   ("/requests", "GET"), ("/requests/{request_id}/submission", "POST"),
                   ("/requests/{request_id}/validation", "POST"), ("/staff/claims", "POST"),
                   ("/staff/requests/{request_id}/decision", "POST"), ("/verification", "POST"),
                   ("/staff/exams/results", "POST"), ("/suivi", "POST"),
                   ("/openapi.json", "GET"), ("/partenaires/evenements", "POST"),
                   ("/support/tickets", "POST"), ("/support/contact", "POST"), ("/support/tickets", "GET"),
                   ("/support/tickets/{ticket_id}", "GET"), ("/staff/support", "GET"),
                   ("/staff/support/{ticket_id}", "GET"), ("/staff/support/{ticket_id}/answer", "POST"),
                   ("/mediation/letters", "GET")}
MEASURED_ROUTES |= {("/staff/appointments/slots", "POST"), ("/staff/appointments/slots", "GET"),
                    ("/staff/appointments/slots/{slot_id}", "DELETE"), ("/appointments/slots", "GET"),
                    ("/appointments/bookings", "POST"), ("/appointments/bookings", "GET"),
                    ("/appointments/bookings/{booking_id}", "DELETE"), ("/staff/appointments", "GET")}
MEASURED_HANDLERS = {"relay_outbox", "process_demo_messages", "staff_mfa_gate", "jwt_authorizer",
                     "make_attestations", "send_notifications", "breach_support_promises"}
MEASURED_HANDLERS |= {"remind_appointments"}
MEASURED_ROUTES |= {("/statistics", "GET"), ("/statistics/export", "GET")}
MEASURED_HANDLERS |= {"count_statistics"}


def _set_environment() -> None:
    """Dummy credentials and the local stage, before boto3 or the app are imported."""
    for variable in [v for v in os.environ if v.startswith("AWS_")]:
        del os.environ[variable]  # no real profile, endpoint or credentials may leak in
    os.environ.update({
        "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "AWS_SESSION_TOKEN": "bench",
        "AWS_DEFAULT_REGION": REGION, "AWS_REGION": REGION,
        "PERMIS_STAGE": "local", "POWERTOOLS_TRACE_DISABLED": "true", "POWERTOOLS_METRICS_DISABLED": "true",
        "POWERTOOLS_LOG_LEVEL": "WARNING",  # keep the report readable; logging calls still run
    })


class CallCounter:
    """Records `service.Operation` for every API call made while `recording` is set."""

    def __init__(self) -> None:
        self.calls: list[str] | None = None

    def on_before_call(self, event_name: str, model: Any = None, **_: Any) -> None:
        # event_name is "before-call.<service id>.<operation>", e.g. before-call.dynamodb.GetItem
        if self.calls is not None:
            self.calls.append(f"{event_name.split('.')[1]}.{model.name if model else event_name.split('.')[-1]}")

    @contextmanager
    def recording(self) -> Iterator[list[str]]:
        self.calls = []
        try:
            yield self.calls
        finally:
            self.calls = None

    def install(self) -> None:
        """Hook every client botocore creates from now on: boto3.client(), Session().client() and
        chalicelib.adapters.aws.client() all end in botocore.session.Session.create_client."""
        import botocore.session

        original = botocore.session.Session.create_client
        counter = self

        def create_client(session, *args, **kwargs):
            client = original(session, *args, **kwargs)
            client.meta.events.register("before-call", counter.on_before_call)
            return client

        botocore.session.Session.create_client = create_client


def _check(condition: bool, message: str) -> None:
    # An operation that does not do its job makes its count meaningless: the benchmark crashes.
    if not condition:
        raise RuntimeError(message)


def measure() -> dict[str, Any]:
    _set_environment()
    sys.path.insert(0, str(PROJECT_DIR))
    sys.path.insert(1, str(BENCH_DIR))
    counter = CallCounter()
    counter.install()  # before any client exists, the app's included

    import boto3
    from moto import mock_aws

    from lambda_shapes import LambdaContext, dynamodb_stream_event, sqs_event

    results: list[dict[str, Any]] = []

    def record(operation: str, calls: list[str]) -> None:
        minimum = MINIMUM_CALLS[operation]
        results.append({"operation": operation, "count": len(calls), "calls": list(calls),
                        "minimum": len(minimum), "minimum_calls": list(minimum),
                        "ok": len(calls) <= len(minimum)})

    with mock_aws():
        from chalicelib.adapters.aws import CLIENT_CONFIG
        from chalicelib.local.provision import provision

        # Queue names and the stream ARN are read by decorators at import: environment first.
        os.environ.update(provision("local", WEB_ORIGIN))

        from chalice.test import Client

        from app import app

        http = Client(app, stage_name="local", project_dir=str(PROJECT_DIR)).http
        json_headers = {"Content-Type": "application/json", "Accept": "application/json"}

        with counter.recording() as calls:
            response = http.get("/health")
        _check(response.status_code == 200, f"GET /health answered {response.status_code}")
        record("GET /health", calls)

        with counter.recording() as calls:
            response = http.post("/demo/messages", headers=json_headers,
                                 body=json.dumps({"text": "Bonjour du banc d'essai"}).encode())
        _check(response.status_code == 201, f"POST /demo/messages answered {response.status_code}: {response.body!r}")
        record("POST /demo/messages", calls)
        message_id = json.loads(response.body)["id"]

        with counter.recording() as calls:
            response = http.get(f"/demo/messages/{message_id}", headers={"Accept": "application/json"})
        _check(response.status_code == 200, f"GET /demo/messages/<id> answered {response.status_code}")
        record("GET /demo/messages/{message_id}", calls)

        with counter.recording() as calls:
            response = http.get("/openapi.json", headers={"Accept": "application/json"})
        _check(response.status_code == 200, f"GET /openapi.json answered {response.status_code}")
        record("GET /openapi.json", calls)

        # The outbox INSERT the POST wrote, read from the real (moto) stream. CLIENT_CONFIG turns
        # off account-based endpoints, which moto does not serve for dynamodbstreams.
        stream_arn = os.environ["TABLE_MAIN_STREAM_ARN"]
        streams = boto3.client("dynamodbstreams", region_name=REGION, config=CLIENT_CONFIG)
        stream_records = []
        for shard in streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"]:
            iterator = streams.get_shard_iterator(StreamArn=stream_arn, ShardId=shard["ShardId"],
                                                  ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
            stream_records += streams.get_records(ShardIterator=iterator)["Records"]
        outbox_inserts = [r for r in stream_records if r["eventName"] == "INSERT"
                          and r["dynamodb"].get("NewImage", {}).get("entity", {}).get("S") == "outbox"]
        _check(len(outbox_inserts) == 1, f"expected 1 outbox INSERT in the stream, found {len(outbox_inserts)}")
        event = dynamodb_stream_event(outbox_inserts, stream_arn, REGION)
        with counter.recording() as calls:
            result = app.handler_map["relay_outbox"](event, LambdaContext("permis-local-relay_outbox"))
        _check(not (result or {}).get("batchItemFailures"), f"relay_outbox reported failures: {result}")
        record("relay_outbox (1 outbox INSERT)", calls)

        # The message the relay sent, as Lambda's SQS poller would deliver it.
        sqs = boto3.client("sqs", region_name=REGION)
        queue_url = os.environ["QUEUE_DEMO_URL"]
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, AttributeNames=["All"],
                                       MessageAttributeNames=["All"]).get("Messages", [])
        _check(len(messages) == 1, f"expected 1 message in the demo queue, found {len(messages)}")
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        event = sqs_event(messages, queue_arn, REGION)
        with counter.recording() as calls:
            result = app.handler_map["process_demo_messages"](event, LambdaContext("permis-local-process_demo_messages"))
        _check(not (result or {}).get("batchItemFailures"), f"process_demo_messages reported failures: {result}")
        record("process_demo_messages (1 message)", calls)

        response = http.get(f"/demo/messages/{message_id}", headers={"Accept": "application/json"})
        _check(json.loads(response.body).get("status") == "processed", "the worker did not process the message")

        # The Cognito pre-token-generation trigger: nothing for the public, one read for staff.
        pool_id = os.environ["USER_POOL_USERS_ID"]
        boto3.client("cognito-idp", region_name=REGION).admin_create_user(
            UserPoolId=pool_id, Username="agent@bench.example.fr", MessageAction="SUPPRESS")
        for operation, username, groups in (("staff_mfa_gate (candidate's token)", "jeune@bench.example.fr", ["candidat"]),
                                             ("staff_mfa_gate (agent's token)", "agent@bench.example.fr", ["instructeur-ddt"])):
            event = {"version": "2", "userPoolId": pool_id, "userName": username,
                     "request": {"groupConfiguration": {"groupsToOverride": groups}},
                     "response": {"claimsAndScopeOverrideDetails": None}}
            with counter.recording() as calls:
                app.handler_map["staff_mfa_gate"](event, LambdaContext("permis-local-staff_mfa_gate"))
            record(operation, calls)

        measure_accounts(counter, record, http, app)
        measure_support(counter, record, http, app)

        # handler_map also names the view of each route: those are covered by the routes.
        views = {entry.view_name for methods in app.routes.values() for entry in methods.values()}
        unmeasured = sorted(
            [f"{method} {path}" for path, methods in app.routes.items() for method in methods
             if (path, method) not in MEASURED_ROUTES]
            + [f"handler {name}" for name in app.handler_map
               if name not in MEASURED_HANDLERS and name not in views and name != "api_handler"])
    return {"operations": results, "unmeasured": unmeasured, "ok": all(r["ok"] for r in results)}


def measure_accounts(counter: CallCounter, record, http, app) -> None:
    """Sign-up, activation, sign-in and the token check, with the secret and the JWKS already
    cached (what every request but a container's first one sees)."""
    import base64
    import gzip
    import re
    from datetime import date

    import moto.cognitoidp
    from altcha import solve_challenge_v1
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    from chalicelib.adapters import wiring
    from chalicelib.api import auth
    from chalicelib.auth.tokens import JwksCache, TokenVerifier, issuer_for
    from chalicelib.domain.accounts import Agrement
    from chalicelib.local.pump import EventPump
    from chalicelib.adapters.aws import client

    jwks = gzip.decompress((Path(moto.cognitoidp.__file__).parent / "resources" / "jwks-public.json.gz").read_bytes())
    verifier = TokenVerifier(JwksCache("moto", fetch=lambda url: jwks), issuer_for(REGION, os.environ["USER_POOL_USERS_ID"]),
                             os.environ["USER_POOL_USERS_CLIENT_ID"])
    auth.verifier = lambda: verifier
    wiring.accounts().import_agrements([Agrement(number="E0000000001", name="École", address="Lyon", departement="69",
                                                 valid_from=date(2020, 1, 1), valid_until=date(2030, 1, 1))])
    json_headers = {"Content-Type": "application/json"}

    def altcha() -> str:
        challenge = json.loads(http.get("/antirobot/challenge").body)  # also warms the secret cache
        number = solve_challenge_v1(challenge["challenge"], challenge["salt"], challenge["algorithm"],
                                    challenge["maxnumber"]).number
        return base64.b64encode(json.dumps({**{k: challenge[k] for k in ("algorithm", "challenge", "salt",
                                                                          "signature")}, "number": number}).encode()).decode()

    form = {"birth_name": "Martin", "first_name": "Jeanne", "email": "jeanne@bench.example.fr",
            "company_name": "École du banc", "agrement_number": "E0000000001",
            "address": {"number": "3", "street_type": "PL", "street_name": "Bellecour", "postal_code": "69002",
                        "commune": "69382"}, "altcha": altcha(), "terms_accepted": True}
    with counter.recording() as calls:
        response = http.post("/accounts/schools", headers=json_headers, body=json.dumps(form).encode())
    _check(response.status_code == 201, f"POST /accounts/schools answered {response.status_code}: {response.body!r}")
    record("POST /accounts/schools", calls)

    EventPump(app, client).run_until_idle()
    [email] = ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages[-1:]
    token = re.search(r"#jeton=([A-Za-z0-9_-]{43})", email.body).group(1)
    with counter.recording() as calls:
        response = http.post("/accounts/activation", headers=json_headers,
                             body=json.dumps({"token": token, "password": "une phrase de passe du banc"}).encode())
    _check(response.status_code == 200, f"POST /accounts/activation answered {response.status_code}")
    record("POST /accounts/activation", calls)

    with counter.recording() as calls:
        response = http.post("/sessions", headers=json_headers, body=json.dumps(
            {"email": "jeanne@bench.example.fr", "password": "une phrase de passe du banc"}).encode())
    _check(response.status_code == 200, f"POST /sessions answered {response.status_code}")
    record("POST /sessions", calls)
    access = json.loads(response.body)["tokens"]["access_token"]

    from lambda_shapes import LambdaContext

    event = {"type": "TOKEN", "authorizationToken": f"Bearer {access}",
             "methodArn": "arn:aws:execute-api:eu-west-3:123456789012:abc/api/GET/me"}
    app.handler_map["jwt_authorizer"](event, LambdaContext("permis-local-jwt_authorizer"))  # fetches the JWKS once
    with counter.recording() as calls:
        answer = app.handler_map["jwt_authorizer"](event, LambdaContext("permis-local-jwt_authorizer"))
    _check(answer["policyDocument"]["Statement"][0]["Effect"] == "Allow", "the authorizer refused a valid token")
    record("jwt_authorizer (JWKS cached)", calls)

    with counter.recording() as calls:
        response = http.get("/me", headers={"Authorization": f"Bearer {access}"})
    _check(response.status_code == 200, f"GET /me answered {response.status_code}")
    record("GET /me", calls)

    signed = {**json_headers, "Authorization": f"Bearer {access}"}
    with counter.recording() as calls:
        response = http.post("/requests", headers=signed, body=json.dumps(
            {"procedure": "inscription", "mandate": "sans-mandat"}).encode())
    _check(response.status_code == 201, f"POST /requests answered {response.status_code}")
    record("POST /requests", calls)
    number = json.loads(response.body)["request_id"]
    with counter.recording() as calls:
        response = http.put(f"/requests/{number}/steps/declarations", headers=signed, body=json.dumps({
            "exam_pending_elsewhere": False, "reads_french": True, "adapted_vehicle": False,
            "vision_correction": False, "medical_condition": False, "disability_pension": False}).encode())
    _check(response.status_code == 200, f"PUT step answered {response.status_code}")
    record("PUT /requests/{request_id}/steps/{step}", calls)
    with counter.recording() as calls:
        response = http.get("/requests?limit=20", headers=signed)
    _check(response.status_code == 200, f"GET /requests answered {response.status_code}")
    record("GET /requests (one page)", calls)
    measure_appointments(counter, record, http, app, signed, number)
    measure_submission(counter, record, http, app, signed)


def measure_appointments(counter: CallCounter, record, http, app, school: dict[str, str], number: str) -> None:
    """An administrator of the school's département publishes two slots, lists them and withdraws
    one; the school lists them, books two places for two requests, lists its bookings and cancels
    one; an agent reads the day; the day before, the reminder job finds the remaining booking."""
    from datetime import datetime, timedelta, timezone

    from lambda_shapes import LambdaContext

    from chalicelib.adapters import wiring
    from chalicelib.domain.accounts import AgentCreation, Role
    from chalicelib.domain.dates import PARIS, paris_day
    from chalicelib.local.demo_data import ActiveAccounts
    from chalicelib.local.pump import scheduled_event
    from chalicelib.services import appointments as appointments_service

    def call(method: str, path: str, headers: dict, payload: dict | None = None, status: int = 200) -> dict:
        response = getattr(http, method)(path, headers=headers,
                                         body=json.dumps(payload).encode() if payload is not None else b"")
        _check(response.status_code == status, f"{method.upper()} {path} answered {response.status_code}: "
               f"{response.body!r}")
        return json.loads(response.body)

    me = call("get", "/me", school)
    departement = wiring.appointments().school_of(wiring.accounts_repository().get_profile(me["account_id"]))[1]
    password = "une phrase de passe du banc"
    admin_id = ActiveAccounts(wiring.accounts()).open(lambda a: a.create_agent(AgentCreation(
        role=Role.PREFECTURE, email="prefecture@bench.fr", birth_name="Banc", first_name="Admin",
        departement=departement)), password)
    wiring.accounts_repository().set_mfa_enabled(admin_id)
    json_headers = {"Content-Type": "application/json"}
    access = call("post", "/sessions", json_headers, {"email": "prefecture@bench.fr", "password": password})
    admin = {**json_headers, "Authorization": f"Bearer {access['tokens']['access_token']}"}
    day = (paris_day(datetime.now(timezone.utc)) + timedelta(days=3)).isoformat()

    def measured(operation: str, method: str, path: str, headers: dict, payload: dict | None = None,
                 status: int = 200) -> dict:
        with counter.recording() as calls:
            answer = call(method, path, headers, payload, status)
        record(operation, calls)
        return answer

    slot = {"date": day, "duration_minutes": 30, "place": "Préfecture, salle 2", "capacity": 3}
    slots = [call("post", "/staff/appointments/slots", admin, {**slot, "start_time": "10:00"}, status=201)["slot_id"],
             measured("POST /staff/appointments/slots", "post", "/staff/appointments/slots", admin,
                      {**slot, "start_time": "11:00"}, status=201)["slot_id"]]
    measured("GET /staff/appointments/slots", "get", "/staff/appointments/slots", admin)
    measured("DELETE /staff/appointments/slots/{slot_id}", "delete", f"/staff/appointments/slots/{slots[1]}", admin)
    call("get", "/appointments/slots", school)  # the school's first call (warm caches), as the others
    measured("GET /appointments/slots", "get", "/appointments/slots", school)
    other = call("post", "/requests", school, {"procedure": "inscription", "mandate": "sans-mandat"},
                 status=201)["request_id"]
    call("post", "/appointments/bookings", school, {"slot_id": slots[0], "request_id": number,
                                                    "reason": "Dossier complexe"}, status=201)
    second = measured("POST /appointments/bookings", "post", "/appointments/bookings", school, {
        "slot_id": slots[0], "request_id": other, "reason": "Dossier complexe"}, status=201)
    measured("DELETE /appointments/bookings/{booking_id}", "delete",
             f"/appointments/bookings/{second['booking']['booking_id']}", school)
    measured("GET /appointments/bookings (one booking)", "get", "/appointments/bookings", school)
    measured("GET /staff/appointments (one slot, one booking)", "get", f"/staff/appointments?date={day}", admin)
    day_before = datetime.fromisoformat(f"{day}T09:00").replace(tzinfo=PARIS) - timedelta(days=1)
    original_now = appointments_service.utc_now
    appointments_service.utc_now = lambda: day_before + timedelta(minutes=1)
    try:
        with counter.recording() as calls:
            done = app.handler_map["remind_appointments"](scheduled_event(),
                                                          LambdaContext("permis-local-remind_appointments"))
    finally:
        appointments_service.utc_now = original_now
    _check(done == {"reminded": 1}, f"remind_appointments answered {done}")
    record("remind_appointments (1 due)", calls)


def measure_submission(counter: CallCounter, record, http, app, signed: dict[str, str]) -> None:
    """A complete request submitted with a paper mandate, then one without mandate for a candidate
    who has no account yet, whom the single email brings to validate it. Documents are put in S3
    under the keys the upload forms give, as the browser's POST would, and checked by the worker."""
    import re
    import uuid

    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    from chalicelib.adapters.aws import client
    from chalicelib.local.pump import EventPump

    def call(method: str, path: str, payload: dict | None = None, headers: dict | None = None):
        response = getattr(http, method)(path, headers=headers or signed,
                                         body=json.dumps(payload).encode() if payload is not None else b"")
        _check(response.status_code in (200, 201), f"{method.upper()} {path} answered {response.status_code}: "
               f"{response.body!r}")
        return json.loads(response.body)

    address = {"number": "3", "street_type": "PL", "street_name": "Bellecour", "postal_code": "69002",
               "commune": "69382"}
    steps = {"civil_status": {"birth_name": "Joun", "first_names": "Testun", "sex": "M", "birth_date": "2000-01-01",
                              "birth_place": {"country": "FR", "commune": "Antony", "departement": "92"}},
             "categories": {"categories": ["B"], "training_path": "traditionnelle", "has_licence": False,
                            "first_request": True},
             "declarations": {"exam_pending_elsewhere": False, "reads_french": True, "adapted_vehicle": False,
                              "vision_correction": False, "medical_condition": False, "disability_pension": False}}
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.effect_noise((800, 600), 60).convert("RGB").save(buffer, "JPEG", quality=85)  # a legible "scan"
    scan = buffer.getvalue()

    def complete_request(mandate: str, email: str, ephoto: str) -> dict:
        number = call("post", "/requests", {"procedure": "inscription", "mandate": mandate})["request_id"]
        for step, payload in {**steps, "contact": {"address": address, "email": email,
                                                    "mobile_phone": "0613459724"}}.items():
            call("put", f"/requests/{number}/steps/{step}", payload)
        call("put", f"/requests/{number}/ephoto", {"code": ephoto})
        for needed in call("get", f"/requests/{number}/summary")["required_documents"]:
            if needed["is_file"]:
                form = call("post", f"/requests/{number}/documents/{needed['document']}/upload",
                            {"content_type": "image/jpeg", "size": len(scan)})
                client("s3").put_object(Bucket=os.environ["BUCKET_DOCUMENTS_NAME"], Key=form["fields"]["key"],
                                        Body=scan, ContentType="image/jpeg")
        EventPump(app, client).run_until_idle()  # the checker accepts them
        return call("get", f"/requests/{number}")

    for operation, mandate, email, ephoto in (
            ("POST /requests/{request_id}/submission (paper mandate)", "mandat-papier", "papier@bench.example.fr",
             "BENCH00000000000000001"),
            ("POST /requests/{request_id}/submission (new candidate)", "sans-mandat", "candidat@bench.example.fr",
             "BENCH00000000000000002")):
        request = complete_request(mandate, email, ephoto)
        with counter.recording() as calls:
            submitted = call("post", f"/requests/{request['request_id']}/submission", {"version": request["version"]},
                             {**signed, "Idempotency-Key": str(uuid.uuid4())})
        _check(submitted["status"] in ("en-instruction", "attente-validation-usager"), f"submitted: {submitted}")
        record(operation, calls)

    EventPump(app, client).run_until_idle()
    [email] = [m for m in ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages
               if "candidat@bench.example.fr" in m.destinations["ToAddresses"]]
    token = re.search(r"#jeton=([A-Za-z0-9_-]{43})", email.body).group(1)
    json_headers = {"Content-Type": "application/json"}
    call("post", "/accounts/activation", {"token": token, "password": "une phrase de passe du banc"}, json_headers)
    access = call("post", "/sessions", {"email": "candidat@bench.example.fr",
                                        "password": "une phrase de passe du banc"}, json_headers)["tokens"]["access_token"]
    candidate = {**json_headers, "Authorization": f"Bearer {access}"}
    number = submitted["request_id"]
    version = call("get", f"/requests/{number}", headers=candidate)["version"]
    with counter.recording() as calls:
        validated = call("post", f"/requests/{number}/validation", {"version": version}, candidate)
    _check(validated["status"] == "en-instruction", f"validated: {validated}")
    record("POST /requests/{request_id}/validation", calls)
    measure_instruction(counter, record, http, app, call, number)


def measure_instruction(counter: CallCounter, record, http, app, call, number: str) -> None:
    """The validated request goes to the Rhône's DDT queue; an agent claims it and validates it;
    the attestation is made; its QR code is verified."""
    from chalicelib.adapters import wiring
    from chalicelib.adapters.aws import client
    from chalicelib.domain.accounts import AgentCreation, Role
    from chalicelib.local.demo_data import ActiveAccounts
    from chalicelib.local.pump import EventPump

    pump = EventPump(app, client)
    original_relay = app.handler_map["relay_outbox"]
    relayed: list = []

    def counted_relay(event, context):  # the relay's run on the ready-for-instruction event only
        ready = [r for r in event["Records"] if "request.ready_for_instruction" in json.dumps(r)][:1]
        if not ready or relayed:
            return original_relay(event, context)
        relayed.append(ready)
        with counter.recording() as calls:
            result = original_relay({**event, "Records": ready}, context)
        record("relay_outbox (ready for instruction)", calls)
        others = [r for r in event["Records"] if r not in ready]
        return original_relay({**event, "Records": others}, context) if others else result

    app.handler_map["relay_outbox"] = counted_relay
    pump.run_until_idle()
    app.handler_map["relay_outbox"] = original_relay
    password = "une phrase de passe du banc"
    active = ActiveAccounts(wiring.accounts())
    agent_id = active.open(lambda a: a.create_agent(AgentCreation(role=Role.INSTRUCTEUR_DDT, email="agent@bench.fr",
                                                                  birth_name="Banc", first_name="Agent",
                                                                  departement="69")), password)
    wiring.accounts_repository().set_mfa_enabled(agent_id)
    json_headers = {"Content-Type": "application/json"}
    access = call("post", "/sessions", {"email": "agent@bench.fr", "password": password},
                  json_headers)["tokens"]["access_token"]
    agent = {**json_headers, "Authorization": f"Bearer {access}"}
    claimed = []
    while True:  # the paper-mandate request first, then the validated one
        with counter.recording() as calls:
            answer = call("post", "/staff/claims", {}, agent)
        _check(answer["request"] is not None, f"nothing to claim: {answer}")
        claimed.append(answer["request"])
        if answer["request"]["request_id"] == number:
            record("POST /staff/claims", calls)
            break
    with counter.recording() as calls:
        decided = call("post", f"/staff/requests/{number}/decision", {"version": claimed[-1]["version"],
                                                                     "decision": "valider"}, agent)
    _check(decided["status"] == "validee" and decided["neph"], f"decided: {decided}")
    record("POST /staff/requests/{request_id}/decision (validate)", calls)

    original_worker = app.handler_map["make_attestations"]

    def counted_worker(event, context):
        with counter.recording() as calls:
            result = original_worker(event, context)
        record("make_attestations (1 validation)", calls)
        return result

    app.handler_map["make_attestations"] = counted_worker
    original_notifier = app.handler_map["send_notifications"]
    notified: list = []

    def counted_notifier(event, context):  # the validation's notification, alone in its batch
        approved = [r for r in event["Records"] if "request.approved" in r["body"]][:1]
        if not approved or notified:
            return original_notifier(event, context)
        notified.append(approved)
        with counter.recording() as calls:
            result = original_notifier({**event, "Records": approved}, context)
        record("notification (validation: candidate and school)", calls)
        others = [r for r in event["Records"] if r not in approved]
        return original_notifier({**event, "Records": others}, context) if others else result

    app.handler_map["send_notifications"] = counted_notifier
    pump.run_until_idle()
    app.handler_map["make_attestations"] = original_worker
    app.handler_map["send_notifications"] = original_notifier
    _check(bool(notified), "the validation was not notified")
    payload = wiring.requests_repository().issued(number, "ATT")["payload"]
    call("post", "/verification", {"payload": payload}, json_headers)  # the container's first: reads the key
    with counter.recording() as calls:
        verified = call("post", "/verification", {"payload": payload}, json_headers)
    _check(verified["authentic"], f"verified: {verified}")
    record("POST /verification (key cached)", calls)
    measure_exams(counter, record, http, call, decided["neph"], number)
    measure_partner_event(counter, record, http)
    measure_mediation(counter, record, call, active, password)
    measure_statistics(counter, record, http, app, call)


def measure_mediation(counter: CallCounter, record, call, active, password: str) -> None:
    """A digital mediator reads the letters to post (none yet: the query is the same)."""
    from chalicelib.domain.accounts import AgentCreation, Role

    active.open(lambda a: a.create_agent(AgentCreation(
        role=Role.MEDIATEUR, email="mediateur@bench.fr", birth_name="Banc", first_name="Nadia", departement="69",
        structure_name="France Services du banc")), password)
    json_headers = {"Content-Type": "application/json"}
    access = call("post", "/sessions", {"email": "mediateur@bench.fr", "password": password},
                  json_headers)["tokens"]["access_token"]
    with counter.recording() as calls:
        letters = call("get", "/mediation/letters", None, {"Authorization": f"Bearer {access}"})
    _check(letters["letters"] == [], f"letters: {letters}")
    record("GET /mediation/letters", calls)


def measure_exams(counter: CallCounter, record, http, call, neph: str, number: str) -> None:
    """An examiner records the theory, then the favourable practical (the CEPC); anyone tracks the
    request from the public page."""
    import base64
    from datetime import date, timedelta

    from altcha import solve_challenge_v1

    from chalicelib.domain.accounts import Role

    json_headers = {"Content-Type": "application/json"}
    access = _agent_token(call, Role.INSPECTEUR, "inspecteur@bench.fr", "Inspecteur")
    examiner = {**json_headers, "Authorization": f"Bearer {access}"}
    result = {"neph": neph, "centre": "Lyon Gerland", "examiner": "M. Banc", "category": "B", "outcome": "favorable"}
    call("post", "/staff/exams/results", {**result, "test": "theorie",
                                          "day": (date.today() - timedelta(days=20)).isoformat()}, examiner)
    with counter.recording() as calls:
        passed = call("post", "/staff/exams/results", {**result, "test": "pratique",
                                                       "day": date.today().isoformat()}, examiner)
    _check(passed["cepc"] is not None, f"no CEPC: {passed}")
    record("POST /staff/exams/results (favourable practical)", calls)

    challenge = json.loads(http.get("/antirobot/challenge").body)  # also warms the secret cache
    solution = solve_challenge_v1(challenge["challenge"], challenge["salt"], challenge["algorithm"],
                                  challenge["maxnumber"]).number
    proof = base64.b64encode(json.dumps({**{k: challenge[k] for k in ("algorithm", "challenge", "salt", "signature")},
                                         "number": solution}).encode()).decode()
    with counter.recording() as calls:
        tracked = call("post", "/suivi", {"request_id": number, "altcha": proof}, json_headers)
    _check(tracked["status"] == "validee", f"tracked: {tracked}")
    record("POST /suivi", calls)


def measure_partner_event(counter: CallCounter, record, http) -> None:
    """La Poste's delivery of a licence in production, signed with its key (read once before: a
    container's first event reads the partner's secret)."""
    from datetime import datetime, timezone

    from chalicelib.adapters import wiring
    from chalicelib.adapters.aws import client
    from chalicelib.domain.licence import sign
    from chalicelib.domain.procedures import Mandate, Procedure, RequestStatus
    from chalicelib.domain.requests import Request

    now = datetime.now(timezone.utc)
    for number in ("261200000001", "261200000002"):
        wiring.requests_repository().create(Request(
            request_id=number, procedure=Procedure.LICENCE_AFTER_EXAM, mandate=Mandate.PAPER,
            status=RequestStatus.IN_PRODUCTION, created_by="bench", created_at=now, updated_at=now,
            licence_ordered_at=now))
    key = client("secretsmanager").get_secret_value(
        SecretId=os.environ["SECRET_PARTNER_LA_POSTE_ARN"])["SecretString"].encode()

    def deliver(number: str):
        raw = json.dumps({"event_id": f"bench-{number}", "reference": number, "event": "remis",
                          "occurred_at": datetime.now(timezone.utc).isoformat()}).encode()
        stamp = str(int(datetime.now(timezone.utc).timestamp()))
        return http.post("/partenaires/evenements", body=raw, headers={
            "Content-Type": "application/json", "X-Partner": "la-poste", "X-Timestamp": stamp,
            "X-Signature": sign(key, stamp, "POST", "/partenaires/evenements", raw)})

    deliver("261200000001")  # the container's first: reads the key
    with counter.recording() as calls:
        response = deliver("261200000002")
    _check(response.status_code == 200 and json.loads(response.body)["status"] == "titre-remis",
           f"partner event answered {response.status_code}: {response.body!r}")
    record("POST /partenaires/evenements (key cached)", calls)


def measure_support(counter: CallCounter, record, http, app) -> None:
    """A school writes to the support, lists and reads its tickets; someone not signed in writes;
    the prefecture's administrator of the Rhône reads the queue and answers; the promise's job
    finds a ticket past its week. Each operation once before (warm caches), then measured."""
    import base64
    from datetime import date, datetime, timedelta, timezone

    from altcha import solve_challenge_v1

    from chalicelib.adapters import wiring
    from chalicelib.domain.accounts import Agrement, AgentCreation, Role, SchoolSignUp
    from chalicelib.local.demo_data import ActiveAccounts
    from chalicelib.local.pump import scheduled_event
    from chalicelib.services import support as support_service

    from lambda_shapes import LambdaContext

    password = "une phrase de passe du banc"
    json_headers = {"Content-Type": "application/json"}
    active = ActiveAccounts(wiring.accounts())
    active.accounts.import_agrements([Agrement(number="E0069999990", name="Banc", address="Lyon", departement="69",
                                               valid_from=date(2020, 1, 1), valid_until=date(2030, 1, 1))])
    active.open(lambda a: a.sign_up_school(SchoolSignUp.model_validate({
        "birth_name": "Banc", "first_name": "Support", "email": "support.ecole@bench.fr", "company_name": "Banc",
        "agrement_number": "E0069999990", "address": {"number": "3", "street_type": "PL", "street_name": "Bellecour",
                                                      "postal_code": "69002", "commune": "69382"},
        "altcha": "banc", "terms_accepted": True})), password)
    admin_id = active.open(lambda a: a.create_agent(AgentCreation(
        role=Role.PREFECTURE, email="support.pref@bench.fr", birth_name="Banc", first_name="Préfecture",
        departement="69")), password)
    wiring.accounts_repository().set_mfa_enabled(admin_id)

    def token(email: str) -> dict[str, str]:
        signed = json.loads(http.post("/sessions", headers=json_headers, body=json.dumps(
            {"email": email, "password": password}).encode()).body)
        return {**json_headers, "Authorization": f"Bearer {signed['tokens']['access_token']}"}

    def measured(operation: str, method: str, path: str, headers, payload=None, status: int = 200):
        with counter.recording() as calls:
            response = http.request(method.upper(), path, headers=headers,
                                    body=json.dumps(payload).encode() if payload is not None else b"")
        _check(response.status_code == status, f"{operation} answered {response.status_code}: {response.body!r}")
        record(operation, calls)
        return json.loads(response.body)

    def proof() -> str:
        challenge = json.loads(http.get("/antirobot/challenge").body)
        number = solve_challenge_v1(challenge["challenge"], challenge["salt"], challenge["algorithm"],
                                    challenge["maxnumber"]).number
        return base64.b64encode(json.dumps({**{k: challenge[k] for k in ("algorithm", "challenge", "salt",
                                                                          "signature")},
                                            "number": number}).encode()).decode()

    school, admin = token("support.ecole@bench.fr"), token("support.pref@bench.fr")
    form = {"topic": "bug", "subject": "Banc d'essai", "message": "Un message de banc d'essai, assez long."}
    ticket = measured("POST /support/tickets", "post", "/support/tickets", school, form, 201)["ticket_id"]
    measured("POST /support/contact", "post", "/support/contact", json_headers,
             {**form, "profile": "autre", "email": "banc@bench.fr", "departement": "69", "altcha": proof()}, 201)
    measured("GET /support/tickets", "get", "/support/tickets", school)
    measured("GET /support/tickets/{ticket_id}", "get", f"/support/tickets/{ticket}", school)
    measured("GET /staff/support", "get", "/staff/support", admin)
    measured("GET /staff/support/{ticket_id}", "get", f"/staff/support/{ticket}", admin)
    measured("POST /staff/support/{ticket_id}/answer", "post", f"/staff/support/{ticket}/answer", admin,
             {"answer": "Réponse du banc d'essai."})

    real_now = support_service.utc_now
    support_service.utc_now = lambda: datetime.now(timezone.utc) + timedelta(days=8)
    try:
        with counter.recording() as calls:
            done = app.handler_map["breach_support_promises"](scheduled_event(),
                                                              LambdaContext("permis-local-breach_support_promises"))
    finally:
        support_service.utc_now = real_now
    _check(done == {"breached": 1}, f"breach_support_promises: {done}")
    record("breach_support_promises (1 ticket past its week)", calls)
def _agent_token(call, role, email: str, first_name: str) -> str:
    """An agent of the Rhône opened and activated, MFA set, signed in: their access token."""
    from chalicelib.adapters import wiring
    from chalicelib.domain.accounts import AgentCreation
    from chalicelib.local.demo_data import ActiveAccounts

    password = "une phrase de passe du banc"
    agent_id = ActiveAccounts(wiring.accounts()).open(lambda a: a.create_agent(AgentCreation(
        role=role, email=email, birth_name="Banc", first_name=first_name, departement="69")), password)
    wiring.accounts_repository().set_mfa_enabled(agent_id)
    return call("post", "/sessions", {"email": email, "password": password},
                {"Content-Type": "application/json"})["tokens"]["access_token"]


def measure_statistics(counter: CallCounter, record, http, app, call) -> None:
    """A school's submission counted by the statistics worker, then the prefecture's two routes."""
    import uuid
    from datetime import datetime, timezone

    from lambda_shapes import LambdaContext, sqs_event

    from chalicelib.domain import request_events
    from chalicelib.domain.accounts import Role
    from chalicelib.domain.events import OutboxEvent

    now = datetime.now(timezone.utc).isoformat()
    submission = OutboxEvent(id=uuid.uuid4().hex, type=request_events.STATUS_CHANGED, aggregate_id="261200000009",
                             occurred_at=now, payload={
                                 "request_id": "261200000009", "procedure": "inscription", "departement": "69",
                                 "school_id": "bench-school", "from": "brouillon", "to": "verification-images",
                                 "at": now, "submitted_at": now})
    messages = [{"MessageId": uuid.uuid4().hex, "ReceiptHandle": "bench", "Body": submission.model_dump_json(),
                 "MessageAttributes": {}}]
    event = sqs_event(messages, f"arn:aws:sqs:{REGION}:000000000000:permis-local-statistics", REGION)
    with counter.recording() as calls:
        result = app.handler_map["count_statistics"](event, LambdaContext("permis-local-count_statistics"))
    _check(not (result or {}).get("batchItemFailures"), f"count_statistics reported failures: {result}")
    record("count_statistics (1 school submission)", calls)

    access = _agent_token(call, Role.PREFECTURE, "statistiques.pref@bench.fr", "Préfète")
    for operation, path in (("GET /statistics (département)", "/statistics?departement=69"),
                            ("GET /statistics/export (département)", "/statistics/export?departement=69")):
        with counter.recording() as calls:
            response = http.get(path, headers={"Authorization": f"Bearer {access}"})
        _check(response.status_code == 200, f"{path} answered {response.status_code}: {response.body!r}")
        record(operation, calls)
    figures = json.loads(http.get("/statistics?departement=69", headers={"Authorization": f"Bearer {access}"}).body)
    _check(figures["requests"]["submitted"] >= 1, f"the submission was not counted: {figures['requests']}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="write the results to this file")
    args = parser.parse_args()
    measured = measure()
    if args.json:
        args.json.write_text(json.dumps(measured, indent=2), encoding="utf-8")
    for row in measured["operations"]:
        print(f"{row['operation']:<38} {row['count']}  {', '.join(row['calls']) or '-':<45} "
              f"min {row['minimum']}  {'OK' if row['ok'] else 'OVER'}")
    for name in measured["unmeasured"]:
        print(f"not measured: {name}")
