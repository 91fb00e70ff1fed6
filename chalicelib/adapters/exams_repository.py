"""DynamoDB storage of exam results and CEPCs (access patterns in chalicelib/resources.py):
  NEPH#<neph> / NEPH                 the NEPH given, with the first registration's number
  NEPH#<neph> / REGISTRATION#<id>    every validated registration of that NEPH (put at the decision)
  REQUEST#<id> / EXAM#<day>#<test>#<category>   one result; one per test, category and day
  gsi3: EXAMDAY#<day>#<centre>, <recorded>#<id>  the centre's day sheet (the results of the day)
  REQUEST#<id> / CEPC#<category>     the CEPC issued for that category, and the production request
                                     it opened (put with the favourable practical, conditionally)"""
from __future__ import annotations

from typing import Any

from chalicelib.adapters.dynamo import from_item, to_item
from chalicelib.domain.exams import ExamRecord


def day_sheet_partition(day, centre: str) -> str:
    from chalicelib.domain.exams import centre_key

    return f"EXAMDAY#{day.isoformat()}#{centre_key(centre)}"


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

    def result_item(self, record: ExamRecord, candidate_name: str) -> dict[str, Any]:
        """Fails when this test of this category was already recorded that day (a replay, a double
        click, two examiners at once): the first record stands. It is also a row of the centre's
        day sheet (sparse gsi3, in the order recorded), with the candidate's name to show there."""
        return {"Put": {"TableName": self._table, "ConditionExpression": "attribute_not_exists(pk)",
                        "Item": to_item({"pk": f"REQUEST#{record.request_id}", "sk": _exam_sort(record),
                                         "entity": "exam_result", **record.model_dump(mode="json"),
                                         "candidate_name": candidate_name,
                                         "gsi3pk": day_sheet_partition(record.day, record.centre),
                                         "gsi3sk": f"{record.recorded_at.isoformat()}#{record.request_id}"})}}

    def day_sheet(self, day, centre: str) -> list[tuple[ExamRecord, str]]:
        """The results recorded at a centre on a day, in the order recorded, with each candidate's
        name. One Query of the day's partition (a few dozen rows), paginated all the same."""
        rows, start = [], None
        while True:
            page = self._db.query(TableName=self._table, IndexName="gsi3", KeyConditionExpression="gsi3pk = :pk",
                                  ExpressionAttributeValues={":pk": {"S": day_sheet_partition(day, centre)}},
                                  **({"ExclusiveStartKey": start} if start else {}))
            rows += [from_item(item) for item in page["Items"]]
            start = page.get("LastEvaluatedKey")
            if not start:
                return [(ExamRecord.model_validate({k: row.get(k) for k in ExamRecord.model_fields}),
                         row.get("candidate_name") or "") for row in rows]

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
