"""Supporting documents: the presigned POST's policy (moto does not enforce it, so the policy
itself is checked), the upload straight to S3, the checker worker fed by S3's notification, and
the refusals: wrong type or size, a lying file, a replayed or outdated checker message."""
from __future__ import annotations

import base64
import functools
import io
import json
from datetime import datetime, timedelta, timezone

import boto3
import pytest
import requests as http_client
from PIL import Image

from chalicelib.adapters import wiring
from chalicelib.workers.documents import check_upload
from tests.accounts_support import active_school
from tests.integration.test_requests import call, new_request

JSON = {"Content-Type": "application/json"}


@pytest.fixture
def filer(http, aws):
    from chalicelib.local.demo_data import ActiveAccounts

    token = active_school(http, ActiveAccounts(wiring.accounts()), "E0000000001", "ecole@example.fr")
    return token, new_request(http, token)["request_id"]


@functools.cache  # noise is slow to draw, and no check compares one upload with another
def scan(size=(1200, 900), fmt="JPEG") -> bytes:
    image = Image.effect_noise(size, 60).convert("RGB")
    exif = Image.Exif()
    exif[0x010F] = "Appareil du candidat"  # camera make: metadata the checker must drop
    buffer = io.BytesIO()
    image.save(buffer, fmt, **({"exif": exif, "quality": 95} if fmt == "JPEG" else {}))
    return buffer.getvalue()


def prepare(http, token, number, document="identite", content_type="image/jpeg", size=200_000):
    return call(http, "POST", f"/requests/{number}/documents/{document}/upload", token,
                {"content_type": content_type, "size": size})


def upload(form, data: bytes):
    fields = dict(form["fields"])
    return http_client.post(form["url"], data=fields, files={"file": ("piece", data, fields["Content-Type"])},
                            timeout=10)


def states(http, token, number):
    return {d["document"]: d for d in json.loads(call(http, "GET", f"/requests/{number}/documents", token).body)[
        "documents"]}


def test_the_upload_policy_fixes_the_key_the_type_the_size_range_and_a_short_expiry(http, filer):
    token, number = filer
    form = json.loads(prepare(http, token, number).body)
    policy = json.loads(base64.b64decode(form["fields"]["policy"]))
    conditions = policy["conditions"]
    key = form["fields"]["key"]
    assert key.startswith(f"uploads/{number}/identite/")
    assert {"key": key} in conditions and {"Content-Type": "image/jpeg"} in conditions
    assert ["content-length-range", 20 * 1024, 5 * 1024 * 1024] in conditions
    expiration = datetime.fromisoformat(policy["expiration"].replace("Z", "+00:00"))
    assert timedelta(minutes=4) < expiration - datetime.now(timezone.utc) <= timedelta(minutes=5, seconds=5)
    assert states(http, token, number)["identite"]["state"] == "awaiting_upload"


@pytest.mark.parametrize("content_type,size,code", [("image/gif", 200_000, "content_type"),
                                                     ("image/jpeg", 50 * 1024 * 1024, "too_large"),
                                                     ("image/jpeg", 100, "too_small")])
def test_an_upload_of_another_type_or_size_is_refused_before_anything_is_sent(http, filer, content_type, size, code):
    token, number = filer
    refused = prepare(http, token, number, content_type=content_type, size=size)
    assert refused.status_code == 422 and json.loads(refused.body)["code"] == code
    assert "identite" not in states(http, token, number)


def test_an_unknown_document_type_or_another_schools_request_is_a_404(http, filer):
    token, number = filer
    assert prepare(http, token, number, document="passeport-de-chat").status_code == 404
    from chalicelib.local.demo_data import ActiveAccounts

    other = active_school(http, ActiveAccounts(wiring.accounts()), "E0000000002", "autre@example.fr")
    assert prepare(http, other, number).status_code == 404


def test_an_uploaded_scan_is_checked_kept_without_metadata_and_the_original_deleted(http, filer, pump, aws):
    token, number = filer
    form = json.loads(prepare(http, token, number).body)
    assert upload(form, scan()).status_code in (200, 204)
    pump.run_until_idle()
    document = states(http, token, number)["identite"]
    assert (document["state"], document["state_label"]) == ("accepted", "Acceptée")
    s3, bucket = boto3.client("s3"), aws["BUCKET_DOCUMENTS_NAME"]
    key = form["fields"]["key"]
    kept = s3.get_object(Bucket=bucket, Key="checked/" + key[len("uploads/"):])["Body"].read()
    assert not Image.open(io.BytesIO(kept)).getexif()  # the camera's metadata is gone
    versions = s3.list_object_versions(Bucket=bucket, Prefix=key).get("Versions", [])
    assert versions == []  # the file as sent is deleted for good, not hidden behind a marker


def test_a_file_that_lies_about_its_type_is_refused_with_a_reason(http, filer, pump):
    token, number = filer
    form = json.loads(prepare(http, token, number).body)  # announced as JPEG...
    upload(form, scan(fmt="PNG"))  # ...but a PNG (S3 would refuse it; moto lets it through)
    pump.run_until_idle()
    document = states(http, token, number)["identite"]
    assert document["state"] == "refused" and "JPEG" in document["reason"]


def test_a_replayed_or_outdated_checker_message_changes_nothing(http, filer, pump):
    token, number = filer
    first = json.loads(prepare(http, token, number).body)
    upload(first, scan())
    pump.run_until_idle()
    assert check_upload(first["fields"]["key"]) is None  # replayed: already checked
    second = json.loads(prepare(http, token, number).body)  # the school replaces the document
    assert check_upload(first["fields"]["key"]) is None  # a late message about the first file
    assert states(http, token, number)["identite"]["state"] == "awaiting_upload"
    upload(second, scan(fmt="PNG"))
    pump.run_until_idle()
    assert states(http, token, number)["identite"]["state"] == "refused"
