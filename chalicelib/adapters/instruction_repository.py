"""DynamoDB storage of what instruction allocates (access patterns in chalicelib/resources.py):
  COUNTER#NEPH#<prefix> / COUNTER   the last order given in a month for a département and office
  NEPH#<neph> / NEPH                a NEPH given, to whom (never given twice)
  IDENTITY#<key> / NEPH             a person's NEPH, by identity key (they keep it for life)
A NEPH is taken in the same transaction as the decision that gives it: the counter moves from the
value read to the next on condition it did not move meanwhile, so concurrent decisions never get
the same number, and a decision that does not commit consumes none (no gap)."""
from __future__ import annotations

from typing import Any

from chalicelib.adapters.dynamo import from_item, to_item


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

    def next_order(self, prefix: str) -> int:
        item = self._db.get_item(TableName=self._table, ConsistentRead=True,
                                 Key=_key(f"COUNTER#NEPH#{prefix}", "COUNTER")).get("Item")
        return (int(from_item(item)["last_order"]) if item else 0) + 1

    def allocation_items(self, prefix: str, order: int, neph: str, identity_key: str,
                         request_id: str) -> list[dict[str, Any]]:
        """Transaction items taking `neph` (the `order`-th of `prefix`) for this person."""
        counter: dict[str, Any] = {"TableName": self._table, "Key": _key(f"COUNTER#NEPH#{prefix}", "COUNTER"),
                                   "UpdateExpression": "SET last_order = :order, entity = :entity",
                                   "ExpressionAttributeValues": {":order": {"N": str(order)},
                                                                 ":entity": {"S": "neph_counter"}}}
        if order == 1:
            counter["ConditionExpression"] = "attribute_not_exists(pk)"
        else:
            counter["ConditionExpression"] = "last_order = :previous"
            counter["ExpressionAttributeValues"][":previous"] = {"N": str(order - 1)}
        return [
            {"Update": counter},
            {"Put": {"TableName": self._table, "ConditionExpression": "attribute_not_exists(pk)",
                     "Item": to_item({"pk": f"NEPH#{neph}", "sk": "NEPH", "entity": "neph", "neph": neph,
                                      "identity_key": identity_key, "request_id": request_id})}},
            {"Put": {"TableName": self._table, "ConditionExpression": "attribute_not_exists(pk)",
                     "Item": to_item({"pk": f"IDENTITY#{identity_key}", "sk": "NEPH", "entity": "identity_neph",
                                      "neph": neph})}},
        ]
