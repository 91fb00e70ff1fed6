"""Public tracking, "Où en est mon permis de conduire ?" (issue 7): a request number and the
anti-robot proof give the status, its date and what it means, nothing personal; an unknown number
and a draft get the very same answer; the proof is required and serves once. The full history,
for the school and the candidate, names every status with its date and the agent's reasons."""
from __future__ import annotations

import json

import pytest

from tests.accounts_support import active_school, post, solve_altcha
from tests.integration.test_instruction_queues import claim, decide, queued
from tests.integration.test_requests import body, call, new_request


@pytest.fixture
def school(http, accounts):
    return active_school(http, accounts, "E0000000001", "ecole@example.fr")


def track(http, number, proof=None):
    return post(http, "/suivi", {"request_id": number, "altcha": proof or solve_altcha(http)})


def test_anyone_with_the_number_sees_the_status_its_date_and_nothing_personal(http, school, pump):
    number = queued(http, school, pump)
    answer = track(http, number)
    assert answer.status_code == 200, answer.body
    seen = body(answer)
    assert seen["status_label"] == "En cours d'instruction" and "instructeur" in seen["explanation"]
    history = body(call(http, "GET", f"/requests/{number}/history", school))["history"]
    assert seen["since"][:19] == history[-1]["at"][:19]
    text = json.dumps(seen, ensure_ascii=False)
    for personal in ("Joun", "JOUN", "Antony", "testun", "0613459724", "E0000000001"):
        assert personal not in text


def test_an_unknown_number_and_a_draft_look_the_same(http, school):
    draft = new_request(http, school)["request_id"]
    unknown = track(http, "261100000000")
    hidden = track(http, draft)
    assert unknown.status_code == hidden.status_code == 404
    assert body(unknown) == body(hidden) and body(unknown)["code"] == "request_unknown"
    assert track(http, "pas un numéro").status_code == 404


def test_the_anti_robot_proof_is_required_and_serves_once(http, school, pump):
    number = queued(http, school, pump)
    missing = post(http, "/suivi", {"request_id": number})
    assert missing.status_code == 422 and "altcha" in [d["field"] for d in body(missing)["details"]]
    forged = track(http, number, proof="bm90IGEgcHJvb2Y=")
    assert forged.status_code == 422 and body(forged)["code"] == "antirobot_failed"
    proof = solve_altcha(http)
    assert track(http, number, proof).status_code == 200
    replayed = track(http, number, proof)
    assert replayed.status_code == 422 and body(replayed)["code"] == "antirobot_failed"


def test_the_history_lists_every_status_with_its_date_and_the_reasons(http, school, pump, agents):
    number = queued(http, school, pump)
    version = claim(http, agents["ddt92"])["request"]["version"]
    asked = decide(http, agents["ddt92"], number, version, "complement", reasons=["piece-illisible"],
                   documents=["identite"])
    assert asked.status_code == 200, asked.body
    rows = body(call(http, "GET", f"/requests/{number}/history", school))["history"]
    assert [r["to_label"] for r in rows][-3:] == ["Vérification des images", "En cours d'instruction",
                                                   "Complément demandé"]
    assert all(r["at"] for r in rows) and "illisible" in rows[-1]["reason"].lower()
    assert body(track(http, number))["status_label"] == "Complément demandé"
