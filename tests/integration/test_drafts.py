"""The request page's drafts (issue 17, items 3 and 4): a filer deletes a draft (one transaction,
then the draft-deletions worker deletes every item and file it left, idempotently; a draft purged by
TTL gets the same worker), keeps what is being typed in a step (autosave: one item per step, the
request's version untouched, removed when the step is saved), and opens their own checked files by
a one-minute inline link. And the refusals: malformed input, wrong role, another school's or
candidate's request, a request no longer a draft, a version changed meanwhile, a concurrent
submission."""
from __future__ import annotations

import json
import os
import uuid
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace
from urllib.parse import parse_qs, urlparse

import boto3
import pytest
import requests as http_client

from chalicelib.adapters import wiring
from chalicelib.domain.accounts import Role
from chalicelib.domain.procedures import RequestStatus
from tests.accounts_support import (PASSWORD, active_agent, active_candidate, active_school, address, link_token, post,
                                    sent_emails, sign_in)
from tests.integration.test_documents import scan, upload
from tests.integration.test_requests import CONTACT, DECLARATIONS, body, call, civil_status, new_request
from tests.integration.test_submission import EPHOTO, events, fill, ready_request, send_documents, submit

TABLE = "TABLE_MAIN_NAME"


@pytest.fixture
def school(http, accounts):
    return active_school(http, accounts, "E0000000001", "ecole@example.fr")


def version_of(http, token, number) -> int:
    return body(call(http, "GET", f"/requests/{number}", token))["version"]


def delete(http, token, number, version="read"):
    query = "" if version is None else f"?version={version_of(http, token, number) if version == 'read' else version}"
    return call(http, "DELETE", f"/requests/{number}{query}", token)


def autosave(http, token, number, step, payload):
    return call(http, "PUT", f"/requests/{number}/steps/{step}/draft", token, payload)


def autosaved(http, token, number):
    return body(call(http, "GET", f"/requests/{number}/drafts", token))["drafts"]


def partition(number) -> list[str]:
    """Sort keys of every item left under the request's partition (and its alert subscriptions)."""
    db = boto3.client("dynamodb")
    items = []
    for pk in (f"REQUEST#{number}", f"ALERT#{number}"):
        items += db.query(TableName=os.environ[TABLE], KeyConditionExpression="pk = :pk",
                          ExpressionAttributeValues={":pk": {"S": pk}})["Items"]
    return sorted(item["sk"]["S"] for item in items)


def item(pk, sk="REQUEST"):
    return boto3.client("dynamodb").get_item(TableName=os.environ[TABLE],
                                             Key={"pk": {"S": pk}, "sk": {"S": sk}}).get("Item")


def files(aws, number) -> list[str]:
    """Every version (and delete marker) of the request's own files in the documents bucket."""
    s3, found = boto3.client("s3"), []
    for prefix in (f"uploads/{number}/", f"checked/{number}/", f"receipts/{number}.pdf"):
        answer = s3.list_object_versions(Bucket=aws["BUCKET_DOCUMENTS_NAME"], Prefix=prefix)
        found += [v["Key"] for v in answer.get("Versions", []) + answer.get("DeleteMarkers", [])]
    return found


def set_status(number, status: RequestStatus) -> None:
    """The request put in `status` directly (tests only: every status without its whole journey)."""
    repo = wiring.requests_repository()
    request = repo.get(number)
    moved = request.model_copy(update={"status": status, "version": request.version + 1,
                                       "submitted_at": request.submitted_at or datetime.now(timezone.utc)})
    assert repo.replace(moved)


def dead_letters(queue="draft-deletions") -> int:
    from chalicelib.resources import CATALOGUE

    sqs = boto3.client("sqs")
    url = os.environ[CATALOGUE.queue(queue).env_dead_letter_url]
    return int(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])[
        "Attributes"]["ApproximateNumberOfMessages"])


# --- 1. deleting a draft -----------------------------------------------------------------------

def test_a_school_deletes_its_draft_and_the_worker_deletes_every_item_and_file_it_left(http, school, pump, aws):
    number = ready_request(http, school, pump)  # steps, ePhoto code, files checked (copies under checked/)
    replaced = body(call(http, "POST", f"/requests/{number}/documents/identite/upload", school,
                         {"content_type": "image/jpeg", "size": 200_000}))
    upload(replaced, scan())  # a second identity scan: the first one's checked copy is no record's any more
    pump.run_until_idle()
    unchecked = body(call(http, "POST", f"/requests/{number}/documents/domicile/upload", school,
                          {"content_type": "image/jpeg", "size": 200_000}))
    upload(unchecked, scan())  # sent, not checked yet: still under uploads/
    assert autosave(http, school, number, "contact", {"email": "testun.jo"}).status_code == 200
    kept = body(call(http, "GET", "/requests", school))["requests"]
    assert [r["request_id"] for r in kept] == [number]
    stored = files(aws, number)
    assert len(stored) == 4 and unchecked["fields"]["key"] in stored
    assert {"AUTOSAVE#contact", "DOC#identite", "DOC#ephoto", "REQUEST"} <= set(partition(number))

    deleted = delete(http, school, number)
    assert deleted.status_code == 200, deleted.body
    assert body(deleted) == {"request_id": number, "message": f"La demande n° {number} a été supprimée avec ses "
                                                             "pièces justificatives."}
    assert "request.draft_deleted" in events(number)
    gone = call(http, "GET", f"/requests/{number}", school)
    assert gone.status_code == 404 and body(gone) == body(call(http, "GET", "/requests/999999999999", school))
    assert body(call(http, "GET", "/requests", school))["requests"] == []  # the school's list no longer shows it

    pump.run_until_idle()  # the relay, then the worker
    assert partition(number) == [] and files(aws, number) == []
    assert item(f"EPHOTO#{EPHOTO}", "EPHOTO") is None  # a draft never claimed its ePhoto code
    assert dead_letters() == 0


def test_a_replayed_deletion_event_finds_nothing_left_and_succeeds(http, school, pump, aws):
    from chalicelib.domain import request_events
    from chalicelib.domain.events import OutboxEvent

    number = ready_request(http, school, pump)
    assert delete(http, school, number).status_code == 200
    pump.run_until_idle()
    assert partition(number) == [] and files(aws, number) == []
    replayed = OutboxEvent(id=uuid.uuid4().hex, type=request_events.DRAFT_DELETED, aggregate_id=number,
                           occurred_at=datetime.now(timezone.utc), payload={"request_id": number})
    for _ in range(2):  # delivered twice more: the worker succeeds, nothing left to do
        wiring.queue_publisher().publish_event("draft-deletions", replayed)
    pump.run_until_idle()
    assert dead_letters() == 0 and partition(number) == []
    assert wiring.requests_service().purge_deleted_draft(number) == {"items": 0, "files": 0}


def test_a_draft_taken_back_after_submission_leaves_nothing_either(http, school, pump, aws):
    """Submitted without mandate then taken back to correct it, a draft has a history, a receipt and
    holds its ePhoto code: all go, and the code is free for another request."""
    number = ready_request(http, school, pump, mandate="sans-mandat")
    assert submit(http, school, number).status_code == 200
    pump.run_until_idle()  # the receipt is made
    taken = call(http, "POST", f"/requests/{number}/back-to-draft", school, {"version": version_of(http, school,
                                                                                                   number)})
    assert taken.status_code == 200 and body(taken)["status"] == "brouillon"
    assert item(f"EPHOTO#{EPHOTO}", "EPHOTO") is not None and any(k.startswith("HISTORY#") for k in partition(number))
    assert f"receipts/{number}.pdf" in files(aws, number)

    assert delete(http, school, number).status_code == 200
    pump.run_until_idle()
    assert partition(number) == [] and files(aws, number) == [] and item(f"EPHOTO#{EPHOTO}", "EPHOTO") is None
    other = ready_request(http, school, pump)  # the same ePhoto code serves another request now
    assert submit(http, school, other).status_code == 200


def test_a_candidate_filing_alone_and_a_mediator_delete_their_drafts(http, accounts, pump):
    from tests.integration.test_mediation import mediator_token

    candidate = active_candidate(http, accounts, "seul@example.fr")
    mediator = mediator_token(http, accounts)
    for token, mandate in ((candidate, "candidat"), (mediator, "mediation")):
        number = new_request(http, token, mandate=mandate)["request_id"]
        assert delete(http, token, number).status_code == 200
        assert body(call(http, "GET", "/requests", token))["requests"] == []
    pump.run_until_idle()


@pytest.mark.parametrize("query,code", [(None, "missing"), ("deux", "int_parsing"), ("0", "greater_than_equal"),
                                        ("-1", "greater_than_equal"), ("", "int_parsing"), ("2.5", "int_parsing")])
def test_a_deletion_without_a_proper_version_is_refused_per_field(http, school, query, code):
    number = new_request(http, school)["request_id"]
    refused = delete(http, school, number, version=query)
    assert refused.status_code == 422, refused.body
    [detail] = body(refused)["details"]
    assert detail["field"] == "version" and detail["code"] == code and detail["message"]
    assert call(http, "GET", f"/requests/{number}", school).status_code == 200


def test_a_version_changed_meanwhile_refuses_the_deletion_and_deletes_nothing(http, school, pump):
    number = new_request(http, school)["request_id"]
    read = version_of(http, school, number)
    call(http, "PUT", f"/requests/{number}/steps/declarations", school, DECLARATIONS)  # another tab saved
    refused = delete(http, school, number, version=read)
    assert refused.status_code == 409 and body(refused)["code"] == "changed_meanwhile"
    assert body(refused)["current"]["version"] == read + 1
    pump.run_until_idle()
    assert "REQUEST" in partition(number) and "request.draft_deleted" not in events(number)


@pytest.mark.parametrize("status", [s for s in RequestStatus if s is not RequestStatus.DRAFT])
def test_a_request_no_longer_a_draft_cannot_be_deleted_nor_autosaved(http, school, status):
    number = new_request(http, school)["request_id"]
    set_status(number, status)
    refused = delete(http, school, number)
    assert refused.status_code == 409, refused.body
    answer = body(refused)
    assert answer["code"] == "request_not_draft" and answer["current"]["status"] == status.value
    assert "ne peut plus être supprimée" in answer["message"] and "déposée" in answer["message"]
    typing = autosave(http, school, number, "contact", {"email": "a"})
    assert typing.status_code == 409 and body(typing)["code"] == "request_not_draft"
    assert body(call(http, "GET", f"/requests/{number}", school))["status"] == status.value


def test_a_submitted_request_refuses_the_deletion(http, school, pump):
    number = ready_request(http, school, pump)
    assert submit(http, school, number).status_code == 200
    refused = delete(http, school, number)
    assert refused.status_code == 409 and body(refused)["code"] == "request_not_draft"
    assert body(refused)["current"]["status"] == "en-instruction"


def test_a_draft_submitted_between_the_read_and_the_deletion_is_kept_whole(http, school, pump, monkeypatch, aws):
    from chalicelib.adapters.requests_repository import DynamoRequestsRepository

    number = ready_request(http, school, pump)
    real_get = DynamoRequestsRepository.get
    stale = real_get(wiring.requests_repository(), number)  # what the deletion reads...
    assert submit(http, school, number, version=stale.version).status_code == 200  # ...before this commits
    seen = []

    def get_once_stale(self, n):
        if n == number and not seen:
            seen.append(n)
            return stale
        return real_get(self, n)

    monkeypatch.setattr(DynamoRequestsRepository, "get", get_once_stale)
    refused = delete(http, school, number, version=stale.version)
    assert refused.status_code == 409 and body(refused)["code"] == "request_not_draft"
    assert body(refused)["current"]["status"] == "en-instruction"
    pump.run_until_idle()
    assert "request.draft_deleted" not in events(number)
    assert {"REQUEST", "DOC#identite", "DOC#ephoto"} <= set(partition(number)) and files(aws, number)


def test_a_draft_with_an_appointment_to_come_is_kept_until_the_appointment_is_cancelled(http, school, pump):
    number = new_request(http, school)["request_id"]
    table, db = os.environ[TABLE], boto3.client("dynamodb")
    soon = (datetime.now(timezone.utc) + timedelta(days=2)).isoformat()
    db.put_item(TableName=table, Item={"pk": {"S": f"APPOINTMENT_REQUEST#{number}"}, "sk": {"S": "CURRENT"},
                                       "slot_id": {"S": "s1"}, "starts_at": {"S": soon}})
    refused = delete(http, school, number)
    assert refused.status_code == 409 and body(refused)["code"] == "request_has_appointment"
    assert "annulez-le d'abord" in body(refused)["message"]
    past = (datetime.now(timezone.utc) - timedelta(days=2)).isoformat()
    db.put_item(TableName=table, Item={"pk": {"S": f"APPOINTMENT_REQUEST#{number}"}, "sk": {"S": "CURRENT"},
                                       "slot_id": {"S": "s1"}, "starts_at": {"S": past}})
    assert delete(http, school, number).status_code == 200  # an appointment that took place holds nothing


def test_a_draft_purged_by_ttl_gets_its_remains_deleted_by_the_same_worker(http, school, pump, aws):
    from chalicelib.workers.outbox import relay_record

    number = ready_request(http, school, pump)
    old_image = item(f"REQUEST#{number}")
    boto3.client("dynamodb").delete_item(TableName=os.environ[TABLE],
                                         Key={"pk": {"S": f"REQUEST#{number}"}, "sk": {"S": "REQUEST"}})
    pump.run_until_idle()  # a delete by someone else than the TTL (e.g. this one) relays nothing
    assert "DOC#identite" in partition(number)
    ttl_record = {"eventID": "ttl-1", "eventName": "REMOVE", "userIdentity": {
        "type": "Service", "principalId": "dynamodb.amazonaws.com"},
        "dynamodb": {"Keys": {"pk": old_image["pk"], "sk": old_image["sk"]}, "OldImage": old_image,
                     "ApproximateCreationDateTime": datetime.now(timezone.utc).timestamp()}}
    relay_record(SimpleNamespace(raw_event=ttl_record))
    pump.run_until_idle()
    assert partition(number) == [] and files(aws, number) == []


def test_deleting_is_for_the_filer_only(http, school, accounts, pump):
    number = new_request(http, school)["request_id"]
    other_school = active_school(http, accounts, "E0000000002", "autre@example.fr")
    some_candidate = active_candidate(http, accounts, "quelqu-un@example.fr")
    agent = active_agent(http, accounts, Role.INSTRUCTEUR_DDT, "92", "agent@ddt92.example.fr")
    for token in (other_school, some_candidate):
        refused, unknown = delete(http, token, number, version=1), delete(http, token, "999999999999", version=1)
        assert refused.status_code == 404 and body(refused) == body(unknown)
    forbidden = delete(http, agent, number, version=1)
    assert forbidden.status_code == 403 and body(forbidden)["code"] == "forbidden"
    assert call(http, "GET", f"/requests/{number}", school).status_code == 200


def test_the_candidate_who_validates_a_schools_request_cannot_delete_it_nor_type_in_it(http, school, pump):
    number, candidate = validating_candidate(http, school, pump)
    taken = call(http, "POST", f"/requests/{number}/back-to-draft", school, {"version": version_of(http, school,
                                                                                                   number)})
    assert body(taken)["status"] == "brouillon"
    for refused in (delete(http, candidate, number), autosave(http, candidate, number, "contact", {"email": "x"}),
                    call(http, "GET", f"/requests/{number}/drafts", candidate)):
        assert refused.status_code == 403 and body(refused)["code"] == "filer_only"


# --- 2. autosave -------------------------------------------------------------------------------

def test_typing_is_kept_per_step_without_changing_the_version_and_saving_the_step_removes_it(http, school):
    number = new_request(http, school)["request_id"]
    read = version_of(http, school, number)
    typing = {"birth_name": "Jou", "first_names": "", "birth_date": "2006-0", "usage_name": None,
              "birth_place": {"country": "FR", "commune": "Ant"},
              "legal_representative": {"quality": "mere", "address": {"street_name": "de l'Atl"}}}
    saved = autosave(http, school, number, "civil_status", typing)
    assert saved.status_code == 200, saved.body
    assert body(saved)["step"] == "civil_status"
    saved_at = datetime.fromisoformat(body(saved)["saved_at"])
    assert abs((datetime.now(timezone.utc) - saved_at).total_seconds()) < 60
    assert autosave(http, school, number, "contact", {"email": "testun.joun@exa", "address": {}}).status_code == 200
    again = {**typing, "birth_name": "Joun"}
    assert autosave(http, school, number, "civil_status", again).status_code == 200  # replaces the first
    assert version_of(http, school, number) == read  # autosaves never move the version

    drafts = autosaved(http, school, number)
    assert set(drafts) == {"civil_status", "contact"}
    assert drafts["civil_status"]["fields"] == again and drafts["contact"]["fields"]["email"] == "testun.joun@exa"
    request_item, autosave_item = item(f"REQUEST#{number}"), item(f"REQUEST#{number}", "AUTOSAVE#civil_status")
    assert autosave_item["expires_at"] == request_item["expires_at"]  # the draft's TTL

    assert call(http, "PUT", f"/requests/{number}/steps/civil_status", school, civil_status()).status_code == 200
    assert set(autosaved(http, school, number)) == {"contact"}  # only what was typed and not saved remains
    assert item(f"REQUEST#{number}", "AUTOSAVE#civil_status") is None


def test_autosaves_do_not_make_the_submission_fail_on_the_version_read_before_them(http, school, pump):
    number = ready_request(http, school, pump)
    read = version_of(http, school, number)
    for text in ("06", "06 13", "06 13 45"):
        assert autosave(http, school, number, "contact", {"mobile_phone": text}).status_code == 200
    submitted = submit(http, school, number, version=read)
    assert submitted.status_code == 200 and body(submitted)["status"] == "en-instruction"
    refused = autosave(http, school, number, "contact", {"mobile_phone": "06 13 45 97"})
    assert refused.status_code == 409 and body(refused)["code"] == "request_not_draft"
    assert body(refused)["current"]["status"] == "en-instruction"
    assert autosaved(http, school, number) == {}  # a submitted request no longer offers what was typed


LONG = "x" * 501
NESTED = {"a": {"b": {"c": {"d": "trop"}}}}


@pytest.mark.parametrize("step,payload,field,code", [
    ("civil_status", {"birth_name": 12}, "birth_name", "number_refused"),
    ("civil_status", {"birth_place": {"commune": 1.5}}, "birth_place.commune", "number_refused"),
    ("civil_status", {"birth_name": LONG}, "birth_name", "string_too_long"),
    ("categories", {"categories": ["B"] * 21}, "categories", "list_too_long"),
    ("categories", {"categories": [LONG]}, "categories.0", "string_too_long"),
    ("civil_status", {"legal_representative": NESTED}, "legal_representative.a.b.c", "too_deep"),
    ("contact", {"address": {"": "sans nom"}}, "address", "key_invalid"),
])
def test_typing_is_bounded_in_shape_with_a_french_message_per_field(http, school, step, payload, field, code):
    number = new_request(http, school)["request_id"]
    refused = autosave(http, school, number, step, payload)
    assert refused.status_code == 422, refused.body
    details = body(refused)["details"]
    assert [(d["field"], d["code"]) for d in details] == [(field, code)] and details[0]["message"]
    assert autosaved(http, school, number) == {}


def test_a_field_of_another_step_or_unknown_is_named_in_the_refusal(http, school):
    number = new_request(http, school)["request_id"]
    refused = autosave(http, school, number, "contact", {"email": "a@b", "birth_name": "Joun", "version": "9"})
    assert refused.status_code == 422 and body(refused)["code"] == "unknown_field"
    assert "birth_name" in body(refused)["message"] and "version" in body(refused)["message"]
    assert {d["field"] for d in body(refused)["details"]} == {"birth_name", "version"}
    service_set = autosave(http, school, number, "declarations", {"reads_french": True, "recorded_at": "x"})
    assert service_set.status_code == 422 and body(service_set)["code"] == "unknown_field"
    # Any subset of the step's fields, even empty, true/false and null: what is typed, as it is.
    assert autosave(http, school, number, "declarations", {"reads_french": True, "adapted_vehicle": None}
                    ).status_code == 200
    assert autosave(http, school, number, "categories", {}).status_code == 200


def test_malformed_or_oversized_typing_gets_a_clear_refusal_never_a_500(http, school):
    number = new_request(http, school)["request_id"]
    path = f"/requests/{number}/steps/contact/draft"
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {school}"}
    for raw, status, code in ((b"{\"email\": ", 400, "invalid_json"), (b"[\"email\"]", 422, "validation_failed"),
                              (b"[" * 5000 + b"]" * 5000, 400, "json_too_deep"),
                              (json.dumps({"email": "a" * 400, "address": {f"k{i}": "v" * 400 for i in range(45)}}
                                          ).encode(), 413, "autosave_too_large")):
        refused = http.request("PUT", path, headers=headers, body=raw)
        assert (refused.status_code, body(refused)["code"]) == (status, code), raw[:40]
        assert body(refused)["message"]


def test_autosave_steps_are_those_of_the_requests_mandate(http, school, accounts):
    from tests.integration.test_mediation import mediator_token

    number = new_request(http, school)["request_id"]
    for step in ("consent", "procedure", "documents", "etape-9"):
        refused = autosave(http, school, number, step, {})
        assert refused.status_code == 404 and body(refused)["code"] == "step_unknown", step
    mediator = mediator_token(http, accounts)
    mediated = new_request(http, mediator, mandate="mediation")["request_id"]
    typed = {"birth_name": "Joun", "method": "oral-en-presence", "consented_on": "2026-0"}
    assert autosave(http, mediator, mediated, "consent", typed).status_code == 200
    assert autosaved(http, mediator, mediated)["consent"]["fields"] == typed


def test_another_schools_or_candidates_request_is_a_404_and_an_agent_a_403(http, school, accounts):
    number = new_request(http, school)["request_id"]
    autosave(http, school, number, "contact", {"email": "a"})
    other_school = active_school(http, accounts, "E0000000002", "autre@example.fr")
    some_candidate = active_candidate(http, accounts, "quelqu-un@example.fr")
    agent = active_agent(http, accounts, Role.PREFECTURE, "92", "admin@pref92.example.fr")
    routes = [("PUT", "/requests/{n}/steps/contact/draft", {"email": "b"}), ("GET", "/requests/{n}/drafts", None),
              ("GET", "/requests/{n}/documents/identite/file", None), ("DELETE", "/requests/{n}?version=1", None)]
    for method, path, payload in routes:
        for token in (other_school, some_candidate):
            answers = [call(http, method, path.format(n=n), token, payload) for n in (number, "999999999999")]
            assert answers[0].status_code == 404 and body(answers[0]) == body(answers[1]), (method, path)
        forbidden = call(http, method, path.format(n=number), agent, payload)
        assert forbidden.status_code == 403 and body(forbidden)["code"] == "forbidden", (method, path)
    assert autosaved(http, school, number)["contact"]["fields"] == {"email": "a"}


# --- 3. opening one's own files ----------------------------------------------------------------

def validating_candidate(http, school, pump, email="testun.joun@example.fr"):
    """A school's request without mandate, its files checked, submitted; the candidate's account
    activated from the one email: (number, the candidate's token)."""
    number = ready_request(http, school, pump, mandate="sans-mandat", email=email)
    assert submit(http, school, number).status_code == 200
    pump.run_until_idle()
    [message] = sent_emails(email)
    assert post(http, "/accounts/activation", {"token": link_token(message), "password": PASSWORD}).status_code == 200
    return number, sign_in(http, email)


def test_the_filer_opens_a_checked_file_by_an_inline_link_of_a_minute(http, school, pump, aws):
    number = new_request(http, school)["request_id"]
    form = body(call(http, "POST", f"/requests/{number}/documents/identite/upload", school,
                     {"content_type": "image/jpeg", "size": 200_000}))
    upload(form, scan())
    not_checked = call(http, "GET", f"/requests/{number}/documents/identite/file", school)
    assert not_checked.status_code == 404 and body(not_checked)["code"] == "document_not_found"
    assert "vérifiées et acceptées" in body(not_checked)["message"]
    pump.run_until_idle()

    opened = call(http, "GET", f"/requests/{number}/documents/identite/file", school)
    assert opened.status_code == 200, opened.body
    link = body(opened)
    assert link["content_type"] == "image/jpeg" and link["file_name"] == f"identite-{number}.jpg"
    expires = datetime.fromisoformat(link["expires_at"]) - datetime.now(timezone.utc)
    assert timedelta(seconds=50) < expires <= timedelta(seconds=60)
    query = parse_qs(urlparse(link["url"]).query)
    assert query["X-Amz-Expires"] == ["60"]
    assert query["response-content-disposition"] == [f'inline; filename="identite-{number}.jpg"']
    assert query["response-content-type"] == ["image/jpeg"]
    assert urlparse(link["url"]).path.endswith(f"checked/{number}/identite/{form['fields']['key'].rsplit('/', 1)[1]}")
    served = http_client.get(link["url"], timeout=10)
    assert served.status_code == 200 and served.content[:2] == b"\xff\xd8"  # the checked JPEG itself
    assert served.headers["Content-Disposition"].startswith("inline")


def test_a_refused_file_the_ephoto_code_an_unknown_or_missing_document_are_not_served(http, school, pump):
    number = new_request(http, school)["request_id"]
    bad = body(call(http, "POST", f"/requests/{number}/documents/identite/upload", school,
                    {"content_type": "image/jpeg", "size": 30_000}))
    upload(bad, b"%PDF-1.4 not a jpeg" + b"\0" * 30_000)
    assert call(http, "PUT", f"/requests/{number}/ephoto", school, {"code": EPHOTO}).status_code == 200
    pump.run_until_idle()
    for document in ("identite", "ephoto", "domicile", "passeport-de-chat"):
        refused = call(http, "GET", f"/requests/{number}/documents/{document}/file", school)
        assert refused.status_code == 404 and body(refused)["code"] == "document_not_found", document


def test_the_candidate_of_a_schools_request_opens_its_files_and_another_candidate_cannot(http, school, pump,
                                                                                          accounts):
    number, candidate = validating_candidate(http, school, pump)
    opened = call(http, "GET", f"/requests/{number}/documents/domicile/file", candidate)
    assert opened.status_code == 200, opened.body
    assert http_client.get(body(opened)["url"], timeout=10).status_code == 200
    stranger = active_candidate(http, accounts, "quelqu-un@example.fr")
    refused = call(http, "GET", f"/requests/{number}/documents/domicile/file", stranger)
    assert refused.status_code == 404 and body(refused)["code"] == "request_not_found"
    # Opening one's own file is not an agent's read: nothing is recorded in the reads' audit.
    assert not [sk for sk in partition(number) if sk.startswith("READ#")]


def test_a_file_checked_while_its_draft_was_deleted_leaves_no_copy(http, school, pump, aws, monkeypatch):
    """The checker read the document's record, then the draft was deleted and its worker ran before
    the checker wrote the checked copy: that copy is deleted at once, since no record holds it."""
    import chalicelib.documents.checks as checks
    from chalicelib.workers.documents import check_upload

    number = new_request(http, school)["request_id"]
    form = body(call(http, "POST", f"/requests/{number}/documents/identite/upload", school,
                     {"content_type": "image/jpeg", "size": 200_000}))
    upload(form, scan())
    real_check, raced = checks.check_document, []

    def deleted_meanwhile(*args, **kwargs):
        if not raced:
            raced.append(True)
            assert delete(http, school, number).status_code == 200
            wiring.requests_service().purge_deleted_draft(number)  # the worker, between the read and the copy
        return real_check(*args, **kwargs)

    monkeypatch.setattr(checks, "check_document", deleted_meanwhile)
    assert check_upload(form["fields"]["key"]) is None and raced
    assert files(aws, number) == []
    pump.run_until_idle()  # the upload's own notification and the deletion's event: nothing left to do
    assert partition(number) == [] and files(aws, number) == [] and dead_letters() == 0
