"""The agents' workbench (issue 20): a validation must name each pre-check "À vérifier" the agent
looked at (a possible duplicate NEPH is the case met in the field), kept in the agents' history and
never shown to the filer; private notes seen by the agents of the request's authority only. And
what they refuse: a validation without the acknowledgement (nothing recorded), another authority's
request or notes, a school, an administrator, an agent without double authentication, an empty or
too long note, unknown fields."""
from __future__ import annotations

import pytest

from pathlib import Path

from chalicelib.domain.accounts import AgentCreation, Role
from tests.accounts_support import PASSWORD, active_school, sign_in
from tests.integration.test_instruction_queues import claim, decide, queued
from tests.integration.test_requests import body, call


SAMPLES = Path(__file__).resolve().parents[2] / "test-output" / "documents"


@pytest.fixture
def school(http, accounts):
    return active_school(http, accounts, "E0000000001", "ecole@example.fr")


def staff_view(http, token, number):
    answer = call(http, "GET", f"/staff/requests/{number}", token)
    assert answer.status_code == 200, answer.body
    return body(answer)


def test_a_possible_duplicate_neph_must_be_acknowledged_before_validating(http, school, pump, agents):
    # The same person filed twice as a first registration (each request with its own ePhoto code).
    first = queued(http, school, pump)
    second = queued(http, school, pump, ephoto="ZZ12CD34EF56GH78IJ90KL")
    held = claim(http, agents["ddt92"])["request"]
    assert held["request_id"] == first and not [c for c in held["pre_checks"] if c["ok"] is False]
    validated = decide(http, agents["ddt92"], first, held["version"])
    assert validated.status_code == 200, validated.body
    neph = body(validated)["neph"]

    seen = claim(http, agents["ddt92"])["request"]
    assert seen["request_id"] == second
    [duplicate] = [c for c in seen["pre_checks"] if c["ok"] is False]
    assert duplicate["code"] == "neph" and neph in duplicate["detail"] and "doublon possible" in duplicate["detail"]

    refused = decide(http, agents["ddt92"], second, seen["version"])
    assert refused.status_code == 422
    answer = body(refused)
    assert answer["code"] == "checks_not_acknowledged" and "rien n'a été enregistré" in answer["message"]
    assert [(d["code"], d["field"]) for d in answer["details"]] == [("neph", "acknowledged")]
    assert "doublon possible" in answer["details"][0]["message"]
    # Naming another check does not stand for this one.
    assert decide(http, agents["ddt92"], second, seen["version"], acknowledged=["age"]).status_code == 422
    unchanged = staff_view(http, agents["ddt92"], second)
    assert unchanged["status"] == "en-instruction" and unchanged["version"] == seen["version"]
    assert unchanged["claim"]["mine"] is True  # still held: the agent looks, then validates

    done = decide(http, agents["ddt92"], second, seen["version"], acknowledged=["neph"])
    assert done.status_code == 200, done.body
    assert body(done)["neph"] == neph  # the person keeps the NEPH they have
    last = staff_view(http, agents["ddt92"], second)["history"][-1]
    assert last["to_status"] == "validee" and len(last["acknowledged"]) == 1
    assert last["acknowledged"][0].startswith("NEPH existant : ") and neph in last["acknowledged"][0]
    # The filer's history says the request was validated, not what the agents checked.
    filer_rows = body(call(http, "GET", f"/requests/{second}/history", school))["history"]
    assert filer_rows[-1]["to_status"] == "validee" and all(row["acknowledged"] == [] for row in filer_rows)


def test_a_complement_or_a_rejection_needs_no_acknowledgement(http, school, pump, agents):
    queued(http, school, pump)
    second = queued(http, school, pump, ephoto="ZZ12CD34EF56GH78IJ90KL")
    first = claim(http, agents["ddt92"])["request"]
    assert decide(http, agents["ddt92"], first["request_id"], first["version"]).status_code == 200
    seen = claim(http, agents["ddt92"])["request"]
    assert seen["request_id"] == second
    rejected = decide(http, agents["ddt92"], second, seen["version"], decision="rejeter", reasons=["doublon"])
    assert rejected.status_code == 200, rejected.body
    assert staff_view(http, agents["ddt92"], second)["history"][-1]["acknowledged"] == []


def test_an_unknown_acknowledgement_field_or_too_many_codes_are_refused(http, school, pump, agents):
    number = queued(http, school, pump)
    seen = claim(http, agents["ddt92"])["request"]
    assert decide(http, agents["ddt92"], number, seen["version"], acknowledged="neph").status_code == 422
    assert decide(http, agents["ddt92"], number, seen["version"], acknowledged=["neph"] * 11).status_code == 422
    assert staff_view(http, agents["ddt92"], number)["status"] == "en-instruction"


def test_notes_are_shared_by_the_agents_of_the_authority_and_nobody_else(http, school, pump, agents):
    number = queued(http, school, pump)
    path = f"/staff/requests/{number}/notes"
    assert body(call(http, "GET", path, agents["ddt92"])) == {"notes": []}
    added = call(http, "POST", path, agents["ddt92"], {"text": "  Appelé l'auto-école : le justificatif arrive.  "})
    assert added.status_code == 201, added.body
    note = body(added)
    assert note["text"] == "Appelé l'auto-école : le justificatif arrive." and note["agent_name"].startswith("Claire")
    # Without claiming the request: a colleague adds one too; both read both, oldest first.
    assert call(http, "POST", path, agents["ddt92b"], {"text": "Vu."}).status_code == 201
    for colleague in ("ddt92", "ddt92b"):
        assert [n["text"] for n in body(call(http, "GET", path, agents[colleague]))["notes"]] == [
            "Appelé l'auto-école : le justificatif arrive.", "Vu."]
    # Another authority's agents: the same 404 as an unknown number, for reading and for writing.
    for other in ("ddt69", "cert"):
        for method, payload in (("GET", None), ("POST", {"text": "Intrus"})):
            answer = call(http, method, path, agents[other], payload)
            assert answer.status_code == 404 and body(answer)["code"] == "request_not_found"
    assert call(http, "GET", "/staff/requests/999999999999/notes", agents["ddt92"]).status_code == 404
    # Not an instructor: the school that filed it, the prefecture's administrator.
    for token in (school, agents["admin92"]):
        assert call(http, "GET", path, token).status_code == 403
        assert call(http, "POST", path, token, {"text": "Intrus"}).status_code == 403
    # Never in what the filer reads.
    assert "justificatif arrive" not in call(http, "GET", f"/requests/{number}", school).body.decode()
    assert "justificatif arrive" not in call(http, "GET", f"/requests/{number}/history", school).body.decode()
    assert len(body(call(http, "GET", path, agents["ddt92"]))["notes"]) == 2


@pytest.mark.parametrize("payload, code", [({"text": "   "}, "note_invalid"), ({"text": "x" * 2001}, "note_invalid"),
                                           ({}, None), ({"text": "Vu.", "prive": True}, None),
                                           ({"text": 12}, None)])
def test_an_empty_a_too_long_or_a_malformed_note_is_refused_in_french(http, school, pump, agents, payload, code):
    number = queued(http, school, pump)
    answer = call(http, "POST", f"/staff/requests/{number}/notes", agents["ddt92"], payload)
    assert answer.status_code == 422, answer.body
    refusal = body(answer)
    if code:
        assert refusal["code"] == code and refusal["details"][0]["field"] == "text"
        assert "note" in refusal["message"].lower()
    assert body(call(http, "GET", f"/staff/requests/{number}/notes", agents["ddt92"])) == {"notes": []}


def test_an_agent_without_double_authentication_reads_and_writes_no_note(http, school, pump, agents, accounts):
    number = queued(http, school, pump)
    accounts.open(lambda a: a.create_agent(AgentCreation(role=Role.INSTRUCTEUR_DDT, email="sans.mfa@ddt92.gouv.fr",
                                                          birth_name="Sans", first_name="Mfa", departement="92")),
                  PASSWORD)
    token = sign_in(http, "sans.mfa@ddt92.gouv.fr")
    for method, payload in (("GET", None), ("POST", {"text": "Vu."})):
        answer = call(http, method, f"/staff/requests/{number}/notes", token, payload)
        assert answer.status_code == 403 and body(answer)["code"] == "mfa_required"


def test_a_document_opens_to_download_and_to_be_shown_in_the_page_and_each_opening_is_a_read(http, school, pump,
                                                                                            agents):
    from urllib.parse import parse_qs, urlparse

    number = queued(http, school, pump)
    claim(http, agents["ddt92"])
    link = body(call(http, "GET", f"/staff/requests/{number}/documents/identite", agents["ddt92"]))
    assert link["content_type"] == "image/jpeg"
    download, shown = parse_qs(urlparse(link["url"]).query), parse_qs(urlparse(link["view_url"]).query)
    assert download["response-content-disposition"][0].startswith("attachment;")
    assert shown["response-content-disposition"][0].startswith("inline;")
    assert shown["response-content-type"] == ["image/jpeg"] and shown["X-Amz-Expires"] == ["60"]
    call(http, "GET", f"/staff/requests/{number}/documents/domicile", agents["ddt92"])
    reads = body(call(http, "GET", f"/staff/requests/{number}/reads", agents["admin92"]))["reads"]
    assert sorted(r["what"] for r in reads if r["what"].startswith("piece:")) == ["piece:domicile", "piece:identite"]
    # Another authority's agent gets neither link nor a read recorded.
    assert call(http, "GET", f"/staff/requests/{number}/documents/identite", agents["ddt69"]).status_code == 404
    assert len(body(call(http, "GET", f"/staff/requests/{number}/reads", agents["admin92"]))["reads"]) == len(reads)


def worklist(http, token, status=200, **params):
    from urllib.parse import urlencode

    answer = call(http, "GET", "/staff/worklist" + ("?" + urlencode(params) if params else ""), token)
    assert answer.status_code == status, answer.body
    return body(answer)


def numbers(listed):
    return [row["request_id"] for row in listed["rows"]]


def test_the_worklist_shows_each_tab_from_its_index_with_filters_and_pages(http, school, pump, agents):
    first, second, third = (queued(http, school, pump, ephoto=f"WL{n}2CD34EF56GH78IJ90KL") for n in range(3))
    me = agents["ddt92"]
    todo = worklist(http, me)
    assert todo["authority"] == "DDT-92" and todo["tab"] == "a-traiter" and numbers(todo) == [first, second, third]
    assert todo["rows"][0]["procedure_label"].startswith("Inscription") and todo["rows"][0]["claim"] is None
    assert numbers(worklist(http, me, ordre="recent")) == [third, second, first]

    held = claim(http, me)["request"]  # "next": the oldest
    row = worklist(http, agents["ddt92b"])["rows"][0]
    assert row["request_id"] == first and row["claim"]["mine"] is False and row["claim"]["agent_name"].startswith(
        "Claire")
    assert numbers(worklist(http, me, onglet="en-cours")) == [first]
    assert decide(http, me, first, held["version"], decision="complement", reasons=["domicile-ancien"],
                  documents=["domicile"]).status_code == 200
    assert numbers(worklist(http, me, onglet="complement")) == [first]
    assert worklist(http, me, onglet="en-cours")["rows"] == []
    held = claim(http, me)["request"]
    assert decide(http, me, second, held["version"]).status_code == 200
    done = worklist(http, me, onglet="traites")
    assert numbers(done) == [second] and done["rows"][0]["decision"] == "valider"
    assert done["rows"][0]["decided_by"].startswith("Claire")
    assert numbers(worklist(http, me)) == [third]

    # Searched by a request's number or by a NEPH (both 12 digits): only the authority's own.
    neph = staff_view(http, me, second)["neph"]
    assert [r["request_id"] for r in body(call(http, "GET", f"/staff/search/{neph}", me))["rows"]] == [second]
    found = body(call(http, "GET", f"/staff/search/{third}", me))["rows"]
    assert [r["request_id"] for r in found] == [third] and found[0]["claim"] is None
    assert body(call(http, "GET", f"/staff/search/{third}", agents["ddt69"]))["rows"] == []
    assert body(call(http, "GET", "/staff/search/999999999999", me))["rows"] == []
    malformed = call(http, "GET", "/staff/search/26111234", me)
    assert malformed.status_code == 422 and body(malformed)["details"][0]["field"] == "number"
    assert call(http, "GET", f"/staff/search/{third}", school).status_code == 403

    # Filters and pages.
    assert numbers(worklist(http, me, procedure="inscription")) == [third]
    assert worklist(http, me, procedure="titre-examen")["rows"] == []
    assert worklist(http, me, nom="Personne Inconnue")["rows"] == []
    assert worklist(http, me, attente="1")["rows"] == []  # queued a moment ago
    assert numbers(worklist(http, me, onglet="traites", nom=done["rows"][0]["candidate_name"].split()[0])) == [second]
    queued(http, school, pump, ephoto="WL92CD34EF56GH78IJ90KL")
    page = worklist(http, me, limit="1")
    assert numbers(page) == [third] and page["next_cursor"]
    following = worklist(http, me, limit="1", cursor=page["next_cursor"])
    assert len(following["rows"]) == 1 and following["rows"][0]["request_id"] != third

    # Another authority's lists hold none of these; a cursor is only good for its own list.
    for tab in ("a-traiter", "en-cours", "complement", "traites"):
        assert worklist(http, agents["ddt69"], onglet=tab)["rows"] == []
    assert worklist(http, agents["ddt69"], status=400, cursor=page["next_cursor"])["code"] == "cursor_invalid"
    assert worklist(http, me, status=400, onglet="complement", cursor=page["next_cursor"])["code"] == "cursor_invalid"


@pytest.mark.parametrize("params, field", [({"onglet": "tout"}, "onglet"), ({"attente": "0"}, "attente"),
                                           ({"attente": "abc"}, "attente"), ({"limit": "101"}, "limit"),
                                           ({"procedure": "permis-b"}, "procedure"), ({"ordre": "nom"}, "ordre"),
                                           ({"nom": "x" * 101}, "nom")])
def test_a_malformed_worklist_search_names_the_field_to_fix(http, agents, params, field):
    refused = worklist(http, agents["ddt92"], status=422, **params)
    assert refused["code"] == "worklist_invalid" and [d["field"] for d in refused["details"]] == [field]


def test_the_worklist_is_for_instructors_with_double_authentication(http, school, agents, accounts):
    for token in (school, agents["admin92"]):
        assert call(http, "GET", "/staff/worklist", token).status_code == 403
    assert call(http, "GET", "/staff/worklist?tri=nom", agents["ddt92"]).status_code == 422  # unknown parameter
    accounts.open(lambda a: a.create_agent(AgentCreation(role=Role.INSTRUCTEUR_DDT, email="sans.mfa@ddt92.gouv.fr",
                                                          birth_name="Sans", first_name="Mfa", departement="92")),
                  PASSWORD)
    answer = call(http, "GET", "/staff/worklist", sign_in(http, "sans.mfa@ddt92.gouv.fr"))
    assert answer.status_code == 403 and body(answer)["code"] == "mfa_required"


def test_an_agent_takes_a_request_from_the_list_and_nobody_else_gets_it(http, school, pump, agents):
    number = queued(http, school, pump)
    taken = call(http, "POST", f"/staff/requests/{number}/claim", agents["ddt92"])
    assert taken.status_code == 200, taken.body
    assert body(taken)["claim"]["mine"] is True and body(taken)["request_id"] == number
    # A colleague: refused with who holds it; "next" does not hand it over either (its message is kept out of sight).
    refused = call(http, "POST", f"/staff/requests/{number}/claim", agents["ddt92b"])
    assert refused.status_code == 409 and body(refused)["code"] == "claimed_by_other"
    assert "Claire" in body(refused)["message"]
    assert claim(http, agents["ddt92b"])["request"] is None
    assert call(http, "POST", f"/staff/requests/{number}/claim", agents["ddt69"]).status_code == 404
    assert call(http, "POST", f"/staff/requests/{number}/claim", school).status_code == 403
    # Extended, then decided like a request taken with "next".
    assert call(http, "POST", f"/staff/requests/{number}/extend", agents["ddt92"]).status_code == 200
    version = staff_view(http, agents["ddt92"], number)["version"]
    assert decide(http, agents["ddt92"], number, version, decision="rejeter", reasons=["doublon"]).status_code == 200
    again = call(http, "POST", f"/staff/requests/{number}/claim", agents["ddt92"])
    assert again.status_code == 409 and body(again)["code"] == "not_under_review"


def test_a_request_taken_from_the_list_and_released_can_be_taken_by_a_colleague(http, school, pump, agents):
    number = queued(http, school, pump)
    assert call(http, "POST", f"/staff/requests/{number}/claim", agents["ddt92"]).status_code == 200
    assert call(http, "POST", f"/staff/requests/{number}/release", agents["ddt92"]).status_code == 200
    assert worklist(http, agents["ddt92b"])["rows"][0]["claim"] is None
    taken = call(http, "POST", f"/staff/requests/{number}/claim", agents["ddt92b"])
    assert taken.status_code == 200 and body(taken)["claim"]["mine"] is True


def test_the_whole_request_as_one_pdf_for_the_agent_who_asked(http, school, pump, agents):
    import requests as http_client

    from tests.unit.test_attestation import _text

    number = queued(http, school, pump)
    held = claim(http, agents["ddt92"])["request"]
    assert decide(http, agents["ddt92"], number, held["version"]).status_code == 200
    asked = call(http, "POST", f"/staff/requests/{number}/dossier", agents["ddt92"])
    assert asked.status_code == 202, asked.body
    dossier_id = body(asked)["dossier_id"]
    path = f"/staff/requests/{number}/dossier/{dossier_id}"
    pending = call(http, "GET", path, agents["ddt92"])
    assert pending.status_code == 409 and body(pending)["code"] == "dossier_pending"
    pump.run_until_idle()  # the attestations worker makes it
    link = call(http, "GET", path, agents["ddt92"])
    assert link.status_code == 200, link.body
    pdf = http_client.get(body(link)["url"], timeout=10).content
    SAMPLES.mkdir(parents=True, exist_ok=True)
    (SAMPLES / "dossier-de-demande.pdf").write_bytes(pdf)  # to look at, as the attestations are
    text = " ".join(_text(pdf))
    seen = staff_view(http, agents["ddt92"], number)
    for expected in (f"DOSSIER DE LA DEMANDE {number}", "MINISTÈRE DE L'INTÉRIEUR", seen["candidate_name"],
                     f"NEPH {seen['neph']}", "Les pièces", "Justificatif d'identité", "Acceptée",
                     "L'historique et les décisions", "En cours d'instruction", "Validée", "Instructeur DDT"):
        assert expected in text, expected
    # Only the agent who asked; another service, a school: not found or refused; the read is audited.
    assert call(http, "GET", path, agents["ddt92b"]).status_code == 404
    assert call(http, "GET", f"/staff/requests/{number}/dossier/{'0' * 32}", agents["ddt92"]).status_code == 404
    assert call(http, "POST", f"/staff/requests/{number}/dossier", agents["ddt69"]).status_code == 404
    assert call(http, "POST", f"/staff/requests/{number}/dossier", school).status_code == 403
    reads = body(call(http, "GET", f"/staff/requests/{number}/reads", agents["admin92"]))["reads"]
    assert [r["what"] for r in reads].count("dossier") == 1
