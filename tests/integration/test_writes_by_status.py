"""The rules hold at every write (issue 23): every route that writes to a request, in every status
of the state machine, is refused with a 409 naming the current status when the request's own
`actions` (what the pages show) do not allow it, and then changes nothing. Generated from the route
table and the statuses, not from a hand-picked list: a new writing route fails this test until it
says which action it is."""
from __future__ import annotations

import json
import re

import boto3
import pytest

from chalicelib.api.http import ROUTE_DOCS
from chalicelib.domain.procedures import RequestStatus
from tests.accounts_support import active_candidate, active_school
from tests.integration.test_requests import CATEGORIES, body, call, new_request
from tests.integration.test_submission import fill

# Each route that writes to one request, and the action (services.requests.actions) that allows it.
WRITES = {
    ("/requests/{request_id}/steps/{step}", "PUT"): "edit",
    ("/requests/{request_id}/steps/{step}/draft", "PUT"): "edit",
    ("/requests/{request_id}/ephoto", "PUT"): "edit",
    ("/requests/{request_id}", "DELETE"): "delete",
    ("/requests/{request_id}/submission", "POST"): "submit",
    ("/requests/{request_id}/documents/{document}/upload", "POST"): "upload",
    ("/requests/{request_id}/back-to-draft", "POST"): "back_to_draft",
    ("/requests/{request_id}/resend-validation", "POST"): "resend_validation",
    ("/requests/{request_id}/complement", "POST"): "send_complement",
    ("/requests/{request_id}/validation", "POST"): "validate",
    ("/requests/{request_id}/licence/resend", "POST"): "resend_licence",
    ("/requests/{request_id}/messages", "POST"): "message",
    ("/requests/{request_id}/messages/pieces-jointes", "POST"): "message",
    ("/requests/{request_id}/convocations", "POST"): "convene",
    ("/requests/{request_id}/convocations/{convocation_id}", "DELETE"): "convene",
}
BODIES = {
    "edit": lambda path: CATEGORIES if path.endswith("/steps/{step}") else (
        {"fields": {"categories": ["B"]}} if path.endswith("/draft") else {"code": "ZZ12CD34EF56GH78IJ90KL"}),
    "upload": lambda path: {"content_type": "image/jpeg", "size": 200_000},
    "message": lambda path: {"file_name": "facture.pdf", "content_type": "application/pdf", "size": 20_000}
    if path.endswith("/pieces-jointes") else {"text": "Une question sur la demande."},
    "convene": lambda path: {"test": "pratique", "category": "B", "centre": "Centre d'examen d'Antony",
                             "day": "2099-01-01", "time": "08:30"},
}


def writing_routes():
    found = sorted(key for key in ROUTE_DOCS if key[0].startswith("/requests/{request_id}")
                   and key[1] in ("POST", "PUT", "PATCH", "DELETE"))
    return found


def test_every_route_that_writes_to_a_request_says_which_action_allows_it(app):
    assert set(writing_routes()) == set(WRITES), "name the action of each new writing route in WRITES"


def force(number: str, status: RequestStatus, candidate_id: str) -> None:
    """The request put in `status` directly (the table, tests only), its candidate known; its
    version moves on."""
    import os

    boto3.client("dynamodb").update_item(
        TableName=os.environ["TABLE_MAIN_NAME"], Key={"pk": {"S": f"REQUEST#{number}"}, "sk": {"S": "REQUEST"}},
        UpdateExpression="SET #status = :status, version = version + :one, candidate_account_id = :candidate, "
                         "complement_documents = :named",
        ExpressionAttributeNames={"#status": "status"},
        ExpressionAttributeValues={":status": {"S": status.value}, ":one": {"N": "1"},
                                   ":candidate": {"S": candidate_id}, ":named": {"L": [{"S": "identite"}]}})


def test_each_write_in_each_status_is_refused_unless_the_requests_actions_allow_it(http, accounts):
    school = active_school(http, accounts, "E0000000001", "ecole@example.fr")
    candidate = active_candidate(http, accounts, "testun.joun@example.fr")
    candidate_id = body(http.get("/me", headers={"Authorization": f"Bearer {candidate}"}))["account_id"]
    problems = []
    deleting_last = sorted(WRITES.items(), key=lambda route: (route[0] == ("/requests/{request_id}", "DELETE"),
                                                              route[0]))
    for status in RequestStatus:
        number = new_request(http, school)["request_id"]
        fill(http, school, number, birth_date="2000-01-01")
        force(number, status, candidate_id)
        for (path, method), action in deleting_last:
            token = candidate if action == "validate" else school
            before = body(call(http, "GET", f"/requests/{number}", token))
            allowed = action in before["actions"]
            concrete = path.replace("{request_id}", number).replace("{step}", "categories").replace(
                "{document}", "identite").replace("{convocation_id}", "2099-01-01~pratique~B")
            deletes_request = (path, method) == ("/requests/{request_id}", "DELETE")
            if deletes_request:
                concrete += f"?version={before['version']}"
            payload = BODIES.get(action, lambda p: {"version": before["version"]})(path)
            headers_key = {"Idempotency-Key": f"cle-{number}-{action}"}
            answer = http.request(method, concrete, body=json.dumps(payload).encode(), headers={
                "Content-Type": "application/json", "Authorization": f"Bearer {token}", **headers_key})
            if allowed and deletes_request:
                if answer.status_code != 200:
                    problems.append(f"{status.value}: {method} {path} announced, answered {answer.status_code}")
                continue
            after = body(call(http, "GET", f"/requests/{number}", school))
            if (after["status"], after["version"]) != (status.value, before["version"]):
                force(number, status, candidate_id)  # what the write did is undone for the next routes
            if allowed:
                if answer.status_code == 409 and json.loads(answer.body).get("code") != "changed_meanwhile":
                    problems.append(f"{status.value}: {method} {path} ({action}) announced, refused "
                                    f"{json.loads(answer.body)['code']}")
                continue
            refused = json.loads(answer.body)
            if answer.status_code != 409 or (refused.get("current") or {}).get("status") != status.value:
                problems.append(f"{status.value}: {method} {path} ({action}) not announced, answered "
                                f"{answer.status_code} {refused.get('code')}")
            elif not re.search(r"«.+»", refused["message"]):
                problems.append(f"{status.value}: {method} {path}: the refusal does not name the status")
            if (after["status"], after["version"], after["steps"]) != (before["status"], before["version"],
                                                                       before["steps"]):
                problems.append(f"{status.value}: {method} {path} ({action}) refused but changed the request")
    assert problems == [], "\n".join(problems)


def test_a_complement_replaces_only_the_documents_the_instructor_named(http, accounts):
    school = active_school(http, accounts, "E0000000001", "ecole@example.fr")
    candidate = active_candidate(http, accounts, "testun.joun@example.fr")
    candidate_id = body(http.get("/me", headers={"Authorization": f"Bearer {candidate}"}))["account_id"]
    number = new_request(http, school)["request_id"]
    fill(http, school, number, birth_date="2000-01-01")
    force(number, RequestStatus.MORE_INFORMATION_REQUESTED, candidate_id)
    upload = {"content_type": "image/jpeg", "size": 200_000}
    named = call(http, "POST", f"/requests/{number}/documents/identite/upload", school, upload)
    other = call(http, "POST", f"/requests/{number}/documents/domicile/upload", school, upload)
    assert named.status_code == 201, named.body
    assert other.status_code == 409 and body(other)["code"] == "documents_locked"
    assert "nommées" in body(other)["message"]
