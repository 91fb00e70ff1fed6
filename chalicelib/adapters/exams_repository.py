"""DynamoDB storage of exam results and CEPCs (access patterns in chalicelib/resources.py):
  NEPH#<neph> / NEPH                 the NEPH given, with the first registration's number
  NEPH#<neph> / REGISTRATION#<id>    every validated registration of that NEPH (put at the decision)
  REQUEST#<id> / EXAM#<day>#<test>#<category>   one result; one per test, category and day
  REQUEST#<id> / CEPC#<category>     the CEPC issued for that category, and the production request
                                     it opened (put with the favourable practical, conditionally)"""
from __future__ import annotations

from typing import Any

from chalicelib.adapters.dynamo import from_item, to_item
from chalicelib.domain.exams import ExamRecord


def _exam_sort(record: ExamRecord) -> str:
    return f"EXAM#{record.day.isoformat()}#{record.test.value}#{record.category.value}"


class DynamoExamsRepository:
    def __init__(self, dynamodb_client, table_name: str):
        self._db = dynamodb_client
        self._table = self.table = table_name

    def registration_ids(self, neph: str) -> list[str]:
        """The registrations a NEPH was given or used for (empty: an unknown NEPH)."""
        answer = self._db.query(TableName=self._table, ConsistentRead=True, KeyConditionExpression="pk = :pk",
                                ExpressionAttributeValues={":pk": {"S": f"NEPH#{neph}"}})
        ids = []
        for item in answer["Items"]:
            values = from_item(item)
            request_id = values.get("request_id")
            if request_id and request_id not in ids:
                ids.append(request_id)
        return ids

    def results(self, request_id: str) -> list[ExamRecord]:
        """A registration's results, oldest first."""
        answer = self._db.query(TableName=self._table, ConsistentRead=True,
                                KeyConditionExpression="pk = :pk AND begins_with(sk, :exam)",
                                ExpressionAttributeValues={":pk": {"S": f"REQUEST#{request_id}"},
                                                           ":exam": {"S": "EXAM#"}})
        rows = [from_item(item) for item in answer["Items"]]
        return sorted((ExamRecord.model_validate({k: row.get(k) for k in ExamRecord.model_fields}) for row in rows),
                      key=lambda r: (r.day, r.recorded_at))

    def result_item(self, record: ExamRecord) -> dict[str, Any]:
        """Fails when this test of this category was already recorded that day (a replay, a double
        click, two examiners at once): the first record stands."""
        return {"Put": {"TableName": self._table, "ConditionExpression": "attribute_not_exists(pk)",
                        "Item": to_item({"pk": f"REQUEST#{record.request_id}", "sk": _exam_sort(record),
                                         "entity": "exam_result", **record.model_dump(mode="json")})}}

    def cepc_item(self, request_id: str, category: str, values: dict[str, Any]) -> dict[str, Any]:
        return {"Put": {"TableName": self._table, "ConditionExpression": "attribute_not_exists(pk)",
                        "Item": to_item({"pk": f"REQUEST#{request_id}", "sk": f"CEPC#{category}", "entity": "cepc",
                                         "request_id": request_id, "category": category, **values})}}

    def cepcs(self, request_id: str) -> list[dict[str, Any]]:
        answer = self._db.query(TableName=self._table, ConsistentRead=True,
                                KeyConditionExpression="pk = :pk AND begins_with(sk, :cepc)",
                                ExpressionAttributeValues={":pk": {"S": f"REQUEST#{request_id}"},
                                                           ":cepc": {"S": "CEPC#"}})
        return [from_item(item) for item in answer["Items"]]
