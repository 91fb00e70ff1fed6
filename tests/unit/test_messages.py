"""The rules of a request's thread (chalicelib/domain/messages.py): what a message may say, when the
thread is closed, which agents hear of a message from the filing side."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from chalicelib.domain.messages import (MESSAGE_MAX_CHARS, Message, Side, closed_problem, instruction_recipients,
                                        message_problem)
from chalicelib.domain.procedures import RequestStatus

AT = datetime(2026, 9, 1, 9, 30, tzinfo=timezone.utc)


def message(author: str, side: Side) -> Message:
    return Message(message_id=author, request_id="260901000001", side=side, author_account_id=author,
                   author_label=author, text="Bonjour", at=AT)


@pytest.mark.parametrize("text, problem", [("", "Écrivez le message"), ("  \n ", "Écrivez le message"),
                                           ("x" * (MESSAGE_MAX_CHARS + 1), "2001 ici"),
                                           ("x" * MESSAGE_MAX_CHARS, None), ("Merci.", None)])
def test_a_message_is_written_and_short_enough(text, problem):
    found = message_problem(text)
    assert (found is None) if problem is None else (problem in found)


def test_the_thread_opens_with_the_sending_and_closes_with_the_request():
    assert "brouillon" in closed_problem(RequestStatus.DRAFT)  # the status is named by thread_closed
    for closed in (RequestStatus.REJECTED, RequestStatus.DELIVERED, RequestStatus.DESTROYED):
        assert "close" in closed_problem(closed)
    for open_ in (RequestStatus.AWAITING_CANDIDATE_VALIDATION, RequestStatus.UNDER_REVIEW,
                  RequestStatus.MORE_INFORMATION_REQUESTED, RequestStatus.APPROVED, RequestStatus.RETURNED):
        assert closed_problem(open_) is None


def test_the_agents_who_wrote_hold_or_decided_hear_of_a_filers_message_once_each():
    thread = [message("agent-a", Side.INSTRUCTION), message("school", Side.FILING), message("agent-b", Side.INSTRUCTION),
              message("agent-a", Side.INSTRUCTION)]
    assert instruction_recipients(thread, "agent-c", None, "school") == ["agent-a", "agent-b", "agent-c"]
    assert instruction_recipients(thread, "agent-a", "agent-b", "school") == ["agent-a", "agent-b"]
    # Nobody wrote nor holds it: the agent who asked for the complement the school answers.
    assert instruction_recipients([message("school", Side.FILING)], None, "agent-d", "school") == ["agent-d"]
    assert instruction_recipients([], None, None, "school") == []  # the console shows it to whoever opens it
    # The author is never told of their own message.
    assert instruction_recipients(thread, None, None, "agent-b") == ["agent-a"]
