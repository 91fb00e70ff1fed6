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


@pytest.mark.parametrize("given, shown", [
    ("facture.pdf", "facture.pdf"),
    ("C:\\Users\\Léa\\Documents\\facture EDF.pdf", "facture EDF.pdf"),  # a browser that sends the path
    ("/home/lea/scan.jpg", "scan.jpg"),
    ("re\u200bleve\u0085.png", "releve.png"),  # invisible and control characters dropped
    ("e\u0301tat.pdf", "état.pdf"),  # one form of accents (NFC)
    ("a" * 200 + ".pdf", "a" * 115 + "….pdf"),  # shortened, its extension kept
    ("   ", "")])
def test_a_file_name_is_shown_as_its_last_part_cleaned_and_short(given, shown):
    from chalicelib.domain.messages import FILE_NAME_MAX_CHARS, clean_file_name

    assert clean_file_name(given) == shown and len(clean_file_name(given)) <= FILE_NAME_MAX_CHARS


@pytest.mark.parametrize("name, content_type, size, field", [
    ("scan.jpg", "image/jpeg", 200_000, None), ("courrier.pdf", "application/pdf", 5 * 1024 * 1024, None),
    ("photo.heic", "image/heic", 200_000, "content_type"), ("vide.pdf", "application/pdf", 1023, "size"),
    ("gros.png", "image/png", 5 * 1024 * 1024 + 1, "size"), ("", "application/pdf", 20_000, "file_name")])
def test_an_attachment_is_a_pdf_or_an_image_of_1_ko_to_5_mo(name, content_type, size, field):
    from chalicelib.domain.messages import attachment_problem

    problem = attachment_problem(name, content_type, size)
    assert (problem is None) if field is None else (problem[0] == field and problem[1])


def test_a_message_takes_three_distinct_attachments_at_most():
    from chalicelib.domain.messages import attachments_problem

    assert attachments_problem([]) is None and attachments_problem(["a", "b", "c"]) is None
    assert "au plus 3" in attachments_problem(["a", "b", "c", "d"])
    assert "deux fois" in attachments_problem(["a", "a"])
