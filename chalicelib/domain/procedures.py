"""Procedures (démarches), mandates, categories, training paths, and the request state machine.

The five procedures a driving school files (the seed's list), who instructs each (DDT for the
exam registrations, CERT for the licence productions), and the statuses a request goes through,
with the French names the interface shows. Every status change goes through `check_transition`,
which says in French why a change is refused and carries the current status; each change is
recorded as a `Transition` row (who, when, why), like démarches-simplifiées' transition log.

Category mentions: B96 and code 78 (automatic gearbox) are not categories but mentions on a B
licence. They are modelled as `ComplementaryTraining` (the seed's attestation field "Formation
complémentaire" : Aucune, B96, levée du code 78), next to the requested categories, never inside
`Category`.
"""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import ConfigDict, model_validator

from chalicelib.domain.accounts import Role
from chalicelib.domain.base import Model
from chalicelib.domain.errors import Conflict


# --- procedures ------------------------------------------------------------------------------

class Procedure(StrEnum):
    EXAM_REGISTRATION = "inscription"  # first licence or new category
    REGISTRATION_AFTER_INVALIDATION = "inscription-retour"  # after invalidation or cancellation
    LICENCE_AFTER_EXAM = "titre-examen"  # production after passing the exam
    LICENCE_AFTER_TRAINING = "titre-formation"  # AM, A from A2, B96, lifting code 78: schools only
    PROFESSIONAL_DIPLOMA = "diplome-pro"  # validation of a professional diploma


# The seed's own wording ("Les démarches disponibles").
PROCEDURE_LABELS = {
    Procedure.EXAM_REGISTRATION:
        "Inscription à l'examen du permis de conduire (primo-accédant, extension de catégorie)",
    Procedure.REGISTRATION_AFTER_INVALIDATION:
        "Inscription à l'examen du permis de conduire suite à une invalidation ou annulation de permis",
    Procedure.LICENCE_AFTER_EXAM:
        "Demande de fabrication de titre après réussite à l'examen du permis de conduire",
    Procedure.LICENCE_AFTER_TRAINING:
        "Demande de fabrication de titre à la suite d'une formation (AM, A, B96, levée du code 78)",
    Procedure.PROFESSIONAL_DIPLOMA: "Demande de validation d'un diplôme professionnel",
}

Authority = Literal["DDT", "CERT"]

# The seed's "Répartition des compétences": the DDT instructs registrations, the CERT titles.
AUTHORITY: dict[Procedure, Authority] = {
    Procedure.EXAM_REGISTRATION: "DDT",
    Procedure.REGISTRATION_AFTER_INVALIDATION: "DDT",
    Procedure.LICENCE_AFTER_EXAM: "CERT",
    Procedure.LICENCE_AFTER_TRAINING: "CERT",
    Procedure.PROFESSIONAL_DIPLOMA: "CERT",
}

REGISTRATION_PROCEDURES = frozenset({Procedure.EXAM_REGISTRATION, Procedure.REGISTRATION_AFTER_INVALIDATION})
# The procedures whose validation leads to a printed licence (Titre en production and after).
PRODUCTION_PROCEDURES = frozenset({Procedure.LICENCE_AFTER_EXAM, Procedure.LICENCE_AFTER_TRAINING,
                                   Procedure.PROFESSIONAL_DIPLOMA})

# Who may file what: a school files every procedure; a candidate alone files all but the
# production after a training course, which only the school that gave the course can attest.
SCHOOL_PROCEDURES = frozenset(Procedure)
CANDIDATE_PROCEDURES = frozenset(Procedure) - {Procedure.LICENCE_AFTER_TRAINING}


# --- mandates --------------------------------------------------------------------------------

class Mandate(StrEnum):
    # The student signed a paper mandate kept by the school (6 months at least): no validation by
    # the candidate, no candidate account; the school alone supplies the documents.
    PAPER = "mandat-papier"
    # No mandate: the candidate validates the school's request in one click (7 days).
    NONE = "sans-mandat"
    # The candidate files for themselves.
    SELF = "candidat"
    # A digital mediator (France Services) files with and for a person without internet access,
    # under the person's identity, once their consent is recorded (the request's "consent" step);
    # then it goes on as the person's own request would: no email validation, no candidate account.
    MEDIATION = "mediation"


MANDATE_LABELS = {
    Mandate.PAPER: "Avec mandat papier", Mandate.NONE: "Sans mandat (validation par le candidat)",
    Mandate.SELF: "Demande faite par le candidat",
    Mandate.MEDIATION: "Demande faite avec un médiateur numérique (consentement recueilli)",
}

# A paper mandate is kept by the school for at least this long (not checked: it stays on paper).
PAPER_MANDATE_KEEP_MONTHS = 6


def may_file(procedure: Procedure, mandate: Mandate) -> bool:
    """Whether this procedure can be filed this way (`Mandate.SELF`: by the candidate alone; a
    mediator helps the person file what they could file alone)."""
    return procedure in (CANDIDATE_PROCEDURES if mandate in (Mandate.SELF, Mandate.MEDIATION) else SCHOOL_PROCEDURES)


# --- categories and training -----------------------------------------------------------------

class Category(StrEnum):
    AM = "AM"
    A1 = "A1"
    A2 = "A2"
    A = "A"
    B1 = "B1"
    B = "B"
    BE = "BE"
    C1 = "C1"
    C1E = "C1E"
    C = "C"
    CE = "CE"
    D1 = "D1"
    D1E = "D1E"
    D = "D"
    DE = "DE"


CATEGORY_LABELS = {
    Category.AM: "AM (cyclomoteur, voiturette)", Category.A1: "A1 (motocyclette légère)",
    Category.A2: "A2 (motocyclette de puissance limitée)", Category.A: "A (motocyclette)",
    Category.B1: "B1 (quadricycle lourd)", Category.B: "B (voiture)",
    Category.BE: "BE (voiture avec remorque)", Category.C1: "C1 (camion léger)",
    Category.C1E: "C1E (camion léger avec remorque)", Category.C: "C (poids lourd)",
    Category.CE: "CE (poids lourd avec remorque)", Category.D1: "D1 (minibus)",
    Category.D1E: "D1E (minibus avec remorque)", Category.D: "D (autobus, autocar)",
    Category.DE: "DE (autobus, autocar avec remorque)",
}


class TrainingPath(StrEnum):
    TRADITIONAL = "traditionnelle"
    AAC = "aac"  # apprentissage anticipé de la conduite (conduite accompagnée): category B only
    SUPERVISED = "supervisee"  # conduite supervisée


TRAINING_PATH_LABELS = {
    TrainingPath.TRADITIONAL: "Formation traditionnelle",
    TrainingPath.AAC: "Apprentissage anticipé de la conduite (AAC)",
    TrainingPath.SUPERVISED: "Conduite supervisée",
}


class ComplementaryTraining(StrEnum):
    """The attestation's "Formation complémentaire": mentions on a B licence, not categories."""

    NONE = "aucune"
    B96 = "b96"  # B with a trailer, total 4 250 kg at most (7-hour course)
    CODE_78_LIFTING = "levee-code-78"  # lifting the "automatic gearbox only" restriction (7 hours)


COMPLEMENTARY_TRAINING_LABELS = {
    ComplementaryTraining.NONE: "Aucune",
    ComplementaryTraining.B96: "B96",
    ComplementaryTraining.CODE_78_LIFTING: "Levée du code 78 (boîte de vitesses automatique)",
}


# --- statuses --------------------------------------------------------------------------------

class RequestStatus(StrEnum):
    DRAFT = "brouillon"
    AWAITING_CANDIDATE_VALIDATION = "attente-validation-usager"
    # Returned to the school: the candidate did not validate within 7 days. Nothing is deleted.
    EXPIRED = "expiree"
    IMAGE_CHECK = "verification-images"
    UNDER_REVIEW = "en-instruction"
    MORE_INFORMATION_REQUESTED = "complement-demande"
    APPROVED = "validee"
    REJECTED = "rejetee"
    IN_PRODUCTION = "titre-en-production"
    SHIPPED = "titre-expedie"
    AT_POST_OFFICE = "disponible-bureau-de-poste"
    DELIVERED = "titre-remis"
    RETURNED = "retourne"
    DESTROYED = "detruit"


# The official names (domain.md), plus "Expirée": what agents, schools and the public read. What
# each person reads, and what happens next, is `status_texts` (the candidate's words differ).
STATUS_LABELS = {
    RequestStatus.DRAFT: "Brouillon",
    RequestStatus.AWAITING_CANDIDATE_VALIDATION: "Attente validation usager",
    RequestStatus.EXPIRED: "Expirée",
    RequestStatus.IMAGE_CHECK: "Vérification des images",
    RequestStatus.UNDER_REVIEW: "En cours d'instruction",
    RequestStatus.MORE_INFORMATION_REQUESTED: "Complément demandé",
    RequestStatus.APPROVED: "Validée",
    RequestStatus.REJECTED: "Rejetée",
    RequestStatus.IN_PRODUCTION: "Titre en production",
    RequestStatus.SHIPPED: "Titre expédié",
    RequestStatus.AT_POST_OFFICE: "Disponible en bureau de poste",
    RequestStatus.DELIVERED: "Titre remis",
    RequestStatus.RETURNED: "Retourné",
    RequestStatus.DESTROYED: "Détruit",
}

# Delays the statuses rely on (seed).
CANDIDATE_VALIDATION_DAYS = 7  # "porté de 24h à 7 jours"
POST_OFFICE_HOLD_DAYS = 15  # to collect the licence at the post office
RESEND_REQUEST_MONTHS = 6  # to ask for it again, after which it is destroyed

S = RequestStatus

# Every move a request can make. A status absent from the values is never reached by a move
# (only DRAFT, where a request is created). Narrower rules per mandate and procedure:
# see `allowed_moves`. Staying in a status (a document replaced during the image check) is not a
# move: it changes the document, not the request's status.
TRANSITIONS: dict[RequestStatus, frozenset[RequestStatus]] = {
    # Submission: without mandate the candidate validates first; with a paper mandate or when the
    # candidate files, the images are checked at once.
    S.DRAFT: frozenset({S.AWAITING_CANDIDATE_VALIDATION, S.IMAGE_CHECK}),
    # The candidate validates, lets the 7 days pass, or the school takes the request back to
    # correct it (an identity divergence, a wrong email).
    S.AWAITING_CANDIDATE_VALIDATION: frozenset({S.IMAGE_CHECK, S.EXPIRED, S.DRAFT}),
    # The school sends the validation again, or edits the request.
    S.EXPIRED: frozenset({S.AWAITING_CANDIDATE_VALIDATION, S.DRAFT}),
    # All the required documents accepted: instruction begins.
    S.IMAGE_CHECK: frozenset({S.UNDER_REVIEW}),
    S.UNDER_REVIEW: frozenset({S.APPROVED, S.REJECTED, S.MORE_INFORMATION_REQUESTED}),
    # The documents asked for were replaced: they are checked again.
    S.MORE_INFORMATION_REQUESTED: frozenset({S.IMAGE_CHECK}),
    # Production procedures only (a validated registration ends here: the attestation is issued).
    S.APPROVED: frozenset({S.IN_PRODUCTION}),
    S.REJECTED: frozenset(),
    S.IN_PRODUCTION: frozenset({S.SHIPPED}),
    S.SHIPPED: frozenset({S.DELIVERED, S.AT_POST_OFFICE}),
    S.AT_POST_OFFICE: frozenset({S.DELIVERED, S.RETURNED}),
    # Sent again on request within 6 months, destroyed after.
    S.RETURNED: frozenset({S.SHIPPED, S.DESTROYED}),
    S.DELIVERED: frozenset(),
    S.DESTROYED: frozenset(),
}

TERMINAL_STATUSES = frozenset(status for status, targets in TRANSITIONS.items() if not targets)
# Statuses only a production procedure reaches.
PRODUCTION_STATUSES = frozenset({S.IN_PRODUCTION, S.SHIPPED, S.AT_POST_OFFICE, S.DELIVERED, S.RETURNED,
                                 S.DESTROYED})
# The candidate's validation only exists without mandate.
VALIDATION_STATUSES = frozenset({S.AWAITING_CANDIDATE_VALIDATION, S.EXPIRED})


def submission_status(mandate: Mandate) -> RequestStatus:
    """The status a request takes when it leaves the draft."""
    return S.AWAITING_CANDIDATE_VALIDATION if mandate is Mandate.NONE else S.IMAGE_CHECK


def allowed_moves(current: RequestStatus, *, procedure: Procedure | None = None,
                  mandate: Mandate | None = None) -> frozenset[RequestStatus]:
    """The statuses `current` may move to; narrower when the procedure or the mandate is known."""
    targets = TRANSITIONS[current]
    if procedure is not None and procedure not in PRODUCTION_PROCEDURES:
        targets = targets - PRODUCTION_STATUSES
    if mandate is not None and mandate is not Mandate.NONE:
        targets = targets - VALIDATION_STATUSES
    if mandate is Mandate.NONE and current is S.DRAFT:
        targets = targets - {S.IMAGE_CHECK}  # the candidate validates first
    return targets


def can_move(current: RequestStatus, target: RequestStatus, *, procedure: Procedure | None = None,
             mandate: Mandate | None = None) -> bool:
    return target in allowed_moves(current, procedure=procedure, mandate=mandate)


def _quoted(status: RequestStatus) -> str:
    return f"« {STATUS_LABELS[status]} »"


def check_transition(current: RequestStatus, target: RequestStatus, *, procedure: Procedure | None = None,
                     mandate: Mandate | None = None) -> None:
    """Raises `Conflict("illegal_transition")` when the move is not allowed; the message names both
    statuses in French and what the request can become, and `current` carries its status."""
    if can_move(current, target, procedure=procedure, mandate=mandate):
        return
    message = f"Une demande au statut {_quoted(current)} ne peut pas passer au statut {_quoted(target)}."
    if target in TRANSITIONS[current]:  # allowed in general, not for this procedure or mandate
        if target in PRODUCTION_STATUSES and procedure is not None:
            message += (f" La démarche « {PROCEDURE_LABELS[procedure]} » ne donne pas lieu à la fabrication "
                        "d'un titre.")
        elif target in VALIDATION_STATUSES:
            message += " Seule une demande faite sans mandat attend la validation du candidat."
        elif current is S.DRAFT and target is S.IMAGE_CHECK:
            message += " Sans mandat, le candidat doit d'abord valider la demande."
    possible = allowed_moves(current, procedure=procedure, mandate=mandate)
    if not possible:
        message += " C'est un statut final."
    else:
        names = ", ".join(_quoted(s) for s in RequestStatus if s in possible)  # in the enum's order
        message += f" Elle peut passer à : {names}."
    raise Conflict("illegal_transition", message,
                   current={"status": current.value, "status_label": STATUS_LABELS[current]})


# --- history ---------------------------------------------------------------------------------

# Moves that must say why: a rejection or a request for more documents without a reason leaves
# the user with no one to ask (the 2017 complaint).
REASON_REQUIRED = frozenset({S.REJECTED, S.MORE_INFORMATION_REQUESTED})

# Moves no person makes: the 7-day expiry, Imprimerie nationale and La Poste updates, and the moves
# that follow a person's in the same change (their validation, then "En cours d'instruction" because
# every document was already accepted): only the first move of a change is the person's.
SYSTEM_ACTOR = "systeme"


class Transition(Model):
    """One row of a request's history: who moved it, from where to where, when, and why.

    `from_status` is None only on the first row (the request created as a draft)."""

    model_config = ConfigDict(frozen=True)

    from_status: RequestStatus | None
    to_status: RequestStatus
    actor_account_id: str | None  # None for the system
    actor_role: Role | Literal["systeme"]
    at: datetime
    reason: str | None = None
    # The pre-checks "À vérifier" the agent confirmed having looked at before validating (their
    # label and detail as shown): for the agents' history only, never shown to the filer.
    acknowledged: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _coherent(self) -> "Transition":
        if self.to_status in REASON_REQUIRED and not (self.reason and self.reason.strip()):
            raise ValueError(f"Indiquez le motif : le passage au statut {_quoted(self.to_status)} doit être "
                             "expliqué au demandeur.")
        if (self.actor_role == SYSTEM_ACTOR) != (self.actor_account_id is None):
            raise ValueError("Une transition est faite soit par un compte (identifiant et rôle), soit par le "
                             "système (sans identifiant).")
        return self
