"""DynamoDB storage of what instruction allocates (access patterns in chalicelib/resources.py):
  COUNTER#NEPH#<prefix> / COUNTER   the last order handed out in a month for a département and office
  NEPHHOLE#<prefix> / <order>       an order handed out whose decision did not commit: the next one takes it
  NEPH#<neph> / NEPH                a NEPH given, to whom (never given twice)
  IDENTITY#<key> / NEPH             a person's NEPH, by identity key (they keep it for life)
A decision takes an order without waiting for the others: the counter is incremented atomically
(its only condition is the office's 9,999 limit, so no collision, however many agents decide at
once), or a hole left by a decision that did not commit is taken (its conditional delete in the
decision's transaction: one taker). The NEPH is then given in the same transaction as the
decision; if that transaction is refused, the order becomes a hole. So numbers are never given
twice and a gap lasts only until the next validation of that département and month. A full
office's counter stays at 9,999; the next office of the département has its own counter
(domain.instruction.next_order)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from chalicelib.adapters.dynamo import batch_get, from_item, prefixed_items, to_item
from chalicelib.domain.instruction import MAX_ORDER

if TYPE_CHECKING:
    from chalicelib.domain.instruction import Claim, Note


def _key(pk: str, sk: str) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


class DynamoNephRegistry:
    def __init__(self, dynamodb_client, table_name: str):
        self._db = dynamodb_client
        self._table = table_name

    def neph_for_identity(self, identity_key: str) -> str | None:
        item = self._db.get_item(TableName=self._table, ConsistentRead=True,
                                 Key=_key(f"IDENTITY#{identity_key}", "NEPH")).get("Item")
        return from_item(item)["neph"] if item else None

    def reserve_order(self, prefix: str) -> int | None:
        """The next order of `prefix`, for this caller alone (an atomic increment, refused only once
        the office's last order is handed out: None, and the counter stays at MAX_ORDER)."""
        try:
            answer = self._db.update_item(
                TableName=self._table, Key=_key(f"COUNTER#NEPH#{prefix}", "COUNTER"),
                UpdateExpression="ADD last_order :one SET entity = :entity",
                ConditionExpression="attribute_not_exists(last_order) OR last_order < :last",
                ExpressionAttributeValues={":one": {"N": "1"}, ":entity": {"S": "neph_counter"},
                                           ":last": {"N": str(MAX_ORDER)}},
                ReturnValues="UPDATED_NEW")
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            return None
        return int(answer["Attributes"]["last_order"]["N"])

    def first_hole(self, prefix: str) -> int | None:
        """The lowest order handed out and not given (its decision did not commit), if any."""
        items = self._db.query(TableName=self._table, KeyConditionExpression="pk = :pk",
                               ExpressionAttributeValues={":pk": {"S": f"NEPHHOLE#{prefix}"}}, Limit=1,
                               ConsistentRead=True).get("Items", [])
        return int(items[0]["sk"]["S"]) if items else None

    def leave_hole(self, prefix: str, order: int) -> None:
        """`order` was handed out and its decision refused: the next validation takes it."""
        self._db.put_item(TableName=self._table, Item=to_item({
            "pk": f"NEPHHOLE#{prefix}", "sk": f"{order:04d}", "entity": "neph_hole", "order": order}))

    def drop_hole(self, prefix: str, order: int) -> None:
        """A hole whose number turns out to be given (its decision committed without answering)."""
        self._db.delete_item(TableName=self._table, Key=_key(f"NEPHHOLE#{prefix}", f"{order:04d}"))

    NEPH_ITEM = 0  # the index, in allocation_items, of the number's row (refused: given already)
    IDENTITY_ITEM = 1  # the index of the person's row (refused: they have a NEPH)
    HOLE_ITEM = 2  # the index of the hole's delete, when the order is a hole (refused: taken by another)

    def allocation_items(self, prefix: str, order: int, neph: str, identity_key: str, request_id: str,
                         from_hole: bool = False) -> list[dict[str, Any]]:
        """Transaction items giving `neph` (the `order`-th of `prefix`) to this person."""
        items: list[dict[str, Any]] = [
            {"Put": {"TableName": self._table, "ConditionExpression": "attribute_not_exists(pk)",
                     "Item": to_item({"pk": f"NEPH#{neph}", "sk": "NEPH", "entity": "neph", "neph": neph,
                                      "identity_key": identity_key, "request_id": request_id})}},
            {"Put": {"TableName": self._table, "ConditionExpression": "attribute_not_exists(pk)",
                     "Item": to_item({"pk": f"IDENTITY#{identity_key}", "sk": "NEPH", "entity": "identity_neph",
                                      "neph": neph})}},
        ]
        if from_hole:
            items.append({"Delete": {"TableName": self._table, "Key": _key(f"NEPHHOLE#{prefix}", f"{order:04d}"),
                                     "ConditionExpression": "attribute_exists(pk)"}})
        return items

    def registrations(self, neph: str) -> list[str]:
        """The numbers of the registrations validated under this NEPH."""
        answer = self._db.query(TableName=self._table, KeyConditionExpression="pk = :pk AND begins_with(sk, :r)",
                                ExpressionAttributeValues={":pk": {"S": f"NEPH#{neph}"},
                                                           ":r": {"S": "REGISTRATION#"}})
        return [from_item(item)["request_id"] for item in answer["Items"]]

    def registration_item(self, neph: str, request_id: str) -> dict[str, Any]:
        """A transaction item of a registration's validation: the examiners find the registration
        by its NEPH (a person keeps theirs: a later registration reuses it)."""
        return {"Put": {"TableName": self._table, "Item": to_item({
            "pk": f"NEPH#{neph}", "sk": f"REGISTRATION#{request_id}", "entity": "neph_registration",
            "request_id": request_id})}}


class ClaimHeld(Exception):
    """Another agent holds the request; `claim` is theirs."""

    def __init__(self, claim: "Claim | None"):
        super().__init__("claim held")
        self.claim = claim


def _claim(item: dict[str, Any]) -> "Claim":
    from datetime import datetime

    from chalicelib.domain.instruction import Claim

    values = from_item(item)
    return Claim(request_id=values["request_id"], agent_id=values["agent_id"], agent_name=values["agent_name"],
                 authority=values["authority"], returning=bool(values["returning"]),
                 receipt_handle=values["receipt_handle"], claimed_at=datetime.fromisoformat(values["claimed_at"]),
                 lease_until=datetime.fromisoformat(values["lease_until"]))


CLAIM_SORT = "CLAIM"
DECIDED_DAYS = 31  # the worklist's "traités" tab shows 30 days; its rows expire after this


def claims_partition(authority: str) -> str:
    return f"CLAIMS#{authority}"


def decided_partition(authority: str) -> str:
    return f"DECIDED#{authority}"
READ_PREFIX = "READ#"
NOTE_PREFIX = "NOTE#"
DOSSIER_PREFIX = "DOSSIER#"


class DynamoInstructionRecords:
    """What instruction writes besides the request (access patterns in chalicelib/resources.py):
      REQUEST#<number> / CLAIM                  who holds the request now, until when (the queue lease)
      REQUEST#<number> / READ#<time>#<agent>    an agent read the request or one of its documents
      REQUEST#<number> / DECIDED#<time>         a decision's row in its authority's "traités" list
                                                (gsi3 DECIDED#<authority>, expires after 31 days)
      gsi3: CLAIMS#<authority>, <lease end>     the authority's running claims ("en cours")
      REQUEST#<number> / DOSSIER#<id>           an agent's whole-request PDF: being made, then made
                                                (its S3 key); expires after a day, as its file
      REQUEST#<number> / NOTE#<time>#<id>       an agent's private note (one item each: a request's
                                                notes never grow one item; purged with the request)
    """

    def __init__(self, dynamodb_client, table_name: str):
        self._db = dynamodb_client
        self._table = table_name

    # --- claims --------------------------------------------------------------------------------

    def get_claim(self, request_id: str) -> "Claim | None":
        item = self._db.get_item(TableName=self._table, ConsistentRead=True,
                                 Key=_key(f"REQUEST#{request_id}", CLAIM_SORT)).get("Item")
        return _claim(item) if item else None

    def put_claim(self, claim: "Claim", now) -> None:
        """Records the claim unless another agent's is still running (ClaimHeld with theirs)."""
        from botocore.exceptions import ClientError

        item = to_item({"pk": f"REQUEST#{claim.request_id}", "sk": CLAIM_SORT, "entity": "claim",
                        "request_id": claim.request_id, "agent_id": claim.agent_id, "agent_name": claim.agent_name,
                        "authority": claim.authority, "returning": claim.returning,
                        "receipt_handle": claim.receipt_handle, "claimed_at": claim.claimed_at.isoformat(),
                        "lease_until": claim.lease_until.isoformat(),
                        # Sparse gsi3: the authority's running claims ("en cours"), by end of lease.
                        "gsi3pk": claims_partition(claim.authority),
                        "gsi3sk": f"{claim.lease_until.isoformat()}#{claim.request_id}",
                        "expires_at": int(claim.lease_until.timestamp()) + 24 * 3600})
        try:
            self._db.put_item(TableName=self._table, Item=item, ReturnValuesOnConditionCheckFailure="ALL_OLD",
                              ConditionExpression="attribute_not_exists(pk) OR lease_until <= :now OR agent_id = :me",
                              ExpressionAttributeValues={":now": {"S": now.isoformat()},
                                                         ":me": {"S": claim.agent_id}})
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            old = error.response.get("Item")
            raise ClaimHeld(_claim(old) if old else self.get_claim(claim.request_id)) from None

    def extend_claim(self, claim: "Claim", lease_until, now) -> bool:
        from botocore.exceptions import ClientError

        try:
            self._db.update_item(TableName=self._table, Key=_key(f"REQUEST#{claim.request_id}", CLAIM_SORT),
                                 UpdateExpression="SET lease_until = :until, expires_at = :expires, gsi3sk = :sort",
                                 ConditionExpression="agent_id = :me AND lease_until > :now",
                                 ExpressionAttributeValues={":until": {"S": lease_until.isoformat()},
                                                            ":expires": {"N": str(int(lease_until.timestamp())
                                                                                  + 24 * 3600)},
                                                            ":sort": {"S": f"{lease_until.isoformat()}#"
                                                                               f"{claim.request_id}"},
                                                            ":me": {"S": claim.agent_id},
                                                            ":now": {"S": now.isoformat()}})
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def running_claims(self, authority: str, now, limit: int = 200) -> list["Claim"]:
        """The authority's claims whose lease runs past `now` (sparse gsi3; ended ones are deleted,
        expired ones are past the key range), soonest to end first. At most one per agent working."""
        answer = self._db.query(TableName=self._table, IndexName="gsi3", Limit=limit,
                                KeyConditionExpression="gsi3pk = :pk AND gsi3sk > :now",
                                ExpressionAttributeValues={":pk": {"S": claims_partition(authority)},
                                                           ":now": {"S": now.isoformat()}})
        return [_claim(item) for item in answer["Items"]]

    def marks_of(self, request_ids: list[str]) -> tuple[dict[str, "Claim"], set[str]]:
        """What a page of the list shows beside each request, in one BatchGetItem: its claim, and
        whether its filer waits for an answer on its thread (adapters/messages_repository.py)."""
        from chalicelib.adapters.messages_repository import THREAD_SORT, awaiting_answer, thread_key

        unique = list(dict.fromkeys(request_ids))
        keys = [_key(f"REQUEST#{request_id}", CLAIM_SORT) for request_id in unique] + [thread_key(r) for r in unique]
        items = batch_get(self._db, self._table, keys)
        claims = {claim.request_id: claim for claim in map(_claim, (i for i in items if i["sk"]["S"] == CLAIM_SORT))}
        waiting = {i["pk"]["S"].removeprefix("REQUEST#") for i in items
                   if i["sk"]["S"] == THREAD_SORT and awaiting_answer(i)}
        return claims, waiting

    def delete_claim(self, claim: "Claim") -> bool:
        from botocore.exceptions import ClientError

        try:
            self._db.delete_item(TableName=self._table, Key=_key(f"REQUEST#{claim.request_id}", CLAIM_SORT),
                                 ConditionExpression="agent_id = :me AND receipt_handle = :handle",
                                 ExpressionAttributeValues={":me": {"S": claim.agent_id},
                                                            ":handle": {"S": claim.receipt_handle}})
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def claim_ends_item(self, claim: "Claim", now) -> dict[str, Any]:
        """Transaction item of a decision: the claim ends with it, on condition it is still this
        agent's and still running (an expired lease may be another agent's message by now)."""
        return {"Delete": {"TableName": self._table, "Key": _key(f"REQUEST#{claim.request_id}", CLAIM_SORT),
                           "ConditionExpression": "agent_id = :me AND receipt_handle = :handle AND lease_until > :now",
                           "ExpressionAttributeValues": {":me": {"S": claim.agent_id},
                                                         ":handle": {"S": claim.receipt_handle},
                                                         ":now": {"S": now.isoformat()}}}}

    # --- reads by agents ---------------------------------------------------------------------

    def decided_item(self, request, authority: str, decision: str, agent_name: str, at) -> dict[str, Any]:
        """Transaction item of a decision: its row in the authority's "traités" list (sparse gsi3,
        newest first), with what the row shows; it expires after DECIDED_DAYS, so the list's
        partition holds a month of decisions, never more."""
        from datetime import timedelta

        from chalicelib.domain.identity_match import normalize_name

        return {"Put": {"TableName": self._table, "Item": to_item({
            "pk": f"REQUEST#{request.request_id}", "sk": f"DECIDED#{at.isoformat()}", "entity": "decided",
            "gsi3pk": decided_partition(authority), "gsi3sk": f"{at.isoformat()}#{request.request_id}",
            "request_id": request.request_id, "procedure": request.procedure.value,
            "candidate_name": request.candidate_name(), "search_name": normalize_name(request.candidate_name()),
            "submitted_at": request.submitted_at.isoformat() if request.submitted_at else None,
            "decision": decision, "agent_name": agent_name, "decided_at": at.isoformat(),
            "expires_at": int((at + timedelta(days=DECIDED_DAYS)).timestamp())})}}

    def dossier_items(self, request_id: str, dossier_id: str, agent_id: str, at, event) -> list[dict[str, Any]]:
        """Transaction items of an agent's request for the whole request as one PDF: its record
        (being made; expires after a day, as its file) and the event the attestations worker takes."""
        from chalicelib.adapters.outbox import outbox_put

        return [{"Put": {"TableName": self._table, "ConditionExpression": "attribute_not_exists(pk)",
                         "Item": to_item({"pk": f"REQUEST#{request_id}", "sk": f"{DOSSIER_PREFIX}{dossier_id}",
                                          "entity": "dossier", "state": "pending", "requested_by": agent_id,
                                          "requested_at": at.isoformat(),
                                          "expires_at": int(at.timestamp()) + 24 * 3600})}},
                outbox_put(self._table, event)]

    def get_dossier(self, request_id: str, dossier_id: str) -> dict[str, Any] | None:
        item = self._db.get_item(TableName=self._table, ConsistentRead=True,
                                 Key=_key(f"REQUEST#{request_id}", f"{DOSSIER_PREFIX}{dossier_id}")).get("Item")
        return from_item(item) if item else None

    def dossier_made(self, request_id: str, dossier_id: str, key: str) -> None:
        """The PDF is in S3 at `key` (made again by a replayed message: the same key, harmless)."""
        self._db.update_item(TableName=self._table, Key=_key(f"REQUEST#{request_id}", f"{DOSSIER_PREFIX}{dossier_id}"),
                             UpdateExpression="SET #state = :ready, #key = :key",
                             ConditionExpression="attribute_exists(pk)",
                             ExpressionAttributeNames={"#state": "state", "#key": "key"},
                             ExpressionAttributeValues={":ready": {"S": "ready"}, ":key": {"S": key}})

    def record_read(self, request_id: str, agent_id: str, agent_name: str, role: str, what: str, at) -> None:
        self._db.put_item(TableName=self._table, Item=to_item({
            "pk": f"REQUEST#{request_id}", "sk": f"{READ_PREFIX}{at.isoformat()}#{agent_id}#{what}",
            "entity": "read", "agent_id": agent_id, "agent_name": agent_name, "role": role, "what": what,
            "at": at.isoformat()}))

    def reads(self, request_id: str) -> list[dict[str, Any]]:
        return self._prefixed(request_id, READ_PREFIX)

    def put_note(self, note: "Note") -> None:
        self._db.put_item(TableName=self._table, ConditionExpression="attribute_not_exists(pk)", Item=to_item({
            "pk": f"REQUEST#{note.request_id}", "sk": f"{NOTE_PREFIX}{note.at.isoformat()}#{note.note_id}",
            "entity": "note", "note_id": note.note_id, "authority": note.authority, "agent_id": note.agent_id,
            "agent_name": note.agent_name, "text": note.text, "at": note.at.isoformat()}))

    def notes(self, request_id: str) -> list["Note"]:
        from datetime import datetime

        from chalicelib.domain.instruction import Note

        return [Note(note_id=row["note_id"], request_id=request_id, authority=row["authority"],
                     agent_id=row["agent_id"], agent_name=row["agent_name"], text=row["text"],
                     at=datetime.fromisoformat(row["at"])) for row in self._prefixed(request_id, NOTE_PREFIX)]

    def _prefixed(self, request_id: str, prefix: str) -> list[dict[str, Any]]:
        """Every item of the request's partition whose sort key starts with `prefix`, oldest first."""
        return prefixed_items(self._db, self._table, f"REQUEST#{request_id}", prefix)
