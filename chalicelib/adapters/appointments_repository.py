"""DynamoDB storage of appointments (access patterns in chalicelib/resources.py, MAIN_TABLE):
  APPOINTMENT_SLOT#<id> / SLOT               a published slot: capacity and `booked`, its count of bookings
  APPOINTMENT_SLOT#<id> / BOOKING#<request>  a school's booking of a place for one request
  APPOINTMENT_REQUEST#<request> / CURRENT    the request's booking (one future appointment per request)
  gsi1: APPOINTMENT_SLOTS#<département>, <start>#<slot>   a département's slots by start
  gsi1: SCHOOL#<id>#APPOINTMENTS, <start>#<slot>          a school's bookings by start
  gsi3: APPOINTMENT_REMINDER_DUE, <remind at>#<booking>   bookings whose reminder is to send (sparse)
A booking and its cancellation are each one TransactWriteItems: the slot's count (on condition of a
place left, or of a booking to free), the booking, the request's current booking, the outbox event."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Iterator

from botocore.exceptions import ClientError

from chalicelib.adapters.dynamo import due_items, from_item, to_item, transact
from chalicelib.adapters.outbox import outbox_put
from chalicelib.domain.appointments import Booking, Slot
from chalicelib.domain.events import OutboxEvent

REMINDER_DUE = "APPOINTMENT_REMINDER_DUE"
# Indexes of the booking transaction's items: which condition failed tells the refusal.
BOOK_SLOT, BOOK_BOOKING, BOOK_REQUEST = 0, 1, 2


def slots_partition(departement: str) -> str:
    return f"APPOINTMENT_SLOTS#{departement.upper()}"


def school_partition(school_id: str) -> str:
    return f"SCHOOL#{school_id}#APPOINTMENTS"


def slot_key(slot_id: str, sort: str = "SLOT") -> dict[str, Any]:
    return {"pk": {"S": f"APPOINTMENT_SLOT#{slot_id}"}, "sk": {"S": sort}}


def booking_key(slot_id: str, request_id: str) -> dict[str, Any]:
    return slot_key(slot_id, f"BOOKING#{request_id}")


def current_key(request_id: str) -> dict[str, Any]:
    return {"pk": {"S": f"APPOINTMENT_REQUEST#{request_id}"}, "sk": {"S": "CURRENT"}}


def _start_sort(start: datetime, slot_id: str) -> str:
    return f"{start.isoformat()}#{slot_id}"


def _as(model, item: dict[str, Any]):
    """The stored item as `model` (its key and index attributes left out)."""
    values = from_item(item)
    return model.model_validate({k: values[k] for k in model.model_fields if k in values})


def _slot(item: dict[str, Any]) -> Slot:
    return _as(Slot, item)


def _booking(item: dict[str, Any]) -> Booking:
    return _as(Booking, item)


class DynamoAppointmentsRepository:
    def __init__(self, dynamodb_client, table_name: str):
        self._db = dynamodb_client
        self._table = table_name

    # --- slots ---------------------------------------------------------------------------------

    def put_slot(self, slot: Slot) -> None:
        item = {"pk": f"APPOINTMENT_SLOT#{slot.slot_id}", "sk": "SLOT", "entity": "appointment_slot",
                "gsi1pk": slots_partition(slot.departement), "gsi1sk": _start_sort(slot.starts_at, slot.slot_id),
                **slot.model_dump(mode="json")}
        self._db.put_item(TableName=self._table, Item=to_item(item), ConditionExpression="attribute_not_exists(pk)")

    def get_slot(self, slot_id: str) -> Slot | None:
        item = self._db.get_item(TableName=self._table, ConsistentRead=True, Key=slot_key(slot_id)).get("Item")
        return _slot(item) if item else None

    def slots_between(self, departement: str, start: datetime, end: datetime) -> list[Slot]:
        """The département's slots starting in [start, end), soonest first (gsi1, no Scan)."""
        found: list[Slot] = []
        params: dict[str, Any] = {
            "TableName": self._table, "IndexName": "gsi1",
            "KeyConditionExpression": "gsi1pk = :pk AND gsi1sk BETWEEN :start AND :end",
            "ExpressionAttributeValues": {":pk": {"S": slots_partition(departement)},
                                          ":start": {"S": start.isoformat()}, ":end": {"S": end.isoformat()}}}
        while True:
            answer = self._db.query(**params)
            found += [_slot(item) for item in answer["Items"]]
            if "LastEvaluatedKey" not in answer:
                return found
            params["ExclusiveStartKey"] = answer["LastEvaluatedKey"]

    def delete_slot(self, slot: Slot) -> bool:
        """False when a school booked it meanwhile (a slot with bookings is never deleted)."""
        try:
            self._db.delete_item(TableName=self._table, Key=slot_key(slot.slot_id),
                                 ConditionExpression="attribute_exists(pk) AND booked = :zero",
                                 ExpressionAttributeValues={":zero": {"N": "0"}})
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True

    # --- bookings ------------------------------------------------------------------------------

    def book(self, slot: Slot, booking: Booking, now: datetime, event: OutboxEvent) -> None:
        """One transaction; TransactionRefused names the failed item (BOOK_SLOT: no place left or
        slot deleted; BOOK_BOOKING: already booked on this slot; BOOK_REQUEST: the request has a
        future appointment elsewhere)."""
        values = {"pk": f"APPOINTMENT_SLOT#{slot.slot_id}", "sk": f"BOOKING#{booking.request_id}",
                  "entity": "appointment_booking", "gsi1pk": school_partition(booking.school_id),
                  "gsi1sk": _start_sort(slot.starts_at, slot.slot_id), **booking.model_dump(mode="json")}
        if booking.remind_at is not None:  # sparse: only bookings with a reminder to send carry it
            values.update(gsi3pk=REMINDER_DUE, gsi3sk=f"{booking.remind_at.isoformat()}#{booking.booking_id}")
        current = {"pk": f"APPOINTMENT_REQUEST#{booking.request_id}", "sk": "CURRENT", "entity": "appointment_current",
                   "slot_id": slot.slot_id, "starts_at": slot.starts_at.isoformat()}
        transact(self._db, [
            {"Update": {"TableName": self._table, "Key": slot_key(slot.slot_id),
                        "UpdateExpression": "SET booked = booked + :one",
                        "ConditionExpression": "attribute_exists(pk) AND booked < #capacity",
                        "ExpressionAttributeNames": {"#capacity": "capacity"},  # a reserved word
                        "ExpressionAttributeValues": {":one": {"N": "1"}}}},
            {"Put": {"TableName": self._table, "Item": to_item(values),
                     "ConditionExpression": "attribute_not_exists(pk)"}},
            # One future appointment per request: free, or the one it points to has begun.
            {"Put": {"TableName": self._table, "Item": to_item(current),
                     "ConditionExpression": "attribute_not_exists(pk) OR starts_at <= :now",
                     "ExpressionAttributeValues": {":now": {"S": now.isoformat()}}}},
            outbox_put(self._table, event),
        ])

    def get_booking(self, slot_id: str, request_id: str) -> Booking | None:
        item = self._db.get_item(TableName=self._table, ConsistentRead=True,
                                 Key=booking_key(slot_id, request_id)).get("Item")
        return _booking(item) if item else None

    def cancel(self, booking: Booking, event: OutboxEvent) -> None:
        """The booking deleted, its place freed and the request's current booking released, in one
        transaction; TransactionRefused when it was cancelled meanwhile."""
        transact(self._db, [
            {"Delete": {"TableName": self._table, "Key": booking_key(booking.slot_id, booking.request_id),
                        "ConditionExpression": "attribute_exists(pk)"}},
            {"Update": {"TableName": self._table, "Key": slot_key(booking.slot_id),
                        "UpdateExpression": "SET booked = booked - :one",
                        "ConditionExpression": "attribute_exists(pk) AND booked > :zero",
                        "ExpressionAttributeValues": {":one": {"N": "1"}, ":zero": {"N": "0"}}}},
            {"Delete": {"TableName": self._table, "Key": current_key(booking.request_id),
                        "ConditionExpression": "slot_id = :slot",
                        "ExpressionAttributeValues": {":slot": {"S": booking.slot_id}}}},
            outbox_put(self._table, event),
        ])

    def school_bookings(self, school_id: str, since: datetime) -> list[Booking]:
        """The school's bookings of slots starting from `since`, soonest first (gsi1)."""
        answer = self._db.query(TableName=self._table, IndexName="gsi1",
                                KeyConditionExpression="gsi1pk = :pk AND gsi1sk >= :since",
                                ExpressionAttributeValues={":pk": {"S": school_partition(school_id)},
                                                           ":since": {"S": since.isoformat()}})
        return [_booking(item) for item in answer["Items"]]

    def slot_bookings(self, slot_id: str) -> list[Booking]:
        answer = self._db.query(TableName=self._table, ConsistentRead=True,
                                KeyConditionExpression="pk = :pk AND begins_with(sk, :booking)",
                                ExpressionAttributeValues={":pk": {"S": f"APPOINTMENT_SLOT#{slot_id}"},
                                                           ":booking": {"S": "BOOKING#"}})
        return [_booking(item) for item in answer["Items"]]

    # --- reminders -----------------------------------------------------------------------------

    def due_reminders(self, now: datetime) -> Iterator[tuple[str, str]]:
        """(slot, request) of every booking whose reminder time has come (sparse gsi3, no Scan)."""
        return ((row["slot_id"], row["request_id"]) for row in due_items(
            self._db, table=self._table, partition=REMINDER_DUE, now_sort=f"{now.isoformat()}#~",
            projection="slot_id, request_id"))

    def mark_reminded(self, slot_id: str, request_id: str, event: OutboxEvent) -> None:
        """The booking leaves the index and its reminder event is written, in one transaction on
        condition it is still in the index: a second run (or a concurrent one) writes nothing."""
        transact(self._db, [
            {"Update": {"TableName": self._table, "Key": booking_key(slot_id, request_id),
                        "UpdateExpression": "REMOVE gsi3pk, gsi3sk, remind_at",
                        "ConditionExpression": "attribute_exists(gsi3pk)"}},
            outbox_put(self._table, event),
        ])
