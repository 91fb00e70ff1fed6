"""A faster rollback for moto's DynamoDB transactions, with the same outcome.

moto (5.x) deep-copies the whole table, once per item of a TransactWriteItems, to restore it if a
condition fails: the cost grows with the table and its stream's records, so a few thousand
transactions (the statistics' simulated history: chalicelib/local/statistics_demo.py) take minutes.
Here the transaction keeps a copy of only the items it targets and the stream's length, which is
all a cancelled transaction can have changed, and restores them when it is cancelled. moto's own
checks and writes are unchanged. Installed by the local stack's moto process and the tests that
load a history; `install()` is idempotent."""
from __future__ import annotations

import copy
import threading
from typing import Any

_state = threading.local()


def _table_deepcopy(table: Any, memo: dict) -> Any:
    """Inside a transaction that keeps its own rollback, moto's whole-table copy is skipped."""
    if getattr(_state, "inside", False):
        return table
    cls = type(table)
    copied = cls.__new__(cls)
    memo[id(table)] = copied
    for name, value in table.__dict__.items():
        setattr(copied, name, copy.deepcopy(value, memo))
    return copied


def _targets(backend: Any, transact_items: list[dict[str, Any]]) -> list[tuple[Any, Any, Any]]:
    from moto.dynamodb.models.dynamo_type import DynamoType

    targets = []
    for element in transact_items:
        op_type, op = next(iter(element.items()))
        table = backend.tables.get(op.get("TableName"))
        if table is None:
            continue
        key = op.get("Item") if op_type == "Put" else op.get("Key")
        hash_value = DynamoType(key[table.hash_key_attr])
        range_value = DynamoType(key[table.range_key_attr]) if table.range_key_attr else None
        targets.append((table, hash_value, range_value))
    return targets


def install() -> None:
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.table import Table

    if getattr(DynamoDBBackend.transact_write_items, "item_rollback", False):
        return
    original = DynamoDBBackend.transact_write_items

    def transact_write_items(self, transact_items):
        try:
            targets = _targets(self, transact_items)
        except (KeyError, TypeError, AttributeError, ValueError):
            return original(self, transact_items)  # malformed: moto answers as it does
        kept = []
        for table, hash_value, range_value in targets:
            kept.append((table, hash_value, range_value, copy.deepcopy(table.get_item(hash_value, range_value))))
        streams = {id(t): (t, len(t.stream_shard.items)) for t, _, _ in targets if t.stream_shard is not None}
        _state.inside = True
        try:
            return original(self, transact_items)
        except Exception:
            for table, hash_value, range_value, item in reversed(kept):
                if table.range_key_attr:
                    if item is None:
                        if hash_value in table.items:
                            table.items[hash_value].pop(range_value, None)
                    else:
                        table.items[hash_value][range_value] = item
                elif item is None:
                    table.items.pop(hash_value, None)
                else:
                    table.items[hash_value] = item
            for table, length in streams.values():
                del table.stream_shard.items[length:]
            raise
        finally:
            _state.inside = False

    transact_write_items.item_rollback = True  # type: ignore[attr-defined]
    DynamoDBBackend.transact_write_items = transact_write_items
    Table.__deepcopy__ = _table_deepcopy
