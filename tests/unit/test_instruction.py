"""Instruction rules (domain/instruction.py): authorities and queues, the NEPH's shape, reasons."""
from __future__ import annotations

from datetime import date

import pytest

from chalicelib.domain.instruction import (CERT, MAX_ORDER, NEPH_OFFICES, DecisionKind, NephExhausted,
                                           authority_for, check_reasons, first_day_of_next_month, identity_key,
                                           is_neph, neph, neph_prefix, neph_prefixes, next_order, reason_text)
from chalicelib.domain.procedures import Procedure


def test_registrations_go_to_the_ddt_of_the_departement_and_titles_to_the_cert():
    assert authority_for(Procedure.EXAM_REGISTRATION, "92") == "DDT-92"
    assert authority_for(Procedure.REGISTRATION_AFTER_INVALIDATION, "2a") == "DDT-2A"
    for procedure in (Procedure.LICENCE_AFTER_EXAM, Procedure.LICENCE_AFTER_TRAINING, Procedure.PROFESSIONAL_DIPLOMA):
        assert authority_for(procedure, "92") == CERT
    from chalicelib.resources import CATALOGUE

    family = CATALOGUE.queue_family("instruction")  # each authority is a member of the queue family
    assert family.queue_logical(authority_for(Procedure.EXAM_REGISTRATION, "92").lower()) == "instruction-ddt-92"
    assert family.queue_logical(CERT.lower(), returning=True) == "instruction-cert-retours"


def test_the_neph_reads_like_the_seeds_example():
    assert neph(neph_prefix(date(2017, 3, 14), "92"), 12) == "170392100012"  # the seed's 170392100012
    assert neph_prefix(date(2026, 11, 28), "2B") == "26112010"
    assert neph_prefix(date(2026, 11, 28), "974") == "26119740"
    assert all(is_neph(neph(neph_prefix(date(2026, 1, 1), d), 1)) for d in ("01", "2A", "976"))
    with pytest.raises(NephExhausted):
        neph("26119210", 10_000)
    with pytest.raises(ValueError):
        neph_prefix(date(2026, 1, 1), "9")


def test_a_month_opens_the_offices_of_a_departement_one_after_the_other_with_valid_distinct_prefixes():
    day = date(2026, 11, 28)
    assert neph_prefixes(day, "92")[:3] == ("26119210", "26119211", "26119212")  # the prefecture's office first
    assert neph_prefixes(day, "974") == tuple(f"2611974{n}" for n in range(10))  # within 974's own codes
    for departement in ("01", "2A", "69", "971", "976"):
        prefixes = neph_prefixes(day, departement)
        assert len(set(prefixes)) == len(NEPH_OFFICES) and all(is_neph(neph(p, MAX_ORDER)) for p in prefixes)
    overseas = [set(neph_prefixes(day, d)) for d in ("971", "972", "973", "974", "976")]
    assert all(a.isdisjoint(b) for i, a in enumerate(overseas) for b in overseas[i + 1:])
    assert first_day_of_next_month(day) == date(2026, 12, 1)
    assert first_day_of_next_month(date(2026, 12, 31)) == date(2027, 1, 1)


class Offices:
    """The counters and holes of a département's month, in memory, for next_order."""

    def __init__(self, counters=None, holes=None):
        self.counters = dict(counters or {})
        self.holes = {prefix: sorted(orders) for prefix, orders in (holes or {}).items()}

    def first_hole(self, prefix):
        return (self.holes.get(prefix) or [None])[0]

    def reserve_order(self, prefix):
        if self.counters.get(prefix, 0) >= MAX_ORDER:
            return None
        self.counters[prefix] = self.counters.get(prefix, 0) + 1
        return self.counters[prefix]

    def next(self, prefixes):
        prefix, order, from_hole = next_order(prefixes, self.first_hole, self.reserve_order)
        if from_hole:
            self.holes[prefix].remove(order)
        return neph(prefix, order)


def test_the_9999th_number_of_an_office_is_followed_by_the_first_of_the_next_office():
    prefixes = neph_prefixes(date(2026, 11, 28), "13")
    offices = Offices({prefixes[0]: MAX_ORDER - 1})
    assert [offices.next(prefixes) for _ in range(3)] == ["261113109999", "261113110001", "261113110002"]
    assert offices.counters[prefixes[0]] == MAX_ORDER  # a full office's counter stays at its last order


def test_holes_of_a_full_office_are_given_before_the_next_office_goes_on():
    prefixes = neph_prefixes(date(2026, 11, 28), "13")
    offices = Offices({prefixes[0]: MAX_ORDER, prefixes[1]: 40}, holes={prefixes[0]: [9000, 17]})
    assert [offices.next(prefixes) for _ in range(3)] == ["261113100017", "261113109000", "261113110041"]


def test_when_every_office_is_full_the_month_is_exhausted_without_touching_a_counter_further():
    prefixes = neph_prefixes(date(2026, 11, 28), "75")
    offices = Offices({prefix: MAX_ORDER for prefix in prefixes})
    with pytest.raises(NephExhausted) as exhausted:
        offices.next(prefixes)
    assert exhausted.value.prefixes == prefixes
    assert set(offices.counters.values()) == {MAX_ORDER}
    offices.holes[prefixes[-1]] = [5]  # a decision that did not commit gives its number back
    assert offices.next(prefixes) == "261175190005"


def test_the_same_person_has_the_same_identity_key_whatever_the_typing():
    one = identity_key("Le Blanc-Dupré", "Éloïse, Marie", date(2008, 2, 29))
    assert one == identity_key("LE BLANC DUPRE", "eloise marie", date(2008, 2, 29))
    assert one != identity_key("Le Blanc-Dupré", "Éloïse, Marie", date(2008, 3, 1))


def test_a_complement_or_a_rejection_says_why_from_the_list():
    assert check_reasons(DecisionKind.VALIDATE, [], None) == []
    assert [p.code for p in check_reasons(DecisionKind.COMPLEMENT, [], None)] == ["reason_required"]
    assert [p.code for p in check_reasons(DecisionKind.REJECT, ["piece-illisible"], None)] == ["reason_unknown"]
    assert [p.code for p in check_reasons(DecisionKind.REJECT, ["autre"], "  ")] == ["comment_required"]
    assert reason_text(DecisionKind.COMPLEMENT, ["domicile-ancien", "autre"], "Facture au nom du père") == (
        "Le justificatif de domicile a plus de 6 mois ; Facture au nom du père.")
    # The agent's own sentence ends as they wrote it: no second full stop.
    assert reason_text(DecisionKind.COMPLEMENT, ["domicile-ancien"], "Joignez une facture récente.") == (
        "Le justificatif de domicile a plus de 6 mois ; Joignez une facture récente.")


def _request(**changes):
    from datetime import datetime, timezone

    from chalicelib.domain.procedures import Mandate, RequestStatus
    from chalicelib.domain.requests import Request

    now = datetime(2026, 11, 20, 9, tzinfo=timezone.utc)
    values = dict(request_id="261100000001", procedure=Procedure.EXAM_REGISTRATION, mandate=Mandate.NONE,
                  status=RequestStatus.UNDER_REVIEW, created_by="x", created_at=now, updated_at=now, submitted_at=now,
                  steps={"civil_status": {"birth_name": "Joun", "first_names": "Testun", "sex": "M",
                                          "birth_date": "2000-01-01"},
                         "categories": {"categories": ["B"], "training_path": "traditionnelle", "has_licence": False,
                                        "first_request": True}})
    return Request(**{**values, **changes})


ACCEPTED = {d: {"state": "accepted"} for d in ("identite", "domicile")} | {
    "ephoto": {"state": "accepted", "code": "AB12CD34EF56GH78IJ90KL"}}


def test_pre_checks_of_a_clean_request_are_all_fine():
    from chalicelib.domain.instruction import pre_checks

    checks = {c.code: c for c in pre_checks(_request(), ACCEPTED, ephoto_owner="261100000001", existing_neph=None,
                                             day=date(2026, 11, 28))}
    assert [checks[c].ok for c in ("age", "documents", "ephoto", "neph", "identity")] == [True] * 5
    assert checks["legal_representative"].ok is None  # an adult
    assert "NEPH sera attribué" in checks["neph"].detail


def test_pre_checks_point_at_what_the_agent_should_look_at():
    from chalicelib.domain.instruction import pre_checks

    young = _request(steps={**_request().steps, "civil_status": {**_request().steps["civil_status"],
                                                                 "birth_date": "2010-06-01"}},
                     identity_divergence=["birth_date"])
    documents = {**ACCEPTED, "domicile": {"state": "refused", "reason": "Illisible."}}
    checks = {c.code: c for c in pre_checks(young, documents, ephoto_owner="261100000999",
                                            existing_neph="170392100012", day=date(2026, 11, 28))}
    assert all(checks[c].ok is False for c in ("age", "legal_representative", "documents", "ephoto", "neph",
                                               "identity"))
    assert "17 ans" in checks["age"].detail and "261100000999" in checks["ephoto"].detail
    assert "doublon" in checks["neph"].detail and "Date de naissance" in checks["identity"].detail


def test_a_validation_must_name_every_check_to_verify_and_only_those_count():
    from chalicelib.domain.instruction import PreCheck, unacknowledged

    checks = [PreCheck("age", "Âge minimal", True, "Conforme."), PreCheck("neph", "NEPH existant", False, "doublon"),
              PreCheck("identity", "Identité", False, "Date de naissance"), PreCheck("legal", "Mineur", None, "")]
    assert [c.code for c in unacknowledged(checks, [])] == ["neph", "identity"]
    assert [c.code for c in unacknowledged(checks, ["neph", "age", "legal"])] == ["identity"]
    assert unacknowledged(checks, ["identity", "neph"]) == []
    assert checks[1].statement() == "NEPH existant : doublon"


def test_a_note_is_refused_empty_or_past_its_length_and_says_so():
    from chalicelib.domain.instruction import NOTE_MAX_CHARS, note_problem

    assert note_problem("Vu.") is None and note_problem("x" * NOTE_MAX_CHARS) is None
    assert "Écrivez" in note_problem(" \n ")
    assert f"{NOTE_MAX_CHARS + 1} ici" in note_problem("x" * (NOTE_MAX_CHARS + 1))


def test_an_agent_works_the_queue_of_their_service_only():
    from chalicelib.domain.instruction import agent_authority

    assert agent_authority("instructeur-ddt", "2a") == "DDT-2A"
    assert agent_authority("instructeur-cert", "69") == "CERT"
    assert agent_authority("instructeur-ddt", None) is None  # a DDT agent without département has no queue
    assert agent_authority("prefecture", "69") is None and agent_authority("auto-ecole", "69") is None


def test_a_claim_runs_until_its_lease_ends():
    from datetime import datetime, timedelta, timezone

    from chalicelib.domain.instruction import Claim

    now = datetime(2026, 12, 1, 9, tzinfo=timezone.utc)
    claim = Claim(request_id="261100000001", agent_id="a", agent_name="Claire Arnaud", authority="DDT-92",
                  returning=False, receipt_handle="h", claimed_at=now, lease_until=now + timedelta(minutes=15))
    assert claim.active(now) and claim.active(now + timedelta(minutes=14, seconds=59))
    assert not claim.active(now + timedelta(minutes=15)) and not claim.active(now + timedelta(minutes=16))
