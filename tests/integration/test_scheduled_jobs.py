"""The scheduled jobs drain all that is due (issue 19, item 9): no job stops at a fixed count;
each reads its due index page after page, and stops taking new items only when its function is
nearly out of time (the next run goes on)."""
from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import boto3
import pytest

from chalicelib.adapters import wiring
from chalicelib.adapters.dynamo import JOB_PAGE
from chalicelib.workers.schedule import MARGIN_MS, out_of_time

NOW = datetime(2026, 9, 7, 12, 0, tzinfo=timezone.utc)
DUE = 2 * JOB_PAGE + 50  # more than two pages


def put_due(index: str, partition: str, count: int, **attributes) -> None:
    """`count` index entries due an hour ago (and one not due yet), written straight to the table."""
    client, table = boto3.client("dynamodb"), os.environ["TABLE_MAIN_NAME"]
    for i in range(count + 1):
        due = NOW - timedelta(hours=1) if i < count else NOW + timedelta(days=1)
        item = {"pk": {"S": f"TEST#{partition}#{i}"}, "sk": {"S": "DUE"},
                f"{index}pk": {"S": partition}, f"{index}sk": {"S": f"{due.isoformat()}#{i:04d}"}}
        item.update({name: {"S": f"{value}{i:04d}"} for name, value in attributes.items()})
        client.put_item(TableName=table, Item=item)


@pytest.mark.parametrize("read, index, partition, attributes", [
    (lambda: wiring.requests_repository().due_for_validation_job(NOW), "gsi3", "VALIDATION_DUE",
     {"request_id": "r"}),
    (lambda: wiring.requests_repository().due_for_licence_job(NOW), "gsi3", "LICENCE_DUE", {"request_id": "r"}),
    (lambda: wiring.appointments_repository().due_reminders(NOW), "gsi3", "APPOINTMENT_REMINDER_DUE",
     {"slot_id": "s", "request_id": "r"}),
    (lambda: wiring.support_repository().past_promise(NOW.isoformat()), "gsi3", "SUPPORT_DUE", {"ticket_id": "t"}),
    (lambda: wiring.accounts_repository().pending_before(NOW), "gsi1", "PENDING", {"account_id": "a"}),
], ids=["validations", "licences", "appointment reminders", "support promises", "unactivated accounts"])
def test_each_due_index_is_read_to_its_end_page_after_page(aws, read, index, partition, attributes):
    put_due(index, partition, DUE, **attributes)
    assert len(list(read())) == DUE  # not the first page only, and nothing not yet due


def test_a_job_stops_taking_items_when_its_function_is_nearly_out_of_time_and_the_next_run_goes_on(aws):
    put_due("gsi3", "SUPPORT_DUE", DUE, ticket_id="t")
    seen: list[str] = []
    support = wiring.support()
    support.repo.get = lambda ticket_id: seen.append(ticket_id)  # no such tickets: each is only looked at
    support.clock = lambda: NOW
    left = iter([60_000] * 30 + [MARGIN_MS - 1] * 1000)
    context = SimpleNamespace(get_remaining_time_in_millis=lambda: next(left))
    support.breach_promises(out_of_time(SimpleNamespace(context=context)))
    assert len(seen) == 30
    support.breach_promises()  # a run with time enough: all of them
    assert len(seen) == 30 + DUE


def test_a_handler_called_without_a_lambda_context_is_never_out_of_time():
    assert out_of_time(SimpleNamespace(context=None))() is False
    assert out_of_time(object())() is False
