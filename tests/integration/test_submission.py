"""Submission and what follows (issue 5, second part): the ePhoto code, the Idempotency-Key and
the version, ONE email to a candidate without account, the candidate's validation and its
identity check, the day-5 reminder and the day-7 expiry, the move to instruction once the
documents are accepted, the history, the receipt, the school taking a request back, the
transfer; and their refusals."""
from __future__ import annotations

import json
import os
import uuid
from datetime import datetime, timedelta, timezone

import boto3
import pytest
import requests as http_client

from chalicelib.adapters import wiring
from chalicelib.domain.dates import PARIS
from tests.accounts_support import PASSWORD, active_candidate, active_school, link_token, post, sent_emails, sign_in
from tests.integration.test_documents import scan, upload
from tests.integration.test_requests import CATEGORIES, CONTACT, DECLARATIONS, body, call, civil_status, new_request

EPHOTO = "AB12CD34EF56GH78IJ90KL"
ADULT = "2000-01-01"  # 26: no JDC, no ASSR (over 21 with no licence: ASSR only under 21)


@pytest.fixture
def school(http, accounts):
    return active_school(http, accounts, "E0000000001", "ecole@example.fr")


def fill(http, token, number, birth_date=ADULT, email="testun.joun@example.fr", **civil):
    for step, payload in (("civil_status", civil_status(birth_date, **civil)),
                          ("contact", {**CONTACT, "email": email}), ("categories", CATEGORIES),
                          ("declarations", DECLARATIONS)):
        saved = call(http, "PUT", f"/requests/{number}/steps/{step}", token, payload)
        assert saved.status_code == 200, (step, saved.body)


def send_documents(http, token, number, pump=None, ephoto=EPHOTO):
    """The ePhoto code and every file the summary asks for, uploaded to S3; checked when `pump`."""
    assert call(http, "PUT", f"/requests/{number}/ephoto", token, {"code": ephoto}).status_code == 200
    for needed in body(call(http, "GET", f"/requests/{number}/summary", token))["required_documents"]:
        if needed["is_file"]:
            form = body(call(http, "POST", f"/requests/{number}/documents/{needed['document']}/upload", token,
                             {"content_type": "image/jpeg", "size": 200_000}))
            assert upload(form, scan()).status_code == 204
    if pump:
        pump.run_until_idle()


def submit(http, token, number, version=None, key=None):
    version = version or body(call(http, "GET", f"/requests/{number}", token))["version"]
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}",
               "Idempotency-Key": key or str(uuid.uuid4())}
    return http.request("POST", f"/requests/{number}/submission", headers=headers,
                        body=json.dumps({"version": version}).encode())


def ready_request(http, token, pump=None, mandate="mandat-papier", ephoto=EPHOTO, **fill_options):
    number = new_request(http, token, mandate=mandate)["request_id"]
    fill(http, token, number, **fill_options)
    send_documents(http, token, number, pump, ephoto)
    return number


def events(number):
    """Types of the outbox events written about this request (the table read directly: tests only)."""
    items = boto3.client("dynamodb").scan(TableName=os.environ["TABLE_MAIN_NAME"], FilterExpression="entity = :outbox",
                                          ExpressionAttributeValues={":outbox": {"S": "outbox"}})["Items"]
    return sorted(i["type"]["S"] for i in items if i["aggregate_id"]["S"] == number)


def history(http, token, number):
    return [(row["from_status"], row["to_status"]) for row in
            body(call(http, "GET", f"/requests/{number}/history", token))["history"]]


# --- with a paper mandate: the images are checked, then instruction begins by itself -------------

def test_a_paper_mandate_request_goes_through_the_image_check_to_instruction_by_itself(http, school, pump):
    number = ready_request(http, school)  # files in S3, not checked yet
    submitted = submit(http, school, number)
    assert submitted.status_code == 200, submitted.body
    assert body(submitted)["status_label"] == "Vérification des images"
    assert {d["state"] for d in body(call(http, "GET", f"/requests/{number}/documents", school))["documents"]
            if d["document"] != "ephoto"} == {"pending"}
    pump.run_until_idle()  # the checker accepts the files: nobody has to push the request on
    request = body(call(http, "GET", f"/requests/{number}", school))
    assert request["status_label"] == "En cours d'instruction" and request["submitted_at"]
    assert history(http, school, number) == [("brouillon", "verification-images"),
                                             ("verification-images", "en-instruction")]
    rows = body(call(http, "GET", f"/requests/{number}/history", school))["history"]
    assert [r["actor_label"] for r in rows] == ["Professionnel auto-école", "Automatiquement"]
    assert rows[1]["reason"] == "Toutes les pièces sont acceptées : la demande passe à l'instruction."
    # The instruction queues (next issue) are cued once, in the same transaction as the move; the
    # statistics get one status change per transition.
    assert events(number) == ["request.ready_for_instruction", "request.status_changed", "request.status_changed",
                              "request.submitted"]


def test_documents_accepted_before_submission_take_the_request_straight_to_instruction(http, school, pump):
    number = ready_request(http, school, pump)
    assert body(submit(http, school, number))["status"] == "en-instruction"
    assert history(http, school, number) == [("brouillon", "verification-images"),
                                             ("verification-images", "en-instruction")]
    # One click, two moves: the submission is the school's, the move to instruction is automatic.
    rows = body(call(http, "GET", f"/requests/{number}/history", school))["history"]
    assert [r["actor_label"] for r in rows] == ["Professionnel auto-école", "Automatiquement"]
    assert events(number) == ["request.ready_for_instruction", "request.status_changed", "request.status_changed",
                              "request.submitted"]


def test_a_refused_document_shows_why_and_a_replacement_moves_the_request_on(http, school, pump):
    number = ready_request(http, school)
    submit(http, school, number)
    bad = body(call(http, "POST", f"/requests/{number}/documents/identite/upload", school,
                    {"content_type": "image/jpeg", "size": 30_000}))
    upload(bad, b"%PDF-1.4 not a jpeg" + b"\0" * 30_000)
    pump.run_until_idle()
    request = body(call(http, "GET", f"/requests/{number}", school))
    assert request["status"] == "verification-images"  # waits for the identity document
    identity = body(call(http, "GET", f"/requests/{number}/documents", school))["documents"]
    [refused] = [d for d in identity if d["document"] == "identite"]
    assert refused["state"] == "refused" and refused["reason"]
    again = body(call(http, "POST", f"/requests/{number}/documents/identite/upload", school,
                      {"content_type": "image/jpeg", "size": 200_000}))
    upload(again, scan())
    pump.run_until_idle()
    assert body(call(http, "GET", f"/requests/{number}", school))["status"] == "en-instruction"


# --- submission: Idempotency-Key, version, completeness -------------------------------------------

def test_a_double_click_submits_once_and_the_same_key_gives_the_same_answer(http, school, pump):
    number = ready_request(http, school, pump)
    version = body(call(http, "GET", f"/requests/{number}", school))["version"]
    first = submit(http, school, number, version, key="clic-unique-0001")
    second = submit(http, school, number, version, key="clic-unique-0001")
    assert first.status_code == second.status_code == 200
    assert body(second)["status"] == body(first)["status"] and body(second)["version"] == body(first)["version"]
    assert len(history(http, school, number)) == 2
    pump.run_until_idle()
    other = ready_request(http, school, pump, ephoto="ZZ12CD34EF56GH78IJ90KL")
    reused = submit(http, school, other, key="clic-unique-0001")
    assert reused.status_code == 422 and body(reused)["code"] == "idempotency_key_reused"


def test_a_second_tab_submitting_with_the_version_it_read_gets_409(http, school, pump):
    number = ready_request(http, school, pump)
    version = body(call(http, "GET", f"/requests/{number}", school))["version"]
    assert submit(http, school, number, version).status_code == 200
    late = submit(http, school, number, version)
    assert late.status_code == 409 and body(late)["code"] == "changed_meanwhile"
    assert body(late)["current"]["status"] == "en-instruction"


def test_two_concurrent_submissions_make_one_transition(http, school, pump, monkeypatch):
    from chalicelib.adapters.requests_repository import DynamoRequestsRepository

    number = ready_request(http, school, pump)
    stale = wiring.requests_repository().get(number)
    real_get = DynamoRequestsRepository.get
    assert submit(http, school, number).status_code == 200  # the other tab, a moment earlier
    with monkeypatch.context() as patched:
        patched.setattr(DynamoRequestsRepository, "get", lambda self, n: stale if n == number else real_get(self, n))
        raced = submit(http, school, number, stale.version)  # read before the other tab committed
    assert raced.status_code == 409 and body(raced)["code"] == "changed_meanwhile"
    assert len(history(http, school, number)) == 2


def test_an_incomplete_request_is_refused_with_what_is_missing(http, school):
    number = new_request(http, school, mandate="mandat-papier")["request_id"]
    call(http, "PUT", f"/requests/{number}/steps/declarations", school, DECLARATIONS)
    refused = submit(http, school, number)
    assert refused.status_code == 422 and body(refused)["code"] == "not_ready"
    fields = {d["field"] for d in body(refused)["details"]}
    assert {"civil_status", "contact", "categories"} <= fields
    assert body(call(http, "GET", f"/requests/{number}", school))["status"] == "brouillon"


def test_a_submission_without_idempotency_key_is_refused(http, school, pump):
    number = ready_request(http, school, pump)
    refused = call(http, "POST", f"/requests/{number}/submission", school, {"version": 1})
    assert refused.status_code == 422 and body(refused)["code"] == "idempotency_key_missing"


def test_another_school_cannot_submit_and_gets_the_unknown_number_404(http, school, pump, accounts):
    number = ready_request(http, school, pump)
    other = active_school(http, accounts, "E0000000002", "autre@example.fr")
    refused = submit(http, other, number, 1)
    assert refused.status_code == 404 and body(refused)["code"] == "request_not_found"


def test_the_ephoto_code_is_checked_for_format_and_serves_one_request(http, school, pump):
    number = new_request(http, school, mandate="mandat-papier")["request_id"]
    short = call(http, "PUT", f"/requests/{number}/ephoto", school, {"code": "ABC-123"})
    assert short.status_code == 422 and body(short)["code"] == "ephoto_invalid"
    assert "22 caractères" in body(short)["message"] or "lettres et des chiffres" in body(short)["message"]
    first = ready_request(http, school, pump)  # uses EPHOTO
    assert submit(http, school, first).status_code == 200
    used = call(http, "PUT", f"/requests/{number}/ephoto", school, {"code": EPHOTO.lower()})
    assert used.status_code == 409 and body(used)["code"] == "ephoto_used"


def test_an_ephoto_code_claimed_meanwhile_by_another_request_refuses_the_submission(http, school, pump):
    first, second = ready_request(http, school, pump), ready_request(http, school, pump)  # same code, both drafts
    assert submit(http, school, first).status_code == 200
    refused = submit(http, school, second)
    assert refused.status_code == 409 and body(refused)["code"] == "ephoto_used"
    assert body(call(http, "GET", f"/requests/{second}", school))["status"] == "brouillon"


# --- without mandate: the candidate validates ---------------------------------------------------

def test_a_candidate_without_account_gets_one_email_activates_and_validates(http, school, pump):
    number = ready_request(http, school, pump, mandate="sans-mandat")
    submitted = submit(http, school, number)
    assert body(submitted)["status_label"] == "Attente validation usager"
    deadline = datetime.fromisoformat(body(submitted)["validation_deadline"])
    assert timedelta(days=6, hours=23) < deadline - datetime.now(timezone.utc) <= timedelta(days=7)
    pump.run_until_idle()
    [email] = sent_emails("testun.joun@example.fr")  # ONE email: activation and validation together
    assert "École" in email.body and f"demande={number}" in email.body
    activated = post(http, "/accounts/activation", {"token": link_token(email), "password": PASSWORD})
    assert body(activated)["request_id"] == number
    candidate = sign_in(http, "testun.joun@example.fr")
    seen = body(call(http, "GET", f"/requests/{number}", candidate))
    assert seen["viewer"] == "candidate" and seen["actions"] == ["validate", "message"]
    assert [r["request_id"] for r in body(call(http, "GET", "/requests", candidate))["requests"]] == [number]
    edit = call(http, "PUT", f"/requests/{number}/steps/declarations", candidate, DECLARATIONS)
    assert edit.status_code == 403 and body(edit)["code"] == "filer_only"
    validated = call(http, "POST", f"/requests/{number}/validation", candidate, {"version": seen["version"]})
    assert validated.status_code == 200 and body(validated)["status"] == "en-instruction"
    assert body(call(http, "GET", f"/requests/{number}", school))["status_label"] == "En cours d'instruction"
    assert [row[1] for row in history(http, school, number)] == [
        "attente-validation-usager", "verification-images", "en-instruction"]


def test_the_candidate_reads_their_own_words_and_the_automatic_move_is_credited_to_nobody(http, school, pump,
                                                                                           accounts):
    candidate = active_candidate(http, accounts, "deja.inscrit@example.fr")
    number = ready_request(http, school, pump, mandate="sans-mandat", email="deja.inscrit@example.fr")  # all checked
    submit(http, school, number)
    seen = body(call(http, "GET", f"/requests/{number}", candidate))
    assert seen["status_label"] == "À valider par vous"
    # The school's address, to tell it of a mistake: for its candidate only, never in the school's own view.
    assert seen["school_address"] and seen["school_address"].endswith("92160 Antony")
    assert body(call(http, "GET", "/requests", candidate))["statuses"][1] == {
        "status": "attente-validation-usager", "label": "À valider par vous"}  # the filter, in their words
    assert seen["status_hint"].startswith("À vous : vérifiez les informations puis validez la demande dans les 7 jours")
    [row] = body(call(http, "GET", "/requests", candidate))["requests"]
    assert row["status_label"] == "À valider par vous" and row["next_step"] == seen["status_hint"]
    school_view = body(call(http, "GET", f"/requests/{number}", school))
    assert school_view["status_label"] == "Attente validation usager" and school_view["school_address"] is None
    assert school_view["status_hint"].startswith("Au candidat : il doit valider la demande")
    [school_row] = [r for r in body(call(http, "GET", "/requests", school))["requests"] if r["request_id"] == number]
    assert school_row["next_step"] == school_view["status_hint"]

    validated = call(http, "POST", f"/requests/{number}/validation", candidate, {"version": seen["version"]})
    assert body(validated)["status"] == "en-instruction"  # every document was accepted already
    assert body(validated)["status_hint"].startswith("Rien à faire de votre part : un instructeur de la DDT")
    rows = body(call(http, "GET", f"/requests/{number}/history", candidate))["history"]
    assert [(r["to_label"], r["actor_label"]) for r in rows[-2:]] == [
        ("Vérification des pièces", "Candidat"), ("En cours d'instruction", "Automatiquement")]
    assert rows[-1]["reason"] == "Toutes les pièces sont acceptées : la demande passe à l'instruction."
    school_rows = body(call(http, "GET", f"/requests/{number}/history", school))["history"]
    assert [(r["from_label"], r["to_label"], r["actor_label"]) for r in school_rows[-2:]] == [
        ("Attente validation usager", "Vérification des images", "Candidat"),
        ("Vérification des images", "En cours d'instruction", "Automatiquement")]


def test_a_candidate_with_an_account_is_asked_by_email_and_a_divergence_is_shown_to_both(http, school, pump,
                                                                                          accounts):
    candidate = active_candidate(http, accounts, "deja.inscrit@example.fr")  # born 2000-01-01, "Testun Joun"
    number = ready_request(http, school, pump, mandate="sans-mandat", email="deja.inscrit@example.fr",
                           birth_date="2001-02-03")
    submit(http, school, number)
    pump.run_until_idle()
    [email] = sent_emails("deja.inscrit@example.fr")
    assert "valider" in email.body.lower() and f"valider.html#demande={number}" in email.body
    version = body(call(http, "GET", f"/requests/{number}", candidate))["version"]
    refused = call(http, "POST", f"/requests/{number}/validation", candidate, {"version": version})
    assert refused.status_code == 409 and body(refused)["code"] == "identity_mismatch"
    assert [d["field"] for d in body(refused)["details"]] == ["birth_date"]
    assert "Date de naissance" in body(refused)["message"]
    school_view = body(call(http, "GET", f"/requests/{number}", school))
    assert school_view["identity_divergence"] == [{"field": "birth_date", "label": "Date de naissance"}]
    assert school_view["status"] == "attente-validation-usager" and "back_to_draft" in school_view["actions"]
    # The school corrects the request, submits it again; the candidate validates.
    taken = call(http, "POST", f"/requests/{number}/back-to-draft", school, {"version": school_view["version"]})
    assert body(taken)["status"] == "brouillon"
    call(http, "PUT", f"/requests/{number}/steps/civil_status", school, civil_status(ADULT))
    assert body(submit(http, school, number))["identity_divergence"] == []
    version = body(call(http, "GET", f"/requests/{number}", candidate))["version"]
    assert body(call(http, "POST", f"/requests/{number}/validation", candidate, {"version": version}))[
        "status"] == "en-instruction"


def test_only_the_candidate_of_the_request_validates_it(http, school, pump, accounts):
    number = ready_request(http, school, pump, mandate="sans-mandat")
    submit(http, school, number)
    stranger = active_candidate(http, accounts, "autre.candidat@example.fr")
    refused = call(http, "POST", f"/requests/{number}/validation", stranger, {"version": 1})
    assert refused.status_code == 404
    as_school = call(http, "POST", f"/requests/{number}/validation", school, {"version": 1})
    assert as_school.status_code == 403


def test_an_email_of_a_professional_account_cannot_be_the_candidates(http, school, pump):
    number = ready_request(http, school, pump, mandate="sans-mandat", email="ecole@example.fr")
    refused = submit(http, school, number)
    assert refused.status_code == 422 and body(refused)["code"] == "candidate_email_taken"
    assert body(refused)["details"][0]["field"] == "contact.email"


def test_day_5_reminds_once_and_day_7_returns_the_request_to_the_school(http, school, pump, accounts):
    candidate = active_candidate(http, accounts, "deja.inscrit@example.fr")
    number = ready_request(http, school, pump, mandate="sans-mandat", email="deja.inscrit@example.fr")
    submitted_at = datetime.now(timezone.utc)
    submit(http, school, number)
    pump.run_until_idle()
    service = wiring.requests_service()
    service.clock = lambda: submitted_at + timedelta(days=4)
    assert service.remind_and_expire() == {"reminded": 0, "expired": 0}
    service.clock = lambda: submitted_at + timedelta(days=5, minutes=1)
    assert service.remind_and_expire() == {"reminded": 1, "expired": 0}
    assert service.remind_and_expire() == {"reminded": 0, "expired": 0}  # once
    pump.run_until_idle()
    assert [e.subject for e in sent_emails("deja.inscrit@example.fr")][-1].startswith("Permis en ligne : rappel")
    service.clock = lambda: submitted_at + timedelta(days=7, minutes=1)
    assert service.remind_and_expire() == {"reminded": 0, "expired": 1}
    pump.run_until_idle()
    request = body(call(http, "GET", f"/requests/{number}", school))
    assert request["status_label"] == "Expirée" and request["steps"]["civil_status"]  # nothing deleted
    assert request["actions"] == ["upload", "back_to_draft", "resend_validation", "message"]
    [notice] = sent_emails("ecole@example.fr")
    assert "7 jours" in notice.body and number in notice.body
    assert history(http, school, number)[-1] == ("attente-validation-usager", "expiree")
    late = call(http, "POST", f"/requests/{number}/validation", candidate, {"version": request["version"]})
    assert late.status_code == 409 and body(late)["code"] == "illegal_transition"
    again = call(http, "POST", f"/requests/{number}/resend-validation", school, {"version": request["version"]})
    assert body(again)["status"] == "attente-validation-usager"
    pump.run_until_idle()
    assert len(sent_emails("deja.inscrit@example.fr")) == 3  # asked, reminded, asked again


# --- receipt, transfer ----------------------------------------------------------------------------

def test_the_receipt_is_made_after_submission_and_downloaded_by_a_short_link(http, school, pump, tmp_path):
    from tests.integration.test_attestations import verify
    from tests.unit.test_attestation import _scan, _text

    number = ready_request(http, school, pump)
    early = call(http, "GET", f"/requests/{number}/receipt", school)
    assert early.status_code == 409 and body(early)["code"] == "receipt_not_ready"
    submit(http, school, number)
    assert call(http, "GET", f"/requests/{number}/receipt", school).status_code == 409  # being made
    pump.run_until_idle()
    link = body(call(http, "GET", f"/requests/{number}/receipt", school))
    assert "Expires=60" in link["url"] or "X-Amz-Expires=60" in link["url"]
    pdf = http_client.get(link["url"], timeout=10)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    (page,) = _text(pdf.content)
    assert page.startswith("RÉPUBLIQUE FRANÇAISE Liberté Égalité Fraternité MINISTÈRE DE L'INTÉRIEUR")
    assert "RÉCÉPISSÉ DE DÉPÔT" in page and f"Demande n° : {number}" in page and "Nom de famille : JOUN" in page
    # Its QR code, read off the printed page, is a receipt's, authentic on the public route.
    [payload] = _scan(pdf.content, tmp_path)
    answer = verify(http, payload)
    assert answer["authentic"] is True and answer["document"] == "Récépissé de dépôt"
    assert (answer["request_id"], answer["birth_name"], answer["first_names"]) == (number, "JOUN", "TESTUN")
    assert answer["procedure"].startswith("Inscription à l'examen") and answer["neph"] is None
    submitted_at = datetime.fromisoformat(body(call(http, "GET", f"/requests/{number}", school))["submitted_at"])
    assert answer["deposited_on"] == submitted_at.astimezone(PARIS).date().isoformat()
    assert answer["message"].startswith(f"Récépissé de dépôt authentique : demande n° {number}")
    edited = payload.replace("|JOUN|", "|JOHN|")
    assert edited != payload and verify(http, edited)["code"] == "bad_signature"
    from chalicelib.workers.requests import make_receipt

    make_receipt(number)  # made again (a message delivered twice): the same bytes
    assert http_client.get(body(call(http, "GET", f"/requests/{number}/receipt", school))["url"],
                           timeout=10).content == pdf.content


def test_a_transfer_needs_the_number_and_the_former_agrement_and_notifies_both_schools(http, school, pump,
                                                                                        accounts):
    number = ready_request(http, school, pump)
    submit(http, school, number)
    newcomer = active_school(http, accounts, "E0000000002", "nouvelle@example.fr")
    for wrong in ({"request_id": number, "former_agrement": "E0000000009"},
                  {"request_id": "999999999999", "former_agrement": "E0000000001"}):
        refused = call(http, "POST", "/requests/transfer", newcomer, wrong)
        assert refused.status_code == 422 and body(refused)["code"] == "transfer_refused"
    moved = call(http, "POST", "/requests/transfer", newcomer, {"request_id": number, "former_agrement": "e0000000001"})
    assert moved.status_code == 200 and body(moved)["status"] == "en-instruction"
    assert call(http, "GET", f"/requests/{number}", school).status_code == 404
    assert [r["request_id"] for r in body(call(http, "GET", "/requests", newcomer))["requests"]] == [number]
    assert number not in [r["request_id"] for r in body(call(http, "GET", "/requests", school))["requests"]]
    pump.run_until_idle()
    assert "reprise" in sent_emails("ecole@example.fr")[-1].body
    assert number in sent_emails("nouvelle@example.fr")[-1].body
    again = call(http, "POST", "/requests/transfer", newcomer, {"request_id": number, "former_agrement": "E0000000001"})
    assert again.status_code == 422


def test_a_draft_expires_3_months_after_its_last_change_and_a_submitted_request_never(http, school, pump):
    def expires_at(number):
        item = boto3.client("dynamodb").get_item(TableName=os.environ["TABLE_MAIN_NAME"],
                                                 Key={"pk": {"S": f"REQUEST#{number}"}, "sk": {"S": "REQUEST"}})["Item"]
        return int(item["expires_at"]["N"]) if "expires_at" in item else None

    number = ready_request(http, school, pump)
    saved_at = datetime.fromisoformat(body(call(http, "GET", f"/requests/{number}", school))["updated_at"])
    assert expires_at(number) == int((saved_at + timedelta(days=90)).timestamp())  # DynamoDB's TTL purges it
    submit(http, school, number)
    assert expires_at(number) is None


# --- refusals common to every route of a request ------------------------------------------------

REQUEST_ROUTES = [("GET", "/requests/{n}", None), ("GET", "/requests/{n}/summary", None),
                  ("GET", "/requests/{n}/documents", None), ("GET", "/requests/{n}/history", None),
                  ("GET", "/requests/{n}/receipt", None), ("PUT", "/requests/{n}/ephoto", {"code": EPHOTO}),
                  ("PUT", "/requests/{n}/steps/declarations", DECLARATIONS),
                  ("POST", "/requests/{n}/documents/identite/upload", {"content_type": "image/jpeg", "size": 200_000}),
                  ("POST", "/requests/{n}/submission", {"version": 1}),
                  ("POST", "/requests/{n}/back-to-draft", {"version": 1}),
                  ("POST", "/requests/{n}/resend-validation", {"version": 1})]


@pytest.mark.parametrize("method,path,payload", REQUEST_ROUTES)
def test_another_school_gets_the_same_404_as_an_unknown_number_on_every_route(http, school, accounts, method, path,
                                                                               payload):
    number = new_request(http, school)["request_id"]
    other = active_school(http, accounts, "E0000000002", "autre@example.fr")
    headers = {"Idempotency-Key": "cle-de-test-0001"} if path.endswith("submission") else {}
    answers = []
    for target in (number, "999999999999"):
        response = http.request(method, path.format(n=target), body=json.dumps(payload).encode() if payload else b"",
                                headers={"Content-Type": "application/json", "Authorization": f"Bearer {other}",
                                         **headers})
        answers.append((response.status_code, body(response)))
    assert answers[0] == answers[1] and answers[0][0] == 404


@pytest.mark.parametrize("payload", [{}, {"version": "deux"}, {"version": 0}, {"version": 3, "status": "validee"}])
def test_a_state_change_without_a_proper_version_is_refused_per_field(http, school, pump, payload):
    number = ready_request(http, school, pump)
    refused = http.request("POST", f"/requests/{number}/submission", body=json.dumps(payload).encode(),
                           headers={"Content-Type": "application/json", "Authorization": f"Bearer {school}",
                                    "Idempotency-Key": "cle-de-test-0002"})
    assert refused.status_code == 422 and body(refused)["details"]
    assert body(call(http, "GET", f"/requests/{number}", school))["status"] == "brouillon"


def test_a_validation_request_delivered_twice_sends_one_email(http, school, pump, accounts):
    from chalicelib.domain.events import OutboxEvent
    from chalicelib.workers.emails import send_for

    active_candidate(http, accounts, "deja.inscrit@example.fr")
    number = ready_request(http, school, pump, mandate="sans-mandat", email="deja.inscrit@example.fr")
    submit(http, school, number)
    pump.run_until_idle()
    assert len(sent_emails("deja.inscrit@example.fr")) == 1
    item = [i for i in boto3.client("dynamodb").scan(TableName=os.environ["TABLE_MAIN_NAME"])["Items"]
            if i.get("type", {}).get("S") == "request.validation_asked" and i["aggregate_id"]["S"] == number][0]
    replayed = OutboxEvent(id=item["id"]["S"], type=item["type"]["S"], aggregate_id=number,
                           occurred_at=datetime.fromisoformat(item["occurred_at"]["S"]),
                           payload={"request_id": number})
    send_for(replayed)
    assert len(sent_emails("deja.inscrit@example.fr")) == 1
