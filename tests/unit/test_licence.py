"""The licence's pure rules: the partners' signature and replay window, who may send what, how an
event moves a licence (out of order, skipping steps), and the time-based steps."""
from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta, timezone

import pytest

from chalicelib.domain import licence as rules
from chalicelib.domain.errors import Conflict, Forbidden, InvalidInput, Unauthenticated
from chalicelib.domain.licence import Partner, PartnerEventInput, PartnerEventKind as K
from chalicelib.domain.procedures import RequestStatus as S

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=timezone.utc)
KEY = b"0123456789abcdef"


def test_the_canonical_string_is_four_lines_and_the_signature_its_hex_hmac():
    body = b'{"event":"remis"}'
    canonical = rules.canonical_string("1796119200", "post", "/partenaires/evenements", body)
    assert canonical == f"1796119200\nPOST\n/partenaires/evenements\n{hashlib.sha256(body).hexdigest()}"
    expected = hmac.new(KEY, canonical.encode(), hashlib.sha256).hexdigest()
    assert rules.sign(KEY, "1796119200", "POST", "/partenaires/evenements", body) == expected
    rules.check_signature(KEY, expected.upper(), "1796119200", "POST", "/partenaires/evenements", body)


@pytest.mark.parametrize("change", ["body", "key", "timestamp", "path"])
def test_any_change_to_what_was_signed_breaks_the_signature(change):
    signature = rules.sign(KEY, "100", "POST", "/p", b"{}")
    args = {"key": KEY, "timestamp": "100", "path": "/p", "body": b"{}"}
    args[change] = {"body": b"{ }", "key": b"other", "timestamp": "101", "path": "/q"}[change]
    with pytest.raises(Unauthenticated) as refused:
        rules.check_signature(args["key"], signature, args["timestamp"], "POST", args["path"], args["body"])
    assert refused.value.code == "signature_invalid"


def test_the_timestamp_must_be_within_five_minutes_either_way_and_numeric():
    now = int(NOW.timestamp())
    rules.check_timestamp(str(now - 299), NOW)
    rules.check_timestamp(str(now + 299), NOW)
    for bad in (str(now - 301), str(now + 301), "2026-12-01T10:00:00Z", ""):
        with pytest.raises(Unauthenticated) as refused:
            rules.check_timestamp(bad, NOW)
        assert refused.value.code == "timestamp_out_of_window"


def test_an_unknown_partner_is_refused_like_a_bad_signature():
    with pytest.raises(Unauthenticated) as refused:
        rules.partner_named("ups")
    assert refused.value.code == "signature_invalid"
    assert rules.partner_named("la-poste") is Partner.POST
    assert rules.secret_logical(Partner.PRINTER) == "partner-imprimerie-nationale"


def test_the_printer_ships_and_la_poste_notifies_delivers_and_returns():
    rules.check_may_send(Partner.PRINTER, K.SHIPPED)
    for kind in (K.NOTICE, K.DELIVERED, K.RETURNED):
        rules.check_may_send(Partner.POST, kind)
        with pytest.raises(Forbidden):
            rules.check_may_send(Partner.PRINTER, kind)
    with pytest.raises(Forbidden) as refused:
        rules.check_may_send(Partner.POST, K.SHIPPED)
    assert "La Poste" in refused.value.message


def test_an_event_says_what_its_kind_needs():
    base = {"event_id": "evt-00000001", "reference": "261200000001", "occurred_at": NOW.isoformat()}
    with pytest.raises(ValueError, match="tracking_number"):
        PartnerEventInput.model_validate({**base, "event": "expedie"})
    with pytest.raises(ValueError, match="post_office"):
        PartnerEventInput.model_validate({**base, "event": "avise"})
    with pytest.raises(ValueError, match="fuseau"):
        PartnerEventInput.model_validate({**base, "event": "remis", "occurred_at": "2026-12-01T10:00:00"})
    assert PartnerEventInput.model_validate({**base, "event": "remis"}).event is K.DELIVERED
    with pytest.raises(InvalidInput):
        rules.check_not_in_future(NOW + timedelta(hours=1), NOW)


@pytest.mark.parametrize("current, kind, chain", [
    (S.IN_PRODUCTION, K.SHIPPED, (S.SHIPPED,)),
    (S.SHIPPED, K.DELIVERED, (S.DELIVERED,)),
    (S.SHIPPED, K.NOTICE, (S.AT_POST_OFFICE,)),
    (S.AT_POST_OFFICE, K.DELIVERED, (S.DELIVERED,)),
    (S.AT_POST_OFFICE, K.RETURNED, (S.RETURNED,)),
    # Skipped steps are moved through.
    (S.IN_PRODUCTION, K.DELIVERED, (S.SHIPPED, S.DELIVERED)),
    (S.IN_PRODUCTION, K.NOTICE, (S.SHIPPED, S.AT_POST_OFFICE)),
    (S.SHIPPED, K.RETURNED, (S.AT_POST_OFFICE, S.RETURNED)),
])
def test_an_event_moves_the_licence_through_the_steps_it_implies(current, kind, chain):
    planned = rules.plan(current, kind, NOW, NOW - timedelta(days=1), resend_requested=False)
    assert planned.chain == chain and planned.outcome == "applied"


def test_an_event_older_than_the_last_one_applied_is_acknowledged_without_going_back():
    late = rules.plan(S.DELIVERED, K.SHIPPED, NOW - timedelta(days=2), NOW - timedelta(days=1), False)
    assert late.chain == () and late.outcome == "late"
    assert rules.plan(S.SHIPPED, K.SHIPPED, NOW, NOW - timedelta(days=1), False).outcome == "already"


def test_an_event_the_status_does_not_allow_is_refused_with_the_status():
    for current, kind in ((S.DELIVERED, K.SHIPPED), (S.DESTROYED, K.DELIVERED), (S.RETURNED, K.SHIPPED),
                          (S.DELIVERED, K.RETURNED), (S.AT_POST_OFFICE, K.SHIPPED)):
        with pytest.raises(Conflict) as refused:
            rules.plan(current, kind, NOW, NOW - timedelta(days=1), resend_requested=False)
        assert refused.value.code == "event_not_allowed_now" and refused.value.current["status"] == current.value


def test_a_returned_licence_whose_resend_was_asked_starts_a_new_shipment():
    assert rules.plan(S.RETURNED, K.SHIPPED, NOW, None, resend_requested=True).chain == (S.SHIPPED,)
    assert rules.plan(S.RETURNED, K.DELIVERED, NOW, None, resend_requested=True).chain == (S.SHIPPED, S.DELIVERED)


def test_the_time_based_steps():
    noticed = NOW
    deadline = rules.collect_by(noticed)
    assert deadline == NOW + timedelta(days=15)
    assert rules.due_step(S.AT_POST_OFFICE, deadline - timedelta(seconds=1), collect_deadline=deadline,
                          resend_deadline=None, resend_requested=False, warned=False) is None
    assert rules.due_step(S.AT_POST_OFFICE, deadline, collect_deadline=deadline, resend_deadline=None,
                          resend_requested=False, warned=False) == "return"
    until = rules.resend_until(deadline)
    assert until == datetime(2027, 6, 16, 10, 0, tzinfo=timezone.utc)
    common = {"collect_deadline": deadline, "resend_deadline": until}
    assert rules.due_at(S.RETURNED, resend_requested=False, warned=False, **common) == until - timedelta(days=15)
    assert rules.due_step(S.RETURNED, until - timedelta(days=15), resend_requested=False, warned=False,
                          **common) == "warn"
    assert rules.due_step(S.RETURNED, until - timedelta(days=1), resend_requested=False, warned=True, **common) is None
    assert rules.due_at(S.RETURNED, resend_requested=False, warned=True, **common) == until
    assert rules.due_step(S.RETURNED, until, resend_requested=False, warned=True, **common) == "destroy"
    assert rules.due_step(S.RETURNED, until, resend_requested=False, warned=False, **common) == "destroy"
    # A resend asked for stops the timer.
    assert rules.due_at(S.RETURNED, resend_requested=True, warned=False, **common) is None
    assert rules.due_step(S.RETURNED, until, resend_requested=True, warned=True, **common) is None


def test_months_are_added_to_the_last_day_of_shorter_months():
    assert rules.add_months(datetime(2026, 8, 31, tzinfo=timezone.utc), 6) == datetime(2027, 2, 28, tzinfo=timezone.utc)
    assert rules.add_months(datetime(2026, 12, 15, tzinfo=timezone.utc), 6) == datetime(2027, 6, 15, tzinfo=timezone.utc)


def test_a_resend_is_asked_for_a_returned_licence_within_its_months():
    until = NOW + timedelta(days=10)
    rules.check_resend(S.RETURNED, NOW, until, resend_requested=False)
    for status, now, requested, code in ((S.RETURNED, until, False, "resend_too_late"),
                                         (S.DESTROYED, NOW, False, "resend_too_late"),
                                         (S.SHIPPED, NOW, False, "resend_not_possible"),
                                         (S.RETURNED, NOW, True, "resend_already_requested")):
        with pytest.raises(Conflict) as refused:
            rules.check_resend(status, now, until, requested)
        assert refused.value.code == code and refused.value.current["status"] == status.value
    with pytest.raises(Conflict) as refused:
        rules.check_resend(S.DESTROYED, NOW, None, False)
    assert "nouvelle demande" in refused.value.message
