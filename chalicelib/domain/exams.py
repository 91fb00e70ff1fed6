"""Exam results recorded by examiners against a candidate's NEPH, and the CEPC that a favourable
practical test gives (the certificat d'examen du permis de conduire provisoire, valid 4 months,
which proves the success until the licence arrives and opens the licence production request).

Pure: the rules an examiner's record must follow, the validity of the CEPC, and the draft of the
production request it opens (what the registration already knows is copied, so the school or the
candidate only checks it, gives a new ePhoto code and the documents the production asks for)."""
from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from pydantic import ConfigDict, Field, field_validator

from chalicelib.domain.base import Model
from chalicelib.domain.dates import ClockTime, IsoDate, add_months
from chalicelib.domain.errors import Conflict, ErrorDetail, InvalidInput
from chalicelib.domain.procedures import Category, TrainingPath

CEPC_VALIDITY_MONTHS = 4
THEORY_VALIDITY_YEARS = 5  # a theory success counts for five years (and five practical attempts)
MAX_CENTRE = 120


class ExamTest(StrEnum):
    THEORY = "theorie"  # épreuve théorique générale (the "code")
    PRACTICAL = "pratique"


class ExamOutcome(StrEnum):
    FAVOURABLE = "favorable"
    UNFAVOURABLE = "defavorable"
    ABSENT_EXCUSED = "absent-excuse"
    ABSENT_NOT_EXCUSED = "absent-non-excuse"


TEST_LABELS = {ExamTest.THEORY: "Épreuve théorique", ExamTest.PRACTICAL: "Épreuve pratique"}
OUTCOME_LABELS = {ExamOutcome.FAVOURABLE: "Favorable", ExamOutcome.UNFAVOURABLE: "Défavorable",
                  ExamOutcome.ABSENT_EXCUSED: "Absent excusé", ExamOutcome.ABSENT_NOT_EXCUSED: "Absent non excusé"}


class ExamResultInput(Model):
    """What the examiner records after a test."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    neph: str = Field(pattern=r"^[0-9]{12}$", description="NEPH du candidat (12 chiffres)")
    day: IsoDate = Field(description="Date de l'épreuve")
    centre: str = Field(min_length=2, max_length=MAX_CENTRE, description="Centre d'examen")
    examiner: str = Field(min_length=2, max_length=120, description="Inspecteur ou examinateur (nom)")
    test: ExamTest = Field(description="Épreuve : theorie ou pratique")
    category: Category = Field(description="Catégorie passée")
    outcome: ExamOutcome = Field(description="Résultat : favorable, defavorable, absent-excuse, absent-non-excuse")
    still_follows_aac: bool | None = Field(
        default=None, description="Épreuve pratique d'un candidat en apprentissage anticipé (AAC) : suit-il "
                                  "toujours l'AAC ? (à demander au candidat ; sans objet sinon)")

    @field_validator("neph", mode="before")
    @classmethod
    def _digits(cls, value: Any) -> Any:
        return "".join(value.split()) if isinstance(value, str) else value  # "17 03 92 10 0012" as printed


class ExamRecord(Model):
    """A result as stored, under the registration it belongs to."""

    request_id: str
    neph: str
    day: date
    centre: str
    examiner: str
    test: ExamTest
    category: Category
    outcome: ExamOutcome
    still_follows_aac: bool | None = None
    recorded_at: datetime
    recorded_by: str  # the examiner's account

    @property
    def label(self) -> str:
        return f"{TEST_LABELS[self.test]} {self.category.value} du {self.day:%d/%m/%Y} : {OUTCOME_LABELS[self.outcome]}"


class Registration(Model):
    """What the rules need of the registration a result is recorded for."""

    request_id: str
    categories: tuple[Category, ...]
    training_path: TrainingPath
    has_licence: bool


def cepc_valid_until(exam_day: date) -> date:
    return add_months(exam_day, CEPC_VALIDITY_MONTHS)


def registration_for(registrations: list[Registration], category: Category) -> Registration | None:
    """The validated registration that asked for `category` (the latest when several did)."""
    matching = [r for r in registrations if category in r.categories]
    return max(matching, key=lambda r: r.request_id) if matching else None


def check_result(result: ExamResultInput, registration: Registration, earlier: list[ExamRecord],
                 today: date) -> None:
    """Refuses a record the registration and the results already on file do not allow."""
    problems = []
    if result.day > today:
        problems.append(ErrorDetail("La date de l'épreuve ne peut pas être dans le futur.", field="day",
                                    code="day_in_future"))
    aac_practical = registration.training_path is TrainingPath.AAC and result.test is ExamTest.PRACTICAL
    if aac_practical and result.still_follows_aac is None:
        problems.append(ErrorDetail("Le candidat est inscrit en apprentissage anticipé (AAC) : indiquez s'il suit "
                                    "toujours l'AAC.", field="still_follows_aac", code="aac_answer_required"))
    if not aac_practical and result.still_follows_aac is not None:
        problems.append(ErrorDetail("Sans objet : la question ne se pose qu'à l'épreuve pratique d'un candidat "
                                    "inscrit en AAC. Laissez-la vide.", field="still_follows_aac",
                                    code="aac_not_applicable"))
    if problems:
        raise InvalidInput("exam_result_invalid", "Le résultat est incomplet : corrigez les champs indiqués.",
                           problems)
    same = [r for r in earlier if r.category is result.category]
    if any(r.test is ExamTest.PRACTICAL and r.outcome is ExamOutcome.FAVOURABLE for r in same):
        raise Conflict("exam_already_passed", f"Le candidat a déjà réussi l'épreuve pratique de la catégorie "
                       f"{result.category.value} : aucun autre résultat ne s'enregistre pour elle.")
    if result.test is ExamTest.PRACTICAL and not registration.has_licence and not theory_passed(earlier, result.day):
        raise Conflict("theory_not_passed", "Le candidat n'a pas de réussite à l'épreuve théorique de moins de "
                       f"{THEORY_VALIDITY_YEARS} ans : l'épreuve pratique ne peut pas être enregistrée. Vérifiez le "
                       "NEPH, ou enregistrez d'abord le résultat de l'épreuve théorique.")


def theory_passed(earlier: list[ExamRecord], on: date) -> bool:
    return any(r.test is ExamTest.THEORY and r.outcome is ExamOutcome.FAVOURABLE
               and r.day <= on < add_months(r.day, 12 * THEORY_VALIDITY_YEARS) for r in earlier)


def issues_cepc(result: ExamResultInput) -> bool:
    return result.test is ExamTest.PRACTICAL and result.outcome is ExamOutcome.FAVOURABLE


def production_steps(registration_steps: dict[str, dict[str, Any]], category: Category,
                     still_follows_aac: bool | None) -> dict[str, dict[str, Any]]:
    """The saved steps of the production request a CEPC opens: the registration's civil status,
    address and declarations, for the category passed. A candidate who left the AAC is produced as
    traditional training (the seed: the training path is settled at the production request)."""
    steps = {name: dict(registration_steps[name]) for name in ("civil_status", "contact", "declarations")
             if name in registration_steps}
    categories = dict(registration_steps.get("categories") or {})
    categories["categories"] = [category.value]
    if still_follows_aac is False:
        categories["training_path"] = TrainingPath.TRADITIONAL.value
    steps["categories"] = categories
    return steps


def centre_key(centre: str) -> str:
    """A centre as the day's sheet finds it whatever the typing: "Lyon Gerland", "LYON  gerland"
    and "Lyon-Gerland" are one centre (accents, case, spaces and hyphens ignored)."""
    from chalicelib.domain.identity_match import normalize_name

    return "-".join(normalize_name(centre).replace("-", " ").split())


# --- Convocations: the candidates a centre expects on a day -------------------------------------
# The driving school convenes its candidate (a validated registration, its NEPH) to a test at a
# centre, on a day and at a time it got a place for; the examiner's tablet lists the day's
# convened candidates by centre and records their results from that list. A school convenes up to
# CONVENE_AHEAD ahead, and cancels until the day before (the centre then gives the place again).
CONVENE_AHEAD_DAYS = 120
# A convocation is kept a year after its day (the results, not the convocation, are the record).
CONVOCATION_RETENTION_DAYS = 365


class ConvocationInput(Model):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    test: ExamTest = Field(description="Épreuve : theorie ou pratique")
    category: Category = Field(description="Catégorie, parmi celles de l'inscription")
    centre: str = Field(min_length=2, max_length=MAX_CENTRE, description="Centre d'examen")
    day: IsoDate = Field(description="Jour de l'épreuve (AAAA-MM-JJ), aujourd'hui ou plus tard")
    time: ClockTime = Field(description="Heure de convocation, HH:MM (heure de Paris)")


class Convocation(Model):
    request_id: str  # the registration
    neph: str
    candidate_name: str
    school_name: str
    test: ExamTest
    category: Category
    centre: str
    day: date
    time: str
    convened_by: str
    convened_at: datetime

    @property
    def convocation_id(self) -> str:
        """Its name in the API: one per test, category and day of a registration, as its results."""
        return f"{self.day.isoformat()}~{self.test.value}~{self.category.value}"

    @property
    def label(self) -> str:
        return f"{TEST_LABELS[self.test]} {self.category.value}"


def split_convocation_id(value: str) -> tuple[date, ExamTest, Category] | None:
    parts = value.split("~")
    try:
        return date.fromisoformat(parts[0]), ExamTest(parts[1]), Category(parts[2])
    except (ValueError, IndexError):
        return None


def convocation_problems(wanted: ConvocationInput, categories: tuple[Category, ...], today: date) -> list[ErrorDetail]:
    """What is wrong with convening the registration's candidate so; empty when it can be done."""
    from datetime import timedelta

    problems = []
    if wanted.category not in categories:
        listed = ", ".join(c.value for c in categories) or "aucune"
        problems.append(ErrorDetail(f"L'inscription ne porte pas sur la catégorie {wanted.category.value} "
                                    f"(elle porte sur : {listed}).", field="category", code="category_not_registered"))
    if wanted.day < today:
        problems.append(ErrorDetail("Le jour de l'épreuve est passé : choisissez aujourd'hui ou un jour à venir.",
                                    field="day", code="day_past"))
    elif wanted.day > today + timedelta(days=CONVENE_AHEAD_DAYS):
        problems.append(ErrorDetail(f"On convoque au plus {CONVENE_AHEAD_DAYS} jours à l'avance : choisissez un jour "
                                    f"avant le {(today + timedelta(days=CONVENE_AHEAD_DAYS)):%d/%m/%Y}.", field="day",
                                    code="day_too_far"))
    return problems
