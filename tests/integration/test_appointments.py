"""Appointments for complex dossiers (issue 9): administrators publish slots of their département,
schools book a place for one of their requests (never a full slot, never twice, never another
school's request), cancel up to 24 hours before, get a confirmation and one reminder the day before;
agents see the day's appointments with the requests. Every route's refusals."""
from __future__ import annotations

import json
import threading
from datetime import datetime, time, timedelta, timezone

import pytest

from chalicelib.adapters import wiring
from chalicelib.domain.appointments import BookingInput
from chalicelib.domain.dates import PARIS, paris_day
from chalicelib.local.pump import scheduled_event
from chalicelib.services import appointments as appointments_service
from tests.accounts_support import active_candidate, active_school, sent_emails
from tests.integration.test_requests import call, civil_status, new_request

PLACE = "Préfecture du Rhône, 106 rue Pierre Corneille, 69003 Lyon"


@pytest.fixture
def clock(monkeypatch):
    """The appointments' time, moved by tests (`clock.set(moment)`)."""
    class Clock:
        moment = None

        def now(self):
            return self.moment or datetime.now(timezone.utc)

        def set(self, moment):
            self.moment = moment

    moved = Clock()
    monkeypatch.setattr(appointments_service, "utc_now", moved.now)
    return moved


@pytest.fixture
def school(http, accounts):
    return active_school(http, accounts, "E0069000101", "ecole.rdv@example.fr")


@pytest.fixture
def other_school(http, accounts):
    return active_school(http, accounts, "E0069000102", "autre.ecole@example.fr")


def day_in(days: int) -> str:
    return (paris_day(datetime.now(timezone.utc)) + timedelta(days=days)).isoformat()


def slot_form(**changes):
    return {"date": day_in(3), "start_time": "10:00", "duration_minutes": 30, "place": PLACE, "capacity": 2,
            **changes}


def publish(http, admin, **changes):
    answer = call(http, "POST", "/staff/appointments/slots", admin, slot_form(**changes))
    assert answer.status_code == 201, answer.body
    return json.loads(answer.body)


def school_request(http, token, first_names="Testun"):
    number = new_request(http, token)["request_id"]
    saved = call(http, "PUT", f"/requests/{number}/steps/civil_status", token, civil_status(first_names=first_names))
    assert saved.status_code == 200, saved.body
    return number


def book(http, token, slot_id, request_id, reason="Retour au permis après annulation : pièces à examiner"):
    return call(http, "POST", "/appointments/bookings", token,
                {"slot_id": slot_id, "request_id": request_id, "reason": reason})


def body(answer):
    return json.loads(answer.body)


def open_slot(http, token, slot_id):
    return next((s for s in body(call(http, "GET", "/appointments/slots", token))["slots"] if s["slot_id"] == slot_id),
                None)


# --- slots -----------------------------------------------------------------------------------------

def test_an_administrator_publishes_slots_of_the_departement_and_lists_them(http, agents):
    slot = publish(http, agents["admin69"])
    assert (slot["start_time"], slot["end_time"], slot["places_left"], slot["place"]) == ("10:00", "10:30", 2, PLACE)
    listed = body(call(http, "GET", f"/staff/appointments/slots?du={day_in(0)}&au={day_in(7)}", agents["admin69"]))
    assert listed["departement"] == "69" and [s["slot_id"] for s in listed["slots"]] == [slot["slot_id"]]
    assert body(call(http, "GET", "/staff/appointments/slots", agents["admin92"]))["slots"] == []
    later = body(call(http, "GET", f"/staff/appointments/slots?du={day_in(4)}&au={day_in(9)}", agents["admin69"]))
    assert later["slots"] == []


@pytest.mark.parametrize("changes, field, code", [
    ({"date": day_in(-1)}, "date", "slot_in_the_past"),
    ({"capacity": 0}, "capacity", "greater_than_equal"),
    ({"capacity": 21}, "capacity", "less_than_equal"),
    ({"start_time": "9h30"}, "start_time", "value_error"),
    ({"date": "10/12/2026"}, "date", "value_error"),
    ({"place": ""}, "place", "string_too_short"),
])
def test_a_past_date_a_capacity_out_of_range_or_a_malformed_field_is_refused_in_french(http, agents, changes, field,
                                                                                        code):
    answer = call(http, "POST", "/staff/appointments/slots", agents["admin69"], slot_form(**changes))
    assert answer.status_code == 422, answer.body
    [detail] = body(answer)["details"]
    assert detail["field"] == field and detail["code"] == code and detail["message"]


def test_a_slot_earlier_today_is_in_the_past(http, agents, clock):
    clock.set(datetime.combine(paris_day(datetime.now(timezone.utc)), time(15), tzinfo=PARIS))
    answer = call(http, "POST", "/staff/appointments/slots", agents["admin69"],
                  slot_form(date=day_in(0), start_time="14:00"))
    assert answer.status_code == 422 and body(answer)["code"] == "slot_in_the_past"
    assert "à venir" in body(answer)["message"]


def test_missing_fields_malformed_json_and_bad_periods_are_refused(http, agents):
    answer = call(http, "POST", "/staff/appointments/slots", agents["admin69"], {})
    assert answer.status_code == 422
    assert {d["field"] for d in body(answer)["details"]} == {"date", "start_time", "duration_minutes", "place",
                                                            "capacity"}
    assert all(d["message"] == "Ce champ est obligatoire : renseignez-le." for d in body(answer)["details"])
    raw = http.post("/staff/appointments/slots", body=b"{date:", headers={
        "Content-Type": "application/json", "Authorization": f"Bearer {agents['admin69']}"})
    assert raw.status_code == 400 and body(raw)["code"] == "invalid_json"
    for query, code in (("du=demain", "du_invalid"), (f"du={day_in(5)}&au={day_in(1)}", "period_invalid")):
        answer = call(http, "GET", f"/staff/appointments/slots?{query}", agents["admin69"])
        assert answer.status_code == 422 and body(answer)["code"] == code, query


def test_only_administrators_publish_and_withdraw_slots(http, agents, school):
    for token in (school, agents["ddt69"], agents["cert"]):
        assert call(http, "POST", "/staff/appointments/slots", token, slot_form()).status_code == 403
        assert call(http, "GET", "/staff/appointments/slots", token).status_code == 403
        assert call(http, "DELETE", "/staff/appointments/slots/x", token).status_code == 403


def test_a_slot_with_bookings_cannot_be_withdrawn_an_empty_one_can_by_its_departement_only(http, agents, school):
    booked, empty = publish(http, agents["admin69"]), publish(http, agents["admin69"], start_time="11:00")
    assert book(http, school, booked["slot_id"], school_request(http, school)).status_code == 201
    refused = call(http, "DELETE", f"/staff/appointments/slots/{booked['slot_id']}", agents["admin69"])
    assert refused.status_code == 409 and body(refused)["code"] == "slot_has_bookings"
    assert "Prévenez-les" in body(refused)["message"]
    assert call(http, "DELETE", f"/staff/appointments/slots/{empty['slot_id']}", agents["admin92"]).status_code == 404
    withdrawn = call(http, "DELETE", f"/staff/appointments/slots/{empty['slot_id']}", agents["admin69"])
    assert withdrawn.status_code == 200 and "retiré" in body(withdrawn)["message"]
    assert open_slot(http, school, empty["slot_id"]) is None
    assert call(http, "DELETE", f"/staff/appointments/slots/{empty['slot_id']}", agents["admin69"]).status_code == 404


# --- booking -----------------------------------------------------------------------------------------

def test_a_school_sees_its_departements_open_slots_books_one_and_is_emailed(http, agents, school, pump):
    slot = publish(http, agents["admin69"])
    elsewhere = publish(http, agents["admin92"])
    listed = body(call(http, "GET", "/appointments/slots", school))
    assert listed["departement"] == "69"
    assert slot["slot_id"] in [s["slot_id"] for s in listed["slots"]]
    assert elsewhere["slot_id"] not in [s["slot_id"] for s in listed["slots"]]
    number = school_request(http, school)
    answer = book(http, school, slot["slot_id"], number)
    assert answer.status_code == 201, answer.body
    booked = body(answer)
    assert booked["booking"]["request_id"] == number and booked["booking"]["can_cancel"] is True
    assert "10h00" in booked["message"] and number in booked["message"]
    assert open_slot(http, school, slot["slot_id"])["places_left"] == 1
    mine = body(call(http, "GET", "/appointments/bookings", school))["bookings"]
    assert [(b["request_id"], b["slot"]["place"]) for b in mine] == [(number, PLACE)]
    pump.run_until_idle()
    [email] = sent_emails("ecole.rdv@example.fr")
    assert "réservé" in email.subject
    assert all(part in email.body for part in (number, PLACE, "10h00", "Testun Joun", "jusqu'à 10h30"))


def test_a_full_slot_is_refused_with_a_stable_code(http, agents, school, other_school):
    slot = publish(http, agents["admin69"], capacity=1)
    assert book(http, school, slot["slot_id"], school_request(http, school)).status_code == 201
    refused = book(http, other_school, slot["slot_id"], school_request(http, other_school))
    assert refused.status_code == 409
    assert (body(refused)["code"], body(refused)["message"]) == ("slot_full", "Ce créneau est complet : "
                                                                              "choisissez-en un autre.")
    assert open_slot(http, school, slot["slot_id"])["places_left"] == 0


def test_the_slot_read_before_another_school_took_the_last_place_fails_the_transaction(http, agents, school,
                                                                                        other_school, monkeypatch):
    """The booking's transaction itself refuses it (booked < capacity), not only the read before."""
    slot = publish(http, agents["admin69"], capacity=1)
    repo = wiring.appointments_repository()
    stale = repo.get_slot(slot["slot_id"])
    assert book(http, other_school, slot["slot_id"], school_request(http, other_school)).status_code == 201
    from chalicelib.adapters.appointments_repository import DynamoAppointmentsRepository

    monkeypatch.setattr(DynamoAppointmentsRepository, "get_slot", lambda self, slot_id: stale)
    refused = book(http, school, slot["slot_id"], school_request(http, school))
    assert refused.status_code == 409 and body(refused)["code"] == "slot_full"
    monkeypatch.undo()
    assert repo.get_slot(slot["slot_id"]).booked == 1
    assert len(repo.slot_bookings(slot["slot_id"])) == 1


def test_two_schools_booking_the_last_place_at_once_exactly_one_gets_it(http, agents, school, other_school,
                                                                       monkeypatch):
    """Two threads, each a school's booking, released together on the slot's last place: both read
    it with one place left, the transactions decide. moto applies a transaction on a copy of the
    tables and puts the copy back when a condition fails, which is not thread-safe (a failing
    transaction would undo the other's commit): its transactions are serialised here, as DynamoDB
    isolates them."""
    from moto.dynamodb.models import DynamoDBBackend

    lock, original = threading.Lock(), DynamoDBBackend.transact_write_items

    def isolated(self, *args, **kwargs):
        with lock:
            return original(self, *args, **kwargs)

    monkeypatch.setattr(DynamoDBBackend, "transact_write_items", isolated)
    slot = publish(http, agents["admin69"], capacity=1)
    attempts = []
    for token in (school, other_school):
        me = body(call(http, "GET", "/me", token))
        attempts.append((wiring.accounts_repository().get_profile(me["account_id"]),
                         BookingInput(slot_id=slot["slot_id"], request_id=school_request(http, token),
                                      reason="Dossier complexe à examiner ensemble")))
    service = wiring.appointments()
    barrier, outcomes = threading.Barrier(2), []

    def attempt(caller, form):
        barrier.wait(timeout=30)
        try:
            service.book(caller, form)
            outcomes.append("booked")
        except Exception as error:  # noqa: BLE001 (the refusal is the outcome)
            outcomes.append(getattr(error, "code", repr(error)))

    threads = [threading.Thread(target=attempt, args=pair) for pair in attempts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["booked", "slot_full"]
    assert wiring.appointments_repository().get_slot(slot["slot_id"]).booked == 1
    assert len(wiring.appointments_repository().slot_bookings(slot["slot_id"])) == 1


def test_a_request_is_booked_once_per_slot_and_has_one_future_appointment(http, agents, school):
    first, second = publish(http, agents["admin69"]), publish(http, agents["admin69"], start_time="14:00")
    number = school_request(http, school)
    assert book(http, school, first["slot_id"], number).status_code == 201
    again = book(http, school, first["slot_id"], number)
    assert again.status_code == 409 and body(again)["code"] == "already_booked"
    elsewhere = book(http, school, second["slot_id"], number)
    assert elsewhere.status_code == 409 and body(elsewhere)["code"] == "request_already_booked"
    assert "annulez-le d'abord" in body(elsewhere)["message"]
    assert open_slot(http, school, second["slot_id"])["places_left"] == 2


def test_another_schools_request_an_unknown_slot_or_a_slot_elsewhere_is_404(http, agents, school, other_school):
    slot, elsewhere = publish(http, agents["admin69"]), publish(http, agents["admin92"])
    theirs = school_request(http, other_school)
    refused = book(http, school, slot["slot_id"], theirs)
    assert refused.status_code == 404 and body(refused)["code"] == "request_not_found"
    assert book(http, school, slot["slot_id"], "000000000000").status_code == 404
    mine = school_request(http, school)
    for slot_id in ("inconnu", elsewhere["slot_id"]):
        answer = book(http, school, slot_id, mine)
        assert answer.status_code == 404 and body(answer)["code"] == "slot_not_found"


def test_booking_is_reserved_for_driving_schools(http, agents, accounts):
    candidate = active_candidate(http, accounts, "candidat.rdv@example.fr")
    slot = publish(http, agents["admin69"])
    for token in (candidate, agents["ddt69"], agents["admin69"]):
        for method, path in (("POST", "/appointments/bookings"), ("GET", "/appointments/bookings"),
                             ("GET", "/appointments/slots"), ("DELETE", "/appointments/bookings/x~y")):
            answer = call(http, method, path, token, {"slot_id": slot["slot_id"], "request_id": "1",
                                                      "reason": "un motif"} if method == "POST" else None)
            assert answer.status_code == 403 and body(answer)["code"] == "forbidden", (method, path)


def test_a_booking_without_reason_or_with_unknown_fields_is_refused(http, agents, school):
    slot = publish(http, agents["admin69"])
    number = school_request(http, school)
    for payload, field in (({"slot_id": slot["slot_id"], "request_id": number}, "reason"),
                           ({"slot_id": slot["slot_id"], "request_id": number, "reason": "ok"}, "reason"),
                           ({"slot_id": slot["slot_id"], "request_id": number, "reason": "Un motif", "x": 1}, "x")):
        answer = call(http, "POST", "/appointments/bookings", school, payload)
        assert answer.status_code == 422 and [d["field"] for d in body(answer)["details"]] == [field]
    assert open_slot(http, school, slot["slot_id"])["places_left"] == 2


# --- cancellation ----------------------------------------------------------------------------------

def test_the_school_cancels_before_the_deadline_frees_the_place_and_may_book_again(http, agents, school, pump):
    slot = publish(http, agents["admin69"], capacity=1)
    number = school_request(http, school)
    booking = body(book(http, school, slot["slot_id"], number))["booking"]
    cancelled = call(http, "DELETE", f"/appointments/bookings/{booking['booking_id']}", school)
    assert cancelled.status_code == 200 and "libérée" in body(cancelled)["message"]
    assert open_slot(http, school, slot["slot_id"])["places_left"] == 1
    assert body(call(http, "GET", "/appointments/bookings", school))["bookings"] == []
    again = call(http, "DELETE", f"/appointments/bookings/{booking['booking_id']}", school)
    assert again.status_code == 404 and body(again)["code"] == "booking_not_found"
    other = publish(http, agents["admin69"], start_time="15:00")
    assert book(http, school, other["slot_id"], number).status_code == 201  # no future appointment any more
    pump.run_until_idle()
    subjects = [m.subject for m in sent_emails("ecole.rdv@example.fr")]
    # The second booking's confirmation; the first was cancelled before its email left: none for it.
    assert sum("annulé" in s for s in subjects) == 1 and sum("réservé" in s for s in subjects) == 1


def test_after_the_deadline_the_cancellation_is_refused_saying_until_when(http, agents, school, clock):
    slot = publish(http, agents["admin69"], date=day_in(2), start_time="09:30")
    booking = body(book(http, school, slot["slot_id"], school_request(http, school)))["booking"]
    deadline = datetime.fromisoformat(booking["cancel_until"])
    assert deadline == datetime.fromisoformat(booking["starts_at"]) - timedelta(hours=24)
    clock.set(deadline + timedelta(minutes=1))
    assert body(call(http, "GET", "/appointments/bookings", school))["bookings"][0]["can_cancel"] is False
    refused = call(http, "DELETE", f"/appointments/bookings/{booking['booking_id']}", school)
    assert refused.status_code == 409 and body(refused)["code"] == "cancel_too_late"
    assert "jusqu'au" in body(refused)["message"] and "09h30" in body(refused)["message"]
    assert open_slot(http, school, slot["slot_id"])["places_left"] == 1


def test_another_schools_booking_or_a_malformed_id_cannot_be_cancelled(http, agents, school, other_school):
    slot = publish(http, agents["admin69"])
    booking = body(book(http, school, slot["slot_id"], school_request(http, school)))["booking"]
    for token, booking_id in ((other_school, booking["booking_id"]), (school, "sans-tilde"), (school, "~")):
        answer = call(http, "DELETE", f"/appointments/bookings/{booking_id}", token)
        assert answer.status_code == 404 and body(answer)["code"] == "booking_not_found"
    assert body(call(http, "GET", "/appointments/bookings", other_school))["bookings"] == []
    assert open_slot(http, school, slot["slot_id"])["places_left"] == 1


# --- reminders -------------------------------------------------------------------------------------

def test_the_school_is_reminded_once_the_day_before_even_if_the_job_runs_twice(app, http, agents, school, pump,
                                                                               clock):
    slot = publish(http, agents["admin69"], date=day_in(3), start_time="10:00")
    number = school_request(http, school)
    assert book(http, school, slot["slot_id"], number).status_code == 201
    cancelled_slot = publish(http, agents["admin69"], date=day_in(3), start_time="11:00")
    other = school_request(http, school, first_names="Autre")
    booking = body(book(http, school, cancelled_slot["slot_id"], other))["booking"]
    assert call(http, "DELETE", f"/appointments/bookings/{booking['booking_id']}", school).status_code == 200
    job = app.handler_map["remind_appointments"]
    assert job(scheduled_event(), None) == {"reminded": 0}  # not yet
    day_before = datetime.fromisoformat(f"{day_in(2)}T09:00").replace(tzinfo=PARIS)
    clock.set(day_before + timedelta(minutes=1))
    assert job(scheduled_event(), None) == {"reminded": 1}
    assert job(scheduled_event(), None) == {"reminded": 0}
    pump.run_until_idle()
    reminders = [m for m in sent_emails("ecole.rdv@example.fr") if "rappel" in m.subject]
    assert len(reminders) == 1
    assert all(part in reminders[0].body for part in (number, PLACE, "10h00", "Rappel"))
    # The reminder's message delivered again (SQS delivers at least once): no second email.
    from chalicelib.workers.emails import send_for

    send_for(reminder_event())
    assert len([m for m in sent_emails("ecole.rdv@example.fr") if "rappel" in m.subject]) == 1


def reminder_event():
    """The reminder's outbox event, read from the table (tests only)."""
    import os

    import boto3

    from chalicelib.adapters.outbox import event_from_stream_image

    [item] = boto3.client("dynamodb").scan(
        TableName=os.environ["TABLE_MAIN_NAME"], FilterExpression="entity = :outbox AND #type = :reminder",
        ExpressionAttributeNames={"#type": "type"},
        ExpressionAttributeValues={":outbox": {"S": "outbox"}, ":reminder": {"S": "appointment.reminder"}})["Items"]
    return event_from_stream_image(item)


def test_a_booking_made_after_the_reminder_time_gets_only_its_confirmation(app, http, agents, school, pump, clock):
    slot = publish(http, agents["admin69"], date=day_in(1), start_time="18:00")
    clock.set(datetime.fromisoformat(f"{day_in(0)}T09:30").replace(tzinfo=PARIS))
    assert book(http, school, slot["slot_id"], school_request(http, school)).status_code == 201
    assert app.handler_map["remind_appointments"](scheduled_event(), None) == {"reminded": 0}
    pump.run_until_idle()
    assert [("réservé" in m.subject) for m in sent_emails("ecole.rdv@example.fr")] == [True]


# --- agents: the day's appointments -------------------------------------------------------------------

def test_agents_of_the_departement_see_the_days_appointments_with_the_requests(http, agents, school):
    slot = publish(http, agents["admin69"], date=day_in(4), start_time="09:00")
    publish(http, agents["admin69"], date=day_in(5))  # another day
    number = school_request(http, school)
    assert book(http, school, slot["slot_id"], number, reason="Divergence d'identité à régler").status_code == 201
    for token in (agents["ddt69"], agents["admin69"]):
        day = body(call(http, "GET", f"/staff/appointments?date={day_in(4)}", token))
        [shown] = day["slots"]
        assert (shown["start_time"], shown["booked"], shown["place"]) == ("09:00", 1, PLACE)
        [appointment] = shown["appointments"]
        assert appointment == {**appointment, "school_name": "École", "request_id": number,
                               "procedure_label": appointment["procedure_label"], "status_label": "Brouillon",
                               "candidate_name": "Testun Joun", "reason": "Divergence d'identité à régler"}
        assert appointment["procedure_label"]
    assert body(call(http, "GET", f"/staff/appointments?date={day_in(4)}", agents["ddt92"]))["slots"] == []


def test_the_days_list_needs_a_proper_date_and_an_agent_of_a_departement(http, agents, school):
    for query, code in (("", "date_required"), ("?date=04/12/2026", "date_invalid")):
        answer = call(http, "GET", f"/staff/appointments{query}", agents["ddt69"])
        assert answer.status_code == 422 and body(answer)["code"] == code
    for token in (school, agents["cert"]):
        assert call(http, "GET", f"/staff/appointments?date={day_in(1)}", token).status_code == 403


# --- demo data ------------------------------------------------------------------------------------

def test_the_demo_prefecture_publishes_slots_the_demo_school_can_see(http, aws):
    from chalicelib.local import demo_data
    from tests.accounts_support import sign_in

    demo_data.load(wiring.accounts(), wiring.demo_repository())
    school = sign_in(http, f"auto-ecole@{demo_data.DEMO_DOMAIN}", demo_data.DEMO_PASSWORD)
    slots = body(call(http, "GET", "/appointments/slots", school))["slots"]
    assert len(slots) == 8 and {s["place"] for s in slots} == {demo_data.DEMO_SLOT_PLACE}
    assert all(s["places_left"] > 0 and s["date"] > day_in(0) for s in slots)
