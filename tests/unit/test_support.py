"""The support desk's pure rules: the promise's dates and flags, ticket numbers, the forms, and
the contact page's list of départements (the same as the domain's)."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from chalicelib.domain import support
from chalicelib.domain.geography import DEPARTEMENTS
from chalicelib.domain.support import AnonymousTicketInput, Ticket, TicketStatus

OPENED = datetime(2026, 12, 1, 22, 30, tzinfo=timezone.utc)  # 23h30 in Paris, 1 December


def ticket(**changes) -> Ticket:
    return Ticket(**{"ticket_id": "S-ABCDEFGH23", "status": TicketStatus.OPEN, "profile": "autre", "topic": "bug",
                     "subject": "Objet", "message": "Un message", "email": "a@example.fr", "departement": "69",
                     "opened_at": OPENED, **changes})


def test_the_promise_is_seven_days_in_paris_time():
    assert support.promise_text(OPENED) == "Réponse au plus tard le 08/12/2026"
    assert support.within_promise(OPENED, OPENED + timedelta(days=7))
    assert not support.within_promise(OPENED, OPENED + timedelta(days=7, seconds=1))


@pytest.mark.parametrize("age, near, late", [(timedelta(days=5, hours=23), False, False), (timedelta(days=6), True, False),
                                             (timedelta(days=6, hours=23), True, False), (timedelta(days=7), False, True)])
def test_an_open_ticket_is_flagged_from_six_days_and_overdue_from_seven(age, near, late):
    assert (support.near_deadline(ticket(), OPENED + age), support.overdue(ticket(), OPENED + age)) == (near, late)
    answered = ticket(status=TicketStatus.ANSWERED)
    assert not support.near_deadline(answered, OPENED + age) and not support.overdue(answered, OPENED + age)


def test_ticket_numbers_avoid_look_alikes_and_are_recognised():
    numbers = {support.new_ticket_number() for _ in range(200)}
    assert len(numbers) == 200 and all(support.looks_like_ticket_number(n) for n in numbers)
    assert not any(set(n[2:]) & set("01OIL") for n in numbers)
    assert not support.looks_like_ticket_number("S-0000000000") and not support.looks_like_ticket_number("inconnu")


def test_an_answered_ticket_cannot_be_answered_again():
    done = support.answered(ticket(), "La réponse.", "agent", "Claire Agent", OPENED)
    assert done.status is TicketStatus.ANSWERED and done.version == 2
    with pytest.raises(support.Conflict):
        support.answered(done, "Une autre.", "agent2", "Autre", OPENED)


def test_the_anonymous_form_normalises_the_email_and_the_departement():
    form = AnonymousTicketInput(profile="candidat", topic="compte", subject="Mon compte", message="x" * 20,
                                email=" Jean.Dupont@Example.FR ", departement="2a", altcha="x")
    assert (form.email, form.departement) == ("jean.dupont@example.fr", "2A")
    with pytest.raises(ValidationError):
        AnonymousTicketInput(profile="candidat", topic="compte", subject="Mon compte", message="x" * 20,
                             email="a@example.fr", departement="99", altcha="x")


def test_the_contact_page_lists_every_departement_of_the_domain():
    from infra.pages import render_pages

    page = render_pages(local=False)["contact.html"].decode("utf-8")
    select = page[page.index('id="departement"'):]
    select = select[:select.index("</select>")]
    assert re.findall(r'<option value="([0-9AB]{2,3})">', select) == list(DEPARTEMENTS)
