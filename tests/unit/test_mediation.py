"""The pure rules of assisted filing (issue 9): the mediation mandate, the consent step, the contact
step without email, and the letter of a notice."""
from datetime import date, datetime, timezone

import pytest
from pydantic import ValidationError

from chalicelib.domain import notifications
from chalicelib.domain.errors import NotFound
from chalicelib.domain.procedures import (Mandate, Procedure, RequestStatus, allowed_moves, may_file,
                                          submission_status)
from chalicelib.domain.requests import (ConsentStep, MediatedContactStep, Request, consent_problem, missing,
                                        step_model)

ADDRESS = {"number": "3", "street_type": "PL", "street_name": "Bellecour", "postal_code": "69002", "commune": "69382"}
CONSENT = {"birth_name": "Dupont", "first_names": "Léa", "method": "oral-en-presence", "consented_on": "2026-11-30"}


def draft(**steps) -> Request:
    now = datetime(2026, 12, 1, tzinfo=timezone.utc)
    return Request(request_id="261200000001", procedure=Procedure.EXAM_REGISTRATION, mandate=Mandate.MEDIATION,
                   status=RequestStatus.DRAFT, created_by="m", created_at=now, updated_at=now, steps=steps,
                   mediator_account_id="m", structure_name="France Services de Villeurbanne")


def test_the_mediation_mandate_files_what_a_candidate_files_and_skips_the_email_validation():
    assert may_file(Procedure.EXAM_REGISTRATION, Mandate.MEDIATION)
    assert not may_file(Procedure.LICENCE_AFTER_TRAINING, Mandate.MEDIATION)
    assert submission_status(Mandate.MEDIATION) is RequestStatus.IMAGE_CHECK
    assert RequestStatus.AWAITING_CANDIDATE_VALIDATION not in allowed_moves(RequestStatus.DRAFT,
                                                                            mandate=Mandate.MEDIATION)


def test_only_a_mediation_request_has_a_consent_step_and_a_contact_without_email():
    assert step_model("consent", Mandate.MEDIATION) is ConsentStep
    assert step_model("contact", Mandate.MEDIATION) is MediatedContactStep
    with pytest.raises(NotFound) as unknown:
        step_model("consent", Mandate.PAPER)
    assert unknown.value.code == "step_unknown" and "consent" not in unknown.value.message
    assert MediatedContactStep.model_validate({"address": ADDRESS}).email is None
    assert MediatedContactStep.model_validate({"address": ADDRESS, "mobile_phone": "0692 12 34 56"}).mobile_phone \
        == "+262692123456"  # an overseas mobile is French
    with pytest.raises(ValidationError, match="portable français"):
        MediatedContactStep.model_validate({"address": ADDRESS, "mobile_phone": "+44 7700 900123"})


def test_the_consent_says_who_how_and_when_and_is_never_in_the_future():
    consent = ConsentStep.model_validate(CONSENT)
    assert consent.describe("France Services de Villeurbanne") == (
        "Demande déposée avec France Services de Villeurbanne : consentement de Léa Dupont (consentement oral, donné "
        "en présence du médiateur) le 30/11/2026.")
    with pytest.raises(ValidationError, match="futur"):
        ConsentStep.model_validate({**CONSENT, "consented_on": date(2999, 1, 1).isoformat()})
    with pytest.raises(ValidationError):
        ConsentStep.model_validate({**CONSENT, "method": "telephone"})


def test_the_consent_must_be_the_person_of_the_civil_status_accents_and_case_aside():
    civil = {"birth_name": "DUPONT", "first_names": "Lea", "birth_date": "2004-05-06"}
    assert consent_problem(draft(civil_status=civil)).code == "consent_missing"
    assert consent_problem(draft(civil_status=civil, consent=CONSENT)) is None
    mismatch = consent_problem(draft(civil_status=civil, consent={**CONSENT, "birth_name": "Martin"}))
    assert mismatch.code == "consent_name_mismatch"
    assert "consent" in [p.field for p in missing(draft(civil_status=civil), date(2026, 12, 1))]


def test_a_notice_becomes_a_letter_signed_by_the_mediator_s_structure():
    notice = notifications.Notice("Permis en ligne : votre demande n° 1 est validée", ("Elle est validée.",), "SMS")
    letter = notifications.notice_letter(notice, recipient="Léa Dupont", address="3 place Bellecour, 69002 Lyon",
                                         structure="France Services de Villeurbanne",
                                         at=datetime(2026, 12, 1, tzinfo=timezone.utc), mediator_account_id="m",
                                         request_id="1")
    assert letter.text.startswith("Permis en ligne : votre demande n° 1 est validée\n\nBonjour Léa Dupont,")
    assert "Elle est validée." in letter.text and "(France Services de Villeurbanne)" in letter.text
