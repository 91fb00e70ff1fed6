"""Files sent with a request's messages (issue 20, item 5): the upload form fixes the key, the type
and the exact size; the file goes through the document checker (re-encoded, metadata dropped, a
lie about its type refused with the reason on the thread); it opens only once accepted, an agent's
opening is in the reads audit; the export names it. And what is refused: a wrong type, an empty or
too large file, a nameless one, more than three, someone else's file, a file sent twice or
refused, another school's or authority's thread, a draft's."""
from __future__ import annotations

import io
import json

import boto3
import pytest
import requests as http_client
from PIL import Image

from tests.accounts_support import active_school
from tests.integration.test_documents import scan, upload
from tests.integration.test_instruction_queues import queued
from tests.integration.test_messages import thread
from tests.integration.test_requests import body, call, new_request

SCHOOL = "ecole@example.fr"


@pytest.fixture
def school(http, accounts):
    return active_school(http, accounts, "E0000000001", SCHOOL)


def prepare(http, token, number, name="facture.jpg", content_type="image/jpeg", size=None, staff=False, data=b""):
    return call(http, "POST", f"{'/staff' if staff else ''}/requests/{number}/messages/pieces-jointes", token,
                {"file_name": name, "content_type": content_type, "size": len(data) if size is None else size})


def attached(http, token, number, data, name="facture.jpg", content_type="image/jpeg", staff=False) -> str:
    """An attachment prepared and sent to the bucket: its id, to name in a message."""
    answer = prepare(http, token, number, name, content_type, staff=staff, data=data)
    assert answer.status_code == 201, answer.body
    form = body(answer)
    assert upload(form, data).status_code in (200, 204)
    return form["attachment_id"]


def write(http, token, number, text, attachments, staff=False):
    return call(http, "POST", f"{'/staff' if staff else ''}/requests/{number}/messages", token,
                {"text": text, "attachments": attachments})


def link(http, token, number, attachment_id, staff=False):
    return call(http, "GET", f"{'/staff' if staff else ''}/requests/{number}/messages/pieces-jointes/{attachment_id}",
                token)


def test_the_upload_form_fixes_the_key_the_type_and_the_exact_size(http, school, pump):
    number = queued(http, school, pump)
    answer = prepare(http, school, number, "C:\\Documents\\facture EDF.pdf", "application/pdf", size=48_000)
    assert answer.status_code == 201, answer.body
    form = body(answer)
    assert form["file_name"] == "facture EDF.pdf"  # the last part of the path
    key = form["fields"]["key"]
    assert key == f"uploads/{number}/piece-jointe/{form['attachment_id']}"
    policy = json.loads(__import__("base64").b64decode(form["fields"]["policy"]))
    assert {"Content-Type": "application/pdf"} in policy["conditions"]
    assert ["content-length-range", 48_000, 48_000] in policy["conditions"]


def test_a_file_sent_with_a_message_is_checked_then_opens_for_both_sides_and_an_agents_opening_is_audited(
        http, school, pump, agents, aws):
    number = queued(http, school, pump)
    attachment = attached(http, school, number, scan())
    sent = write(http, school, number, "Voici la facture demandée.", [attachment])
    assert sent.status_code == 201, sent.body
    [piece] = body(sent)["attachments"]
    assert (piece["file_name"], piece["state"]) == ("facture.jpg", "awaiting_upload")
    # Until checked, it does not open.
    assert link(http, agents["ddt92"], number, attachment, staff=True).status_code == 404
    pump.run_until_idle()
    for token, staff in ((school, False), (agents["ddt92"], True)):
        [message] = thread(http, token, number, staff)["messages"]
        assert [(a["file_name"], a["state"], a["state_label"]) for a in message["attachments"]] == [
            ("facture.jpg", "accepted", "Vérifiée")]
    opened = link(http, agents["ddt92"], number, attachment, staff=True)
    assert opened.status_code == 200, opened.body
    shown = body(opened)
    assert shown["content_type"] == "image/jpeg" and shown["file_name"] == "facture.jpg"
    served = http_client.get(shown["url"], timeout=10)
    assert served.status_code == 200 and not Image.open(io.BytesIO(served.content)).getexif()  # re-encoded
    assert link(http, school, number, attachment).status_code == 200  # its sender opens it too
    reads = body(call(http, "GET", f"/staff/requests/{number}/reads", agents["admin92"]))["reads"]
    assert [r["what"] for r in reads].count(f"piece-jointe:{attachment}") == 1
    # The file as sent is gone for good; the checked copy is under the request's files (purged with it).
    s3, bucket = boto3.client("s3"), aws["BUCKET_DOCUMENTS_NAME"]
    assert s3.list_object_versions(Bucket=bucket, Prefix=f"uploads/{number}/piece-jointe/").get("Versions", []) == []
    assert s3.list_objects_v2(Bucket=bucket, Prefix=f"checked/{number}/piece-jointe/")["KeyCount"] == 1
    # An agent answers with a PDF of their own.
    answer = attached(http, agents["ddt92"], number, pdf(), "courrier.pdf", "application/pdf", staff=True)
    assert write(http, agents["ddt92"], number, "Merci, voici le courrier.", [answer], staff=True).status_code == 201
    pump.run_until_idle()
    assert body(link(http, school, number, answer))["content_type"] == "application/pdf"


def test_the_candidate_sends_a_file_to_the_school_and_finds_it_in_the_export_of_their_data(http, school, pump):
    from tests.integration.test_drafts import validating_candidate

    number, candidate = validating_candidate(http, school, pump)
    attachment = attached(http, candidate, number, scan(), "acte-de-naissance.jpg")
    assert write(http, candidate, number, "Mon acte de naissance, pour l'orthographe.", [attachment]).status_code == 201
    pump.run_until_idle()
    assert link(http, school, number, attachment).status_code == 200
    exported = body(call(http, "GET", "/me/export", candidate))
    assert [m["attachments"] for m in exported["messages"][number]] == [["acte-de-naissance.jpg"]]


def test_a_file_that_lies_about_its_type_is_refused_on_the_thread_with_the_reason(http, school, pump, agents):
    from chalicelib.workers.documents import check_upload

    number = queued(http, school, pump)
    lying = attached(http, school, number, scan(fmt="PNG"))  # declared JPEG
    assert write(http, school, number, "La photo du permis étranger.", [lying]).status_code == 201
    pump.run_until_idle()
    [message] = thread(http, agents["ddt92"], number, staff=True)["messages"]
    [piece] = message["attachments"]
    assert piece["state"] == "refused" and piece["state_label"] == "Refusée par la vérification" and piece["reason"]
    answer = link(http, agents["ddt92"], number, lying, staff=True)
    assert answer.status_code == 404 and body(answer)["code"] == "attachment_not_found"
    # A replayed checker message changes nothing.
    assert check_upload(f"uploads/{number}/piece-jointe/{lying}") is None


@pytest.mark.parametrize("name, content_type, size, field, says", [
    ("photo.gif", "image/gif", 20_000, "content_type", "« photo.gif » : format non accepté. Joignez un fichier PDF"),
    ("vide.pdf", "application/pdf", 10, "size", "« vide.pdf » est vide ou presque"),
    ("enorme.pdf", "application/pdf", 6 * 1024 * 1024, "size", "« enorme.pdf » dépasse 5 Mo"),
    ("  ", "application/pdf", 20_000, "file_name", "Indiquez le nom du fichier")])
def test_a_wrong_type_an_empty_or_too_large_file_or_no_name_is_refused_before_anything_is_sent(
        http, school, pump, name, content_type, size, field, says):
    number = queued(http, school, pump)
    answer = prepare(http, school, number, name, content_type, size=size)
    assert answer.status_code == 422, answer.body
    refusal = body(answer)
    assert refusal["code"] == "attachment_invalid" and [d["field"] for d in refusal["details"]] == [field]
    assert refusal["message"].startswith(says)  # which file, and what to do


def test_a_message_names_only_its_authors_unsent_files_three_at_most(http, school, pump, agents):
    number = queued(http, school, pump)
    files = [attached(http, school, number, scan(), f"page-{n}.jpg") for n in range(4)]
    too_many = write(http, school, number, "Les quatre pages.", files)
    assert too_many.status_code == 422 and body(too_many)["code"] == "attachments_invalid"
    twice = write(http, school, number, "Deux fois la même.", [files[0], files[0]])
    assert twice.status_code == 422 and body(twice)["code"] == "attachments_invalid"
    # An agent cannot send the school's file as theirs, nor name a file of nowhere.
    for ids in ([files[0]], ["0" * 32], ["../../x"]):
        theirs = write(http, agents["ddt92"], number, "Je renvoie la pièce.", ids, staff=True)
        assert theirs.status_code == 422 and body(theirs)["code"] == "attachment_unknown"
    assert write(http, school, number, "Les trois premières pages.", files[:3]).status_code == 201
    again = write(http, school, number, "Encore la première.", [files[0]])
    assert again.status_code == 409 and body(again)["code"] == "attachment_sent"
    # An unsent file is not on the thread and does not open.
    pump.run_until_idle()
    assert [len(m["attachments"]) for m in thread(http, school, number)["messages"]] == [3]
    assert link(http, school, number, files[3]).status_code == 404


def test_a_refused_file_cannot_be_sent(http, school, pump):
    number = queued(http, school, pump)
    lying = attached(http, school, number, scan(fmt="PNG"))
    pump.run_until_idle()  # checked (refused) before the message is written
    answer = write(http, school, number, "La photo.", [lying])
    assert answer.status_code == 422 and body(answer)["code"] == "attachment_refused"
    assert "refusée par la vérification" in body(answer)["message"]


def test_nobody_else_attaches_to_or_opens_the_threads_files(http, school, pump, agents, accounts):
    number = queued(http, school, pump)
    attachment = attached(http, school, number, scan())
    assert write(http, school, number, "La facture.", [attachment]).status_code == 201
    pump.run_until_idle()
    other_school = active_school(http, accounts, "E0000000002", "autre@example.fr")
    assert prepare(http, other_school, number, data=scan()).status_code == 404
    assert link(http, other_school, number, attachment).status_code == 404
    for other in ("ddt69", "cert"):
        assert prepare(http, agents[other], number, staff=True, data=scan()).status_code == 404
        assert link(http, agents[other], number, attachment, staff=True).status_code == 404
    for token, prefix in ((school, "/staff"), (agents["ddt92"], ""), (agents["admin92"], "/staff")):
        assert call(http, "GET", f"{prefix}/requests/{number}/messages/pieces-jointes/{attachment}",
                    token).status_code == 403
    # A draft has no thread, so nothing to attach to.
    draft = new_request(http, school)["request_id"]
    answer = prepare(http, school, draft, data=scan())
    assert answer.status_code == 409 and body(answer)["code"] == "thread_closed"


def pdf() -> bytes:
    from fpdf import FPDF

    document = FPDF()
    document.add_page()
    document.set_font("helvetica", size=14)
    for line in range(30):
        document.cell(0, 8, f"Courrier de la DDT, ligne {line} : pièce justificative attendue.", new_x="LMARGIN",
                      new_y="NEXT")
    return bytes(document.output())
