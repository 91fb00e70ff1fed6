"""The strict reading of every request body (chalicelib/api/json_body.py): what it refuses, where,
and what it hands on (NFC strings)."""
import unicodedata

import pytest

from chalicelib.api.json_body import MAX_DEPTH, MAX_SAFE_INTEGER, read_json
from chalicelib.domain.errors import MalformedRequest


def refusal(raw: bytes) -> MalformedRequest:
    with pytest.raises(MalformedRequest) as caught:
        read_json(raw)
    return caught.value


def nested(depth: int) -> bytes:
    return ('{"a":' * depth + "1" + "}" * depth).encode()


def test_the_deepest_accepted_body_and_one_level_more():
    assert read_json(nested(MAX_DEPTH))
    refused = refusal(nested(MAX_DEPTH + 1))
    assert refused.code == "json_too_deep" and str(MAX_DEPTH) in refused.message
    assert refused.details[0].field == ".".join(["a"] * MAX_DEPTH)


def test_a_key_twice_is_refused_where_it_is_even_when_written_two_ways():
    assert refusal(b'{"a": {"b": 1, "b": 1}}').details[0].field == "a.b"
    composed, decomposed = "\u00e9", unicodedata.normalize("NFD", "\u00e9")
    raw = ('{"' + composed + '": 1, "' + decomposed + '": 2}').encode()
    assert refusal(raw).code == "duplicate_key"


@pytest.mark.parametrize("number", [b"NaN", b"Infinity", b"-Infinity", b"1e309", str(MAX_SAFE_INTEGER + 1).encode(),
                                    b"1" + b"0" * 5000, b"0." + b"1" * 60])
def test_numbers_beyond_what_a_browser_reads_exactly_are_refused(number):
    refused = refusal(b'{"n": [1, ' + number + b"]}")
    assert refused.code == "number_out_of_range" and refused.details[0].field == "n.1"


def test_the_largest_safe_integer_and_ordinary_decimals_pass():
    assert read_json(f'{{"n": {MAX_SAFE_INTEGER}, "x": -12.5}}'.encode()) == {"n": MAX_SAFE_INTEGER, "x": -12.5}


@pytest.mark.parametrize("text", ["\\u0000", "\\u001b", "\\u007f", "\\ud800", "\\udfff"])
def test_control_characters_and_lone_surrogates_are_refused(text):
    refused = refusal(('{"nom": "a' + text + 'b"}').encode())
    assert refused.code == "invalid_character" and refused.details[0].field == "nom"


def test_tabs_and_line_breaks_pass_and_every_string_is_composed():
    decomposed = unicodedata.normalize("NFD", "Éloïse")
    data = read_json(('{"prenoms": ["' + decomposed + '"], "motif": "a\\tb\\nc"}').encode())
    assert data == {"prenoms": ["Éloïse"], "motif": "a\tb\nc"}
    assert unicodedata.is_normalized("NFC", data["prenoms"][0])


@pytest.mark.parametrize("raw", [b"{", b'{"a": 1,}', b"\xff\xfe", b"{'a': 1}", b'{"a": 1} {"b": 2}'])
def test_what_is_not_strict_json_is_invalid_json(raw):
    assert refusal(raw).code == "invalid_json"


def test_ten_thousand_levels_are_refused_without_exhausting_the_stack():
    assert refusal(b"[" * 10_000 + b"]" * 10_000).code == "json_too_deep"
