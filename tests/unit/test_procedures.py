from datetime import datetime, timezone

import pytest
from pydantic import ValidationError

from chalicelib.domain.accounts import Role
from chalicelib.domain.errors import Conflict
from chalicelib.domain.procedures import (
    AUTHORITY,
    CANDIDATE_PROCEDURES,
    PROCEDURE_LABELS,
    PRODUCTION_PROCEDURES,
    REGISTRATION_PROCEDURES,
    STATUS_LABELS,
    TERMINAL_STATUSES,
    TRANSITIONS,
    Mandate,
    Procedure,
    RequestStatus,
    Transition,
    allowed_moves,
    can_move,
    check_transition,
    may_file,
    submission_status,
)

S = RequestStatus
AT = datetime(2025, 3, 14, 9, 30, tzinfo=timezone.utc)
# Sorted: a set's order changes with each process's hash seed, and every pytest-xdist worker must collect the same list.
ALLOWED = [(current, target) for current, targets in TRANSITIONS.items() for target in sorted(targets)]
FORBIDDEN = [(current, target) for current in S for target in S if target not in TRANSITIONS[current]]


# --- procedures ------------------------------------------------------------------------------

def test_every_procedure_has_a_french_label_and_an_authority():
    assert set(PROCEDURE_LABELS) == set(Procedure) == set(AUTHORITY)
    assert PROCEDURE_LABELS[Procedure.LICENCE_AFTER_EXAM] == (
        "Demande de fabrication de titre après réussite à l'examen du permis de conduire")
    assert {p for p, a in AUTHORITY.items() if a == "DDT"} == REGISTRATION_PROCEDURES
    assert {p for p, a in AUTHORITY.items() if a == "CERT"} == PRODUCTION_PROCEDURES


def test_a_candidate_files_everything_but_the_production_after_a_training_course():
    assert CANDIDATE_PROCEDURES == set(Procedure) - {Procedure.LICENCE_AFTER_TRAINING}
    assert not may_file(Procedure.LICENCE_AFTER_TRAINING, Mandate.SELF)
    assert may_file(Procedure.LICENCE_AFTER_TRAINING, Mandate.PAPER)
    assert may_file(Procedure.LICENCE_AFTER_TRAINING, Mandate.NONE)
    assert all(may_file(p, Mandate.SELF) for p in CANDIDATE_PROCEDURES)


# --- statuses --------------------------------------------------------------------------------

def test_every_status_has_an_official_french_label():
    assert set(STATUS_LABELS) == set(S) == set(TRANSITIONS)
    assert len(set(STATUS_LABELS.values())) == len(S)
    assert STATUS_LABELS[S.AWAITING_CANDIDATE_VALIDATION] == "Attente validation usager"
    assert STATUS_LABELS[S.AT_POST_OFFICE] == "Disponible en bureau de poste"
    assert STATUS_LABELS[S.EXPIRED] == "Expirée"
    assert "Transférée" not in STATUS_LABELS.values()


def test_the_statuses_are_exactly_those_of_the_domain_plus_expired():
    assert set(STATUS_LABELS.values()) == {
        "Brouillon", "Attente validation usager", "Vérification des images", "En cours d'instruction",
        "Complément demandé", "Validée", "Rejetée", "Titre en production", "Titre expédié",
        "Disponible en bureau de poste", "Titre remis", "Retourné", "Détruit", "Expirée"}


@pytest.mark.parametrize(("current", "target"), ALLOWED)
def test_every_move_of_the_table_is_allowed(current, target):
    assert can_move(current, target)
    check_transition(current, target)


@pytest.mark.parametrize(("current", "target"), FORBIDDEN)
def test_every_move_outside_the_table_is_refused(current, target):
    assert not can_move(current, target)


@pytest.mark.parametrize(("current", "target"), [
    (S.DELIVERED, S.DRAFT),
    (S.DRAFT, S.APPROVED),
    (S.IMAGE_CHECK, S.APPROVED),
    (S.IMAGE_CHECK, S.IMAGE_CHECK),
    (S.AWAITING_CANDIDATE_VALIDATION, S.UNDER_REVIEW),
    (S.REJECTED, S.UNDER_REVIEW),
    (S.MORE_INFORMATION_REQUESTED, S.APPROVED),
    (S.DESTROYED, S.SHIPPED),
    (S.IN_PRODUCTION, S.DELIVERED),
    (S.SHIPPED, S.RETURNED),
])
def test_an_illegal_move_raises_a_conflict_carrying_the_current_status(current, target):
    with pytest.raises(Conflict) as raised:
        check_transition(current, target)
    error = raised.value
    assert error.code == "illegal_transition"
    assert error.current == {"status": current.value, "status_label": STATUS_LABELS[current]}
    assert f"« {STATUS_LABELS[current]} »" in error.message
    assert f"« {STATUS_LABELS[target]} »" in error.message


def test_the_refusal_says_what_the_request_can_become_or_that_it_is_final():
    with pytest.raises(Conflict) as raised:
        check_transition(S.UNDER_REVIEW, S.SHIPPED)
    assert "Elle peut passer à : « Complément demandé », « Validée », « Rejetée »." in raised.value.message
    with pytest.raises(Conflict) as raised:
        check_transition(S.DELIVERED, S.SHIPPED)
    assert "C'est un statut final." in raised.value.message


def test_only_rejection_delivery_and_destruction_are_final():
    assert TERMINAL_STATUSES == {S.REJECTED, S.DELIVERED, S.DESTROYED}


def test_every_status_is_reachable_from_the_draft():
    seen, todo = {S.DRAFT}, [S.DRAFT]
    while todo:
        for target in TRANSITIONS[todo.pop()]:
            if target not in seen:
                seen.add(target)
                todo.append(target)
    assert seen == set(S)


# --- narrower rules per mandate and procedure -------------------------------------------------

def test_submission_waits_for_the_candidate_only_without_mandate():
    assert submission_status(Mandate.NONE) is S.AWAITING_CANDIDATE_VALIDATION
    assert submission_status(Mandate.PAPER) is S.IMAGE_CHECK
    assert submission_status(Mandate.SELF) is S.IMAGE_CHECK
    for mandate in Mandate:
        assert allowed_moves(S.DRAFT, mandate=mandate) == {submission_status(mandate)}


def test_a_paper_mandate_never_waits_for_the_candidate():
    with pytest.raises(Conflict) as raised:
        check_transition(S.DRAFT, S.AWAITING_CANDIDATE_VALIDATION, mandate=Mandate.PAPER)
    assert "Seule une demande faite sans mandat attend la validation du candidat." in raised.value.message
    assert raised.value.current["status"] == "brouillon"


def test_without_mandate_the_images_are_not_checked_before_the_candidate_validates():
    with pytest.raises(Conflict) as raised:
        check_transition(S.DRAFT, S.IMAGE_CHECK, mandate=Mandate.NONE)
    assert "le candidat doit d'abord valider la demande" in raised.value.message


def test_an_expired_request_goes_back_to_the_candidate_or_to_the_draft():
    assert allowed_moves(S.EXPIRED, mandate=Mandate.NONE) == {S.AWAITING_CANDIDATE_VALIDATION, S.DRAFT}
    assert can_move(S.AWAITING_CANDIDATE_VALIDATION, S.EXPIRED)


@pytest.mark.parametrize("procedure", sorted(REGISTRATION_PROCEDURES))
def test_a_validated_registration_is_not_produced(procedure):
    assert allowed_moves(S.APPROVED, procedure=procedure) == frozenset()
    with pytest.raises(Conflict) as raised:
        check_transition(S.APPROVED, S.IN_PRODUCTION, procedure=procedure)
    assert "ne donne pas lieu à la fabrication d'un titre" in raised.value.message
    assert "C'est un statut final." in raised.value.message


@pytest.mark.parametrize("procedure", sorted(PRODUCTION_PROCEDURES))
def test_a_validated_production_request_goes_to_the_printer(procedure):
    check_transition(S.APPROVED, S.IN_PRODUCTION, procedure=procedure)


def test_a_returned_licence_is_sent_again_or_destroyed():
    assert allowed_moves(S.RETURNED) == {S.SHIPPED, S.DESTROYED}


# --- history ---------------------------------------------------------------------------------

def test_a_transition_row_round_trips():
    row = Transition(from_status=S.UNDER_REVIEW, to_status=S.MORE_INFORMATION_REQUESTED,
                     actor_account_id="agent-1", actor_role=Role.INSTRUCTEUR_DDT, at=AT,
                     reason="Le justificatif de domicile a plus de 6 mois.")
    assert Transition.model_validate_json(row.model_dump_json()) == row
    assert row.model_dump(mode="json")["to_status"] == "complement-demande"


def test_the_first_row_has_no_previous_status():
    row = Transition(from_status=None, to_status=S.DRAFT, actor_account_id="school-1",
                     actor_role=Role.AUTO_ECOLE, at=AT)
    assert row.from_status is None


@pytest.mark.parametrize("target", [S.REJECTED, S.MORE_INFORMATION_REQUESTED])
def test_a_rejection_or_a_request_for_documents_must_give_its_reason(target):
    with pytest.raises(ValidationError, match="Indiquez le motif"):
        Transition(from_status=S.UNDER_REVIEW, to_status=target, actor_account_id="agent-1",
                   actor_role=Role.INSTRUCTEUR_CERT, at=AT, reason="  ")


def test_the_system_moves_without_an_account_and_only_the_system_does():
    Transition(from_status=S.AWAITING_CANDIDATE_VALIDATION, to_status=S.EXPIRED, actor_account_id=None,
               actor_role="systeme", at=AT)
    with pytest.raises(ValidationError):
        Transition(from_status=S.AWAITING_CANDIDATE_VALIDATION, to_status=S.EXPIRED, actor_account_id=None,
                   actor_role=Role.AUTO_ECOLE, at=AT)
    with pytest.raises(ValidationError):
        Transition(from_status=S.IN_PRODUCTION, to_status=S.SHIPPED, actor_account_id="someone",
                   actor_role="systeme", at=AT)
