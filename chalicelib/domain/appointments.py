"""Appointments for complex dossiers (issue 9), reserved for driving schools: a prefecture's
administrators publish slots in their département (date, start, duration, place, capacity); a
school books a place for one of its requests with a reason and may cancel up to a deadline; the
school is emailed a confirmation and a reminder the day before. Pure: rules and models only.

Outbox event types (payload: slot_id, request_id, school_id), all emailed to the school:
- BOOKED: the booking's confirmation.
- CANCELLED: the school cancelled (the place is free again).
- REMINDER: the day before the appointment, once per booking (the scheduled job).
"""
from __future__ import annotations

import datetime as dt
from datetime import date, datetime, time, timedelta, timezone

from pydantic import ConfigDict, Field

from chalicelib.domain.base import Model
from chalicelib.domain.dates import PARIS, ClockTime, IsoDate

BOOKED = "appointment.booked"
CANCELLED = "appointment.cancelled"
REMINDER = "appointment.reminder"
EMAILED = (BOOKED, CANCELLED, REMINDER)

MAX_CAPACITY = 20
# A school may cancel until 24 hours before the slot's start (Paris time): the prefecture can still
# offer the place to another school, and the agent does not prepare a dossier for nobody.
CANCEL_NOTICE = timedelta(hours=24)
# The reminder leaves at 9:00 (Paris) the day before the appointment: a working morning, to gather
# the dossier's papers. A booking made after that moment gets only its confirmation.
REMINDER_HOUR = 9
# Schools see the open slots of the coming weeks; administrators list any period up to this long.
OPEN_SLOTS_WEEKS = 8
MAX_LISTED_DAYS = 366


class SlotInput(Model):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    date: IsoDate = Field(description="Jour du créneau (AAAA-MM-JJ), aujourd'hui ou plus tard")
    start_time: ClockTime = Field(description="Heure de début, HH:MM (heure de Paris)")
    duration_minutes: int = Field(ge=10, le=480, description="Durée en minutes (10 à 480)")
    place: str = Field(min_length=5, max_length=300, description="Adresse du lieu du rendez-vous")
    capacity: int = Field(ge=1, le=MAX_CAPACITY, description=f"Nombre d'auto-écoles reçues (1 à {MAX_CAPACITY})")

    def starts_at(self) -> datetime:
        return starts_at(self.date, self.start_time)


class BookingInput(Model):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    slot_id: str = Field(min_length=1, max_length=64)
    request_id: str = Field(min_length=1, max_length=64, description="Une demande de votre auto-école")
    reason: str = Field(min_length=5, max_length=1000, description="Pourquoi ce dossier demande un rendez-vous")


class Slot(Model):
    slot_id: str
    departement: str
    date: dt.date
    start_time: str
    duration_minutes: int
    place: str
    capacity: int
    booked: int = 0
    starts_at: datetime
    created_by: str
    created_at: datetime

    @property
    def places_left(self) -> int:
        return max(self.capacity - self.booked, 0)

    @property
    def end_time(self) -> str:
        return (datetime.combine(self.date, time.fromisoformat(self.start_time))
                + timedelta(minutes=self.duration_minutes)).strftime("%H:%M")


class Booking(Model):
    slot_id: str
    request_id: str
    school_id: str
    school_name: str
    reason: str
    booked_by: str
    booked_at: datetime
    starts_at: datetime
    remind_at: datetime | None = None  # None: no reminder to send (booked too late, or sent)

    @property
    def booking_id(self) -> str:
        return booking_id(self.slot_id, self.request_id)


def booking_id(slot_id: str, request_id: str) -> str:
    """A booking is named by its slot and its request (one booking per request and slot)."""
    return f"{slot_id}~{request_id}"


def split_booking_id(value: str) -> tuple[str, str] | None:
    slot_id, sep, request_id = value.partition("~")
    return (slot_id, request_id) if sep and slot_id and request_id else None


def starts_at(day: date, start_time: str) -> datetime:
    """The slot's start as an aware UTC instant (the time is Paris time, summer or winter)."""
    return datetime.combine(day, time.fromisoformat(start_time), tzinfo=PARIS).astimezone(timezone.utc)


def cancel_deadline(start: datetime) -> datetime:
    return start - CANCEL_NOTICE


def remind_at(start: datetime, now: datetime) -> datetime | None:
    """9:00 in Paris the day before the appointment; None when that moment is already past."""
    day_before = start.astimezone(PARIS).date() - timedelta(days=1)
    moment = datetime.combine(day_before, time(REMINDER_HOUR), tzinfo=PARIS).astimezone(timezone.utc)
    return moment if moment > now else None


def french_day(day: date) -> str:
    days = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
    months = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
              "novembre", "décembre")
    return f"{days[day.weekday()]} {day.day} {months[day.month - 1]} {day.year}"


def french_moment(moment: datetime) -> str:
    local = moment.astimezone(PARIS)
    return f"{french_day(local.date())} à {local:%Hh%M}"
