"""DynamoDB storage of support tickets (access patterns in chalicelib/resources.py, MAIN_TABLE):
  SUPPORT#<ticket number> / TICKET                       the ticket
  gsi1: <SCHOOL#id or ACCOUNT#id>#SUPPORT, <opened>      a sender's tickets, newest first
  gsi2: SUPPORT#<département>#OPEN, <opened>             a département's open tickets, oldest first
  gsi3: SUPPORT_DUE, <opened + 7 days>                   open tickets by the end of the promise
gsi2 and gsi3 are sparse: the answer takes the ticket out of both; the promise's breach out of gsi3
only (a breached ticket stays in the queue, flagged). Each change is one transaction: the ticket,
on condition of its version and state, and its outbox event."""
from __future__ import annotations

from typing import Any, Iterator

from chalicelib.adapters.dynamo import due_items, from_item, to_item, transact
from chalicelib.adapters.outbox import outbox_put
from chalicelib.domain.events import OutboxEvent
from chalicelib.domain.support import ANSWERED_RETENTION, Ticket, TicketStatus

SUPPORT_DUE = "SUPPORT_DUE"
QUEUE_PAGE = 200  # a département's open tickets: one page (a queue longer than that is a problem of its own)
OWNER_PAGE = 50


def ticket_key(ticket_id: str) -> dict[str, Any]:
    return {"pk": {"S": f"SUPPORT#{ticket_id}"}, "sk": {"S": "TICKET"}}


def queue_partition(departement: str) -> str:
    return f"SUPPORT#{departement}#OPEN"


def _ticket(values: dict[str, Any]) -> Ticket:
    return Ticket.model_validate({k: values[k] for k in Ticket.model_fields if k in values})


def _item(ticket: Ticket) -> dict[str, Any]:
    opened = f"{ticket.opened_at.isoformat()}#{ticket.ticket_id}"
    is_open = ticket.status is TicketStatus.OPEN
    values = {"pk": f"SUPPORT#{ticket.ticket_id}", "sk": "TICKET", "entity": "support_ticket",
              "gsi1pk": ticket.owner_partition(), "gsi1sk": opened if ticket.owner_partition() else None,
              "gsi2pk": queue_partition(ticket.departement) if is_open else None,
              "gsi2sk": opened if is_open else None,
              "gsi3pk": SUPPORT_DUE if is_open and ticket.promise_breached_at is None else None,
              "gsi3sk": f"{ticket.promised_by.isoformat()}#{ticket.ticket_id}"
              if is_open and ticket.promise_breached_at is None else None,
              **ticket.model_dump(mode="json")}
    if ticket.answered_at is not None:
        values["expires_at"] = int((ticket.answered_at + ANSWERED_RETENTION).timestamp())
    return to_item(values)


class DynamoSupportRepository:
    def __init__(self, dynamodb_client, table_name: str):
        self._db = dynamodb_client
        self._table = table_name

    def _put(self, ticket: Ticket, previous: Ticket | None) -> dict[str, Any]:
        put: dict[str, Any] = {"TableName": self._table, "Item": _item(ticket)}
        if previous is None:
            put["ConditionExpression"] = "attribute_not_exists(pk)"
        else:  # the version read, still open: two agents answering at once, one wins
            put["ConditionExpression"] = "version = :version AND #status = :open"
            put["ExpressionAttributeNames"] = {"#status": "status"}
            put["ExpressionAttributeValues"] = {":version": {"N": str(previous.version)},
                                                ":open": {"S": TicketStatus.OPEN.value}}
        return {"Put": put}

    def create(self, ticket: Ticket, event: OutboxEvent) -> None:
        """TransactionRefused when the number is taken (the caller draws another)."""
        transact(self._db, [self._put(ticket, None), outbox_put(self._table, event)])

    def change(self, ticket: Ticket, previous: Ticket, event: OutboxEvent) -> None:
        """The answer or the promise's breach; TransactionRefused when it changed meanwhile."""
        transact(self._db, [self._put(ticket, previous), outbox_put(self._table, event)])

    def get(self, ticket_id: str) -> Ticket | None:
        item = self._db.get_item(TableName=self._table, ConsistentRead=True, Key=ticket_key(ticket_id)).get("Item")
        return _ticket(from_item(item)) if item else None

    def of_owner(self, partition: str) -> list[Ticket]:
        """A sender's latest tickets, newest first."""
        page = self._db.query(TableName=self._table, IndexName="gsi1", Limit=OWNER_PAGE, ScanIndexForward=False,
                              KeyConditionExpression="gsi1pk = :owner",
                              ExpressionAttributeValues={":owner": {"S": partition}})
        return [_ticket(from_item(item)) for item in page["Items"]]

    def open_in(self, departement: str) -> list[Ticket]:
        """A département's open tickets, oldest first."""
        page = self._db.query(TableName=self._table, IndexName="gsi2", Limit=QUEUE_PAGE,
                              KeyConditionExpression="gsi2pk = :queue",
                              ExpressionAttributeValues={":queue": {"S": queue_partition(departement)}})
        return [_ticket(from_item(item)) for item in page["Items"]]

    def past_promise(self, now_iso: str) -> Iterator[str]:
        """Numbers of every open ticket whose week is over and not yet recorded as breached."""
        return (item["ticket_id"] for item in due_items(self._db, table=self._table, partition=SUPPORT_DUE,
                                                        now_sort=f"{now_iso}#~", projection="ticket_id"))
