"""Instruction rules (domain/instruction.py): authorities and queues, the NEPH's shape, reasons."""
from __future__ import annotations

from datetime import date

import pytest

from chalicelib.domain.instruction import (CERT, DecisionKind, NephExhausted, authority_for, check_reasons,
                                           identity_key, is_neph, neph, neph_prefix, reason_text)
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


def test_the_median_of_the_delays_is_the_middle_one_or_the_mean_of_the_two_middle_ones():
    from chalicelib.domain.instruction import median

    assert median([]) is None
    assert median([30, 10, 20]) == 20.0
    assert median([40, 10, 30, 20]) == 25.0


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
