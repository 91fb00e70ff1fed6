"""Appointments' workers (issue 9): the hourly job that sends each booking's reminder the day
before (one outbox event per booking, relayed to the emails worker), and the emails of the
appointments' events, which the emails worker sends once per event."""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from chalice import Blueprint, Rate

from chalicelib import settings
from chalicelib.adapters import wiring
from chalicelib.domain.roles import AccountStatus
from chalicelib.workers.schedule import out_of_time

if TYPE_CHECKING:
    from chalicelib.domain.emails import Email
    from chalicelib.domain.events import OutboxEvent

blueprint = Blueprint(__name__)


def appointment_emails_for(event: "OutboxEvent") -> list["Email"]:
    """The school's email for a booking's event: to the member who booked, or the school's
    administrator when that member left. Nothing for a confirmation or a reminder of a booking
    cancelled meanwhile."""
    # Imported here, as the domain's models: the other functions importing app.py do not load pydantic.
    from chalicelib.domain import appointments as rules, emails

    payload = event.payload
    slot_id, request_id = payload["slot_id"], payload["request_id"]
    repo = wiring.appointments_repository()
    booking = repo.get_booking(slot_id, request_id)
    if event.type != rules.CANCELLED and booking is None:
        return []
    accounts = wiring.accounts_repository()
    school = accounts.get_school(payload["school_id"])
    recipient = accounts.get_profile(booking.booked_by) if booking else None
    if (recipient is None or recipient.status != AccountStatus.ACTIVE) and school is not None:
        recipient = accounts.get_profile(school.admin_account_id)
    if recipient is None or recipient.status != AccountStatus.ACTIVE:
        return []
    slot = repo.get_slot(slot_id)
    request = wiring.requests_repository().get(request_id)
    kind = {rules.BOOKED: "booked", rules.REMINDER: "reminder", rules.CANCELLED: "cancelled"}[event.type]
    return [emails.appointment_email(
        kind=kind, to=recipient.email, first_name=recipient.first_names, request_id=request_id,
        candidate_name=request.candidate_name() if request else "",
        when=rules.french_moment(datetime.fromisoformat(payload["starts_at"])),
        end_time=slot.end_time if slot else None, place=payload["place"],
        link=f"{settings.web_origin()}/rendez-vous.html")]


@blueprint.schedule(Rate(1, unit=Rate.HOURS))
def remind_appointments(event):
    """The day before each appointment (9:00, Paris), its school is reminded: once per booking."""
    return wiring.appointments().remind(out_of_time(event))
