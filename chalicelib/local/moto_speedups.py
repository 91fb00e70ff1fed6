"""Faster moto DynamoDB for the local stack, with the same outcomes: transactions' rollback, and
queries that read only the partition they ask for.

moto (5.x) deep-copies the whole table, once per item of a TransactWriteItems, to restore it if a
condition fails: the cost grows with the table and its stream's records, so a few thousand
transactions (the statistics' simulated history: chalicelib/local/statistics_demo.py) take minutes.
Here the transaction keeps a copy of only the items it targets and the stream's length, which is
all a cancelled transaction can have changed, and restores them when it is cancelled. moto's own
checks and writes are unchanged.

moto's Query (5.x) walks and sorts every item of the table (`Table.all_items`), then sorts the
matches by comparing `DynamoType`s, whose value is cast again at each comparison: a school's list
at 10,000 requests took most of a second, and every Query of the request path slowed as the table
grew. `install()` also makes a Query start from its partition only (the table's partition, or the
items whose index key attributes equal the condition's: one pass, no sort), and sorts with each
key's value cast once; an index Query with a Limit hands moto only the page's window (from the
start key to where moto's loop stops), from the partition's sorted items kept until the table's
next write (a table with a stream: each write adds a record, which is how a change is seen). moto's own filtering, paging, limits and projections then
run unchanged on that narrower list, so the answer is the same
(tests/integration/test_moto_speedups.py compares both).

Two per-request costs go too: SQS checked each message's retention period by computing every
attribute of its queue (counting its messages, twice), so a receive cost the square of the queue's
length; and moto's server listed its own package directory on disk to route each request.

Last, moto (5.2) serialises each answer by walking botocore's output shape member by member, with
several name lookups per member: an item's attribute values (strings, numbers, maps, lists) are
turned into the JSON they already are, which cost ~15 ms per item of 2 KB, 300 ms for a list's page
of 20, and the most of moto's time on the pipeline's reads (the stream's records too). DynamoDB's
attribute values are written straight, the same JSON (tests/integration/test_moto_speedups.py compares both).

Installed by the local stack's moto process and the tests that load a history; `install()` is
idempotent."""
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
        if name != _CACHE:  # a copy starts without cached pages
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


_SCALAR_KEY_TYPES = {"S", "N", "B"}


def _partition_items(table: Any, hash_key: Any, index_name: str | None,
                     hash_key_conditions: list[tuple[str, Any]] | None) -> list[Any] | None:
    """The items a Query can match (a superset moto then filters as it always does), or None to
    let moto walk the whole table (a shape this does not know)."""
    if index_name is None:
        if hash_key is None:
            return None
        partition = table.items.get(hash_key)
        if partition is None:
            return []
        return list(partition.values()) if table.range_key_attr else [partition]
    if not hash_key_conditions:
        return None
    wanted = [(name, value, value.type, value.value) for name, value in hash_key_conditions]
    matches = []
    for partition in table.items.values():
        for item in (partition.values() if table.range_key_attr else (partition,)):
            attrs = item.attrs
            for name, value, kind, raw in wanted:
                found = attrs.get(name)
                # Strings compare as they are; numbers ("1" and "1.0") as moto compares them.
                if found is None or found.type != kind or (found.value != raw if kind == "S" else found != value):
                    break
            else:
                matches.append(item)
    return matches


def _fast_sort_key(attributes: list[str]):
    """Sort by each key's cast value, computed once per item. Key attributes are scalars of one
    declared type, for which comparing cast values is what comparing `DynamoType`s does."""
    def key(item: Any) -> tuple:
        values = []
        for name in attributes:
            value = item.attrs[name]
            if value.type == "S":
                values.append(value.value)  # a string's cast value is itself
            elif value.type in _SCALAR_KEY_TYPES:
                values.append(value.cast_value)
            else:
                raise TypeError(value.type)
        return tuple(values)
    return key


_CACHE = "_permis_sorted_partitions"
_GENERATION = "_permis_generation"


def _cache_token(table: Any) -> tuple | None:
    """What identifies the table's contents between two writes: every put, update and delete adds a
    stream record, and a cancelled transaction's rollback here moves the generation. None (no
    cache) for a table without a stream, or whose stream moto may empty (Lambda mappings)."""
    shard = table.stream_shard
    if shard is None or table.lambda_event_source_mappings:
        return None
    return table.__dict__.get(_GENERATION, 0), id(shard), len(shard.items)


def _sorted_partition(table: Any, index_name: str, hash_key_conditions: list[tuple[str, Any]],
                      range_key: str, sort_attributes: list[str]) -> list[Any]:
    """The index partition's items in moto's order (ascending), kept until the table's next write."""
    token = _cache_token(table)
    partition = (index_name, tuple((name, value.type, str(value.value)) for name, value in hash_key_conditions))
    cache = table.__dict__.get(_CACHE)
    if token is not None and cache is not None and cache[0] == token and partition in cache[1]:
        return cache[1][partition]
    items = _partition_items(table, None, index_name, hash_key_conditions) or []
    ordered = [item for item in items if item.attrs.get(range_key)]  # as moto: indexed items only
    ordered.sort(key=_fast_sort_key(sort_attributes))
    if token is not None:
        if cache is None or cache[0] != token:
            cache = (token, {})
            table.__dict__[_CACHE] = cache
        cache[1][partition] = ordered
    return ordered


def _page_window(table: Any, index_name: str, hash_key_conditions: list[tuple[str, Any]] | None,
                 range_comparison: str | None, range_objs: list[Any], limit: int | None,
                 exclusive_start_key: dict[str, Any] | None, scan_index_forward: bool,
                 range_key_conditions: list | None, filter_kwargs: dict) -> list[Any] | None:
    """Of an index partition's items, those moto's loop reads for one page: from the exclusive start
    key (found by bisection with moto's own comparison) to the item after the `limit`-th match of
    the sort key condition (moto's own `compare`), where moto stops. None for other shapes."""
    if not limit or not hash_key_conditions or filter_kwargs or (range_key_conditions and len(range_key_conditions) > 1):
        return None
    schema = table.get_index(index_name).schema
    hash_keys = [k["AttributeName"] for k in schema if k["KeyType"] == "HASH"]
    range_keys = [k["AttributeName"] for k in schema if k["KeyType"] == "RANGE"]
    if len(hash_keys) != 1 or len(range_keys) != 1:
        return None
    hash_attrs, range_attrs = hash_keys + [table.hash_key_attr], range_keys + [table.range_key_attr]
    try:
        ordered = _sorted_partition(table, index_name, hash_key_conditions, range_keys[0],
                                    table._generate_attr_to_sort_by(hash_attrs, range_attrs))
    except (KeyError, TypeError):
        return None
    if not scan_index_forward:
        ordered = ordered[::-1]
    start = 0
    if exclusive_start_key is not None:
        low, high = 0, len(ordered)
        while low < high:
            middle = (low + high) // 2
            if table._item_comes_before_dct(ordered[middle], exclusive_start_key, hash_attrs, range_attrs,
                                            scan_index_forward):
                low = middle + 1
            else:
                high = middle
        start = low
    range_attr = range_key_conditions[-1][0] if range_key_conditions else range_keys[0]
    window, matched = [], 0
    for item in ordered[start:]:
        window.append(item)
        if matched == limit:  # moto's loop stops on the item after the page's last
            break
        value = item.attrs.get(range_attr)
        if not range_comparison or (value and value.compare(range_comparison, range_objs)):
            matched += 1
    return window


def _install_sqs_and_routing() -> None:
    import functools

    from moto import backends
    from moto.core.utils import unix_time
    from moto.sqs.models import SQSBackend

    def is_message_valid_based_on_retention_period(self, queue_name, message):
        # The same rule as moto's, read from the one attribute it needs.
        retention_period = self.get_queue(queue_name).message_retention_period
        return retention_period + message.sent_timestamp / 1000 > unix_time()

    SQSBackend.is_message_valid_based_on_retention_period = is_message_valid_based_on_retention_period
    # The modules of the installed moto package do not change while it runs.
    modules = tuple(backends.list_of_moto_modules())
    backends.list_of_moto_modules = functools.cache(lambda: modules)


class _Unusual(Exception):
    """A value this fast path does not know: moto's own serialiser takes it."""


_STRING_TAGS = {"S", "N"}
_STRING_SET_TAGS = {"SS", "NS"}
_BOOLEAN_TAGS = {"NULL", "BOOL"}


def _attribute_value_json(serializer: Any, value: Any) -> dict[str, Any]:
    """What moto's JSON serialiser makes of a DynamoDB AttributeValue (the shape's members: strings
    as they are, binaries base64-encoded by its own `_base64`, maps and lists recursively)."""
    if not isinstance(value, dict):
        raise _Unusual
    out: dict[str, Any] = {}
    for tag, member in value.items():
        if member is None:
            continue
        if tag in _STRING_TAGS and type(member) is str:
            out[tag] = member
        elif tag in _STRING_SET_TAGS and type(member) is list and all(type(m) is str for m in member):
            out[tag] = list(member)
        elif tag in _BOOLEAN_TAGS and type(member) is bool:
            out[tag] = member
        elif tag == "M" and type(member) is dict:
            out[tag] = {key: _attribute_value_json(serializer, item) for key, item in member.items()}
        elif tag == "L" and type(member) is list:
            out[tag] = [_attribute_value_json(serializer, item) for item in member]
        elif tag == "B" and isinstance(member, (str, bytes)):
            out[tag] = serializer._base64(member)
        elif tag == "BS" and type(member) is list and all(isinstance(m, (str, bytes)) for m in member):
            out[tag] = [serializer._base64(m) for m in member]
        else:
            raise _Unusual
    return out


def _install_fast_attribute_values() -> None:
    from moto.core.serialize import JSONSerializer

    original = JSONSerializer._serialize

    def _serialize(self, serialized, value, shape, key):
        if shape.name == "AttributeValue" and key and \
                self.operation_model.service_model.service_name in ("dynamodb", "dynamodbstreams"):
            try:
                fast = _attribute_value_json(self, value)
            except (_Unusual, RecursionError):
                return original(self, serialized, value, shape, key)
            self._default_serialize(serialized, fast, shape, key)
            return None
        return original(self, serialized, value, shape, key)

    _serialize.moto_original = original  # type: ignore[attr-defined]  (the tests compare with it)
    JSONSerializer._serialize = _serialize


def install() -> None:
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.table import Table

    if getattr(DynamoDBBackend.transact_write_items, "item_rollback", False):
        return
    original_all_items, original_query, original_sorted_items = Table.all_items, Table.query, Table.sorted_items

    def all_items(self):
        narrowed = getattr(_state, "query_items", None)
        if narrowed is not None and narrowed[0] is self:
            return narrowed[1]
        return original_all_items(self)

    def query(self, hash_key, range_comparison, range_objs, limit, exclusive_start_key, scan_index_forward,
              projection_expressions, index_name=None, consistent_read=False, filter_expression=None,
              hash_key_conditions=None, range_key_conditions=None, **filter_kwargs):
        def run():
            return original_query(self, hash_key, range_comparison, range_objs, limit, exclusive_start_key,
                                  scan_index_forward, projection_expressions, index_name, consistent_read,
                                  filter_expression, hash_key_conditions=hash_key_conditions,
                                  range_key_conditions=range_key_conditions, **filter_kwargs)

        candidates = None if index_name is None else _page_window(
            self, index_name, hash_key_conditions, range_comparison, range_objs, limit, exclusive_start_key,
            scan_index_forward, range_key_conditions, filter_kwargs)
        if candidates is None:
            candidates = _partition_items(self, hash_key, index_name, hash_key_conditions)
        if candidates is None:
            return run()
        _state.query_items = (self, candidates)
        try:
            return run()
        finally:
            _state.query_items = None

    def sorted_items(self, hash_key_attrs, range_key_attrs, items):
        try:
            items.sort(key=_fast_sort_key(self._generate_attr_to_sort_by(hash_key_attrs, range_key_attrs)))
            return items
        except (KeyError, TypeError):  # an unusual key: moto's own comparison
            return original_sorted_items(self, hash_key_attrs, range_key_attrs, items)

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
            for table, _, _, _ in kept:  # what the cached index pages held may have changed
                table.__dict__[_GENERATION] = table.__dict__.get(_GENERATION, 0) + 1
            raise
        finally:
            _state.inside = False

    transact_write_items.item_rollback = True  # type: ignore[attr-defined]
    DynamoDBBackend.transact_write_items = transact_write_items
    Table.__deepcopy__ = _table_deepcopy
    _install_sqs_and_routing()
    _install_fast_attribute_values()
    for patched, moto_own in ((all_items, original_all_items), (query, original_query),
                              (sorted_items, original_sorted_items)):
        patched.moto_original = moto_own  # type: ignore[attr-defined]  (the tests compare with it)
    Table.all_items, Table.query, Table.sorted_items = all_items, query, sorted_items
