"""Appointments' use cases (issue 9): administrators publish and withdraw slots of their
département; schools book a place for one of their requests and cancel it up to a deadline; agents
see the day's appointments with the requests; a scheduled job sends each booking's reminder once."""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, Callable

from chalicelib.adapters.dynamo import TransactionRefused
from chalicelib.domain import appointments as rules
from chalicelib.domain.accounts import Profile, School
from chalicelib.domain.appointments import Booking, BookingInput, Slot, SlotInput
from chalicelib.domain.dates import PARIS, paris_day
from chalicelib.domain.errors import Conflict, ErrorDetail, InvalidInput, NotFound
from chalicelib.domain.events import OutboxEvent
from chalicelib.domain.procedures import TERMINAL_STATUSES
from chalicelib.domain.requests import Request

SLOT_NOT_FOUND = NotFound("slot_not_found", "Ce créneau n'existe pas ou n'est plus proposé dans votre département.")
REQUEST_NOT_FOUND = NotFound("request_not_found", "Aucune demande de votre auto-école ne porte ce numéro.")
BOOKING_NOT_FOUND = NotFound("booking_not_found", "Aucun rendez-vous de votre auto-école ne correspond.")
SLOT_FULL = Conflict("slot_full", "Ce créneau est complet : choisissez-en un autre.")


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def day_bounds(first: date, last: date) -> tuple[datetime, datetime]:
    """From the start of `first` to the end of `last`, Paris days, as UTC instants."""
    start = datetime.combine(first, time(0), tzinfo=PARIS).astimezone(timezone.utc)
    end = datetime.combine(last + timedelta(days=1), time(0), tzinfo=PARIS).astimezone(timezone.utc)
    return start, end


@dataclass
class DayAppointment:
    booking: Booking
    request: Request | None


@dataclass
class DaySlot:
    slot: Slot
    appointments: list[DayAppointment]


@dataclass
class Appointments:
    repo: Any  # adapters.appointments_repository.DynamoAppointmentsRepository
    accounts: Any  # adapters.accounts_repository.DynamoAccountsRepository
    requests: Any  # adapters.requests_repository.DynamoRequestsRepository
    clock: Callable[[], datetime] = field(default=lambda: utc_now())

    # --- administrators: slots -----------------------------------------------------------------

    def publish(self, admin: Profile, form: SlotInput) -> Slot:
        now = self.clock()
        if form.date < paris_day(now) or form.starts_at() <= now:
            raise InvalidInput("slot_in_the_past",
                               "Ce créneau est déjà passé : choisissez un jour et une heure à venir.",
                               [ErrorDetail("Choisissez un jour et une heure à venir.", "date", "slot_in_the_past")])
        slot = Slot(slot_id=uuid.uuid4().hex[:16], departement=self.departement_of(admin), date=form.date,
                    start_time=form.start_time, duration_minutes=form.duration_minutes, place=form.place,
                    capacity=form.capacity, starts_at=form.starts_at(), created_by=admin.account_id, created_at=now)
        self.repo.put_slot(slot)
        return slot

    def published(self, admin: Profile, first: date | None, last: date | None) -> list[Slot]:
        first = first or paris_day(self.clock())
        last = last or first + timedelta(weeks=rules.OPEN_SLOTS_WEEKS)
        if last < first or (last - first).days > rules.MAX_LISTED_DAYS:
            raise InvalidInput("period_invalid", f"La période va du jour « du » au jour « au », "
                                                 f"{rules.MAX_LISTED_DAYS} jours au plus.")
        return self.repo.slots_between(self.departement_of(admin), *day_bounds(first, last))

    def withdraw(self, admin: Profile, slot_id: str) -> Slot:
        """A slot with bookings is never deleted (409): the schools keep their appointment, and the
        administrator calls them before withdrawing it, rather than a silent cancellation."""
        slot = self.repo.get_slot(slot_id)
        if slot is None or slot.departement != self.departement_of(admin):
            raise SLOT_NOT_FOUND
        if slot.booked or not self.repo.delete_slot(slot):
            raise Conflict("slot_has_bookings", "Des auto-écoles ont réservé ce créneau : il ne peut pas être "
                                                "supprimé. Prévenez-les et attendez qu'elles annulent.")
        return slot

    def departement_of(self, agent: Profile) -> str:
        if not agent.departement:
            raise InvalidInput("departement_required", "Votre compte n'est rattaché à aucun département : les "
                                                       "rendez-vous sont gérés par les préfectures de département.")
        return agent.departement.upper()

    # --- schools: open slots, booking, cancellation ----------------------------------------------

    def school_of(self, caller: Profile) -> tuple[School, str]:
        """The caller's school and its département: the one of the prefecture that gave its
        agrément (the school's address otherwise)."""
        school = self.accounts.get_school(caller.school_id or "")
        if school is None:
            raise NotFound("school_not_found", "Votre compte n'est rattaché à aucune auto-école.")
        agrement = self.accounts.get_agrement(school.agrement_number)
        return school, (agrement.departement if agrement else school.address.departement).upper()

    def open_slots(self, caller: Profile) -> tuple[str, list[Slot]]:
        """The school's département and its coming weeks' slots that have not begun."""
        _, departement = self.school_of(caller)
        now = self.clock()
        start, end = day_bounds(paris_day(now), paris_day(now) + timedelta(weeks=rules.OPEN_SLOTS_WEEKS))
        return departement, [s for s in self.repo.slots_between(departement, start, end) if s.starts_at > now]

    def book(self, caller: Profile, form: BookingInput) -> tuple[Booking, Slot]:
        school, departement = self.school_of(caller)
        request = self.requests.get(form.request_id)
        if request is None or request.school_id != school.school_id:
            raise REQUEST_NOT_FOUND
        if request.status in TERMINAL_STATUSES:
            raise Conflict("request_closed", f"La demande {request.request_id} est close ({request.status_label}) : "
                                             "un rendez-vous ne la ferait plus avancer.")
        slot = self.repo.get_slot(form.slot_id)
        if slot is None or slot.departement != departement:
            raise SLOT_NOT_FOUND
        now = self.clock()
        if slot.starts_at <= now:
            raise Conflict("slot_past", "Ce créneau a déjà commencé : choisissez-en un autre.")
        if slot.places_left == 0:
            raise SLOT_FULL
        booking = Booking(slot_id=slot.slot_id, request_id=request.request_id, school_id=school.school_id,
                          school_name=school.company_name, reason=form.reason, booked_by=caller.account_id,
                          booked_at=now, starts_at=slot.starts_at, remind_at=rules.remind_at(slot.starts_at, now))
        try:
            self.repo.book(slot, booking, now, self._event(rules.BOOKED, booking, now, slot.place))
        except TransactionRefused as refused:
            raise self._booking_refusal(refused.failed, request.request_id) from None
        return booking, slot.model_copy(update={"booked": slot.booked + 1})

    @staticmethod
    def _booking_refusal(failed: list[int], request_id: str) -> Exception:
        from chalicelib.adapters.appointments_repository import BOOK_BOOKING, BOOK_REQUEST, BOOK_SLOT

        if BOOK_BOOKING in failed:
            return Conflict("already_booked", f"La demande {request_id} a déjà une place sur ce créneau.")
        if BOOK_REQUEST in failed:
            return Conflict("request_already_booked", f"La demande {request_id} a déjà un rendez-vous à venir : "
                                                      "annulez-le d'abord pour en prendre un autre.")
        if BOOK_SLOT in failed:
            return SLOT_FULL  # the last place went to another school meanwhile (or the slot was withdrawn)
        return Conflict("booking_refused", "La réservation n'a pas pu être enregistrée : réessayez.")

    def cancel(self, caller: Profile, booking_id: str) -> Booking:
        parts = rules.split_booking_id(booking_id)
        booking = self.repo.get_booking(*parts) if parts else None
        if booking is None or booking.school_id != caller.school_id:
            raise BOOKING_NOT_FOUND
        now = self.clock()
        deadline = rules.cancel_deadline(booking.starts_at)
        if now >= deadline:
            raise Conflict("cancel_too_late", f"Ce rendez-vous ne peut plus être annulé : il pouvait l'être "
                                              f"jusqu'au {rules.french_moment(deadline)}, 24 heures avant son début. "
                                              "Prévenez la préfecture si vous ne pouvez pas venir.")
        slot = self.repo.get_slot(booking.slot_id)
        try:
            self.repo.cancel(booking, self._event(rules.CANCELLED, booking, now, slot.place if slot else ""))
        except TransactionRefused:
            raise BOOKING_NOT_FOUND from None  # cancelled meanwhile (another workstation of the school)
        return booking

    def school_bookings(self, caller: Profile) -> list[tuple[Booking, Slot | None]]:
        """The school's appointments from today on, each with its slot."""
        since, _ = day_bounds(paris_day(self.clock()), paris_day(self.clock()))
        return [(booking, self.repo.get_slot(booking.slot_id))
                for booking in self.repo.school_bookings(caller.school_id or "", since)]

    # --- agents: the day's appointments ----------------------------------------------------------

    def day(self, agent: Profile, day: date) -> list[DaySlot]:
        slots = self.repo.slots_between(self.departement_of(agent), *day_bounds(day, day))
        return [DaySlot(slot, [DayAppointment(booking, self.requests.get(booking.request_id))
                               for booking in self.repo.slot_bookings(slot.slot_id)]) for slot in slots]

    # --- the scheduled reminder ------------------------------------------------------------------

    def remind(self, out_of_time: Callable[[], bool] | None = None) -> dict[str, int]:
        """Each due booking leaves the reminder index and gets its event in one transaction, on
        condition it is still there: a second (or concurrent) run sends nothing twice."""
        now = self.clock()
        done = 0
        for slot_id, request_id in self.repo.due_reminders(now):
            if out_of_time is not None and out_of_time():
                break
            booking, slot = self.repo.get_booking(slot_id, request_id), self.repo.get_slot(slot_id)
            if booking is None or slot is None:
                continue  # cancelled since the index was read
            try:
                self.repo.mark_reminded(slot_id, request_id, self._event(rules.REMINDER, booking, now, slot.place))
            except TransactionRefused:
                continue
            done += 1
        return {"reminded": done}

    @staticmethod
    def _event(event_type: str, booking: Booking, now: datetime, place: str) -> OutboxEvent:
        # The appointment's time and place travel with the event: a cancellation's email is sent
        # after the booking is gone.
        return OutboxEvent(id=uuid.uuid4().hex, type=event_type, aggregate_id=booking.booking_id, occurred_at=now,
                           payload={"slot_id": booking.slot_id, "request_id": booking.request_id,
                                    "school_id": booking.school_id, "starts_at": booking.starts_at.isoformat(),
                                    "place": place})

