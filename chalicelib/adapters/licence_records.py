"""DynamoDB records of the licence's partners (access patterns in chalicelib/resources.py, MAIN_TABLE):
  REQUEST#<number> / PARTNER_EVENT#<partner>#<event id>   each event received, put in the same
      transaction as what it changes, on condition it is new: a replayed event id fails it."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.adapters.dynamo import to_item
from chalicelib.adapters.requests_repository import request_key


class DynamoLicenceRecords:
    def __init__(self, dynamodb_client, table_name: str):
        self._db = dynamodb_client
        self._table = table_name

    def event_key(self, request_id: str, partner: str, event_id: str) -> dict[str, Any]:
        return request_key(request_id, f"PARTNER_EVENT#{partner}#{event_id}")

    def seen(self, request_id: str, partner: str, event_id: str) -> bool:
        return "Item" in self._db.get_item(TableName=self._table, ConsistentRead=True,
                                           Key=self.event_key(request_id, partner, event_id),
                                           ProjectionExpression="pk")

    def event_put(self, request_id: str, partner: str, event: dict[str, Any], received_at: datetime,
                  outcome: str) -> dict[str, Any]:
        """The event as received and what it did (applied, late, already): the licence's log."""
        key = self.event_key(request_id, partner, event["event_id"])
        return {"Put": {"TableName": self._table, "ConditionExpression": "attribute_not_exists(pk)",
                        "Item": to_item({"pk": key["pk"]["S"], "sk": key["sk"]["S"], "entity": "partner_event",
                                         "partner": partner, "received_at": received_at.isoformat(),
                                         "outcome": outcome, **event})}}

    def unchanged(self, request_id: str, version: int) -> dict[str, Any]:
        """An event acknowledged without a move still depends on the status read."""
        return {"ConditionCheck": {"TableName": self._table, "Key": request_key(request_id),
                                   "ConditionExpression": "version = :version",
                                   "ExpressionAttributeValues": {":version": {"N": str(version)}}}}
