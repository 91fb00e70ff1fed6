"""What each person reads of a request's status: a name they understand, and who acts next."""
import re

import pytest

from chalicelib.domain.accounts import Role
from chalicelib.domain.procedures import (CANDIDATE_VALIDATION_DAYS, POST_OFFICE_HOLD_DAYS, RESEND_REQUEST_MONTHS,
                                          STATUS_LABELS, Mandate, Procedure, RequestStatus)
from chalicelib.domain.status_texts import (AUTOMATIC_ACTOR_LABEL, OPENINGS, Audience, audience_of, filer_audience,
                                            next_step, status_label)

S = RequestStatus
REGISTRATION, PRODUCTION = Procedure.EXAM_REGISTRATION, Procedure.LICENCE_AFTER_EXAM
# Words that would give English (or code) away in a French sentence.
ENGLISH = re.compile(r"\b(the|and|or|of|to|your|you|is|request|status|pending|draft|review|approved|rejected|"
                     r"shipped|returned|school|candidate|none|null|true|false)\b", re.IGNORECASE)
EVERY_CASE = [(status, audience, procedure, mandate, resend)
              for status in S for audience in Audience for procedure in Procedure
              for mandate in (None, *Mandate) for resend in (False, True)]


@pytest.mark.parametrize("status", list(S))
@pytest.mark.parametrize("audience", list(Audience))
def test_every_status_has_a_french_label_for_every_audience(status, audience):
    label = status_label(status, audience)
    assert label and label[0].isupper() and not ENGLISH.search(label)
    assert status.value not in label  # never the code


def test_every_next_step_starts_with_who_acts_and_is_french():
    for status, audience, procedure, mandate, resend in EVERY_CASE:
        text = next_step(status, audience, procedure, mandate=mandate, resend_requested=resend)
        assert text.startswith(OPENINGS), (status, audience, procedure, mandate, text)
        assert len(text) > len("Terminé : ") + 20 and text.endswith((".", "!")), text
        assert not ENGLISH.search(text), (text, ENGLISH.search(text))
        assert "{" not in text and "None" not in text and "  " not in text, text


def test_agents_schools_and_the_public_read_the_official_names():
    for status in S:
        assert status_label(status, Audience.AGENT) == STATUS_LABELS[status]
        assert status_label(status, Audience.ECOLE) == STATUS_LABELS[status]
        if status is not S.AWAITING_CANDIDATE_VALIDATION:
            assert status_label(status, Audience.PUBLIC) == STATUS_LABELS[status]


def test_the_candidate_is_asked_to_validate_in_their_own_words():
    assert status_label(S.AWAITING_CANDIDATE_VALIDATION, Audience.CANDIDAT) == "À valider par vous"
    assert status_label(S.AWAITING_CANDIDATE_VALIDATION, "public") == "En attente de validation par le candidat"
    assert "usager" not in status_label(S.AWAITING_CANDIDATE_VALIDATION, Audience.MEDIATEUR)
    waiting = next_step(S.AWAITING_CANDIDATE_VALIDATION, Audience.CANDIDAT, REGISTRATION, mandate=Mandate.NONE)
    assert waiting.startswith("À vous : ") and f"{CANDIDATE_VALIDATION_DAYS} jours" in waiting
    assert next_step(S.AWAITING_CANDIDATE_VALIDATION, Audience.ECOLE, REGISTRATION).startswith("Au candidat : ")


def test_the_candidate_does_not_read_the_administration_s_jargon():
    candidate = {status: status_label(status, Audience.CANDIDAT) for status in S}
    assert not any("Titre" in label or "images" in label for label in candidate.values())
    assert candidate[S.IN_PRODUCTION] == "Permis en fabrication"


def test_the_public_validee_says_what_happens_next():
    registration = next_step(S.APPROVED, Audience.PUBLIC, REGISTRATION)
    assert registration.startswith("Au candidat : ") and "attestation d'inscription" in registration
    assert "NEPH" in registration and "épreuves" in registration
    production = next_step(S.APPROVED, Audience.PUBLIC, PRODUCTION)
    assert production.startswith("Rien à faire de votre part : ") and "fabrication" in production
    assert registration != "La demande a été validée."


def test_registration_and_production_differ_where_it_matters():
    for audience in (Audience.ECOLE, Audience.CANDIDAT, Audience.MEDIATEUR):
        registration = next_step(S.APPROVED, audience, REGISTRATION)
        assert "attestation d'inscription" in registration and "épreuves" in registration
        assert "fabrication" in next_step(S.APPROVED, audience, PRODUCTION)
    assert "fiche retour au permis" in next_step(S.APPROVED, Audience.ECOLE, Procedure.REGISTRATION_AFTER_INVALIDATION)
    assert "DDT" in next_step(S.UNDER_REVIEW, Audience.CANDIDAT, REGISTRATION)
    assert "CERT" in next_step(S.UNDER_REVIEW, Audience.CANDIDAT, PRODUCTION)
    assert next_step(S.UNDER_REVIEW, Audience.AGENT, PRODUCTION).startswith("À l'instructeur : ")


def test_the_candidate_of_a_school_s_request_is_told_the_school_acts():
    alone = next_step(S.MORE_INFORMATION_REQUESTED, Audience.CANDIDAT, REGISTRATION, mandate=Mandate.SELF)
    for_school = next_step(S.MORE_INFORMATION_REQUESTED, Audience.CANDIDAT, REGISTRATION, mandate=Mandate.NONE)
    assert alone.startswith("À vous : ") and for_school.startswith("À votre auto-école : ")
    assert next_step(S.REJECTED, Audience.CANDIDAT, REGISTRATION, mandate=Mandate.NONE).startswith(
        "À votre auto-école : ")
    assert next_step(S.EXPIRED, Audience.CANDIDAT, REGISTRATION, mandate=Mandate.NONE).startswith("À vous : ")


def test_the_licence_s_delays_come_from_the_procedures():
    post = next_step(S.AT_POST_OFFICE, Audience.CANDIDAT, PRODUCTION)
    assert post.startswith("À vous : ") and f"{POST_OFFICE_HOLD_DAYS} jours" in post and "pièce d'identité" in post
    returned = next_step(S.RETURNED, Audience.ECOLE, PRODUCTION)
    assert f"{RESEND_REQUEST_MONTHS} mois" in returned and "détruit" in returned
    assert next_step(S.RETURNED, Audience.CANDIDAT, PRODUCTION, resend_requested=True).startswith(
        "Rien à faire de votre part : ")
    assert next_step(S.DELIVERED, Audience.CANDIDAT, PRODUCTION).startswith("Terminé : ")
    rejected = next_step(S.REJECTED, Audience.ECOLE, REGISTRATION)
    assert "motif" in rejected and "nouvelle demande" in rejected


def test_who_reads_what():
    assert audience_of(Role.AUTO_ECOLE) is Audience.ECOLE and audience_of("candidat") is Audience.CANDIDAT
    assert audience_of(Role.MEDIATEUR) is Audience.MEDIATEUR and audience_of(Role.INSTRUCTEUR_DDT) is Audience.AGENT
    assert [filer_audience(m) for m in (Mandate.PAPER, Mandate.NONE, Mandate.SELF, Mandate.MEDIATION)] == [
        Audience.ECOLE, Audience.ECOLE, Audience.CANDIDAT, Audience.MEDIATEUR]
    assert AUTOMATIC_ACTOR_LABEL == "Automatiquement"
