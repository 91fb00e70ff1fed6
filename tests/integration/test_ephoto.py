"""The ePhoto photo and signature beside the identity document (issue 20, item 2): an agent of the
request's authority opens them through the pieces' route (ephoto-photo, ephoto-signature); the first
view asks the ePhoto operator (here its local stand-in, chalicelib/local/ephoto_server.py) through
the attestations worker, which checks the images like uploads and keeps them with the request; the
next views are served from the bucket without calling the operator again; every view is in the
reads audit. And what is refused: another authority's request, a school, an administrator, an agent
without double authentication, a request without a code, a code the operator does not know, an
operator down or out of reach (503, never a 500), a fetch for a code replaced meanwhile."""
from __future__ import annotations

import io
import os
from datetime import datetime, timedelta, timezone

import boto3
import pytest
import requests as http_client

from chalicelib.adapters import wiring
from chalicelib.domain.accounts import AgentCreation, Role
from chalicelib.services import requests as requests_service
from tests.accounts_support import PASSWORD, active_school, sign_in
from tests.integration.test_instruction_queues import queued
from tests.integration.test_requests import body, call

CODE = "EP12CD34EF56GH78IJ90KL"
PHOTO, SIGNATURE = "ephoto-photo", "ephoto-signature"


@pytest.fixture
def school(http, accounts):
    return active_school(http, accounts, "E0000000001", "ecole@example.fr")


def open_part(http, token, number, part):
    return call(http, "GET", f"/staff/requests/{number}/documents/{part}", token)


def reads(http, admin, number):
    return [r["what"] for r in body(call(http, "GET", f"/staff/requests/{number}/reads", admin))["reads"]]


def ephoto_files(number):
    listed = boto3.client("s3").list_objects_v2(Bucket=os.environ["BUCKET_DOCUMENTS_NAME"],
                                                Prefix=f"checked/{number}/ephoto/")
    return sorted(item["Key"] for item in listed.get("Contents", []))


def test_the_first_view_fetches_checks_and_keeps_the_images_and_the_next_ones_never_call_the_operator(
        http, school, pump, agents, ephoto_operator):
    from PIL import Image

    from chalicelib.services.documents import stored_file_prefixes

    number = queued(http, school, pump, ephoto=CODE)
    # The photo and the signature open together: both are asked once, and wait for the same fetch.
    for part in (PHOTO, SIGNATURE):
        pending = open_part(http, agents["ddt92"], number, part)
        assert pending.status_code == 409 and body(pending)["code"] == "ephoto_pending", pending.body
        assert "quelques secondes" in body(pending)["message"]
    assert ephoto_operator.served == []  # the API never calls the operator itself
    pump.run_until_idle()  # the attestations worker fetches, checks and keeps them
    assert sorted(ephoto_operator.served) == [f"/ephoto/{CODE}/photo", f"/ephoto/{CODE}/signature"]

    shown = {}
    for part, content_type, extension in ((PHOTO, "image/jpeg", "jpg"), (SIGNATURE, "image/png", "png")):
        answer = open_part(http, agents["ddt92"], number, part)
        assert answer.status_code == 200, answer.body
        link = body(answer)
        assert link["content_type"] == content_type and link["expires_at"]
        seen = http_client.get(link["view_url"], timeout=10)
        assert seen.status_code == 200 and seen.headers["Content-Type"] == content_type
        assert f'inline; filename="{part}-{number}.{extension}"' == seen.headers["Content-Disposition"]
        downloaded = http_client.get(link["url"], timeout=10)
        assert downloaded.headers["Content-Disposition"].startswith("attachment;")
        shown[part] = Image.open(io.BytesIO(seen.content))
    width, height = shown[PHOTO].size
    assert shown[PHOTO].format == "JPEG" and abs(width / height - 35 / 45) < 0.01
    assert shown[SIGNATURE].format == "PNG" and shown[SIGNATURE].width > shown[SIGNATURE].height
    assert "exif" not in shown[PHOTO].info  # re-encoded by the checker

    # Kept in the request's checked/ folder (purged with it), keys on its DOC#ephoto item.
    files = ephoto_files(number)
    assert len(files) == 2 and all(key.startswith(f"checked/{number}/ephoto/") for key in files)
    assert all(any(key.startswith(prefix) for prefix in stored_file_prefixes(number)) for key in files)
    record = wiring.documents_repository().get(number, "ephoto")
    assert sorted([record["photo_key"], record["signature_key"]]) == files and CODE not in "".join(files)

    # A colleague's view, and the agent's again: served from the bucket, the operator not called again.
    assert open_part(http, agents["ddt92b"], number, PHOTO).status_code == 200
    assert open_part(http, agents["ddt92"], number, PHOTO).status_code == 200
    pump.run_until_idle()
    assert len(ephoto_operator.served) == 2
    # Each view that showed an image is a read of the audit; waiting for the fetch is not.
    seen_reads = reads(http, agents["admin92"], number)
    assert seen_reads.count("piece:ephoto-photo") == 3 and seen_reads.count("piece:ephoto-signature") == 1
    # The filer's own route serves checked uploads only: not the ePhoto images.
    assert call(http, "GET", f"/requests/{number}/documents/ephoto-photo/file", school).status_code == 404


def test_the_images_are_for_the_agents_of_the_request_authority_with_double_authentication(
        http, school, pump, agents, accounts, ephoto_operator):
    number = queued(http, school, pump, ephoto=CODE)
    for other in ("ddt69", "cert"):  # another authority's: the same 404 as an unknown number
        answer = open_part(http, agents[other], number, PHOTO)
        assert answer.status_code == 404 and body(answer)["code"] == "request_not_found"
    assert open_part(http, agents["ddt92"], "999999999999", PHOTO).status_code == 404
    for token in (school, agents["admin92"]):  # not an instructor
        assert open_part(http, token, number, SIGNATURE).status_code == 403
    accounts.open(lambda a: a.create_agent(AgentCreation(role=Role.INSTRUCTEUR_DDT, email="sans.mfa@ddt92.gouv.fr",
                                                          birth_name="Sans", first_name="Mfa", departement="92")),
                  PASSWORD)
    answer = open_part(http, sign_in(http, "sans.mfa@ddt92.gouv.fr"), number, PHOTO)
    assert answer.status_code == 403 and body(answer)["code"] == "mfa_required"
    pump.run_until_idle()
    assert ephoto_operator.served == [] and ephoto_files(number) == []  # nothing asked by any of them
    assert reads(http, agents["admin92"], number) == []


def test_a_request_without_an_ephoto_code_says_so(http, school, pump, agents, ephoto_operator):
    number = queued(http, school, pump, ephoto=CODE)
    boto3.client("dynamodb").delete_item(TableName=os.environ["TABLE_MAIN_NAME"],
                                         Key={"pk": {"S": f"REQUEST#{number}"}, "sk": {"S": "DOC#ephoto"}})
    answer = open_part(http, agents["ddt92"], number, PHOTO)
    assert answer.status_code == 404 and body(answer)["code"] == "ephoto_missing"
    assert body(answer)["message"].startswith("Aucun code ePhoto n'est enregistré pour cette demande")
    pump.run_until_idle()
    assert ephoto_operator.served == []


def test_a_code_the_operator_does_not_know_is_a_404_that_says_what_to_ask_the_filer(
        http, school, pump, agents, ephoto_operator):
    number = queued(http, school, pump, ephoto="INCONNU000000000000001")
    assert open_part(http, agents["ddt92"], number, PHOTO).status_code == 409
    pump.run_until_idle()
    for part in (PHOTO, SIGNATURE):
        answer = open_part(http, agents["ddt92"], number, part)
        assert answer.status_code == 404, answer.body
        refusal = body(answer)
        assert refusal["code"] == "ephoto_not_found"
        assert refusal["message"].startswith("Le service ePhoto ne connaît pas ce code : demandez au demandeur de "
                                             "vérifier")
    pump.run_until_idle()
    assert ephoto_operator.served == ["/ephoto/INCONNU000000000000001/photo"]  # asked once, not at each view
    assert ephoto_files(number) == [] and reads(http, agents["admin92"], number) == []


def test_an_operator_down_is_a_503_to_retry_later_and_a_later_view_asks_again(
        http, school, pump, agents, ephoto_operator, monkeypatch):
    code = "PANNE00000000000000001"
    number = queued(http, school, pump, ephoto=code)
    assert open_part(http, agents["ddt92"], number, PHOTO).status_code == 409
    pump.run_until_idle()
    answer = open_part(http, agents["ddt92"], number, SIGNATURE)
    assert answer.status_code == 503, answer.body
    assert body(answer)["code"] == "ephoto_unavailable" and "Réessayez dans quelques minutes" in body(answer)["message"]
    assert 1 <= int(answer.headers["Retry-After"]) <= 30
    pump.run_until_idle()
    assert len(ephoto_operator.served) == 1  # the same answer for 30 s, the operator left alone

    later = datetime.now(timezone.utc) + timedelta(seconds=31)
    monkeypatch.setattr(requests_service, "utc_now", lambda: later)
    assert open_part(http, agents["ddt92"], number, PHOTO).status_code == 409  # asked again
    pump.run_until_idle()
    assert ephoto_operator.served == [f"/ephoto/{code}/photo"] * 2
    assert reads(http, agents["admin92"], number) == []


def test_an_operator_out_of_reach_is_a_503_never_a_500(http, school, pump, agents, ephoto_operator, monkeypatch):
    from chalicelib.local.processes import free_ports

    number = queued(http, school, pump, ephoto=CODE)
    [closed] = free_ports(1)  # nothing listens there
    monkeypatch.setenv("EPHOTO_API_URL", f"http://127.0.0.1:{closed}")
    assert open_part(http, agents["ddt92"], number, PHOTO).status_code == 409
    pump.run_until_idle()
    answer = open_part(http, agents["ddt92"], number, PHOTO)
    assert answer.status_code == 503 and body(answer)["code"] == "ephoto_unavailable"
    assert wiring.documents_repository().get(number, "ephoto")["fetch_state"] == "unavailable"


def test_a_fetch_for_a_code_replaced_meanwhile_records_nothing_and_the_new_code_is_fetched(
        http, school, pump, agents, ephoto_operator):
    number = queued(http, school, pump, ephoto=CODE)
    assert open_part(http, agents["ddt92"], number, PHOTO).status_code == 409
    # The filer gives another code before the worker runs (a complement on the ePhoto, say).
    new_code = "NW12CD34EF56GH78IJ90KL"
    wiring.documents_repository().put_ephoto(number, new_code, datetime.now(timezone.utc))
    pump.run_until_idle()
    record = wiring.documents_repository().get(number, "ephoto")
    assert record["code"] == new_code and "photo_key" not in record and "fetch_state" not in record
    assert open_part(http, agents["ddt92"], number, PHOTO).status_code == 409  # the new code's own fetch
    pump.run_until_idle()
    assert open_part(http, agents["ddt92"], number, PHOTO).status_code == 200
    assert ephoto_operator.served[-2:] == [f"/ephoto/{new_code}/photo", f"/ephoto/{new_code}/signature"]
