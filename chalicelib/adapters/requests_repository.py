"""DynamoDB storage of requests (access patterns in chalicelib/resources.py, MAIN_TABLE):
  REQUEST#<number> / REQUEST   the request, its saved steps, its version
  gsi1: <owner>#REQUESTS, <created at>#<number>   the owner's list, newest first, where the owner
        is the school (SCHOOL#<id>) or the candidate filing alone (ACCOUNT#<id>)."""
from __future__ import annotations

import base64
import binascii
import json
from datetime import timedelta
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.adapters.dynamo import from_item, to_item
from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.identity_match import normalize_name
from chalicelib.domain.procedures import TERMINAL_STATUSES, RequestStatus
from chalicelib.domain.requests import DRAFT_RETENTION_DAYS, Request

CURSOR_INVALID = InvalidInput("cursor_invalid", "Ce lien de page n'est plus valable : rechargez la liste depuis le début.")


def owner_partition(request: Request) -> str:
    owner = f"SCHOOL#{request.school_id}" if request.school_id else f"ACCOUNT#{request.owner_account_id}"
    return f"{owner}#REQUESTS"


def _item(request: Request) -> dict[str, Any]:
    values = {"pk": f"REQUEST#{request.request_id}", "sk": "REQUEST", "entity": "request",
              "gsi1pk": owner_partition(request), "gsi1sk": f"{request.created_at.isoformat()}#{request.request_id}",
              "search_name": normalize_name(request.candidate_name()) or None,
              **request.model_dump(mode="json")}
    if request.status == RequestStatus.DRAFT:  # drafts untouched for 3 months expire
        values["expires_at"] = int((request.updated_at + timedelta(days=DRAFT_RETENTION_DAYS)).timestamp())
    return to_item(values)


class DynamoRequestsRepository:
    def __init__(self, dynamodb_client, table_name: str):
        self._db = dynamodb_client
        self._table = table_name

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
        item = self._db.get_item(TableName=self._table, ConsistentRead=True,
                                 Key={"pk": {"S": f"REQUEST#{request_id}"}, "sk": {"S": "REQUEST"}}).get("Item")
        if item is None:
            return None
        values = from_item(item)
        return Request.model_validate({k: values[k] for k in Request.model_fields if k in values})

    def replace(self, request: Request) -> bool:
        """`request.version` is the new version; False when someone saved in between."""
        try:
            self._db.put_item(TableName=self._table, Item=_item(request), ConditionExpression="version = :previous",
                              ExpressionAttributeValues={":previous": {"N": str(request.version - 1)}})
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def page(self, partition: str, *, limit: int, cursor: str | None, status: str | None = None,
             procedure: str | None = None, name: str | None = None) -> tuple[list[Request], str | None]:
        """One page of an owner's requests, newest first: one Query on gsi1, never a Scan. Filters
        apply within the page (a page may hold fewer than `limit` rows; the cursor goes on)."""
        kwargs: dict[str, Any] = {
            "TableName": self._table, "IndexName": "gsi1", "ScanIndexForward": False, "Limit": limit,
            "KeyConditionExpression": "gsi1pk = :owner",
            "ExpressionAttributeValues": {":owner": {"S": partition}},
        }
        filters, names = [], {}
        for attribute, value, operator in (("status", status, "="), ("procedure", procedure, "=")):
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
            kwargs["ExclusiveStartKey"] = _decode(cursor, partition)
        answer = self._db.query(**kwargs)
        requests = []
        for item in answer["Items"]:
            values = from_item(item)
            requests.append(Request.model_validate({k: values[k] for k in Request.model_fields if k in values}))
        last = answer.get("LastEvaluatedKey")
        return requests, _encode(last) if last else None


    def _all(self, partition: str, **query: Any) -> list[dict[str, Any]]:
        items, start = [], None
        while True:
            kwargs: dict[str, Any] = {"TableName": self._table, "IndexName": "gsi1",
                                      "KeyConditionExpression": "gsi1pk = :owner", **query}
            kwargs["ExpressionAttributeValues"] = {":owner": {"S": partition},
                                                   **query.get("ExpressionAttributeValues", {})}
            if start:
                kwargs["ExclusiveStartKey"] = start
            answer = self._db.query(**kwargs)
            items += answer.get("Items", [])
            start = answer.get("LastEvaluatedKey")
            if not start:
                return items

    def _in_progress(self, partition: str) -> int:
        """Requests filed and not finished (drafts are not filed; expired ones went back to the filer)."""
        settled = sorted({*TERMINAL_STATUSES, RequestStatus.DRAFT, RequestStatus.EXPIRED})
        values = {f":s{i}": {"S": status.value} for i, status in enumerate(settled)}
        items = self._all(partition, FilterExpression=f"NOT (#status IN ({', '.join(values)}))",
                          ExpressionAttributeNames={"#status": "status"}, ExpressionAttributeValues=values,
                          ProjectionExpression="pk")
        return len(items)

    # The port accounts use before closing an account (chalicelib.services.accounts.RequestsInProgress).
    def count_for_account(self, account_id: str) -> int:
        return self._in_progress(f"ACCOUNT#{account_id}#REQUESTS")

    def count_for_school(self, school_id: str) -> int:
        return self._in_progress(f"SCHOOL#{school_id}#REQUESTS")

    def all_for_account(self, account_id: str) -> list[Request]:
        """A candidate's own requests, for the export of their data."""
        requests = []
        for item in self._all(f"ACCOUNT#{account_id}#REQUESTS", ScanIndexForward=False):
            values = from_item(item)
            requests.append(Request.model_validate({k: values[k] for k in Request.model_fields if k in values}))
        return requests


def _encode(key: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(key, separators=(",", ":")).encode()).decode()


def _decode(cursor: str, partition: str) -> dict[str, Any]:
    """A cursor is only ever a position in the caller's own list."""
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise CURSOR_INVALID from None
    if not isinstance(key, dict) or key.get("gsi1pk", {}).get("S") != partition or set(key) != {
            "pk", "sk", "gsi1pk", "gsi1sk"}:
        raise CURSOR_INVALID
    return key
