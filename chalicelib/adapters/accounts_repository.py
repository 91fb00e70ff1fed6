"""DynamoDB storage of accounts, schools, the agrément registry and email links.

Items of the main table (access patterns also listed in chalicelib/resources.py):
  ACCOUNT#<id> / PROFILE        the account (id = Cognito's sub); pending ones are indexed in gsi1
                                 (PENDING, <activation deadline>) for the purge job
  EMAIL#<email> / EMAIL         who owns an email: one account per email, whatever its role
  AGREMENT#<number> / AGREMENT  one line of the prefecture's registry; bound_school_id once bound
  SCHOOL#<id> / SCHOOL          a driving school; SCHOOL#<id> / MEMBER#<account id> its members
  LINK#<sha256> / LINK          an emailed link, single use, expires_at (TTL)
  ALTCHA#<signature> / ALTCHA   an anti-robot proof already used (until its challenge expires)
  SENT#<event id> / SENT        an email already sent for this outbox event (replays send nothing)
Every change and its outbox event are written in one transaction.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Iterator

from botocore.exceptions import ClientError

from chalicelib.adapters.dynamo import due_items, from_item, to_item, transact
from chalicelib.adapters.outbox import outbox_put
from chalicelib.domain.accounts import AccountStatus, Agrement, Profile, School, SchoolRole
from chalicelib.domain.events import OutboxEvent


@dataclass(frozen=True)
class LinkRecord:
    token_hash: str
    purpose: str
    account_id: str
    expires_at: int  # epoch seconds
    data: dict[str, Any]


@dataclass(frozen=True)
class Member:
    account_id: str
    school_id: str
    school_role: SchoolRole
    email: str
    birth_name: str
    first_name: str
    status: AccountStatus
    invited_at: datetime


def _key(pk: str, sk: str) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def profile_key(account_id: str) -> dict[str, Any]:
    return _key(f"ACCOUNT#{account_id}", "PROFILE")


def email_key(email: str) -> dict[str, Any]:
    return _key(f"EMAIL#{email}", "EMAIL")


def agrement_key(number: str) -> dict[str, Any]:
    return _key(f"AGREMENT#{number}", "AGREMENT")


def school_key(school_id: str) -> dict[str, Any]:
    return _key(f"SCHOOL#{school_id}", "SCHOOL")


def member_key(school_id: str, account_id: str) -> dict[str, Any]:
    return _key(f"SCHOOL#{school_id}", f"MEMBER#{account_id}")


def link_key(token_hash: str) -> dict[str, Any]:
    return _key(f"LINK#{token_hash}", "LINK")


class DynamoAccountsRepository:
    def __init__(self, dynamodb_client, table_name: str):
        self._db = dynamodb_client
        self._table = table_name

    # --- building blocks of transactions -------------------------------------------------------

    def put_profile(self, profile: Profile, activation_token_hash: str | None = None, *, new: bool = True) -> dict:
        values: dict[str, Any] = {"pk": f"ACCOUNT#{profile.account_id}", "sk": "PROFILE", "entity": "account",
                                  **profile.model_dump(mode="json")}
        if profile.status == AccountStatus.PENDING and profile.activation_deadline:
            values.update(gsi1pk="PENDING", gsi1sk=f"{profile.activation_deadline.isoformat()}#{profile.account_id}",
                          activation_token_hash=activation_token_hash)
        put: dict[str, Any] = {"TableName": self._table, "Item": to_item(values)}
        if new:
            put["ConditionExpression"] = "attribute_not_exists(pk)"
        else:
            put["ConditionExpression"] = "version = :expected"
            put["ExpressionAttributeValues"] = {":expected": {"N": str(profile.version - 1)}}
        return {"Put": put}

    def lock_email(self, email: str, account_id: str) -> dict:
        return {"Put": {"TableName": self._table, "ConditionExpression": "attribute_not_exists(pk)",
                        "Item": to_item({"pk": f"EMAIL#{email}", "sk": "EMAIL", "entity": "email_lock",
                                         "account_id": account_id})}}

    def release_email(self, email: str, account_id: str) -> dict:
        return {"Delete": {"TableName": self._table, "Key": email_key(email),
                           "ConditionExpression": "account_id = :id",
                           "ExpressionAttributeValues": {":id": {"S": account_id}}}}

    def put_link(self, link: LinkRecord) -> dict:
        return {"Put": {"TableName": self._table, "ConditionExpression": "attribute_not_exists(pk)",
                        "Item": to_item({"pk": f"LINK#{link.token_hash}", "sk": "LINK", "entity": "link",
                                         "purpose": link.purpose, "account_id": link.account_id,
                                         "expires_at": link.expires_at, "data": link.data or None})}}

    def delete_link(self, token_hash: str) -> dict:
        return {"Delete": {"TableName": self._table, "Key": link_key(token_hash),
                           "ConditionExpression": "attribute_exists(pk)"}}

    def drop_link(self, token_hash: str) -> dict:
        """Delete a link whether or not it still exists (it may have expired)."""
        return {"Delete": {"TableName": self._table, "Key": link_key(token_hash)}}

    def close_school(self, school_id: str) -> dict:
        return {"Update": {"TableName": self._table, "Key": school_key(school_id),
                           "UpdateExpression": "SET #status = :closed",
                           "ExpressionAttributeNames": {"#status": "status"},
                           "ExpressionAttributeValues": {":closed": {"S": "closed"}}}}

    def put_school(self, school: School) -> dict:
        return {"Put": {"TableName": self._table, "ConditionExpression": "attribute_not_exists(pk)",
                        "Item": to_item({"pk": f"SCHOOL#{school.school_id}", "sk": "SCHOOL", "entity": "school",
                                         **school.model_dump(mode="json")})}}

    def put_member(self, member: Member) -> dict:
        values = {"pk": f"SCHOOL#{member.school_id}", "sk": f"MEMBER#{member.account_id}", "entity": "member",
                  "account_id": member.account_id, "school_id": member.school_id,
                  "school_role": member.school_role.value, "email": member.email, "birth_name": member.birth_name,
                  "first_name": member.first_name, "status": member.status.value,
                  "invited_at": member.invited_at.isoformat()}
        return {"Put": {"TableName": self._table, "Item": to_item(values)}}

    def school_is_active(self, school_id: str) -> dict:
        return {"ConditionCheck": {"TableName": self._table, "Key": school_key(school_id),
                                   "ConditionExpression": "#status = :active",
                                   "ExpressionAttributeNames": {"#status": "status"},
                                   "ExpressionAttributeValues": {":active": {"S": "active"}}}}

    def bind_agrement(self, number: str, school_id: str, today: date) -> dict:
        return {"Update": {
            "TableName": self._table, "Key": agrement_key(number),
            "UpdateExpression": "SET bound_school_id = :school",
            "ConditionExpression": "attribute_exists(pk) AND attribute_not_exists(bound_school_id) "
                                   "AND valid_from <= :today AND valid_until >= :today",
            "ExpressionAttributeValues": {":school": {"S": school_id}, ":today": {"S": today.isoformat()}}}}

    def release_agrement(self, number: str, school_id: str) -> dict:
        return {"Update": {"TableName": self._table, "Key": agrement_key(number),
                           "UpdateExpression": "REMOVE bound_school_id",
                           "ConditionExpression": "bound_school_id = :school",
                           "ExpressionAttributeValues": {":school": {"S": school_id}}}}

    def event(self, event: OutboxEvent) -> dict:
        return outbox_put(self._table, event)

    def transact(self, items: list[dict]) -> None:
        transact(self._db, items)

    # --- reads ---------------------------------------------------------------------------------

    def _get(self, key: dict[str, Any]) -> dict[str, Any] | None:
        item = self._db.get_item(TableName=self._table, Key=key, ConsistentRead=True).get("Item")
        return from_item(item) if item else None

    def get_profile(self, account_id: str) -> Profile | None:
        return self.get_profile_and_link(account_id)[0]

    def get_profile_and_link(self, account_id: str) -> tuple[Profile | None, str | None]:
        """The profile and, while it awaits activation, the hash of its current link: one read."""
        values = self._get(profile_key(account_id))
        if not values:
            return None, None
        profile = Profile.model_validate({k: values.get(k) for k in Profile.model_fields if k in values})
        return profile, values.get("activation_token_hash")

    def account_id_for_email(self, email: str) -> str | None:
        values = self._get(email_key(email))
        return values["account_id"] if values else None

    def get_agrement(self, number: str) -> Agrement | None:
        values = self._get(agrement_key(number))
        return Agrement.model_validate({k: values.get(k) for k in Agrement.model_fields if k in values}) if values else None

    def get_school(self, school_id: str) -> School | None:
        values = self._get(school_key(school_id))
        return School.model_validate({k: values.get(k) for k in School.model_fields if k in values}) if values else None

    def list_members(self, school_id: str) -> list[Member]:
        members, start = [], None
        while True:
            kwargs: dict[str, Any] = {"TableName": self._table, "ConsistentRead": True,
                                      "KeyConditionExpression": "pk = :pk AND begins_with(sk, :member)",
                                      "ExpressionAttributeValues": {":pk": {"S": f"SCHOOL#{school_id}"},
                                                                    ":member": {"S": "MEMBER#"}}}
            if start:
                kwargs["ExclusiveStartKey"] = start
            page = self._db.query(**kwargs)
            for item in page["Items"]:
                v = from_item(item)
                members.append(Member(account_id=v["account_id"], school_id=v["school_id"],
                                      school_role=SchoolRole(v["school_role"]), email=v["email"],
                                      birth_name=v["birth_name"], first_name=v["first_name"],
                                      status=AccountStatus(v["status"]),
                                      invited_at=datetime.fromisoformat(v["invited_at"])))
            start = page.get("LastEvaluatedKey")
            if not start:
                return members

    def find_link(self, token_hash: str) -> LinkRecord | None:
        values = self._get(link_key(token_hash))
        if not values:
            return None
        return LinkRecord(token_hash=token_hash, purpose=values["purpose"], account_id=values["account_id"],
                          expires_at=int(values["expires_at"]), data=values.get("data") or {})

    def pending_before(self, moment: datetime) -> Iterator[str]:
        """Every account whose activation deadline has passed (gsi1: PENDING, <deadline>#<id>)."""
        return (item["account_id"] for item in due_items(self._db, table=self._table, partition="PENDING",
                                                         now_sort=moment.isoformat(), index="gsi1", inclusive=False))

    # --- single writes -------------------------------------------------------------------------

    def consume_altcha(self, signature: str, expires_at: int) -> bool:
        """False when this proof was already used."""
        try:
            self._db.put_item(TableName=self._table, ConditionExpression="attribute_not_exists(pk)",
                              Item=to_item({"pk": f"ALTCHA#{signature}", "sk": "ALTCHA", "entity": "altcha",
                                            "expires_at": expires_at}))
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def record_event(self, event: OutboxEvent) -> None:
        """An event with no state change of its own (a request to be handled by a worker)."""
        self.transact([self.event(event)])

    def email_already_sent(self, event_id: str) -> bool:
        return self._get(_key(f"SENT#{event_id}", "SENT")) is not None

    def mark_email_sent(self, event_id: str, expires_at: int) -> None:
        self._db.put_item(TableName=self._table, Item=to_item({
            "pk": f"SENT#{event_id}", "sk": "SENT", "entity": "email_sent", "expires_at": expires_at}))

    def upsert_agrement(self, agrement: Agrement) -> str:
        """'created', 'updated' or 'unchanged'. The binding to a school is never touched."""
        fields = {k: v for k, v in agrement.model_dump(mode="json").items() if k not in ("number", "bound_school_id")}
        names = {f"#{k}": k for k in fields}
        values = {f":{k}": {"S": str(v)} for k, v in fields.items()}
        old = self._db.update_item(
            TableName=self._table, Key=agrement_key(agrement.number), ReturnValues="ALL_OLD",
            UpdateExpression="SET entity = :entity, #number = :number, " + ", ".join(f"#{k} = :{k}" for k in fields),
            ExpressionAttributeNames={**names, "#number": "number"},
            ExpressionAttributeValues={**values, ":entity": {"S": "agrement"}, ":number": {"S": agrement.number}},
        ).get("Attributes")
        if not old:
            return "created"
        previous = from_item(old)
        return "unchanged" if all(str(previous.get(k)) == str(v) for k, v in fields.items()) else "updated"

    def set_sessions_revoked(self, account_id: str, at: float) -> None:
        self._db.update_item(**self.sessions_revoked_item(account_id, at)["Update"])

    def sessions_revoked_item(self, account_id: str, at: float) -> dict:
        """Every access token issued before `at` is refused (a transaction item)."""
        return {"Update": {"TableName": self._table, "Key": profile_key(account_id),
                           "UpdateExpression": "SET sessions_revoked_at = :at",
                           "ConditionExpression": "attribute_exists(pk)",
                           "ExpressionAttributeValues": {":at": {"N": repr(at)}}}}

    def set_mfa_enabled(self, account_id: str) -> None:
        self._db.update_item(TableName=self._table, Key=profile_key(account_id),
                             UpdateExpression="SET mfa_enabled = :yes",
                             ConditionExpression="attribute_exists(pk)",
                             ExpressionAttributeValues={":yes": {"BOOL": True}})

    # --- state changes of an account, as transaction items -------------------------------------

    def activate_items(self, profile: Profile, token_hash: str, at: datetime) -> list[dict]:
        items = [
            self.delete_link(token_hash),
            {"Update": {"TableName": self._table, "Key": profile_key(profile.account_id),
                        "UpdateExpression": "SET #status = :active, activated_at = :at, version = version + :one "
                                            "REMOVE gsi1pk, gsi1sk, activation_token_hash, activation_deadline",
                        "ConditionExpression": "#status = :pending AND activation_token_hash = :hash",
                        "ExpressionAttributeNames": {"#status": "status"},
                        "ExpressionAttributeValues": {":active": {"S": "active"}, ":pending": {"S": "pending"},
                                                      ":hash": {"S": token_hash}, ":at": {"S": at.isoformat()},
                                                      ":one": {"N": "1"}}}},
        ]
        if profile.school_id:
            items.append(self.set_member_status(profile.school_id, profile.account_id, AccountStatus.ACTIVE))
        return items

    def set_member_status(self, school_id: str, account_id: str, status: AccountStatus) -> dict:
        return {"Update": {"TableName": self._table, "Key": member_key(school_id, account_id),
                           "UpdateExpression": "SET #status = :status", "ConditionExpression": "attribute_exists(pk)",
                           "ExpressionAttributeNames": {"#status": "status"},
                           "ExpressionAttributeValues": {":status": {"S": status.value}}}}

    def delete_member(self, school_id: str, account_id: str) -> dict:
        return {"Delete": {"TableName": self._table, "Key": member_key(school_id, account_id)}}

    def new_activation_link_items(self, account_id: str, old_hash: str, link: LinkRecord,
                                  deadline: datetime) -> list[dict]:
        return [
            {"Delete": {"TableName": self._table, "Key": link_key(old_hash)}},
            self.put_link(link),
            {"Update": {"TableName": self._table, "Key": profile_key(account_id),
                        "UpdateExpression": "SET activation_token_hash = :new, activation_deadline = :deadline, "
                                            "gsi1sk = :sort",
                        "ConditionExpression": "#status = :pending AND activation_token_hash = :old",
                        "ExpressionAttributeNames": {"#status": "status"},
                        "ExpressionAttributeValues": {":new": {"S": link.token_hash}, ":old": {"S": old_hash},
                                                      ":pending": {"S": "pending"},
                                                      ":deadline": {"S": deadline.isoformat()},
                                                      ":sort": {"S": f"{deadline.isoformat()}#{account_id}"}}}},
        ]

    def delete_pending_profile(self, account_id: str) -> dict:
        return {"Delete": {"TableName": self._table, "Key": profile_key(account_id),
                           "ConditionExpression": "#status = :pending",
                           "ExpressionAttributeNames": {"#status": "status"},
                           "ExpressionAttributeValues": {":pending": {"S": "pending"}}}}

    def delete_school(self, school_id: str) -> dict:
        return {"Delete": {"TableName": self._table, "Key": school_key(school_id)}}

    def end_profile(self, profile: Profile, status: AccountStatus, revoked_at: float) -> dict:
        """Removed or closed: the profile stays as a tombstone (history names who did what), its
        personal data is erased, and every token it holds is refused."""
        return {"Put": {"TableName": self._table, "ConditionExpression": "version = :expected",
                        "ExpressionAttributeValues": {":expected": {"N": str(profile.version)}},
                        "Item": to_item({
                            "pk": f"ACCOUNT#{profile.account_id}", "sk": "PROFILE", "entity": "account",
                            "account_id": profile.account_id, "role": profile.role.value, "status": status.value,
                            "email": "", "birth_name": profile.birth_name if status == AccountStatus.REMOVED else "",
                            "first_names": profile.first_names if status == AccountStatus.REMOVED else "",
                            "school_id": profile.school_id, "created_at": profile.created_at.isoformat(),
                            "sessions_revoked_at": revoked_at, "version": profile.version + 1})}}

    def replace_profile(self, profile: Profile) -> dict:
        """`profile.version` is the new version; the stored one must be the one before."""
        return self.put_profile(profile, new=False)

    def email_change_items(self, profile: Profile, new_email: str, token_hash: str) -> list[dict]:
        return [
            self.release_email(profile.email, profile.account_id),
            self.lock_email(new_email, profile.account_id),
            {"Update": {"TableName": self._table, "Key": profile_key(profile.account_id),
                        "UpdateExpression": "SET email = :new, version = version + :one",
                        "ConditionExpression": "email = :old",
                        "ExpressionAttributeValues": {":new": {"S": new_email}, ":old": {"S": profile.email},
                                                      ":one": {"N": "1"}}}},
            self.delete_link(token_hash),
        ] + ([{"Update": {"TableName": self._table, "Key": member_key(profile.school_id, profile.account_id),
                          "UpdateExpression": "SET email = :new",
                          "ExpressionAttributeValues": {":new": {"S": new_email}}}}] if profile.school_id else [])
