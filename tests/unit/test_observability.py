"""Personal data never reaches the logs; every log line carries the correlation id."""
import json

import pytest

from chalicelib.observability import REDACTED, logger, redact, scrub_text

PERSONAL = {
    "email": "lea.martin@example.fr",
    "phone": "06 13 45 97 24",
    "birth_date": "01/01/1986",
    "neph": "170392100012",
    "token": "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxMjMifQ.c2lnbmF0dXJl",
}


def test_sensitive_keys_are_masked_at_any_depth_and_patterns_scrubbed_everywhere(log_lines):
    logger.info(
        f"inscription de {PERSONAL['email']} née le {PERSONAL['birth_date']}, tél {PERSONAL['phone']}",
        extra={"candidate": {"birth_name": "Martin", "first_names": "Léa", "address": {"street": "11 rue X"}},
               "note": f"NEPH {PERSONAL['neph']} jeton {PERSONAL['token']}", "error_code": "validation_failed"})
    line = log_lines()[-1]
    text = json.dumps(line, ensure_ascii=False)
    for value in (*PERSONAL.values(), "Martin", "Léa", "11 rue X"):
        assert value not in text
    assert line["error_code"] == "validation_failed"  # technical fields survive
    assert line["candidate"]["birth_name"] == REDACTED


def test_exceptions_are_scrubbed_too(log_lines):
    try:
        raise ValueError(f"adresse inconnue {PERSONAL['email']}")
    except ValueError:
        logger.exception("échec")
    text = json.dumps(log_lines()[-1])
    assert PERSONAL["email"] not in text and "ValueError" in text


def test_timestamps_and_request_ids_are_kept():
    assert scrub_text("requête 8f14e45f-ceea-467f-a0e6-6c1f1b3e5c3a") == "requête 8f14e45f-ceea-467f-a0e6-6c1f1b3e5c3a"
    # A UUID whose last group is all digits is an identifier, not a NEPH nor a phone number.
    assert scrub_text("825436dd-1f21-4e43-a399-061234567890") == "825436dd-1f21-4e43-a399-061234567890"
    assert "0612345678" not in scrub_text("appeler le 0612345678 ou 06-12-34-56-78")
    assert "06-12-34-56-78" not in scrub_text("appeler le 0612345678 ou 06-12-34-56-78")
    assert "170392100012" not in scrub_text("NEPH 170392100012")
    assert redact({"status": 200, "route": "/health"}) == {"status": 200, "route": "/health"}


def test_a_demo_request_logs_no_user_text_and_carries_the_request_id(aws, http, log_lines):
    http.post("/demo/messages", body=json.dumps({"text": "Écrire à lea.martin@example.fr"}).encode(),
              headers={"Content-Type": "application/json"})
    lines = log_lines()
    assert lines and all("lea.martin" not in json.dumps(line) for line in lines)
    request_line = next(line for line in lines if line["message"] == "http request")
    assert request_line["status"] == 201 and request_line["correlation_id"]


def test_handlers_log_under_the_message_id(aws, app, log_lines):
    from chalice.local import LambdaContext

    from chalicelib.domain.events import OutboxEvent

    event = OutboxEvent(id="e1", type="demo.message_received", aggregate_id="absent",
                        occurred_at="2026-11-27T10:00:00Z", payload={"message_id": "absent"})
    record = {"messageId": "msg-42", "receiptHandle": "r", "body": event.model_dump_json(), "attributes": {},
              "messageAttributes": {}, "md5OfBody": "", "eventSource": "aws:sqs",
              "eventSourceARN": "arn:aws:sqs:eu-west-3:123456789012:q", "awsRegion": "eu-west-3"}
    result = app.handler_map["process_demo_messages"]({"Records": [record]},
                                                      LambdaContext("process_demo_messages", 256))
    assert result == {"batchItemFailures": [{"itemIdentifier": "msg-42"}]}
    batch_line = next(line for line in log_lines() if line["message"] == "event handled")
    assert (batch_line["correlation_id"], batch_line["failures"]) == ("msg-42", 1)


def test_metrics_are_emitted_as_cloudwatch_emf(app, capsys, monkeypatch):
    from chalice.test import Client

    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "false")
    with Client(app, stage_name="dev") as client:  # metrics are off in the local stage only
        client.http.get("/health")
    emf = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    assert emf and emf[-1]["HttpRequests"] == [1.0] and emf[-1]["route"] == "GET /health"
    assert emf[-1]["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "PermisEnLigne"


def test_an_alert_metric_is_published_alone_with_the_service_as_its_only_dimension(monkeypatch, capsys):
    """Its alarm (infra/alarms.py) matches these dimensions exactly, whatever route emitted it."""
    import json

    import pytest

    from chalicelib import observability

    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "false")
    observability.alert_metric("NephExhausted")
    [line] = [json.loads(l) for l in capsys.readouterr().out.splitlines() if '"_aws"' in l]
    [directive] = line["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == "PermisEnLigne" and directive["Dimensions"] == [["service"]]
    assert line["NephExhausted"] in (1, [1.0], 1.0) and line["service"] == "permis"
    with pytest.raises(ValueError):
        observability.alert_metric("SomethingWithoutAlarm")
