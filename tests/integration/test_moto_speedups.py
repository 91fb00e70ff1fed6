"""moto_speedups' Query (the local stack's moto reads only the asked partition) answers exactly what
moto's own Query answers: the same items in the same order, counts, and next-page keys."""
import boto3
import pytest
from moto import mock_aws

from chalicelib.local import moto_speedups


@pytest.fixture
def table():
    moto_speedups.install()
    with mock_aws():
        db = boto3.client("dynamodb", region_name="eu-west-3")
        db.create_table(
            TableName="speed", BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": name, "AttributeType": kind} for name, kind in (
                ("pk", "S"), ("sk", "S"), ("gsi1pk", "S"), ("gsi1sk", "S"), ("npk", "N"), ("nsk", "N"))],
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            GlobalSecondaryIndexes=[
                {"IndexName": "gsi1", "Projection": {"ProjectionType": "ALL"},
                 "KeySchema": [{"AttributeName": "gsi1pk", "KeyType": "HASH"},
                               {"AttributeName": "gsi1sk", "KeyType": "RANGE"}]},
                {"IndexName": "keys", "Projection": {"ProjectionType": "KEYS_ONLY"},
                 "KeySchema": [{"AttributeName": "gsi1pk", "KeyType": "HASH"}]},
                {"IndexName": "numbers", "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["status"]},
                 "KeySchema": [{"AttributeName": "npk", "KeyType": "HASH"}, {"AttributeName": "nsk", "KeyType": "RANGE"}]}])
        for i in range(120):
            item = {"pk": {"S": f"REQUEST#{i % 17:03d}"}, "sk": {"S": f"ROW#{i:04d}"},
                    "status": {"S": ("brouillon", "en-instruction", "rejetee")[i % 3]}, "n": {"N": str(i)}}
            if i % 5:  # some items are not in the index (sparse)
                # Shared sort keys between items: the order then falls back on the table's keys.
                item.update({"gsi1pk": {"S": f"SCHOOL#{i % 4}"}, "gsi1sk": {"S": f"2026-01-{i % 9 + 1:02d}"}})
            if i % 2:
                item.update({"npk": {"N": str(i % 3)}, "nsk": {"N": str(i % 11)}})
            db.put_item(TableName="speed", Item=item)
        yield db


def moto_own(monkeypatch):
    """moto's Query as it is without moto_speedups, for the comparison."""
    from moto.dynamodb.models.table import Table

    for name in ("all_items", "query", "sorted_items"):
        monkeypatch.setattr(Table, name, getattr(Table, name).moto_original)


QUERIES = [
    {"KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "REQUEST#003"}}},
    {"KeyConditionExpression": "pk = :p AND begins_with(sk, :s)", "ScanIndexForward": False, "Limit": 3,
     "ExpressionAttributeValues": {":p": {"S": "REQUEST#005"}, ":s": {"S": "ROW#00"}}},
    {"KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "REQUEST#999"}}},
    {"IndexName": "gsi1", "KeyConditionExpression": "gsi1pk = :p", "ScanIndexForward": False, "Limit": 7,
     "ExpressionAttributeValues": {":p": {"S": "SCHOOL#1"}}},
    {"IndexName": "gsi1", "KeyConditionExpression": "gsi1pk = :p AND gsi1sk BETWEEN :a AND :b", "Limit": 4,
     "ExpressionAttributeValues": {":p": {"S": "SCHOOL#2"}, ":a": {"S": "2026-01-02"}, ":b": {"S": "2026-01-06"}}},
    {"IndexName": "gsi1", "KeyConditionExpression": "gsi1pk = :p", "Limit": 5, "FilterExpression": "#s = :s",
     "ExpressionAttributeNames": {"#s": "status"},
     "ExpressionAttributeValues": {":p": {"S": "SCHOOL#3"}, ":s": {"S": "rejetee"}}},
    {"IndexName": "gsi1", "KeyConditionExpression": "gsi1pk = :p", "ProjectionExpression": "pk, n",
     "ExpressionAttributeValues": {":p": {"S": "SCHOOL#0"}}},
    {"IndexName": "keys", "KeyConditionExpression": "gsi1pk = :p", "Limit": 6,
     "ExpressionAttributeValues": {":p": {"S": "SCHOOL#1"}}},
    {"IndexName": "numbers", "KeyConditionExpression": "npk = :p AND nsk > :n", "ScanIndexForward": False,
     "Limit": 4, "ExpressionAttributeValues": {":p": {"N": "1.0"}, ":n": {"N": "3"}}},
]


def every_page(db, query):
    pages, start = [], None
    while True:
        answer = db.query(TableName="speed", **query, **({"ExclusiveStartKey": start} if start else {}))
        pages.append({k: answer.get(k) for k in ("Items", "Count", "ScannedCount", "LastEvaluatedKey")})
        start = answer.get("LastEvaluatedKey")
        if not start:
            return pages


@pytest.mark.parametrize("query", QUERIES, ids=range(len(QUERIES)))
def test_a_query_answers_what_moto_s_own_query_answers(table, query, monkeypatch):
    fast = every_page(table, query)
    moto_own(monkeypatch)
    assert every_page(table, query) == fast
    assert any(page["Items"] for page in fast) or query["ExpressionAttributeValues"][":p"]["S"] == "REQUEST#999"


def test_a_scan_is_unchanged_and_a_query_sees_the_latest_writes(table):
    before = table.scan(TableName="speed")["Items"]
    table.put_item(TableName="speed", Item={"pk": {"S": "NEW"}, "sk": {"S": "1"}, "gsi1pk": {"S": "SCHOOL#9"},
                                            "gsi1sk": {"S": "x"}})
    table.update_item(TableName="speed", Key={"pk": {"S": "REQUEST#001"}, "sk": {"S": "ROW#0001"}},
                      UpdateExpression="SET gsi1pk = :p", ExpressionAttributeValues={":p": {"S": "SCHOOL#9"}})
    found = table.query(TableName="speed", IndexName="gsi1", KeyConditionExpression="gsi1pk = :p",
                        ExpressionAttributeValues={":p": {"S": "SCHOOL#9"}})["Items"]
    assert sorted(i["pk"]["S"] for i in found) == ["NEW", "REQUEST#001"]
    assert len(table.scan(TableName="speed")["Items"]) == len(before) + 1


def moto_own_serializer(monkeypatch):
    from moto.core.serialize import JSONSerializer

    monkeypatch.setattr(JSONSerializer, "_serialize", JSONSerializer._serialize.moto_original)


EVERY_TYPE = {"pk": {"S": "TYPES"}, "sk": {"S": "1"}, "text": {"S": "Éloïse « x »"}, "empty": {"S": ""},
              "number": {"N": "-12.50"}, "binary": {"B": b"\x00\xffbinary"}, "strings": {"SS": ["a", "b"]},
              "numbers": {"NS": ["1", "2.5"]}, "binaries": {"BS": [b"x", b"\x01"]}, "nothing": {"NULL": True},
              "yes": {"BOOL": True}, "no": {"BOOL": False},
              "map": {"M": {"inner": {"L": [{"S": "x"}, {"N": "1"}, {"M": {}}, {"L": []}, {"BOOL": False}]},
                            "deep": {"M": {"b": {"B": b"deep"}}}}}}


def stream_records(db):
    streams = boto3.client("dynamodbstreams", region_name="eu-west-3")
    arn = db.describe_table(TableName="speed")["Table"]["LatestStreamArn"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
    answer = streams.get_records(ShardIterator=iterator["ShardIterator"], Limit=1000)
    return {"Records": answer["Records"]}


@pytest.mark.parametrize("call", ["get_item", "query", "scan", "batch_get_item", "transact_get_items", "update_item",
                                  "get_records"])
def test_attribute_values_are_answered_as_moto_s_own_serialiser_answers(table, call, monkeypatch):
    table.update_table(TableName="speed", StreamSpecification={"StreamEnabled": True,
                                                               "StreamViewType": "NEW_AND_OLD_IMAGES"})
    table.put_item(TableName="speed", Item=EVERY_TYPE)
    table.put_item(TableName="speed", Item={**EVERY_TYPE, "text": {"S": "changed"}})
    key = {"pk": {"S": "TYPES"}, "sk": {"S": "1"}}
    calls = {
        "get_item": lambda: table.get_item(TableName="speed", Key=key),
        "query": lambda: table.query(TableName="speed", KeyConditionExpression="pk = :p",
                                     ExpressionAttributeValues={":p": {"S": "TYPES"}}),
        "scan": lambda: table.scan(TableName="speed", Limit=50),
        "batch_get_item": lambda: table.batch_get_item(RequestItems={"speed": {"Keys": [key]}}),
        "transact_get_items": lambda: table.transact_get_items(TransactItems=[{"Get": {"TableName": "speed",
                                                                                        "Key": key}}]),
        "update_item": lambda: table.update_item(TableName="speed", Key=key, UpdateExpression="SET yes = :t",
                                                 ExpressionAttributeValues={":t": {"BOOL": True}},
                                                 ReturnValues="ALL_NEW"),
        "get_records": lambda: stream_records(table),
    }
    fast = calls[call]()
    moto_own_serializer(monkeypatch)
    own = calls[call]()
    for answer in (fast, own):
        answer.pop("ResponseMetadata", None)
    assert fast == own
    assert EVERY_TYPE["binary"] == {"B": b"\x00\xffbinary"}
    if call == "get_item":
        assert fast["Item"] == {**EVERY_TYPE, "text": {"S": "changed"}}
    if call == "get_records":
        assert [r["dynamodb"].get("OldImage", {}).get("text") for r in fast["Records"]] == [None, EVERY_TYPE["text"]]


def test_an_index_page_follows_every_write_as_moto_s_own_query_does(table, monkeypatch):
    """The sorted partition a page is cut from is kept between writes (a table with a stream): each
    kind of write, and a cancelled transaction, must show in the next page as it does in moto's."""
    from chalicelib.adapters.dynamo import TransactionRefused, transact

    table.update_table(TableName="speed", StreamSpecification={"StreamEnabled": True,
                                                               "StreamViewType": "NEW_AND_OLD_IMAGES"})
    page = {"IndexName": "gsi1", "KeyConditionExpression": "gsi1pk = :p", "ScanIndexForward": False, "Limit": 4,
            "ExpressionAttributeValues": {":p": {"S": "SCHOOL#1"}}}
    key = {"pk": {"S": "REQUEST#001"}, "sk": {"S": "ROW#0001"}}
    writes = [
        lambda: table.put_item(TableName="speed", Item={"pk": {"S": "NEW"}, "sk": {"S": "1"},
                                                        "gsi1pk": {"S": "SCHOOL#1"}, "gsi1sk": {"S": "2026-12-31"}}),
        lambda: table.update_item(TableName="speed", Key=key, UpdateExpression="SET gsi1sk = :s",
                                  ExpressionAttributeValues={":s": {"S": "2027-01-01"}}),
        lambda: table.update_item(TableName="speed", Key={"pk": {"S": "NEW"}, "sk": {"S": "1"}},
                                  UpdateExpression="SET gsi1pk = :p", ExpressionAttributeValues={":p": {"S": "SCHOOL#2"}}),
        lambda: table.delete_item(TableName="speed", Key=key),
        lambda: pytest.raises(TransactionRefused, transact, table, [
            {"Put": {"TableName": "speed", "Item": {"pk": {"S": "REFUSED"}, "sk": {"S": "1"},
                                                   "gsi1pk": {"S": "SCHOOL#1"}, "gsi1sk": {"S": "2099-01-01"}}}},
            {"Update": {"TableName": "speed", "Key": {"pk": {"S": "REQUEST#009"}, "sk": {"S": "ROW#0009"}},
                        "UpdateExpression": "SET gsi1sk = :s", "ExpressionAttributeValues": {":s": {"S": "2098"}},
                        "ConditionExpression": "attribute_exists(pk)"}},
            {"Put": {"TableName": "speed", "Item": {"pk": {"S": "REQUEST#000"}, "sk": {"S": "ROW#0000"}},
                     "ConditionExpression": "attribute_not_exists(pk)"}}]),
    ]
    def same_as_moto_s_own():
        fast, kept = every_page(table, page), every_page(table, page)  # the second from the kept partition
        with pytest.MonkeyPatch.context() as patch:
            moto_own(patch)
            own = every_page(table, page)
        assert fast == kept == own
        return [item["pk"]["S"] for answer in fast for item in answer["Items"]]

    seen = [same_as_moto_s_own()]
    for write in writes:
        write()
        seen.append(same_as_moto_s_own())
    assert seen[1][0] == "NEW" and seen[2][0] == "REQUEST#001"  # added, then moved to the top
    assert "NEW" not in seen[3] and len(seen[4]) == len(seen[3]) - 1 and seen[5] == seen[4]  # moved, deleted, refused
