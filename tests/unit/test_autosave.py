"""What is typed in a step before it is saved (domain.requests.check_autosave): kept as it is, only
bounded in shape, with a French message per field."""
from __future__ import annotations

import pytest

from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.requests import (CivilStatusStep, ConsentStep, ContactStep, autosave_fields,
                                        check_autosave)


def test_any_subset_of_the_steps_fields_is_kept_as_typed():
    typed = {"birth_name": "Jou", "birth_date": "2006-0", "usage_name": None, "sex": "",
             "legal_representative": {"address": {"street_name": "de l'Atl", "extra": {"deep": True}}},
             "birth_place": {"country": "FR"}}
    assert check_autosave(CivilStatusStep, typed) == typed
    assert check_autosave(ContactStep, {}) == {}
    assert check_autosave(ContactStep, {"address": [{"a": "b"}] * 20}) == {"address": [{"a": "b"}] * 20}


def test_the_fields_the_service_sets_are_not_typed():
    assert "recorded_at" not in autosave_fields(ConsentStep) and "mediator_account_id" not in autosave_fields(
        ConsentStep)
    with pytest.raises(InvalidInput) as refused:
        check_autosave(ConsentStep, {"recorded_at": "2026-01-01"})
    assert refused.value.code == "unknown_field" and "recorded_at" in refused.value.message


@pytest.mark.parametrize("typed,field,code", [
    ({"email": 3}, "email", "number_refused"),
    ({"email": True, "mobile_phone": 6.0}, "mobile_phone", "number_refused"),
    ({"email": "x" * 501}, "email", "string_too_long"),
    ({"address": ["x"] * 21}, "address", "list_too_long"),
    ({"address": {"a": {"b": {"c": {}}}}}, "address.a.b.c", "too_deep"),
    ({"address": [{"a": {"b": {"c": {}}}}]}, "address.0.a.b.c", "too_deep"),
    ({"address": {"k" * 101: "x"}}, "address", "key_invalid"),
])
def test_shapes_out_of_bounds_are_refused_per_field(typed, field, code):
    with pytest.raises(InvalidInput) as refused:
        check_autosave(ContactStep, typed)
    assert refused.value.code == "validation_failed"
    assert [(d.field, d.code) for d in refused.value.details] == [(field, code)]
    assert all(d.message for d in refused.value.details)
