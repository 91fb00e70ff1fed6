"""The capacity model's reading of the items the operations write (bench/capacity.py): a key's
variable parts are named, and a shared item nobody declared makes the model fail."""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import capacity  # noqa: E402


def test_keys_are_named_by_their_variable_parts():
    assert capacity.pattern("STATS#DEP#69") == "STATS#DEP#<k>"
    assert capacity.pattern("DAY#2026-09-14#3") == "DAY#<day>#<k>"
    assert capacity.pattern("REQUEST#261200000009") == "REQUEST#<n>"
    assert capacity.pattern("OUTBOX#3f2a9c0d1e") == "OUTBOX#<id>"
    assert capacity.pattern("STATS#INSTRUCTION#DDT-2A") == "STATS#INSTRUCTION#DDT-<k>"


def test_a_shared_item_is_declared_or_the_model_fails():
    assert capacity.scope_of("STATS#NATIONAL", "DAY#<day>#<k>") == "national shard"
    assert capacity.scope_of("REQUEST#<n>", "REQUEST") == "subject"
    assert capacity.scope_of("QUEUE#EVERYONE", "COUNTER") is None
    operations = {"POST /x": capacity.Operation("POST /x", ["dynamodb.UpdateItem"],
                                                [{"op": "UpdateItem", "pk": "QUEUE#EVERYONE", "sk": "COUNTER"}])}
    hot, undeclared = capacity.hot_items(operations, {"POST /x": 1.0}, [])
    assert hot == [] and undeclared == ["QUEUE#EVERYONE / COUNTER (written by POST /x)"]


def test_the_hottest_item_takes_its_scope_s_share_of_its_writers_rate():
    operations = {"count": capacity.Operation("count", ["dynamodb.TransactWriteItems"], [
        {"op": "TransactUpdate", "pk": "STATS#NATIONAL", "sk": "DAY#2026-09-14#1"},
        {"op": "TransactUpdate", "pk": "STATS#DEP#59", "sk": "DAY#2026-09-14"}])}
    hot, undeclared = capacity.hot_items(operations, {"count": 8.0}, [])
    rates = {row["pk"]: row["writes_per_second"] for row in hot}
    assert not undeclared
    assert rates["STATS#NATIONAL"] == 8.0 / capacity._national_shards()
    assert rates["STATS#DEP#<k>"] == 8.0 * capacity.BIGGEST_DEPARTEMENT_SHARE
