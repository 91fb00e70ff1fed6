"""Appointments for complex dossiers (issue 9), reserved for driving schools: the prefecture's
administrators publish slots of their département, schools book a place for one of their requests
and cancel it up to 24 hours before, agents see the day's appointments with the requests."""
from __future__ import annotations

from datetime import date, datetime

from pydantic import Field

from chalicelib.adapters import wiring
from chalicelib.api.http import Routes, route
from chalicelib.domain import appointments as rules
from chalicelib.domain.accounts import Profile, Role
from chalicelib.domain.appointments import Booking, BookingInput, Slot, SlotInput
from chalicelib.domain.base import Model
from chalicelib.domain.errors import InvalidInput

blueprint = Routes(__name__)
TAGS = ("rendez-vous",)
SCHOOL = (Role.AUTO_ECOLE.value,)
ADMINISTRATORS = (Role.PREFECTURE.value,)
AGENTS = (Role.INSTRUCTEUR_DDT.value, Role.PREFECTURE.value)


class SlotView(Model):
    slot_id: str
    date: str
    day_label: str = Field(description="Le jour en toutes lettres, « jeudi 10 décembre 2026 »")
    start_time: str
    end_time: str
    duration_minutes: int
    place: str
    capacity: int
    booked: int
    places_left: int


class Slots(Model):
    departement: str | None = None
    slots: list[SlotView]


class BookingView(Model):
    booking_id: str
    request_id: str
    reason: str
    booked_at: datetime
    starts_at: datetime
    cancel_until: datetime = Field(description="Annulable jusqu'à cet instant (24 heures avant le début)")
    can_cancel: bool
    slot: SlotView | None


class Bookings(Model):
    bookings: list[BookingView]


class Booked(Model):
    booking: BookingView
    message: str


class Message(Model):
    message: str


class DayAppointmentView(Model):
    booking_id: str
    school_name: str
    request_id: str
    procedure_label: str | None
    status_label: str | None
    candidate_name: str | None
    reason: str
    booked_at: datetime


class DaySlotView(SlotView):
    appointments: list[DayAppointmentView]


class Day(Model):
    date: str
    departement: str
    slots: list[DaySlotView]


def slot_view(slot: Slot) -> SlotView:
    return SlotView(slot_id=slot.slot_id, date=slot.date.isoformat(), day_label=rules.french_day(slot.date),
                    start_time=slot.start_time, end_time=slot.end_time, duration_minutes=slot.duration_minutes,
                    place=slot.place, capacity=slot.capacity, booked=slot.booked, places_left=slot.places_left)


def booking_view(booking: Booking, slot: Slot | None, now: datetime) -> BookingView:
    until = rules.cancel_deadline(booking.starts_at)
    return BookingView(booking_id=booking.booking_id, request_id=booking.request_id, reason=booking.reason,
                       booked_at=booking.booked_at, starts_at=booking.starts_at, cancel_until=until,
                       can_cancel=now < until, slot=slot_view(slot) if slot else None)


def query_day(name: str, required: bool = False) -> date | None:
    value = (blueprint.current_request.query_params or {}).get(name)
    if not value:
        if required:
            raise InvalidInput(f"{name}_required", f"Précisez le jour (paramètre {name}, au format AAAA-MM-JJ).")
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"{name}_invalid", f"Le jour « {name} » s'écrit AAAA-MM-JJ, par exemple 2026-12-10."
                           ) from None


# --- administrators of the prefecture: slots -----------------------------------------------------

@route(blueprint, "/staff/appointments/slots", method="POST", summary="Publier un créneau de rendez-vous",
       tags=TAGS, request_model=SlotInput, response_model=SlotView, status=201, roles=ADMINISTRATORS,
       description="Dans votre département : jour à venir, heure de début (heure de Paris), durée, lieu et nombre "
                   f"d'auto-écoles reçues (1 à {rules.MAX_CAPACITY}).")
def publish_slot(caller: Profile, body: SlotInput) -> SlotView:
    return slot_view(wiring.appointments().publish(caller, body))


@route(blueprint, "/staff/appointments/slots", summary="Les créneaux publiés de mon département", tags=TAGS,
       response_model=Slots, errors=(422,), roles=ADMINISTRATORS, query=("du", "au"),
       description="Filtres du=AAAA-MM-JJ (aujourd'hui par défaut) et au=AAAA-MM-JJ (8 semaines plus tard par "
                   "défaut), un an au plus.")
def published_slots(caller: Profile) -> Slots:
    service = wiring.appointments()
    slots = service.published(caller, query_day("du"), query_day("au"))
    return Slots(departement=service.departement_of(caller), slots=[slot_view(s) for s in slots])


@route(blueprint, "/staff/appointments/slots/{slot_id}", method="DELETE", summary="Retirer un créneau sans "
       "réservation", tags=TAGS, response_model=Message, errors=(404, 409), roles=ADMINISTRATORS,
       description="Un créneau réservé par une auto-école ne peut pas être retiré (409) : les auto-écoles "
                   "gardent leur rendez-vous tant qu'elles ne l'ont pas annulé.")
def withdraw_slot(caller: Profile, slot_id: str) -> Message:
    slot = wiring.appointments().withdraw(caller, slot_id)
    return Message(message=f"Le créneau du {rules.french_day(slot.date)} à {slot.start_time} est retiré.")


@route(blueprint, "/staff/appointments", summary="Les rendez-vous du jour, avec les demandes", tags=TAGS,
       response_model=Day, errors=(422,), roles=AGENTS, query=("date",),
       description="date=AAAA-MM-JJ (obligatoire) : chaque créneau du jour de votre département, ses réservations "
                   "(auto-école, demande, démarche, statut, candidat, motif).")
def day_appointments(caller: Profile) -> Day:
    day = query_day("date", required=True)
    service = wiring.appointments()
    slots = service.day(caller, day)
    return Day(date=day.isoformat(), departement=service.departement_of(caller), slots=[
        DaySlotView(**slot_view(s.slot).model_dump(), appointments=[DayAppointmentView(
            booking_id=a.booking.booking_id, school_name=a.booking.school_name, request_id=a.booking.request_id,
            procedure_label=a.request.procedure_label if a.request else None,
            status_label=a.request.status_label if a.request else None,
            candidate_name=(a.request.candidate_name() or None) if a.request else None,
            reason=a.booking.reason, booked_at=a.booking.booked_at) for a in s.appointments]) for s in slots])


# --- driving schools: open slots, bookings -------------------------------------------------------

@route(blueprint, "/appointments/slots", summary="Les créneaux à venir de mon département", tags=TAGS,
       response_model=Slots, errors=(404,), roles=SCHOOL,
       description=f"Les {rules.OPEN_SLOTS_WEEKS} semaines à venir, avec les places restantes. Réservé aux "
                   "auto-écoles.")
def open_slots(caller: Profile) -> Slots:
    departement, slots = wiring.appointments().open_slots(caller)
    return Slots(departement=departement, slots=[slot_view(s) for s in slots])


@route(blueprint, "/appointments/bookings", method="POST", summary="Réserver un créneau pour une demande",
       tags=TAGS, request_model=BookingInput, response_model=Booked, status=201, errors=(404, 409), roles=SCHOOL,
       description="Une place pour une demande de votre auto-école, avec le motif. Un créneau complet (409, "
                   "slot_full), une demande qui a déjà un rendez-vous à venir (409) sont refusés.")
def book(caller: Profile, body: BookingInput) -> Booked:
    service = wiring.appointments()
    booking, slot = service.book(caller, body)
    return Booked(booking=booking_view(booking, slot, service.clock()),
                  message=f"Rendez-vous réservé le {rules.french_moment(booking.starts_at)}, {slot.place}, pour la "
                          f"demande n° {booking.request_id}. Un courriel de confirmation vous est envoyé.")


@route(blueprint, "/appointments/bookings", summary="Mes rendez-vous à venir", tags=TAGS, response_model=Bookings,
       roles=SCHOOL)
def my_bookings(caller: Profile) -> Bookings:
    service = wiring.appointments()
    now = service.clock()
    return Bookings(bookings=[booking_view(b, s, now) for b, s in service.school_bookings(caller)])


@route(blueprint, "/appointments/bookings/{booking_id}", method="DELETE", summary="Annuler un rendez-vous",
       tags=TAGS, response_model=Message, errors=(404, 409), roles=SCHOOL,
       description="Jusqu'à 24 heures avant son début (heure de Paris) ; la place est libérée.")
def cancel(caller: Profile, booking_id: str) -> Message:
    booking = wiring.appointments().cancel(caller, booking_id)
    return Message(message=f"Le rendez-vous du {rules.french_moment(booking.starts_at)} pour la demande n° "
                           f"{booking.request_id} est annulé : la place est libérée.")
