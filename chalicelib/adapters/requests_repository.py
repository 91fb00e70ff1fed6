"""DynamoDB storage of requests (access patterns in chalicelib/resources.py, MAIN_TABLE):
  REQUEST#<number> / REQUEST              the request, its saved steps, its version
  REQUEST#<number> / HISTORY#<time>#<nn>  one row per transition, put with the change
  REQUEST#<number> / RECEIPT              where the deposit receipt's PDF is, and its signed QR payload
  REQUEST#<number> / AUTOSAVE#<step>      what is being typed in a step, not saved yet (the draft's TTL)
  MEDIATOR#<account> / LETTER#<time>#<event>  a letter the mediator posts to a person without email
  gsi1: SCHOOL#<id>#REQUESTS              a school's requests, newest first
  gsi1: MEDIATOR#<account>#REQUESTS       a digital mediator's requests, newest first
  gsi2: CANDIDATE#<account>#REQUESTS      a candidate's requests (filed alone or by a school)
  gsi3: VALIDATION_DUE, <due time>        requests awaiting the candidate, by reminder or deadline
  gsi3: INSTRUCTION#<authority>, <queued>  requests awaiting instruction, oldest first (queue health)
  gsi3: COMPLEMENT#<authority>, <asked>    requests awaiting the filer's complement (the agents' worklist)
  gsi3: LICENCE_DUE, <due time>           licences with a time-based step to come (post office, resend)
Every state change is one TransactWriteItems: the request (on condition of the version read), its
history rows, its outbox events, and what the use case adds (an Idempotency-Key, an account).
A draft is deleted in one transaction (the request, on condition of its status and version, and
request.draft_deleted); the draft-deletions worker then deletes whatever else the request left."""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import uuid
from datetime import datetime, timedelta
from typing import Any, Callable, Iterator

from botocore.exceptions import ClientError

from chalicelib.adapters.dynamo import (TransactionRefused, batch_get, due_items, from_item, to_item,
                                       transact)
from chalicelib.adapters.outbox import outbox_put
from chalicelib.domain import request_events
from chalicelib.domain.errors import MalformedRequest
from chalicelib.domain.events import OutboxEvent
from chalicelib.domain.identity_match import normalize_name
from chalicelib.domain.procedures import TERMINAL_STATUSES, RequestStatus, Transition
from chalicelib.domain.requests import DRAFT_RETENTION_DAYS, Request

CURSOR_INVALID = MalformedRequest("cursor_invalid", "Ce lien de page n'est plus valable : rechargez la liste depuis le "
                                                     "début.")
IDEMPOTENCY_RETENTION = timedelta(hours=24)
VALIDATION_DUE = "VALIDATION_DUE"
LICENCE_DUE = "LICENCE_DUE"
MAX_FILTERED_QUERIES = 5
AUTOSAVE_PREFIX = "AUTOSAVE#"
DELETE_REQUEST, DELETE_APPOINTMENT = 0, 1  # items of delete_draft_items, as TransactionRefused names them
BATCH_WRITE_SIZE = 25  # DynamoDB's limit per BatchWriteItem
LETTER_RETENTION_DAYS = 90  # a letter's text (personal data) is kept long enough to be printed


def school_partition(school_id: str) -> str:
    return f"SCHOOL#{school_id}#REQUESTS"


def mediator_partition(account_id: str) -> str:
    return f"MEDIATOR#{account_id}#REQUESTS"


def instruction_partition(authority: str) -> str:
    return f"INSTRUCTION#{authority}"


def complement_partition(authority: str) -> str:
    return f"COMPLEMENT#{authority}"


def candidate_partition(account_id: str) -> str:
    return f"CANDIDATE#{account_id}#REQUESTS"


def letters_key(mediator_account_id: str) -> str:
    return f"MEDIATOR#{mediator_account_id}"


def request_key(request_id: str, sort: str = "REQUEST") -> dict[str, Any]:
    return {"pk": {"S": f"REQUEST#{request_id}"}, "sk": {"S": sort}}


def _item(request: Request) -> dict[str, Any]:
    created = f"{request.created_at.isoformat()}#{request.request_id}"
    due = request.validation_due_at()
    waiting = request.status is RequestStatus.UNDER_REVIEW and request.queued_at is not None
    asked = request.complement_asked_at if request.status is RequestStatus.MORE_INFORMATION_REQUESTED else None
    licence_due = request.licence_due_at()  # a request is in one of these states at a time
    values = {"pk": f"REQUEST#{request.request_id}", "sk": "REQUEST", "entity": "request",
              # A school's requests, or a mediator's (never both: a mediator's request has no school).
              "gsi1pk": school_partition(request.school_id) if request.school_id else
              mediator_partition(request.mediator_account_id) if request.mediator_account_id else None,
              "gsi1sk": created if request.school_id or request.mediator_account_id else None,
              "gsi2pk": candidate_partition(request.candidate_account_id) if request.candidate_account_id else None,
              "gsi2sk": created if request.candidate_account_id else None,
              # Sparse: awaiting the candidate (by due time) or awaiting instruction (by queueing time).
              "gsi3pk": VALIDATION_DUE if due else instruction_partition(request.authority() or "") if waiting
              else complement_partition(request.authority() or "") if asked
              else LICENCE_DUE if licence_due else None,
              "gsi3sk": f"{due.isoformat()}#{request.request_id}" if due else
              f"{request.queued_at.isoformat()}#{request.request_id}" if waiting else
              f"{asked.isoformat()}#{request.request_id}" if asked else
              f"{licence_due.isoformat()}#{request.request_id}" if licence_due else None,
              "search_name": normalize_name(request.candidate_name()) or None,
              **request.model_dump(mode="json")}
    if request.status == RequestStatus.DRAFT:  # drafts untouched for 3 months expire
        values["expires_at"] = draft_expires_at(request)
    return to_item(values)


def draft_expires_at(request: Request) -> int:
    """The TTL of a draft (and of what is typed in it): 3 months after its last change."""
    return int((request.updated_at + timedelta(days=DRAFT_RETENTION_DAYS)).timestamp())


def autosave_key(request_id: str, step: str) -> dict[str, Any]:
    return request_key(request_id, f"{AUTOSAVE_PREFIX}{step}")


def _request(item: dict[str, Any]) -> Request:
    values = from_item(item)
    return Request.model_validate({k: values[k] for k in Request.model_fields if k in values})


class DynamoRequestsRepository:
    def __init__(self, dynamodb_client, table_name: str, cursor_key: Callable[[], bytes] | None = None):
        """`cursor_key` signs the list cursors handed to clients (read only when a list is asked)."""
        self._db = dynamodb_client
        self._table = table_name
        self._cursor_key = cursor_key

    def create(self, request: Request) -> bool:
        """False when the number is taken (the caller draws another)."""
        try:
            self._db.put_item(TableName=self._table, Item=_item(request), ConditionExpression="attribute_not_exists(pk)")
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def get(self, request_id: str) -> Request | None:
        item = self._db.get_item(TableName=self._table, ConsistentRead=True, Key=request_key(request_id)).get("Item")
        return _request(item) if item else None

    def tracked(self, request_id: str) -> dict[str, Any] | None:
        """What public tracking shows of a request, and nothing else (one GetItem, no personal data
        read): its procedure, status and since when. None for an unknown number."""
        item = self._db.get_item(TableName=self._table, Key=request_key(request_id),
                                 ProjectionExpression="#status, #procedure, status_since, updated_at",
                                 ExpressionAttributeNames={"#status": "status", "#procedure": "procedure"}).get("Item")
        return from_item(item) if item else None

    def replace(self, request: Request, step: str | None = None) -> bool:
        """A draft's step saved: `request.version` is the new version; False when someone saved in
        between (no status change, so no history row). With `step`, that step's autosave is deleted in
        the same transaction: what remains autosaved is only what was typed and not saved."""
        put = {"TableName": self._table, "Item": _item(request), **_version_condition(request)}
        try:
            if step is None:
                self._db.put_item(**put)
            else:
                transact(self._db, [{"Put": put},
                                    {"Delete": {"TableName": self._table, "Key": autosave_key(request.request_id, step)}}])
        except TransactionRefused:
            return False
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True

    # --- autosaves: a step being typed, one item per request and step ---------------------------

    def autosave_items(self, request: Request, step: str, fields: dict[str, Any],
                       saved_at: datetime) -> list[dict[str, Any]]:
        """The autosave of `step`, on condition the request is still a draft; the request itself is
        not written (its version does not move: the submission's lock is not disturbed)."""
        return [{"ConditionCheck": {"TableName": self._table, "Key": request_key(request.request_id),
                                    "ConditionExpression": "#status = :draft",
                                    "ExpressionAttributeNames": {"#status": "status"},
                                    "ExpressionAttributeValues": {":draft": {"S": RequestStatus.DRAFT.value}}}},
                {"Put": {"TableName": self._table, "Item": {
                    **autosave_key(request.request_id, step), "entity": {"S": "autosave"}, "step": {"S": step},
                    "fields": to_item({"fields": fields})["fields"],  # nulls kept: a field emptied
                    "saved_at": {"S": saved_at.isoformat()},
                    "expires_at": {"N": str(draft_expires_at(request))}}}}]

    def autosaves(self, request_id: str) -> dict[str, dict[str, Any]]:
        """The request's autosaved steps (one Query; a handful of items, one page)."""
        answer = self._db.query(TableName=self._table, ConsistentRead=True,
                                KeyConditionExpression="pk = :pk AND begins_with(sk, :autosave)",
                                ExpressionAttributeValues={":pk": {"S": f"REQUEST#{request_id}"},
                                                           ":autosave": {"S": AUTOSAVE_PREFIX}})
        saved = [from_item(item) for item in answer["Items"]]
        return {row["step"]: {"fields": row.get("fields") or {}, "saved_at": row["saved_at"]} for row in saved}

    # --- a draft deleted: the request in one transaction, what remains by the worker -------------

    def delete_draft_items(self, request: Request, event: OutboxEvent, now: datetime) -> list[dict[str, Any]]:
        """The request item, on condition it is still the draft read (status and version); its
        appointment, if any, must have begun (a future one is cancelled first: its place is freed and
        the school told); the event that has the rest deleted (DELETE_REQUEST, DELETE_APPOINTMENT: the
        indexes TransactionRefused.failed names)."""
        from chalicelib.adapters.appointments_repository import current_key

        return [{"Delete": {"TableName": self._table, "Key": request_key(request.request_id),
                            "ConditionExpression": "#status = :draft AND version = :version",
                            "ExpressionAttributeNames": {"#status": "status"},
                            "ExpressionAttributeValues": {":draft": {"S": RequestStatus.DRAFT.value},
                                                          ":version": {"N": str(request.version)}}}},
                {"ConditionCheck": {"TableName": self._table, "Key": current_key(request.request_id),
                                    "ConditionExpression": "attribute_not_exists(pk) OR starts_at <= :now",
                                    "ExpressionAttributeValues": {":now": {"S": now.isoformat()}}}},
                outbox_put(self._table, event)]

    def remains(self, request_id: str) -> list[dict[str, Any]]:
        """Every item left of a deleted request: its partition (history, documents, autosaves,
        receipt...) and its alert subscriptions. Keys plus what the purge needs (entity, document, code)."""
        found = []
        for partition in (f"REQUEST#{request_id}", f"ALERT#{request_id}"):
            start = None
            while True:
                kwargs: dict[str, Any] = {"TableName": self._table, "ConsistentRead": True,
                                          "KeyConditionExpression": "pk = :pk",
                                          "ExpressionAttributeValues": {":pk": {"S": partition}},
                                          "ProjectionExpression": "#pk, #sk, #entity, #document, #code",
                                          "ExpressionAttributeNames": {f"#{name}": name for name in (
                                              "pk", "sk", "entity", "document", "code")}}
                if start:
                    kwargs["ExclusiveStartKey"] = start
                page = self._db.query(**kwargs)
                found += [from_item(item) for item in page["Items"]]
                start = page.get("LastEvaluatedKey")
                if not start:
                    break
        return found

    def delete_all(self, keys: list[dict[str, str]]) -> None:
        """Deletes the items (pk, sk) by batches of 25; what DynamoDB leaves unprocessed is sent again
        (a few times, then the worker fails and SQS retries: deleting twice is harmless)."""
        for first in range(0, len(keys), BATCH_WRITE_SIZE):
            requests = [{"DeleteRequest": {"Key": {"pk": {"S": key["pk"]}, "sk": {"S": key["sk"]}}}}
                        for key in keys[first:first + BATCH_WRITE_SIZE]]
            for _ in range(5):
                left = self._db.batch_write_item(RequestItems={self._table: requests}).get("UnprocessedItems") or {}
                requests = left.get(self._table, [])
                if not requests:
                    break
            else:
                raise RuntimeError("DynamoDB left items unprocessed after 5 tries")

    def release_ephoto(self, code: str, request_id: str) -> None:
        """A deleted draft's ePhoto claim (a request taken back after its submission holds one), on
        condition it is still this request's."""
        try:
            self._db.delete_item(TableName=self._table, Key={"pk": {"S": f"EPHOTO#{code}"}, "sk": {"S": "EPHOTO"}},
                                 ConditionExpression="request_id = :request",
                                 ExpressionAttributeValues={":request": {"S": request_id}})
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise

    # --- state changes: one transaction each ---------------------------------------------------

    def change_items(self, request: Request, transitions: list[Transition],
                     events: list[OutboxEvent], *, new: bool = False) -> list[dict[str, Any]]:
        """The transaction items of a change: the request first (on condition that its version is
        still the one read, or for a `new` one that its number is free), then its history rows,
        then its outbox events."""
        if transitions:
            request = request.model_copy(update={"status_since": transitions[-1].at})
        condition = {"ConditionExpression": "attribute_not_exists(pk)"} if new else _version_condition(request)
        items: list[dict[str, Any]] = [{"Put": {"TableName": self._table, "Item": _item(request), **condition}}]
        for number, transition in enumerate(transitions):
            row = {"pk": f"REQUEST#{request.request_id}", "sk": f"HISTORY#{transition.at.isoformat()}#{number:02d}",
                   "entity": "history", **transition.model_dump(mode="json", exclude_defaults=True)}
            items.append({"Put": {"TableName": self._table, "Item": to_item(row),
                                  "ConditionExpression": "attribute_not_exists(pk)"}})
        items += [outbox_put(self._table, event) for event in events]
        # The statistics count every transition from this event, committed with it (issue 9).
        items += [outbox_put(self._table, status_changed(request, transition)) for transition in transitions]
        return items

    def transact(self, items: list[dict[str, Any]]) -> None:
        transact(self._db, items)

    def history(self, request_id: str) -> list[Transition]:
        answer = self._db.query(TableName=self._table, ConsistentRead=True,
                                KeyConditionExpression="pk = :pk AND begins_with(sk, :history)",
                                ExpressionAttributeValues={":pk": {"S": f"REQUEST#{request_id}"},
                                                           ":history": {"S": "HISTORY#"}})
        rows = [from_item(item) for item in answer["Items"]]
        return [Transition.model_validate({**{k: row.get(k) for k in Transition.model_fields},
                                           "acknowledged": tuple(row.get("acknowledged") or ())}) for row in rows]

    def mark_reminded(self, request: Request, event: OutboxEvent) -> list[dict[str, Any]]:
        """The reminder does not change the request's version: a candidate validating the page
        they have open must not be told it changed."""
        reminded = request.model_copy(update={"validation_reminded": True})
        due = reminded.validation_due_at()
        assert due is not None
        return [{"Update": {"TableName": self._table, "Key": request_key(request.request_id),
                            "UpdateExpression": "SET validation_reminded = :true, gsi3sk = :due",
                            "ConditionExpression": "version = :version AND validation_reminded = :false",
                            "ExpressionAttributeValues": {":true": {"BOOL": True}, ":false": {"BOOL": False},
                                                          ":version": {"N": str(request.version)},
                                                          ":due": {"S": f"{due.isoformat()}#{request.request_id}"}}}},
                outbox_put(self._table, event)]

    def record_divergence(self, request: Request, fields: list[str]) -> None:
        """What the candidate's validation found, for the school to see; the request stays as it is."""
        try:
            self._db.update_item(TableName=self._table, Key=request_key(request.request_id),
                                 UpdateExpression="SET identity_divergence = :fields",
                                 ConditionExpression="version = :version",
                                 ExpressionAttributeValues={":fields": {"L": [{"S": f} for f in fields]},
                                                            ":version": {"N": str(request.version)}})
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise  # changed meanwhile: the next validation compares again

    def due_for_validation_job(self, now: datetime) -> Iterator[str]:
        """Numbers of the requests whose reminder or deadline has come, all of them, page by page."""
        return self._due(VALIDATION_DUE, now)

    def due_for_licence_job(self, now: datetime) -> Iterator[str]:
        """Numbers of the licences whose post-office days, warning or resend months are over."""
        return self._due(LICENCE_DUE, now)

    def _due(self, partition: str, now: datetime) -> Iterator[str]:
        """Numbers in a sparse gsi3 partition keyed by due time, due by `now`."""
        return (item["request_id"] for item in due_items(self._db, table=self._table, partition=partition,
                                                         now_sort=f"{now.isoformat()}#~", projection="request_id"))

    # --- Idempotency-Key, ePhoto code, receipt -------------------------------------------------

    def idempotent_submission(self, account_id: str, key: str) -> str | None:
        """What a submission with this key was made with ("<request number>@<version>"), if one was."""
        item = self._db.get_item(TableName=self._table, ConsistentRead=True,
                                 Key={"pk": {"S": f"IDEMPOTENCY#{account_id}#{key}"}, "sk": {"S": "IDEMPOTENCY"}}
                                 ).get("Item")
        if not item:
            return None
        stored = from_item(item)
        return stored.get("fingerprint") or stored["request_id"]

    def idempotency_put(self, account_id: str, key: str, fingerprint: str, now: datetime) -> dict[str, Any]:
        return {"Put": {"TableName": self._table, "ConditionExpression": "attribute_not_exists(pk)",
                        "Item": to_item({"pk": f"IDEMPOTENCY#{account_id}#{key}", "sk": "IDEMPOTENCY",
                                         "entity": "idempotency", "request_id": fingerprint.partition("@")[0],
                                         "fingerprint": fingerprint,
                                         "expires_at": int((now + IDEMPOTENCY_RETENTION).timestamp())})}}

    def ephoto_owner(self, code: str) -> str | None:
        item = self._db.get_item(TableName=self._table, ConsistentRead=True,
                                 Key={"pk": {"S": f"EPHOTO#{code}"}, "sk": {"S": "EPHOTO"}}).get("Item")
        return from_item(item)["request_id"] if item else None

    def ephoto_claim(self, code: str, request_id: str) -> dict[str, Any]:
        """A code serves one request: free, or already this request's (submitted again after a return)."""
        return {"Put": {"TableName": self._table,
                        "Item": to_item({"pk": f"EPHOTO#{code}", "sk": "EPHOTO", "entity": "ephoto",
                                         "request_id": request_id}),
                        "ConditionExpression": "attribute_not_exists(pk) OR request_id = :request",
                        "ExpressionAttributeValues": {":request": {"S": request_id}}}}

    def put_receipt(self, request_id: str, key: str, generated_at: datetime, payload: str) -> None:
        """The receipt made for the request: where its PDF is, and its signed QR payload (kept, so
        that making it again gives the same file: an ECDSA signature differs each time)."""
        self._db.put_item(TableName=self._table, Item=to_item({
            "pk": f"REQUEST#{request_id}", "sk": "RECEIPT", "entity": "receipt", "key": key,
            "generated_at": generated_at.isoformat(), "payload": payload}))

    def receipt(self, request_id: str) -> dict[str, Any] | None:
        item = self._db.get_item(TableName=self._table, ConsistentRead=True,
                                 Key=request_key(request_id, "RECEIPT")).get("Item")
        return from_item(item) if item else None

    def receipt_key(self, request_id: str) -> str | None:
        return (self.receipt(request_id) or {}).get("key")

    def waiting_for_instruction(self, authority: str, before: datetime, limit: int | None = None) -> list[Request]:
        """The authority's requests in instruction since before `before`, oldest first (gsi3);
        `limit`: only the first ones (one page)."""
        requests, start = [], None
        while True:
            page = self._db.query(TableName=self._table, IndexName="gsi3",
                                  KeyConditionExpression="gsi3pk = :pk AND gsi3sk < :before",
                                  ExpressionAttributeValues={":pk": {"S": instruction_partition(authority)},
                                                             ":before": {"S": before.isoformat()}},
                                  **({"ExclusiveStartKey": start} if start else {}),
                                  **({"Limit": limit} if limit else {}))
            requests += [_request(item) for item in page["Items"]]
            start = page.get("LastEvaluatedKey")
            if not start or limit:
                return requests

    def requeued_items(self, request: Request, event: OutboxEvent, at: datetime) -> list[dict[str, Any]]:
        """Its queue message sent again (the event, relayed like the first): the request keeps its
        version (an agent's open page is not made stale), on condition it did not change."""
        return [{"Update": {"TableName": self._table, "Key": request_key(request.request_id),
                            "UpdateExpression": "SET queue_message_at = :at",
                            "ConditionExpression": "version = :version",
                            "ExpressionAttributeValues": {":at": {"S": at.isoformat()},
                                                          ":version": {"N": str(request.version)}}}},
                outbox_put(self._table, event)]

    def put_letter(self, letter: Any, event_id: str) -> None:
        """A letter to post (domain.notifications.Letter); the same event puts the same item."""
        self._db.put_item(TableName=self._table, Item=to_item({
            "pk": letters_key(letter.mediator_account_id), "sk": f"LETTER#{letter.at.isoformat()}#{event_id}",
            "entity": "letter", "request_id": letter.request_id, "recipient": letter.recipient,
            "address": letter.address, "text": letter.text, "at": letter.at.isoformat(),
            "expires_at": int((letter.at + timedelta(days=LETTER_RETENTION_DAYS)).timestamp())}))

    def letters(self, mediator_account_id: str, limit: int = 50) -> list[dict[str, Any]]:
        """A mediator's letters to post, newest first."""
        answer = self._db.query(TableName=self._table, Limit=limit, ScanIndexForward=False,
                                KeyConditionExpression="pk = :pk AND begins_with(sk, :letter)",
                                ExpressionAttributeValues={":pk": {"S": letters_key(mediator_account_id)},
                                                           ":letter": {"S": "LETTER#"}})
        return [from_item(item) for item in answer["Items"]]

    def put_issued(self, request_id: str, document_type: str, key: str, payload: str, neph: str,
                   issued_on: str) -> None:
        """An attestation made for the request: where its PDF is, and its signed QR payload (kept,
        so that making it again gives the same document: an ECDSA signature differs each time)."""
        self._db.put_item(TableName=self._table, Item=to_item({
            "pk": f"REQUEST#{request_id}", "sk": f"ISSUED#{document_type}", "entity": "issued_document",
            "document_type": document_type, "key": key, "payload": payload, "neph": neph, "issued_on": issued_on}))

    def issued(self, request_id: str, document_type: str) -> dict[str, Any] | None:
        item = self._db.get_item(TableName=self._table, ConsistentRead=True,
                                 Key=request_key(request_id, f"ISSUED#{document_type}")).get("Item")
        return from_item(item) if item else None

    # --- lists ---------------------------------------------------------------------------------

    def page(self, index: str, partition: str, *, limit: int, cursor: str | None, status: str | None = None,
             procedure: str | None = None, name: str | None = None, oldest_first: bool = False,
             sorted_before: str | None = None, sorted_after: str | None = None,
             parse: Callable[[dict[str, Any]], Any] | None = None) -> tuple[list[Any], str | None]:
        """One page of a partition of an index: a school's (gsi1) or a candidate's (gsi2) requests,
        an authority's worklist (gsi3); newest first unless `oldest_first`, within the sort key's
        bounds if given; never a Scan: one Query without filters. DynamoDB filters after reading
        `Limit` items, so with filters the page is filled by further Queries (MAX_FILTERED_QUERIES at
        most: a page may then hold fewer rows, and the cursor goes on). `parse`: the rows' shape
        (requests by default)."""
        condition = f"{index}pk = :owner"
        values: dict[str, Any] = {":owner": {"S": partition}}
        if sorted_before and sorted_after:
            condition += f" AND {index}sk BETWEEN :after AND :before"
        elif sorted_before or sorted_after:
            condition += f" AND {index}sk " + ("< :before" if sorted_before else "> :after")
        values.update({key: {"S": value} for key, value in ((":before", sorted_before), (":after", sorted_after))
                       if value})
        kwargs: dict[str, Any] = {
            "TableName": self._table, "IndexName": index, "ScanIndexForward": oldest_first, "Limit": limit,
            "KeyConditionExpression": condition, "ExpressionAttributeValues": values,
        }
        filters, names = [], {}
        for attribute, value in (("status", status), ("procedure", procedure)):
            if value:
                names[f"#{attribute}"] = attribute
                kwargs["ExpressionAttributeValues"][f":{attribute}"] = {"S": value}
                filters.append(f"#{attribute} = :{attribute}")
        if name:
            kwargs["ExpressionAttributeValues"][":name"] = {"S": normalize_name(name)}
            filters.append("contains(search_name, :name)")
        if filters:
            kwargs["FilterExpression"] = " AND ".join(filters)
        if names:
            kwargs["ExpressionAttributeNames"] = names
        if cursor:
            kwargs["ExclusiveStartKey"] = _decode(self._signing_key(), cursor, index, partition)
        items: list[dict[str, Any]] = []
        for _ in range(MAX_FILTERED_QUERIES if filters else 1):
            answer = self._db.query(**kwargs)
            room = limit - len(items)
            items += answer["Items"][:room]
            last = answer.get("LastEvaluatedKey")
            if len(answer["Items"]) > room:  # more matches than room: the page ends on its last row
                last = {k: items[-1][k] for k in ("pk", "sk", f"{index}pk", f"{index}sk")}
            if not last or len(items) == limit:
                break
            kwargs["ExclusiveStartKey"] = last
        return [(parse or _request)(item) for item in items], _encode(self._signing_key(), last) if last else None

    def get_many(self, request_ids: list[str]) -> dict[str, Request]:
        """Requests by number (one BatchGetItem for a page of a list); unknown ones are left out."""
        keys = [request_key(request_id) for request_id in dict.fromkeys(request_ids)]
        return {request.request_id: request for request in map(_request, batch_get(self._db, self._table, keys))}

    def _signing_key(self) -> bytes:
        if self._cursor_key is None:
            raise RuntimeError("this repository was built without a cursor key: it cannot list")
        return self._cursor_key()

    def _all(self, index: str, partition: str, **query: Any) -> list[dict[str, Any]]:
        items, start = [], None
        while True:
            kwargs: dict[str, Any] = {"TableName": self._table, "IndexName": index,
                                      "KeyConditionExpression": f"{index}pk = :owner", **query}
            kwargs["ExpressionAttributeValues"] = {":owner": {"S": partition},
                                                   **query.get("ExpressionAttributeValues", {})}
            if start:
                kwargs["ExclusiveStartKey"] = start
            answer = self._db.query(**kwargs)
            items += answer.get("Items", [])
            start = answer.get("LastEvaluatedKey")
            if not start:
                return items

    def _in_progress(self, index: str, partition: str) -> int:
        """Requests filed and not finished (drafts are not filed; expired ones went back to the filer)."""
        settled = sorted({*TERMINAL_STATUSES, RequestStatus.DRAFT, RequestStatus.EXPIRED})
        values = {f":s{i}": {"S": status.value} for i, status in enumerate(settled)}
        items = self._all(index, partition, FilterExpression=f"NOT (#status IN ({', '.join(values)}))",
                          ExpressionAttributeNames={"#status": "status"}, ExpressionAttributeValues=values,
                          ProjectionExpression="pk")
        return len(items)

    # The port accounts use before closing an account (chalicelib.services.accounts.RequestsInProgress).
    def count_for_account(self, account_id: str) -> int:
        return self._in_progress("gsi2", candidate_partition(account_id))

    def count_for_school(self, school_id: str) -> int:
        return self._in_progress("gsi1", school_partition(school_id))

    def all_for_account(self, account_id: str) -> list[Request]:
        """A candidate's requests, for the export of their data."""
        return [_request(item) for item in self._all("gsi2", candidate_partition(account_id), ScanIndexForward=False)]


def status_changed(request: Request, transition: Transition) -> OutboxEvent:
    """The statistics' event of one transition."""
    return OutboxEvent(
        id=uuid.uuid4().hex,
        type=request_events.STATUS_CHANGED, aggregate_id=request.request_id, occurred_at=transition.at,
        payload={"request_id": request.request_id, "procedure": request.procedure.value,
                 "departement": request.departement(), "school_id": request.school_id,
                 "from": transition.from_status.value if transition.from_status else None,
                 "to": transition.to_status.value, "at": transition.at.isoformat(),
                 "submitted_at": request.submitted_at.isoformat() if request.submitted_at else None})


def _version_condition(request: Request) -> dict[str, Any]:
    return {"ConditionExpression": "version = :previous",
            "ExpressionAttributeValues": {":previous": {"N": str(request.version - 1)}}}


def _cursor_mac(secret: bytes, payload: str) -> str:
    digest = hmac.new(secret, payload.encode(), hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def _encode(secret: bytes, key: dict[str, Any]) -> str:
    """A position in a list, opaque and signed: a client cannot forge one, nor edit one it holds."""
    payload = base64.urlsafe_b64encode(json.dumps(key, separators=(",", ":")).encode()).decode().rstrip("=")
    return f"{payload}.{_cursor_mac(secret, payload)}"


def _decode(secret: bytes, cursor: str, index: str, partition: str) -> dict[str, Any]:
    """A cursor this service signed, and only ever a position in the caller's own list."""
    payload, _, mac = cursor.partition(".")
    if len(cursor) > 2000 or not hmac.compare_digest(mac.encode(), _cursor_mac(secret, payload).encode()):
        raise CURSOR_INVALID
    try:
        key = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise CURSOR_INVALID from None
    names = {"pk", "sk", f"{index}pk", f"{index}sk"}
    if not isinstance(key, dict) or set(key) != names or not all(
            isinstance(value, dict) and list(value) == ["S"] and isinstance(value["S"], str) for value in key.values()):
        raise CURSOR_INVALID
    if key[f"{index}pk"]["S"] != partition:
        raise CURSOR_INVALID
    return key
