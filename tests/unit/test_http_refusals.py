"""Every refusal has the same shape, a stable code and a French sentence; never a 500."""
import json

import pytest

JSON = {"Content-Type": "application/json"}


def body(response):
    return json.loads(response.body)


def assert_refusal(response, status, code):
    assert response.status_code == status
    payload = body(response)
    assert payload["code"] == code
    assert isinstance(payload["message"], str) and payload["message"].endswith((".", "»")) and payload["message"]
    assert isinstance(payload["details"], list)
    return payload


def test_health_answers_with_stage_and_version(http):
    response = http.get("/health")
    assert response.status_code == 200
    assert body(response) == {"status": "ok", "service": "Permis en ligne", "stage": "local", "version": "0.1.0"}
    assert response.headers["X-Request-Id"]


def test_invalid_json_is_a_400(http):
    payload = assert_refusal(http.post("/demo/messages", body=b'{"text": "a",', headers=JSON), 400, "invalid_json")
    assert "JSON valide" in payload["message"]


def test_a_json_array_is_refused(http):
    assert_refusal(http.post("/demo/messages", body=b'["a"]', headers=JSON), 422, "validation_failed")


@pytest.mark.parametrize("sent, field, code, phrase", [
    ({}, "text", "missing", "obligatoire"),
    ({"text": ""}, "text", "string_too_short", "trop court"),
    ({"text": "a" * 281}, "text", "string_too_long", "280 caractères"),
    ({"text": 12}, "text", "string_type", "texte"),
    ({"text": "a\nb"}, "text", "value_error", "caractères de contrôle"),
    ({"text": "ok", "status": "processed"}, "status", "extra_forbidden", "retirez-le"),
])
def test_each_bad_field_is_named_with_what_to_fix(http, sent, field, code, phrase):
    payload = assert_refusal(http.post("/demo/messages", body=json.dumps(sent).encode(), headers=JSON),
                             422, "validation_failed")
    assert [(d["field"], d["code"]) for d in payload["details"]] == [(field, code)]
    assert phrase in payload["details"][0]["message"]


def test_mass_assignment_of_server_fields_is_refused(http):
    sent = {"text": "ok", "id": "choisi", "version": 99}
    payload = assert_refusal(http.post("/demo/messages", body=json.dumps(sent).encode(), headers=JSON),
                             422, "validation_failed")
    assert sorted(d["field"] for d in payload["details"]) == ["id", "version"]


def test_wrong_method_is_a_405_naming_the_allowed_one(http):
    payload = assert_refusal(http.delete("/health"), 405, "method_not_allowed")
    assert "GET" in payload["message"]


def test_a_body_that_is_not_json_is_a_415(http):
    assert_refusal(http.post("/demo/messages", body=b"text=a", headers={"Content-Type": "text/plain"}),
                   415, "unsupported_media_type")


def test_a_body_over_one_mebibyte_is_refused_before_parsing(http):
    big = json.dumps({"text": "a" * (1024 * 1024)}).encode()
    payload = assert_refusal(http.post("/demo/messages", body=big, headers=JSON), 413, "payload_too_large")
    assert "1 Mio" in payload["message"]


def test_an_unexpected_failure_is_a_500_in_our_shape_without_internals(http, monkeypatch):
    from chalicelib.adapters import wiring

    def broken():
        raise RuntimeError("secret internals")

    monkeypatch.setattr(wiring, "demo_repository", broken)
    response = http.get("/demo/messages/abc")
    payload = assert_refusal(response, 500, "internal_error")
    assert "secret" not in response.body.decode()
    assert "réessayez" in payload["message"]


def test_cors_allows_only_the_web_origin(http):
    response = http.get("/health")
    assert response.headers["Access-Control-Allow-Origin"] == "http://127.0.0.1:8001"
