"""DynamoDB storage of exam results and CEPCs (access patterns in chalicelib/resources.py):
  NEPH#<neph> / NEPH                 the NEPH given, with the first registration's number
  NEPH#<neph> / REGISTRATION#<id>    every validated registration of that NEPH (put at the decision)
  REQUEST#<id> / EXAM#<day>#<test>#<category>   one result; one per test, category and day
  gsi3: EXAMDAY#<day>#<centre>, <recorded>#<id>  the centre's day sheet (the results of the day)
  REQUEST#<id> / CONVOCATION#<day>#<test>#<category>   the school convened the candidate (one per
                                     test, category and day); gsi3: EXAMDAY#<day>#<centre>,
                                     CONVOCATION#<time>#<id>: the same Query of the day sheet lists
                                     the convened candidates ("C" sorts after the results' dates)
  REQUEST#<id> / CEPC#<category>     the CEPC issued for that category, and the production request
                                     it opened (put with the favourable practical, conditionally)"""
from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from chalicelib.adapters.dynamo import from_item, to_item
from chalicelib.domain.exams import Convocation, ExamRecord


def day_sheet_partition(day, centre: str) -> str:
    from chalicelib.domain.exams import centre_key

    return f"EXAMDAY#{day.isoformat()}#{centre_key(centre)}"


def _convocation_sort(day, test: str, category: str) -> str:
    return f"CONVOCATION#{day.isoformat()}#{test}#{category}"


def _convocation(row: dict[str, Any]) -> Convocation:
    return Convocation.model_validate({k: row.get(k) for k in Convocation.model_fields})


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

    def day_sheet(self, day, centre: str) -> tuple[list[tuple[ExamRecord, str]], list[Convocation]]:
        """The results recorded at a centre on a day, in the order recorded, with each candidate's
        name, and the candidates convened there that day, by time. One Query of the day's partition
        (a few dozen rows), paginated all the same."""
        rows, start = [], None
        while True:
            page = self._db.query(TableName=self._table, IndexName="gsi3", KeyConditionExpression="gsi3pk = :pk",
                                  ExpressionAttributeValues={":pk": {"S": day_sheet_partition(day, centre)}},
                                  **({"ExclusiveStartKey": start} if start else {}))
            rows += [from_item(item) for item in page["Items"]]
            start = page.get("LastEvaluatedKey")
            if not start:
                return ([(ExamRecord.model_validate({k: row.get(k) for k in ExamRecord.model_fields}),
                          row.get("candidate_name") or "") for row in rows if row.get("entity") == "exam_result"],
                        [_convocation(row) for row in rows if row.get("entity") == "convocation"])

    # --- convocations --------------------------------------------------------------------------

    def put_convocation(self, convocation: Convocation, expires_at: int) -> bool:
        """False when the candidate is already convened to this test of this category that day."""
        try:
            self._db.put_item(TableName=self._table, ConditionExpression="attribute_not_exists(pk)", Item=to_item({
                "pk": f"REQUEST#{convocation.request_id}",
                "sk": _convocation_sort(convocation.day, convocation.test.value, convocation.category.value),
                "entity": "convocation", **convocation.model_dump(mode="json"), "expires_at": expires_at,
                "gsi3pk": day_sheet_partition(convocation.day, convocation.centre),
                "gsi3sk": f"CONVOCATION#{convocation.time}#{convocation.request_id}#{convocation.test.value}#"
                          f"{convocation.category.value}"}))
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def convocations(self, request_id: str) -> list[Convocation]:
        """A registration's convocations, by day."""
        answer = self._db.query(TableName=self._table, ConsistentRead=True,
                                KeyConditionExpression="pk = :pk AND begins_with(sk, :convocation)",
                                ExpressionAttributeValues={":pk": {"S": f"REQUEST#{request_id}"},
                                                           ":convocation": {"S": "CONVOCATION#"}})
        return [_convocation(from_item(item)) for item in answer["Items"]]

    def delete_convocation(self, request_id: str, day, test: str, category: str) -> bool:
        """False when there was no such convocation (cancelled already)."""
        try:
            self._db.delete_item(TableName=self._table, ConditionExpression="attribute_exists(pk)",
                                 Key={"pk": {"S": f"REQUEST#{request_id}"},
                                      "sk": {"S": _convocation_sort(day, test, category)}})
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True

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
