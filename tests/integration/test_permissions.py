"""The IAM grants declared in the catalogue (`function_access`, deployed by infra/permissions.py)
are exactly what each function does: every AWS call a function makes while doing its work is
recorded here (botocore event before-parameter-build, in moto) and must be declared; every declared
action must be made by some flow below, or it is a grant nobody uses."""
from __future__ import annotations

import json
import os
from collections import defaultdict
from contextlib import contextmanager

import boto3
import botocore.session
import pytest

from chalicelib.adapters import wiring
from chalicelib.adapters.aws import CLIENT_CONFIG, reset_clients
from chalicelib.local.pump import EventPump
from chalicelib.resources import CATALOGUE, physical_name

JSON = {"Content-Type": "application/json"}
# Cognito's user-facing operations: IAM does not govern them (Cognito API reference).
COGNITO_PUBLIC_OPERATIONS = {"InitiateAuth", "RespondToAuthChallenge", "ChangePassword", "GlobalSignOut",
                             "AssociateSoftwareToken", "VerifySoftwareToken", "SetUserMFAPreference", "RevokeToken",
                             "GetUser", "ForgotPassword", "ConfirmForgotPassword", "SignUp"}
_TRANSACT_ACTIONS = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem",
                     "ConditionCheck": "ConditionCheckItem"}


def _logical(kind: str, physical: str) -> str:
    """`permis-<stage>-<logical>` -> logical, checked against the catalogue (the stage is whatever
    the fixtures provisioned). For a queue family, the family's logical name: its grants name the
    family, not each queue (`permis-<stage>-instruction-<member>[-retours|-dlq]` -> instruction)."""
    logical = physical.split("-", 2)[2]
    if kind == "queue_family":
        families = [f.logical for f in CATALOGUE.queue_families if logical in f.all_logicals()]
        assert families, f"{physical} is not a queue of a catalogue queue family"
        return families[0]
    known = {"table": [t.logical for t in CATALOGUE.tables], "bucket": [b.logical for b in CATALOGUE.buckets],
             "topic": [t.logical for t in CATALOGUE.topics],
             "queue": [q.logical for q in CATALOGUE.queues] + [q.dead_letter_logical for q in CATALOGUE.queues]}
    assert logical in known[kind], f"{physical} is not a catalogue {kind}"
    return logical


def _queue_kind(physical: str) -> str:
    """A queue of a family (its name starts with a family's `<logical>-`), or a catalogue queue."""
    logical = physical.split("-", 2)[2]
    return "queue_family" if any(logical.startswith(f"{f.logical}-") for f in CATALOGUE.queue_families) else "queue"


def grants_used(service: str, operation: str, params: dict) -> set[tuple[str, str, str]]:
    """(IAM action, resource kind, logical name) for one API call; `service` is the IAM prefix
    (botocore's signing name: cognito-idp, dynamodb, sqs...)."""
    if service == "dynamodb" and operation == "TransactWriteItems":
        return {(f"dynamodb:{_TRANSACT_ACTIONS[kind]}", "table", _logical("table", item[kind]["TableName"]))
                for item in params["TransactItems"] for kind in item}
    if service == "dynamodb" and operation in ("BatchWriteItem", "BatchGetItem"):
        return {(f"dynamodb:{operation}", "table", _logical("table", table)) for table in params["RequestItems"]}
    if service == "dynamodb":
        return {(f"dynamodb:{operation}", "table", _logical("table", params["TableName"]))}
    if service == "sqs":
        name = params["QueueUrl"].rsplit("/", 1)[1]
        return {(f"sqs:{operation}", _queue_kind(name), _logical(_queue_kind(name), name))}
    if service == "s3" and operation == "DeleteObjects":  # each object: a version named, or the latest
        return {("s3:DeleteObjectVersion" if o.get("VersionId") else "s3:DeleteObject", "bucket",
                 _logical("bucket", params["Bucket"])) for o in params["Delete"]["Objects"]}
    if service == "s3":
        if operation == "ListObjectVersions":
            operation = "ListBucketVersions"  # the IAM action of listing versions
        if operation == "DeleteObject" and params.get("VersionId"):
            operation = "DeleteObjectVersion"  # what IAM checks when a version is named
        if operation == "HeadObject":
            operation = "GetObject"  # HeadObject is authorised by s3:GetObject
        return {(f"s3:{operation}", "bucket", _logical("bucket", params["Bucket"]))}
    if service == "sns" and operation == "Publish" and "PhoneNumber" in params:
        [sender] = CATALOGUE.sms_senders  # an SMS: no topic, IAM's resource is "*" (infra/permissions.py)
        return {("sns:Publish", "sms", sender.logical)}
    if service == "sns":
        return {(f"sns:{operation}", "topic", _logical("topic", params["TopicArn"].rsplit(":", 1)[1]))}
    if service == "cognito-idp":
        if operation in COGNITO_PUBLIC_OPERATIONS:
            return set()  # authorised by the client id or the user's own token, not by IAM
        return {(f"cognito-idp:{operation}", "user_pool", "users")}
    if service == "secretsmanager":
        [secret] = [s.logical for s in CATALOGUE.secrets if os.environ.get(s.env_arn) == params["SecretId"]]
        return {(f"secretsmanager:{operation}", "secret", secret)}
    if service == "kms":
        [key] = [k.logical for k in CATALOGUE.keys if os.environ.get(k.env_id) == params["KeyId"]]
        return {(f"kms:{operation}", "key", key)}
    if service == "ses":
        return {(f"ses:{operation}", "email", "notifications")}
    raise AssertionError(f"no IAM mapping for {service}.{operation}: add one to this test")


class CallRecorder:
    def __init__(self) -> None:
        self.function: str | None = None
        self.used: dict[str, set[tuple[str, str, str]]] = defaultdict(set)

    def on_before_call(self, event_name: str, model=None, params=None, **_) -> None:
        if self.function is None:
            return
        self.used[self.function] |= grants_used(model.service_model.signing_name, model.name, params or {})

    @contextmanager
    def running(self, function: str):
        self.function = function
        try:
            yield
        finally:
            self.function = None


@pytest.fixture
def recorder(aws, monkeypatch):
    recorder = CallRecorder()
    original = botocore.session.Session.create_client

    def create_client(session, *args, **kwargs):
        created = original(session, *args, **kwargs)
        created.meta.events.register("before-parameter-build", recorder.on_before_call)
        if created.meta.service_model.service_name == "s3":  # a presigned POST is S3 acting on our right
            sign = created.generate_presigned_post

            def presigned_post(Bucket, Key, **kwargs):  # noqa: N803 (boto3's names)
                function = recorder.function
                if function:
                    recorder.used[function].add(("s3:PutObject", "bucket", _logical("bucket", Bucket)))
                recorder.function = None  # signing resolves the endpoint through CreateBucket: no call is made
                try:
                    return sign(Bucket=Bucket, Key=Key, **kwargs)
                finally:
                    recorder.function = function

            created.generate_presigned_post = presigned_post
            sign_url = created.generate_presigned_url

            def presigned_url(ClientMethod, Params=None, **kwargs):  # noqa: N803 (boto3's names)
                function = recorder.function
                if function:  # a presigned GET: S3 checks the signer's right to GetObject
                    action = {"get_object": "s3:GetObject"}[ClientMethod]
                    recorder.used[function].add((action, "bucket", _logical("bucket", Params["Bucket"])))
                recorder.function = None
                try:
                    return sign_url(ClientMethod, Params=Params, **kwargs)
                finally:
                    recorder.function = function

            created.generate_presigned_url = presigned_url
        return created

    monkeypatch.setattr(botocore.session.Session, "create_client", create_client)
    reset_clients()  # the app's cached clients are made again, with the hook
    return recorder


def _record_handlers(app, recorder, monkeypatch):
    """Every call a handler makes (not the pump's own polling) is the handler's."""
    for name, handler in list(app.handler_map.items()):
        def recorded(event, context, _name=name, _handler=handler):
            # Each function has its own containers: the receipts' and the attestations' workers each
            # read the signing key's public key.
            wiring.signer.cache_clear()
            with recorder.running(_name):
                return _handler(event, context)
        monkeypatch.setitem(app.handler_map, name, recorded)


def _pre_token_event(pool_id: str, username: str, groups: list[str]) -> dict:
    return {"version": "2", "triggerSource": "TokenGeneration_Authentication", "region": "eu-west-3",
            "userPoolId": pool_id, "userName": username, "callerContext": {},
            "request": {"userAttributes": {}, "groupConfiguration": {"groupsToOverride": groups},
                        "scopes": []},
            "response": {"claimsAndScopeOverrideDetails": None}}


def test_each_function_is_granted_exactly_the_calls_it_makes(app, http, aws, recorder, monkeypatch, ephoto_operator):
    from chalicelib.adapters import secrets
    from chalicelib.local.pump import scheduled_event
    from chalicelib.services import accounts as accounts_service
    from tests.accounts_support import (PASSWORD, candidate_form, link_token, post, registry, school_form,
                                        sent_emails, sign_in)

    _record_handlers(app, recorder, monkeypatch)
    pump = EventPump(app, lambda service: boto3.client(service, config=CLIENT_CONFIG), stage="test")

    def run_workers():
        secrets.reset()  # each function is its own process on Lambda, with its own cache
        pump.run_until_idle()
        secrets.reset()

    registry(wiring.accounts())
    with recorder.running("api_handler"):  # every route, and the account journeys through them
        created = http.post("/demo/messages", body=json.dumps({"text": "droits"}).encode(), headers=JSON)
        assert created.status_code == 201
        assert http.get(f"/demo/messages/{json.loads(created.body)['id']}").status_code == 200
        assert http.get("/health").status_code == 200
        assert http.get("/openapi.json").status_code == 200
        assert post(http, "/accounts/schools", school_form(http)).status_code == 201
        assert post(http, "/accounts/candidates", candidate_form(http)).status_code == 201
        assert post(http, "/accounts/activation/resend", {"email": "testun.joun@example.fr"}).status_code == 202
    run_workers()
    with recorder.running("api_handler"):
        for message in sent_emails():
            if "#jeton=" in message.body and message.to == ["jeanne.martin@ecole-conduite.example.fr"]:
                assert post(http, "/accounts/activation", {"token": link_token(message), "password": PASSWORD}
                            ).status_code == 200
        admin = sign_in(http, "jeanne.martin@ecole-conduite.example.fr")
        assert post(http, "/school/members", {"birth_name": "Durand", "first_name": "Paul",
                                              "email": "paul.durand@example.fr"}, admin).status_code == 201
        assert http.get("/school/members", headers={"Authorization": f"Bearer {admin}"}).status_code == 200
        assert post(http, "/passwords/forgotten", {"email": "jeanne.martin@ecole-conduite.example.fr"}).status_code == 202
        assert post(http, "/me/email", {"new_email": "jeanne@ecole.example.fr", "password": PASSWORD},
                    admin).status_code == 202
    run_workers()
    with recorder.running("api_handler"):
        confirmation = sent_emails("jeanne@ecole.example.fr")[-1]
        assert post(http, "/me/email/confirm", {"token": link_token(confirmation)}).status_code == 200
        members = json.loads(http.get("/school/members", headers={"Authorization": f"Bearer {admin}"}).body)
        paul = next(m for m in members["members"] if m["first_name"] == "Paul")
        assert http.delete(f"/school/members/{paul['account_id']}",
                           headers={"Authorization": f"Bearer {admin}"}).status_code == 200
        assert http.delete("/sessions", headers={"Authorization": f"Bearer {admin}"}).status_code == 200
    run_workers()

    # A document: presigned upload (api_handler), then the checker (check_documents).
    import requests as http_client

    from tests.integration.test_documents import scan

    with recorder.running("api_handler"):
        admin = sign_in(http, "jeanne@ecole.example.fr")
        number = json.loads(post(http, "/requests", {"procedure": "inscription", "mandate": "sans-mandat"},
                                 admin).body)["request_id"]
        form = json.loads(post(http, f"/requests/{number}/documents/identite/upload",
                               {"content_type": "image/jpeg", "size": 200_000}, admin).body)
    http_client.post(form["url"], data=form["fields"], files={"file": ("piece", scan(), "image/jpeg")}, timeout=10)
    run_workers()

    # Requests: submitted without mandate for a new candidate while the files are being checked (the
    # receipt and the emails follow), validated; one with a paper mandate moved on by the checker;
    # one left waiting for its candidate (the reminder, then the expiry); one transferred.
    from tests.integration.test_submission import fill, send_documents, submit

    with recorder.running("api_handler"):
        fill(http, admin, number, email="nouveau.candidat@example.fr")
        send_documents(http, admin, number, ephoto="AAAABBBBCCCCDDDDEEEE01")
        assert submit(http, admin, number).status_code == 200
        paper = json.loads(post(http, "/requests", {"procedure": "inscription", "mandate": "mandat-papier"},
                                admin).body)["request_id"]
        fill(http, admin, paper)
        send_documents(http, admin, paper, ephoto="AAAABBBBCCCCDDDDEEEE02")
        assert submit(http, admin, paper).status_code == 200
    run_workers()
    with recorder.running("api_handler"):
        invitation = sent_emails("nouveau.candidat@example.fr")[-1]
        assert post(http, "/accounts/activation", {"token": link_token(invitation), "password": PASSWORD}
                    ).status_code == 200
        candidate = sign_in(http, "nouveau.candidat@example.fr")
        version = json.loads(http.get(f"/requests/{number}", headers={"Authorization": f"Bearer {candidate}"}
                                      ).body)["version"]
        assert post(http, f"/requests/{number}/validation", {"version": version}, candidate).status_code == 200
        for path in (f"/requests/{number}/receipt", f"/requests/{number}/history", "/requests"):
            assert http.get(path, headers={"Authorization": f"Bearer {admin}"}).status_code == 200, path
        waiting = json.loads(post(http, "/requests", {"procedure": "inscription", "mandate": "sans-mandat"},
                                  admin).body)["request_id"]
        fill(http, admin, waiting, email="nouveau.candidat@example.fr")
        send_documents(http, admin, waiting, ephoto="AAAABBBBCCCCDDDDEEEE03")
        assert submit(http, admin, waiting).status_code == 200
        registry(wiring.accounts(), *[a.model_copy(update={"number": "E9990000002"}) for a in [
            wiring.accounts_repository().get_agrement("E1706900120")]])
        other_school = school_form(http, email="reprise@example.fr", agrement_number="E9990000002")
        assert post(http, "/accounts/schools", other_school).status_code == 201
    run_workers()
    with recorder.running("api_handler"):
        for message in sent_emails("reprise@example.fr"):
            post(http, "/accounts/activation", {"token": link_token(message), "password": PASSWORD})
        taker = sign_in(http, "reprise@example.fr")
        assert post(http, "/requests/transfer", {"request_id": paper, "former_agrement": "E1706900120"},
                    taker).status_code == 200
    run_workers()
    from datetime import datetime, timedelta, timezone

    from chalicelib.services import requests as requests_service

    for days in (5, 8):  # the reminder, then the expiry
        monkeypatch.setattr(requests_service, "utc_now", lambda days=days: datetime.now(timezone.utc)
                            + timedelta(days=days, minutes=1))
        assert sum(app.handler_map["remind_and_expire_validations"](scheduled_event(), None).values()) == 1
        run_workers()

    # Instruction: an agent claims the paper-mandate request (queued by the relay), examines it,
    # opens a document, extends and releases the claim, claims it again and validates it; an
    # unreadable message is set aside; an administrator reads the queue, the reads, the dead letters.
    from chalicelib.adapters.instruction_queues import queue_url
    from chalicelib.domain.accounts import Role
    from tests.accounts_support import active_agent
    from chalicelib.local.demo_data import ActiveAccounts

    active = ActiveAccounts(wiring.accounts())
    attached_scan = scan()
    boto3.client("sqs").send_message(QueueUrl=queue_url("DDT-92"), MessageBody="illisible")
    with recorder.running("api_handler"):
        instructor = active_agent(http, active, Role.INSTRUCTEUR_DDT, "92", "agent@ddt92.example.fr")
        overseer = active_agent(http, active, Role.PREFECTURE, "92", "admin@pref92.example.fr")
        claimed = json.loads(post(http, "/staff/claims", {}, instructor).body)["request"]
        assert claimed["request_id"] == paper
        # The worklist (who holds each row: one BatchGetItem) and a private note.
        listed = http.get("/staff/worklist", headers={"Authorization": f"Bearer {instructor}"})
        assert listed.status_code == 200 and json.loads(listed.body)["rows"], listed.body
        assert post(http, f"/staff/requests/{paper}/notes", {"text": "Vu."}, instructor).status_code == 201
        # A message each way on the request's thread (the emails: send_notifications).
        assert post(http, f"/staff/requests/{paper}/messages", {"text": "Une question."}, instructor).status_code == 201
        assert post(http, f"/requests/{paper}/messages", {"text": "La réponse."}, taker).status_code == 201
        assert http.get(f"/requests/{paper}/messages", headers={"Authorization": f"Bearer {taker}"}).status_code == 200
        # A file with a message: the upload form (either side), the file to the bucket, its check
        # (check_documents), then the message naming it and its opening by both sides.
        attachment = json.loads(post(http, f"/requests/{paper}/messages/pieces-jointes",
                                     {"file_name": "facture.jpg", "content_type": "image/jpeg",
                                      "size": len(attached_scan)}, taker).body)
        assert post(http, f"/staff/requests/{paper}/messages/pieces-jointes",
                    {"file_name": "courrier.pdf", "content_type": "application/pdf", "size": 20_000},
                    instructor).status_code == 201
    http_client.post(attachment["url"], data=attachment["fields"], files={"file": ("piece", attached_scan, "image/jpeg")},
                     timeout=10)
    run_workers()
    with recorder.running("api_handler"):
        assert post(http, f"/requests/{paper}/messages", {"text": "La facture.", "attachments": [
            attachment["attachment_id"]]}, taker).status_code == 201
        for token, prefix in ((taker, ""), (instructor, "/staff")):
            assert http.get(f"{prefix}/requests/{paper}/messages/pieces-jointes/{attachment['attachment_id']}",
                            headers={"Authorization": f"Bearer {token}"}).status_code == 200
        for path in (f"/staff/requests/{paper}", f"/staff/requests/{paper}/documents/identite", "/staff/queue",
                     f"/staff/requests/{paper}/notes", f"/staff/requests/{paper}/messages"):
            assert http.get(path, headers={"Authorization": f"Bearer {instructor}"}).status_code == 200, path
        assert post(http, f"/staff/requests/{paper}/extend", {}, instructor).status_code == 200
        assert post(http, f"/staff/requests/{paper}/release", {}, instructor).status_code == 200
        claimed = json.loads(post(http, "/staff/claims", {}, instructor).body)["request"]
        assert post(http, f"/staff/requests/{paper}/decision", {"version": claimed["version"], "decision": "valider"},
                    instructor).status_code == 200
        asked = post(http, f"/staff/requests/{paper}/dossier", {}, instructor)  # made by make_attestations
        assert asked.status_code == 202, asked.body
        # The ePhoto photo's first view asks for it (fetched, checked and kept by make_attestations).
        ephoto = http.get(f"/staff/requests/{paper}/documents/ephoto-photo",
                          headers={"Authorization": f"Bearer {instructor}"})
        assert ephoto.status_code == 409, ephoto.body
        for _ in range(3):  # the other requests of the queue, then "illisible", set aside
            if json.loads(post(http, "/staff/claims", {}, instructor).body)["request"] is None:
                break
        for path in ("/staff/queues/DDT-92", f"/staff/requests/{paper}/reads", "/staff/queues/DDT-92/dead-letters"):
            assert http.get(path, headers={"Authorization": f"Bearer {overseer}"}).status_code == 200, path
        assert post(http, "/staff/queues/DDT-92/dead-letters/redrive", {}, overseer).status_code == 200
    run_workers()  # the validation's attestation and the agent's dossier are made (make_attestations)
    with recorder.running("api_handler"):
        dossier = http.get(f"/staff/requests/{paper}/dossier/{json.loads(asked.body)['dossier_id']}",
                           headers={"Authorization": f"Bearer {instructor}"})
        assert dossier.status_code == 200, dossier.body
        ephoto = http.get(f"/staff/requests/{paper}/documents/ephoto-photo",
                          headers={"Authorization": f"Bearer {instructor}"})
        assert ephoto.status_code == 200, ephoto.body
        attestation = http.get(f"/requests/{paper}/attestations/inscription",
                               headers={"Authorization": f"Bearer {taker}"})
        assert attestation.status_code == 200, attestation.body
        payload = wiring.requests_repository().issued(paper, "ATT")["payload"]
        wiring.signer.cache_clear()  # the API's own container reads the public key
        assert post(http, "/verification", {"payload": payload}).status_code == 200
        assert http.get("/verification/public-key").status_code == 200
        # The school convenes the candidate to the practical, lists and cancels (a Delete of its own).
        from chalicelib.domain.dates import paris_day
        from tests.integration.test_convocations import convocation

        later = paris_day(requests_service.utc_now()) + timedelta(days=3)  # the service's clock, moved on above
        convened = post(http, f"/requests/{paper}/convocations", convocation(day=later), taker)
        assert convened.status_code == 201, convened.body
        assert http.get(f"/requests/{paper}/convocations", headers={"Authorization": f"Bearer {taker}"}
                        ).status_code == 200
        assert http.delete(f"/requests/{paper}/convocations/{json.loads(convened.body)['convocation_id']}",
                           headers={"Authorization": f"Bearer {taker}"}).status_code == 200
    # Alerts: an email and a phone subscribe to the validated request and confirm their codes (sent
    # by send_notifications); a CEPC reaches them, the candidate and the school; one unsubscribes.
    from chalicelib.domain import request_events
    from tests.integration.test_notifications import code_in, emit, sms_sent, subscribe, unsubscribe_token

    with recorder.running("api_handler"):
        assert subscribe(http, paper, "alerte@example.fr").status_code == 202
        assert subscribe(http, paper, "06 12 34 56 78", "sms").status_code == 202
    run_workers()
    with recorder.running("api_handler"):
        for channel, address, text in (("email", "alerte@example.fr", sent_emails("alerte@example.fr")[-1].body),
                                       ("sms", "+33612345678", sms_sent("+33612345678")[-1])):
            assert post(http, "/alerts/confirmation", {"request_id": paper, "channel": channel, "address": address,
                                                       "code": code_in(text)}).status_code == 200
    emit(paper, request_events.CEPC_ISSUED, neph="920123456789", category="B", valid_until="2027-07-01")
    run_workers()
    with recorder.running("api_handler"):
        assert post(http, "/alerts/unsubscribe", {"token": unsubscribe_token(sms_sent("+33612345678")[-1])}
                    ).status_code == 200

    # A request still waiting 11 days later has its queue message sent again.
    monkeypatch.setattr(requests_service, "utc_now", lambda: datetime.now(timezone.utc) + timedelta(days=11))
    assert app.handler_map["requeue_long_waiting"](scheduled_event(), None)["requeued"] >= 1
    run_workers()

    # The licence (issue 7): a production request validated by the CERT goes into production; the
    # partners' signed events (each partner's key), the filer's resend, the hourly job's return.
    from tests.integration.test_licence import PRINTER, POST, key_of, partner_call
    from tests.integration.test_licence import event as partner_event

    keys = {partner: key_of(partner) for partner in (PRINTER, POST)}  # the partners' own copies

    monkeypatch.setattr(requests_service, "utc_now", lambda: datetime.now(timezone.utc))
    with recorder.running("api_handler"):
        production = json.loads(post(http, "/requests", {"procedure": "titre-examen", "mandate": "mandat-papier"},
                                     admin).body)["request_id"]
        fill(http, admin, production)
        send_documents(http, admin, production, ephoto="AAAABBBBCCCCDDDDEEEE04")
    run_workers()
    with recorder.running("api_handler"):
        assert submit(http, admin, production).status_code == 200
    run_workers()
    with recorder.running("api_handler"):
        cert = active_agent(http, active, Role.INSTRUCTEUR_CERT, None, "agent@cert.example.fr")
        claimed = json.loads(post(http, "/staff/claims", {}, cert).body)["request"]
        assert post(http, f"/staff/requests/{production}/decision", {"version": claimed["version"],
                                                                     "decision": "valider"}, cert).status_code == 200
        assert partner_call(http, PRINTER, partner_event(production, "expedie"),
                            key=keys[PRINTER]).status_code == 200
        assert partner_call(http, POST, partner_event(production, "avise"),
                            key=keys[POST]).status_code == 200
    run_workers()
    monkeypatch.setattr(requests_service, "utc_now", lambda: datetime.now(timezone.utc) + timedelta(days=16))
    assert app.handler_map["advance_licences"](scheduled_event(), None)["returned"] == 1
    run_workers()
    with recorder.running("api_handler"):
        version = json.loads(http.get(f"/requests/{production}", headers={"Authorization": f"Bearer {admin}"}
                                      ).body)["version"]
        assert post(http, f"/requests/{production}/licence/resend", {"version": version}, admin).status_code == 200
    run_workers()

    # The support desk (issue 9): a school and someone not signed in write; the prefecture's
    # administrator reads the queue and answers (the email follows); the promise's job runs a week later.
    from chalicelib.services import support as support_service
    from tests.accounts_support import solve_altcha

    support_form = {"topic": "bug", "subject": "Page blanche", "message": "La page de mes demandes reste blanche."}
    with recorder.running("api_handler"):
        ticket = json.loads(post(http, "/support/tickets", support_form, admin).body)["ticket_id"]
        assert post(http, "/support/contact", {**support_form, "profile": "autre", "email": "parent@example.fr",
                                               "departement": "92", "altcha": solve_altcha(http)}).status_code == 201
        for path, token in (("/support/tickets", admin), (f"/support/tickets/{ticket}", admin),
                            ("/staff/support", overseer), (f"/staff/support/{ticket}", overseer)):
            assert http.get(path, headers={"Authorization": f"Bearer {token}"}).status_code == 200, path
        assert post(http, f"/staff/support/{ticket}/answer", {"answer": "Videz le cache du navigateur."},
                    overseer).status_code == 200
    run_workers()
    monkeypatch.setattr(support_service, "utc_now", lambda: datetime.now(timezone.utc) + timedelta(days=8))
    assert app.handler_map["breach_support_promises"](scheduled_event(), None) == {"breached": 1}
    # Appointments (issue 9): the administrator publishes two slots and withdraws one, the school
    # books one and cancels another, an agent reads the day; the emails, then the day-before reminder.
    from chalicelib.domain.dates import PARIS, paris_day
    from chalicelib.services import appointments as appointments_service

    day = (paris_day(datetime.now(timezone.utc)) + timedelta(days=3)).isoformat()
    with recorder.running("api_handler"):
        slots = [json.loads(post(http, "/staff/appointments/slots", {
            "date": day, "start_time": start, "duration_minutes": 30, "place": "Préfecture, salle 2",
            "capacity": 2}, overseer).body)["slot_id"] for start in ("10:00", "11:00")]
        assert http.get("/staff/appointments/slots", headers={"Authorization": f"Bearer {overseer}"}
                        ).status_code == 200
        assert http.delete(f"/staff/appointments/slots/{slots[1]}",
                           headers={"Authorization": f"Bearer {overseer}"}).status_code == 200
        assert http.get("/appointments/slots", headers={"Authorization": f"Bearer {admin}"}).status_code == 200
        drafts = [json.loads(post(http, "/requests", {"procedure": "inscription", "mandate": "mandat-papier"},
                                  admin).body)["request_id"] for _ in range(2)]
        bookings = [json.loads(post(http, "/appointments/bookings", {"slot_id": slots[0], "request_id": draft,
                                                                     "reason": "Dossier complexe"}, admin).body)
                    for draft in drafts]
        assert http.get("/appointments/bookings", headers={"Authorization": f"Bearer {admin}"}).status_code == 200
        assert http.delete(f"/appointments/bookings/{bookings[1]['booking']['booking_id']}",
                           headers={"Authorization": f"Bearer {admin}"}).status_code == 200
        assert http.get(f"/staff/appointments?date={day}", headers={"Authorization": f"Bearer {instructor}"}
                        ).status_code == 200
    run_workers()
    day_before = datetime.fromisoformat(f"{day}T09:00").replace(tzinfo=PARIS) - timedelta(days=1)
    monkeypatch.setattr(appointments_service, "utc_now", lambda: day_before + timedelta(minutes=1))
    assert app.handler_map["remind_appointments"](scheduled_event(), None) == {"reminded": 1}
    run_workers()

    # Drafts (issue 17): what is typed kept and read back, a checked file opened inline, the draft
    # deleted; the worker deletes what it left (purge_deleted_drafts).
    with recorder.running("api_handler"):
        doomed = json.loads(post(http, "/requests", {"procedure": "inscription", "mandate": "mandat-papier"},
                                 admin).body)["request_id"]
        form = json.loads(post(http, f"/requests/{doomed}/documents/identite/upload",
                               {"content_type": "image/jpeg", "size": 200_000}, admin).body)
    http_client.post(form["url"], data=form["fields"], files={"file": ("piece", scan(), "image/jpeg")}, timeout=10)
    run_workers()
    with recorder.running("api_handler"):
        auth = {"Authorization": f"Bearer {admin}", **JSON}
        assert http.request("PUT", f"/requests/{doomed}/ephoto", headers=auth,  # released by the worker
                            body=json.dumps({"code": "AAAABBBBCCCCDDDDEEEE05"}).encode()).status_code == 200
        assert http.request("PUT", f"/requests/{doomed}/steps/contact/draft", headers=auth,
                            body=json.dumps({"email": "testun.jo"}).encode()).status_code == 200
        assert http.request("PUT", f"/requests/{doomed}/steps/declarations", headers=auth, body=json.dumps({
            "exam_pending_elsewhere": False, "reads_french": True, "adapted_vehicle": False,
            "vision_correction": False, "medical_condition": False, "disability_pension": False}).encode()
                            ).status_code == 200
        for path in (f"/requests/{doomed}/drafts", f"/requests/{doomed}/documents/identite/file"):
            assert http.get(path, headers=auth).status_code == 200, path
        version = json.loads(http.get(f"/requests/{doomed}", headers=auth).body)["version"]
        assert http.delete(f"/requests/{doomed}?version={version}", headers=auth).status_code == 200
    run_workers()

    # FranceConnect: a newcomer's account (its mapped attributes read, its group set), then an
    # existing account linked by its emailed link (the federated user replaced by Cognito's link).
    from tests.franceconnect_support import LUCAS, VERIFIER, install

    from chalicelib.local.demo_data import ActiveAccounts
    from tests.accounts_support import active_candidate

    fc = install(aws, monkeypatch)
    active_candidate(http, ActiveAccounts(wiring.accounts()), "lien.franceconnect@example.fr")
    with recorder.running("api_handler"):
        newcomer = json.loads(post(http, "/sessions/franceconnect", {"code": fc.sign_in(LUCAS), "code_verifier": VERIFIER}).body)
        assert post(http, "/franceconnect/account", {"mobile_phone": "0612345678", "address": candidate_form(http)["address"],
                                                     "terms_accepted": True}, newcomer["tokens"]["access_token"]).status_code == 201
        linking = json.loads(post(http, "/sessions/franceconnect", {"code": fc.sign_in(
            {**LUCAS, "email": "lien.franceconnect@example.fr"}), "code_verifier": VERIFIER}).body)
        assert linking["status"] == "link_required"
        assert post(http, "/franceconnect/link", {}, linking["tokens"]["access_token"]).status_code == 202
    run_workers()
    with recorder.running("api_handler"):
        link = link_token(sent_emails("lien.franceconnect@example.fr")[-1])
        assert post(http, "/franceconnect/link/confirm", {"token": link}).status_code == 200

    # The purge of a school never activated (its agrément is released).
    registry(wiring.accounts(), *[a.model_copy(update={"number": "E9990000001"}) for a in [
        wiring.accounts_repository().get_agrement("E1706900120")]])
    with recorder.running("api_handler"):
        assert post(http, "/accounts/schools", school_form(http, email="lente@example.fr",
                                                           agrement_number="E9990000001")).status_code == 201
    later = datetime.now(timezone.utc) + timedelta(days=8)
    monkeypatch.setattr(accounts_service, "utc_now", lambda: later)
    assert app.handler_map["purge_unactivated_accounts"](scheduled_event(), None)["purged"] >= 1

    # staff_mfa_gate: a staff member without MFA.
    pool = CATALOGUE.user_pool("users")
    cognito = boto3.client("cognito-idp")
    cognito.admin_create_user(UserPoolId=aws[pool.env_id], Username="agent@ddt.example.fr",
                              MessageAction="SUPPRESS")
    event = _pre_token_event(aws[pool.env_id], "agent@ddt.example.fr", ["instructeur-ddt"])
    app.handler_map[pool.staff_mfa_function](event, None)

    declared = {function: {(action, access.kind, access.logical) for access in accesses
                           for action in access.actions}
                for function, accesses in CATALOGUE.function_access.items()}
    for function in set(declared) | set(recorder.used):
        used, granted = recorder.used.get(function, set()), declared.get(function, set())
        assert used <= granted, f"{function} makes calls its role would refuse: {sorted(used - granted)}"
        assert granted <= used, f"{function} is granted actions no flow uses: {sorted(granted - used)}"
    assert set(recorder.used) >= set(CATALOGUE.function_access)



def test_an_undeclared_call_is_caught():
    """The mapping itself: a call on a resource maps to the action IAM would check."""
    table = physical_name("main")
    assert grants_used("dynamodb", "TransactWriteItems", {"TransactItems": [
        {"Put": {"TableName": table}}, {"ConditionCheck": {"TableName": table}}]}) == {
        ("dynamodb:PutItem", "table", "main"), ("dynamodb:ConditionCheckItem", "table", "main")}
    with pytest.raises(AssertionError, match="no IAM mapping"):
        grants_used("lambda", "Invoke", {})
