"""The size DynamoDB counts for an item (its 400 KB limit, its write units), from the item in
DynamoDB's JSON shape ({"S": ...}, {"N": ...}...), after AWS's published rules: an attribute is its
name's UTF-8 length plus its value's size; a number is about one byte per two significant digits
plus one; a list or map adds 3 bytes and 1 byte per element; null and booleans are 1 byte."""
from __future__ import annotations

from typing import Any


def _number_bytes(text: str) -> int:
    digits = text.lstrip("-").replace(".", "").lstrip("0") or "0"
    return (len(digits.split("e")[0].split("E")[0]) + 1) // 2 + 1


def value_bytes(value: dict[str, Any]) -> int:
    (kind, inner), = value.items()
    if kind == "S":
        return len(inner.encode())
    if kind == "N":
        return _number_bytes(inner)
    if kind == "B":
        return len(inner)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(v.encode()) for v in inner)
    if kind == "NS":
        return sum(_number_bytes(v) for v in inner)
    if kind == "BS":
        return sum(len(v) for v in inner)
    if kind == "L":
        return 3 + sum(1 + value_bytes(v) for v in inner)
    if kind == "M":
        return 3 + sum(1 + len(k.encode()) + value_bytes(v) for k, v in inner.items())
    raise ValueError(f"unknown DynamoDB type {kind}")


def item_bytes(item: dict[str, dict[str, Any]]) -> int:
    return sum(len(name.encode()) + value_bytes(value) for name, value in item.items())
