"""Instruction of requests by the agents: which authority instructs a request (its queue), the NEPH
an exam registration receives, the reasons an agent gives, and the pre-checks shown before deciding.

Pure: no AWS. The NEPH counter lives in adapters/instruction_repository.py; this module says what a
NEPH looks like and what the next one is.

NEPH (domain.md): 12 digits for life, YY MM DD OO SSSS: year and month of the registration, the
département (2 digits), the registering office (2 digits), the order in the month (4 digits). The
seed's 170392100012 is March 2017, Hauts-de-Seine, office 10, 12th of the month. Département codes
that are not two digits are written as the two-digit families they belong to: Corsica (2A, 2B) as
20 (one numbering shared by both), overseas (971 to 976) as 97 with the office's first digit
carrying the last digit of the département (971 -> offices 10 to 19, 974 -> 40 to 49).

An office gives at most 9,999 numbers a month; the biggest départements need 4 to 7 thousand, so a
month's numbering opens the département's offices one after the other (NEPH_OFFICES): the next
office starts at order 1 once the previous one has given its 9,999th.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Callable

from chalicelib.domain.procedures import REGISTRATION_PROCEDURES, Procedure

CERT = "CERT"
DEFAULT_OFFICE = "10"  # the prefecture's own office (the seed's example)
# The offices a département's numbers are given under, in the order a month opens them: the
# prefecture's own first, then the next ones. Ten offices: 99,990 numbers a month, over ten times
# what the biggest département needs, and the overseas départements keep within their ten codes.
NEPH_OFFICES = tuple(str(code) for code in range(10, 20))
MAX_ORDER = 9999  # four digits of order in a month
NEPH_PATTERN = re.compile(r"[0-9]{12}")


# --- authorities and their queues --------------------------------------------------------------

def authority_for(procedure: Procedure, departement: str) -> str:
    """The DDT of the candidate's département instructs registrations; the CERT, the titles."""
    return f"DDT-{departement.upper()}" if procedure in REGISTRATION_PROCEDURES else CERT


# --- NEPH --------------------------------------------------------------------------------------

def neph_departement_and_office(departement: str, office: str = DEFAULT_OFFICE) -> tuple[str, str]:
    code = departement.upper()
    if code in ("2A", "2B"):
        return "20", office
    if len(code) == 3:  # 971..976
        return code[:2], f"{code[2]}{office[1]}"
    if not re.fullmatch(r"[0-9]{2}", code):
        raise ValueError(f"not a département code: {departement!r}")
    return code, office


def neph_prefix(day: date, departement: str, office: str = DEFAULT_OFFICE) -> str:
    """The first 8 digits: the month of the registration, the département, the office."""
    dd, oo = neph_departement_and_office(departement, office)
    return f"{day:%y%m}{dd}{oo}"


def neph_prefixes(day: date, departement: str) -> tuple[str, ...]:
    """The prefixes of the département's month, one per office, in the order their numbers are given."""
    return tuple(neph_prefix(day, departement, office) for office in NEPH_OFFICES)


class NephExhausted(Exception):
    """Every office of the département has given its 9,999 numbers of the month (or, from `neph`,
    an order out of 1..9,999). No number can be given before next month."""

    def __init__(self, message: str, prefixes: tuple[str, ...] = ()):
        super().__init__(message)
        self.prefixes = prefixes


def neph(prefix: str, order: int) -> str:
    if not 1 <= order <= MAX_ORDER:
        raise NephExhausted(f"order {order} out of 1..{MAX_ORDER} for {prefix}", (prefix,))
    return f"{prefix}{order:04d}"


def next_order(prefixes: tuple[str, ...], first_hole: Callable[[str], int | None],
               reserve_order: Callable[[str], int | None]) -> tuple[str, int, bool]:
    """The number to give next in a département's month, as (prefix, order, from a hole): offices
    in their order, in each its lowest hole first (an order handed out whose decision did not
    commit: the numbering stays without a gap), else its next order. `reserve_order` answers None
    once the office's 9,999th is handed out; then the next office is tried. NephExhausted when
    every office is full and has no hole."""
    for prefix in prefixes:
        hole = first_hole(prefix)
        if hole is not None:
            return prefix, hole, True
        order = reserve_order(prefix)
        if order is not None:
            return prefix, order, False
    raise NephExhausted(f"every office is full: {', '.join(prefixes)}", prefixes)


def first_day_of_next_month(day: date) -> date:
    """When a month's numbering ends: a new month opens every office again at order 1."""
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def is_neph(value: str) -> bool:
    return bool(NEPH_PATTERN.fullmatch(value or ""))


def identity_key(birth_name: str, first_names: str, birth_date: date) -> str:
    """Who a person is, for "already has a NEPH" and duplicates: names compared with the tolerances
    of the identity comparison (accents, case, hyphens), and the birth date. Hashed: the key is
    stored and indexed, the names are not repeated in it."""
    from chalicelib.domain.identity_match import normalize_first_names, normalize_name

    text = f"{normalize_name(birth_name)}|{normalize_first_names(first_names)}|{birth_date.isoformat()}"
    return hashlib.sha256(text.encode()).hexdigest()


# --- decisions ---------------------------------------------------------------------------------

class DecisionKind(StrEnum):
    VALIDATE = "valider"
    COMPLEMENT = "complement"
    REJECT = "rejeter"


# Reasons chosen from a list (plus free text): the school and the candidate read these words.
COMPLEMENT_REASONS = {
    "piece-illisible": "Une pièce est illisible ou incomplète",
    "piece-perimee": "Une pièce n'est plus valable (date dépassée)",
    "domicile-ancien": "Le justificatif de domicile a plus de 6 mois",
    "photo-non-conforme": "La photo ne respecte pas les normes",
    "identite-divergente": "L'identité diffère entre les pièces et la demande",
    "piece-manquante": "Une pièce exigée manque",
    "autre": "Autre motif (précisé ci-dessous)",
}
REJECTION_REASONS = {
    "age-insuffisant": "Le candidat n'a pas l'âge requis",
    "doublon": "Une demande identique est déjà en cours",
    "piece-falsifiee": "Une pièce paraît falsifiée",
    "hors-competence": "La demande ne relève pas de ce service",
    "autre": "Autre motif (précisé ci-dessous)",
}


@dataclass(frozen=True)
class ReasonProblem:
    field: str
    code: str
    message: str


def check_reasons(kind: DecisionKind, reasons: list[str], comment: str | None) -> list[ReasonProblem]:
    """A complement or a rejection says why, from the list; "autre" needs the free text."""
    if kind is DecisionKind.VALIDATE:
        return []
    allowed = COMPLEMENT_REASONS if kind is DecisionKind.COMPLEMENT else REJECTION_REASONS
    problems = []
    if not reasons:
        problems.append(ReasonProblem("reasons", "reason_required", "Choisissez au moins un motif : le demandeur "
                                      "doit savoir ce qui manque ou pourquoi la demande est rejetée."))
    unknown = [r for r in reasons if r not in allowed]
    if unknown:
        problems.append(ReasonProblem("reasons", "reason_unknown", "Motif inconnu : " + ", ".join(unknown)
                                      + ". Motifs possibles : " + ", ".join(allowed) + "."))
    if "autre" in reasons and not (comment and comment.strip()):
        problems.append(ReasonProblem("comment", "comment_required", "Précisez le motif « Autre » en quelques mots."))
    return problems


def reason_text(kind: DecisionKind, reasons: list[str], comment: str | None) -> str:
    """The sentence recorded in the history and shown to the school and the candidate."""
    allowed = COMPLEMENT_REASONS if kind is DecisionKind.COMPLEMENT else REJECTION_REASONS
    labels = [allowed[r] for r in reasons if r != "autre"]
    if comment and comment.strip():
        labels.append(comment.strip())
    text = " ; ".join(labels)
    return text if text.endswith((".", "!", "?", "…")) else text + "."  # the agent's own sentence keeps its end


# --- pre-checks shown to the agent before deciding ---------------------------------------------

@dataclass(frozen=True)
class PreCheck:
    """One automatic check. `ok`: True (fine), False (the agent should look), None (informative,
    or does not apply)."""

    code: str
    label: str
    ok: bool | None
    detail: str

    @property
    def to_verify(self) -> bool:
        return self.ok is False

    def statement(self) -> str:
        """What the agent confirmed having looked at, as the history keeps it."""
        return f"{self.label} : {self.detail}"


def unacknowledged(checks: list[PreCheck], acknowledged: list[str]) -> list[PreCheck]:
    """The checks "À vérifier" a validation has not said it looked at. A validation must name each
    (`acknowledged`, by code): a possible duplicate NEPH, a diverging identity or a too-young
    candidate is then a choice the agent made, not a warning they scrolled past."""
    return [check for check in checks if check.to_verify and check.code not in acknowledged]


def pre_checks(request, documents: dict[str, dict], *, ephoto_owner: str | None, existing_neph: str | None,
               day: date) -> list[PreCheck]:
    """What the system checked by itself, at `day` (the decision's date; the rules apply at the
    request's submission date): ages, the minor's representative, documents, ePhoto code, an
    existing NEPH for the same person, the candidate's identity."""
    from chalicelib.domain import rules
    from chalicelib.domain.procedures import Mandate
    from chalicelib.domain.requests import document_problems, required_documents

    checks: list[PreCheck] = []
    rules_day = request.rules_day(day)
    civil = request.steps.get("civil_status") or {}
    categories = request.steps.get("categories") or {}
    birth = date.fromisoformat(civil["birth_date"]) if civil.get("birth_date") else None
    if birth and categories:
        from chalicelib.domain.procedures import Category, TrainingPath

        too_young = rules.check_age(birth, request.procedure, [Category(c) for c in categories["categories"]],
                                    TrainingPath(categories["training_path"]), rules_day)
        checks.append(PreCheck("age", "Âge minimal", not too_young, " ".join(p.message for p in too_young)
                               or f"Conforme aux règles en vigueur le {rules_day:%d/%m/%Y}."))
        if rules.age_on(birth, rules_day) >= rules.AGE_OF_MAJORITY:
            checks.append(PreCheck("legal_representative", "Représentant légal d'un mineur", None,
                                   "Candidat majeur : sans objet."))
        else:
            missing = rules.check_minor_has_representative(birth, rules_day, bool(civil.get("legal_representative")))
            checks.append(PreCheck("legal_representative", "Représentant légal d'un mineur", missing is None,
                                   missing.message if missing else "Représentant légal déclaré."))
    required = required_documents(request, rules_day)
    problems = document_problems(required, documents)
    pending = [d.label for d in required if (documents.get(d.document.value) or {}).get("state") == "pending"]
    checks.append(PreCheck("documents", "Pièces exigées", not problems and not pending,
                           " ".join(p.message for p in problems) + (" En cours de vérification : " + ", ".join(pending)
                                                                    + "." if pending else "")
                           or f"Les {len(required)} pièces exigées sont acceptées."))
    code = (documents.get("ephoto") or {}).get("code")
    if code is None:
        checks.append(PreCheck("ephoto", "Code ePhoto", False, "Aucun code ePhoto."))
    elif ephoto_owner not in (None, request.request_id):
        checks.append(PreCheck("ephoto", "Code ePhoto", False, f"Ce code a déjà servi pour la demande {ephoto_owner}."))
    else:
        checks.append(PreCheck("ephoto", "Code ePhoto", True, "Code au bon format, utilisé pour cette seule demande."))
    first_registration = request.procedure is Procedure.EXAM_REGISTRATION and categories.get("first_request")
    if existing_neph is not None:
        checks.append(PreCheck("neph", "NEPH existant", False if first_registration else None,
                               f"Cette identité a déjà le NEPH {existing_neph}" + (
                                   " alors que la demande se dit une première demande : doublon possible."
                                   if first_registration else " : le candidat le garde.")))
    elif request.procedure in REGISTRATION_PROCEDURES:
        checks.append(PreCheck("neph", "NEPH existant", True, "Aucun NEPH connu pour cette identité : un NEPH sera "
                               "attribué à la validation."))
    else:
        checks.append(PreCheck("neph", "NEPH existant", None, "Aucun NEPH connu pour cette identité."))
    if request.mandate is Mandate.MEDIATION:  # the agent must know the request was filed with help
        from chalicelib.domain.requests import consent_of

        consent = consent_of(request)
        checks.append(PreCheck("identity", "Dépôt accompagné par un médiateur numérique", None,
                               (consent.describe(request.structure_name) if consent else "Consentement absent.")
                               + " Pas de compte candidat : la personne reçoit les nouvelles par courriel, SMS "
                                 "ou courrier."))
    elif request.mandate is Mandate.PAPER:
        checks.append(PreCheck("identity", "Identité du compte candidat", None,
                               "Mandat papier : pas de compte candidat à comparer."))
    elif request.identity_divergence:
        from chalicelib.domain.identity_match import divergence_message

        checks.append(PreCheck("identity", "Identité du compte candidat", False,
                               divergence_message(tuple(request.identity_divergence))))
    else:
        checks.append(PreCheck("identity", "Identité du compte candidat", True,
                               "Identique à celle de la demande (validée par le candidat)."
                               if request.mandate is Mandate.NONE else "Demande faite par le candidat lui-même."))
    return checks


# --- private notes ----------------------------------------------------------------------------

NOTE_MAX_CHARS = 2000


@dataclass(frozen=True)
class Note:
    """An agent's note on a request, for the agents of the request's authority only (never the
    filer's): what they checked, who they called, what to look at next time."""

    note_id: str
    request_id: str
    authority: str
    agent_id: str
    agent_name: str
    text: str
    at: datetime


def note_problem(text: str) -> str | None:
    """Why a note's text cannot be kept, in French; None when it can."""
    if not text.strip():
        return "Écrivez la note avant de l'enregistrer."
    if len(text) > NOTE_MAX_CHARS:
        return f"Une note fait au plus {NOTE_MAX_CHARS} caractères ({len(text)} ici) : raccourcissez-la."
    return None


# --- who instructs what ------------------------------------------------------------------------

def may_instruct(role: str, agent_departement: str | None, authority: str) -> bool:
    """A DDT instructor instructs their département's registrations; a CERT instructor, the titles."""
    return agent_authority(role, agent_departement) == authority


# --- claims: who works a request now ----------------------------------------------------------

@dataclass(frozen=True)
class Claim:
    """An agent's hold on a request: the queue message's lease. Until `lease_until` no other agent
    receives the request; the decision needs it."""

    request_id: str
    agent_id: str
    agent_name: str
    authority: str
    returning: bool  # which of the authority's queues the message is in
    receipt_handle: str
    claimed_at: datetime
    lease_until: datetime

    def active(self, now: datetime) -> bool:
        return self.lease_until > now

    @property
    def from_queue(self) -> bool:
        """Taken with "next" (the queue message's lease), or from the worklist (no message held:
        a copy delivered to a colleague is kept out of sight while the lease runs)."""
        return bool(self.receipt_handle)


# --- the worklist: what an authority has, tab by tab -------------------------------------------

class WorklistTab(StrEnum):
    TO_DO = "a-traiter"  # in instruction, claimed or not
    IN_PROGRESS = "en-cours"  # claimed now: by whom, until when
    COMPLEMENT = "complement"  # waiting for the filer's documents
    DONE = "traites"  # decided by the authority in the last DONE_DAYS days


DONE_DAYS = 30
MAX_WAITING_DAYS = 365


@dataclass(frozen=True)
class WorkRow:
    """One row of the worklist. `since`: queued (à traiter, en cours), complement asked
    (complement), decided (traités)."""

    request_id: str
    procedure: Procedure
    candidate_name: str
    submitted_at: datetime | None
    since: datetime | None
    claim: Claim | None = None
    decision: str | None = None
    decided_by: str | None = None
    message_waiting: bool = False  # the filer wrote last on the thread: they wait for an answer


# --- queue health -----------------------------------------------------------------------------

@dataclass(frozen=True)
class DayOfDecisions:
    """How many decisions an authority made in one day (counted by the statistics worker; the
    delays are a histogram there, domain/statistics.py)."""

    day: date
    decisions: int


def agent_authority(role: str, departement: str | None) -> str | None:
    """The authority whose queue an agent works: their DDT, or the CERT."""
    if role == "instructeur-cert":
        return CERT
    if role == "instructeur-ddt" and departement:
        return f"DDT-{departement.upper()}"
    return None
