"""The rules of a request as dated data: minimum ages, required documents, document formats.

The law changes (category B opened at 17 on 1 January 2024): every rule is a record with
`valid_from` and `valid_until` (both inclusive, `valid_until` None while in force), evaluated at
the date that matters — the submission date of the request. A change of law is a new record and
an end date on the old one, never an `if day < ...` in code.

Ages are counted in full years (`age_on`). The figures are simplified on purpose (see
`MINIMUM_AGES`): what matters is the mechanism, and an instructor still reviews every request.
The tables start with the online procedures (June 2016, seed); earlier law is not modelled.
"""
from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from pydantic import ConfigDict, model_validator

from chalicelib.domain.base import Model
from chalicelib.domain.dates import add_months
from chalicelib.domain.errors import ErrorDetail
from chalicelib.domain.procedures import (
    PRODUCTION_PROCEDURES,
    REGISTRATION_PROCEDURES,
    Category,
    ComplementaryTraining,
    Procedure,
    TrainingPath,
)

# The online procedures opened progressively from June 2016 (seed): the tables start there.
TABLE_START = date(2016, 6, 1)
AGE_OF_MAJORITY = 18


# --- ages ------------------------------------------------------------------------------------

def age_on(birth_date: date, day: date) -> int:
    """Age in full years on `day`. Someone born on 29 February has their birthday on 1 March in
    non-leap years (they are still one year younger on 28 February), as French civil practice
    counts it: the tuple comparison below gives exactly that."""
    if day < birth_date:
        raise ValueError("La date est antérieure à la date de naissance.")
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def date_reaching_age(birth_date: date, age: int) -> date:
    """The day the person turns `age` (1 March for a 29 February birth in a non-leap year)."""
    year = birth_date.year + age
    if birth_date.month == 2 and birth_date.day == 29 and not calendar.isleap(year):
        return date(year, 3, 1)
    return birth_date.replace(year=year)


def _fr(day: date) -> str:
    return day.strftime("%d/%m/%Y")


@dataclass(frozen=True)
class MinimumAge:
    """From `valid_from` to `valid_until` (inclusive), these procedures for this category need this
    age (full years). `paths` None: every training path; otherwise only those paths."""

    procedures: frozenset[Procedure]
    category: Category
    age: int
    valid_from: date
    valid_until: date | None = None
    paths: frozenset[TrainingPath] | None = None
    note: str = ""

    def in_force(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_until is None or day <= self.valid_until)

    def matches(self, procedure: Procedure, category: Category, path: TrainingPath) -> bool:
        return (procedure in self.procedures and category is self.category
                and (self.paths is None or path in self.paths))


_ALL = frozenset(Procedure)
_REG = REGISTRATION_PROCEDURES
_PROD = PRODUCTION_PROCEDURES
_AAC = frozenset({TrainingPath.AAC})
_NOT_AAC = frozenset(TrainingPath) - _AAC
_B_AT_17 = date(2024, 1, 1)  # décret n° 2023-1164 of 11 December 2023: category B at 17


def _same_age(categories: str, age: int, note: str, procedures: frozenset[Procedure] = _ALL) -> list[MinimumAge]:
    return [MinimumAge(procedures, Category(c), age, TABLE_START, note=note) for c in categories.split()]


# Simplified figures (the real law has more exceptions: military drivers, professional courses,
# firefighters...). Every (procedure, category, path) has exactly one record in force on any day
# from TABLE_START (tests/unit/test_rules.py checks it).
#
# Category B, registration: 15 in AAC (apprentissage anticipé, which starts at 15), 17 otherwise.
#   Simplification: before 2024 a traditional candidate could in fact register younger to study the
#   theory test; the table keeps 17 for both periods — the 2024 reform changed the age of the
#   licence, and a registration's age is not what it changed for this product.
# Category B, production (licence): 18 until 31 December 2023 — the seed's FAQ 9/9: a candidate who
#   passed at 17.5 waits until 18 to ask for the licence —, 17 from 1 January 2024.
# Motorcycles: AM 14, A1 16, A2 18; A 24 directly, 20 by the progressive access (a training course
#   after two years of A2: the LICENCE_AFTER_TRAINING procedure; the two years are not checked here).
# B1 16; BE 18 (the 2024 reform did not open BE at 17).
# Heavy vehicles: C1, C1E 18; C, CE 21; D1, D1E 21; D, DE 24; with a professional diploma
#   (initial professional qualification) C1, C1E, C, CE from 18 and D1, D1E, D, DE from 21.
MINIMUM_AGES: tuple[MinimumAge, ...] = (
    MinimumAge(_REG, Category.B, 15, TABLE_START, paths=_AAC,
               note="Apprentissage anticipé de la conduite : dès 15 ans."),
    MinimumAge(_REG, Category.B, 17, TABLE_START, paths=_NOT_AAC,
               note="Inscription à 17 ans (simplifié : la loi permettait de s'inscrire plus tôt pour le code)."),
    MinimumAge(_PROD, Category.B, 18, TABLE_START, date(2023, 12, 31),
               note="Titre à 18 ans, même après un examen réussi à 17 ans et demi (FAQ 9/9 du support)."),
    MinimumAge(_PROD, Category.B, 17, _B_AT_17, note="Permis B à 17 ans depuis le 1er janvier 2024."),
    *_same_age("AM", 14, "Cyclomoteur et voiturette : dès 14 ans."),
    *_same_age("A1 B1", 16, "Motocyclette légère, quadricycle lourd : dès 16 ans."),
    *_same_age("A2 BE", 18, "Dès 18 ans."),
    MinimumAge(_ALL - {Procedure.LICENCE_AFTER_TRAINING}, Category.A, 24, TABLE_START,
               note="Accès direct à la catégorie A : 24 ans."),
    MinimumAge(frozenset({Procedure.LICENCE_AFTER_TRAINING}), Category.A, 20, TABLE_START,
               note="Accès progressif : formation après deux ans de permis A2, dès 20 ans."),
    *_same_age("C1 C1E", 18, "Dès 18 ans."),
    *_same_age("C CE D1 D1E", 21, "Dès 21 ans.", _ALL - {Procedure.PROFESSIONAL_DIPLOMA}),
    *_same_age("D DE", 24, "Dès 24 ans.", _ALL - {Procedure.PROFESSIONAL_DIPLOMA}),
    *_same_age("C CE", 18, "Avec un diplôme professionnel : dès 18 ans.",
               frozenset({Procedure.PROFESSIONAL_DIPLOMA})),
    *_same_age("D1 D1E D DE", 21, "Avec un diplôme professionnel : dès 21 ans.",
               frozenset({Procedure.PROFESSIONAL_DIPLOMA})),
)


def minimum_age_rule(procedure: Procedure, category: Category, path: TrainingPath | None, day: date,
                     table: tuple[MinimumAge, ...] = MINIMUM_AGES) -> MinimumAge:
    """The record in force on `day`. `path` None counts as the traditional path. LookupError when
    no record (a day before the table) or several (a broken table) apply."""
    path = path or TrainingPath.TRADITIONAL
    found = [r for r in table if r.in_force(day) and r.matches(procedure, category, path)]
    if len(found) != 1:
        raise LookupError(f"{len(found)} minimum-age records for {procedure.value}/{category.value}/"
                          f"{path.value} on {day.isoformat()}")
    return found[0]


def minimum_age(procedure: Procedure, category: Category, path: TrainingPath | None, day: date,
                table: tuple[MinimumAge, ...] = MINIMUM_AGES) -> int:
    return minimum_age_rule(procedure, category, path, day, table).age


_FOR_PROCEDURE = {
    Procedure.EXAM_REGISTRATION: "pour l'inscription",
    Procedure.REGISTRATION_AFTER_INVALIDATION: "pour l'inscription",
    Procedure.LICENCE_AFTER_EXAM: "pour la fabrication du titre",
    Procedure.LICENCE_AFTER_TRAINING: "pour la fabrication du titre",
    Procedure.PROFESSIONAL_DIPLOMA: "pour la validation du diplôme professionnel",
}


def check_age(birth_date: date, procedure: Procedure, categories: list[Category] | tuple[Category, ...],
              path: TrainingPath | None, day: date, table: tuple[MinimumAge, ...] = MINIMUM_AGES,
              field: str = "categories") -> list[ErrorDetail]:
    """One error per category the candidate is too young for on `day`, saying from which date they
    will be old enough (under the rule in force on `day`)."""
    if day < birth_date:
        return [ErrorDetail("La date de naissance est postérieure à la date de la demande : vérifiez-la.",
                            field="birth_date", code="birth_date_after_request")]
    age = age_on(birth_date, day)
    errors = []
    for category in categories:
        rule = minimum_age_rule(procedure, category, path, day, table)
        if age >= rule.age:
            continue
        what = f"la catégorie {category.value}"
        if rule.paths == _AAC:
            what += " en apprentissage anticipé de la conduite"
        errors.append(ErrorDetail(
            f"Le candidat n'aura {rule.age} ans que le {_fr(date_reaching_age(birth_date, rule.age))} : "
            f"{what} demande {rule.age} ans {_FOR_PROCEDURE[procedure]}.",
            field=field, code="minimum_age"))
    return errors


def check_minor_has_representative(birth_date: date, day: date, has_representative: bool) -> ErrorDetail | None:
    """A request for a minor needs their legal representative (civil status, address, identity proof)."""
    if has_representative or age_on(birth_date, day) >= AGE_OF_MAJORITY:
        return None
    return ErrorDetail(
        f"Le candidat est mineur ({age_on(birth_date, day)} ans) : son représentant légal doit se déclarer "
        "dans la demande (état civil, adresse) et joindre son justificatif d'identité.",
        field="legal_representative", code="legal_representative_required")


# --- documents -------------------------------------------------------------------------------

class DocumentType(StrEnum):
    EPHOTO = "ephoto"  # not a file: the 22-character code of an approved photo booth
    IDENTITY = "identite"
    PROOF_OF_ADDRESS = "domicile"
    JDC = "jdc"
    ASSR = "assr"
    MEDICAL_OPINION = "avis-medical"
    INVALIDATION_DECISION = "decision-invalidation"
    CEPC = "cepc"
    AAC_BOOKLET = "livret-aac"
    TRAINING_CERTIFICATE = "attestation-formation"
    LEGAL_REPRESENTATIVE_IDENTITY = "identite-representant"
    DIPLOMA = "diplome"


DOCUMENT_LABELS = {
    DocumentType.EPHOTO: "Photo et signature numériques (code ePhoto)",
    DocumentType.IDENTITY: "Justificatif d'identité",
    DocumentType.PROOF_OF_ADDRESS: "Justificatif de domicile de moins de 6 mois",
    DocumentType.JDC: "Attestation de participation à la journée défense et citoyenneté (JDC)",
    DocumentType.ASSR: "ASSR de 2e niveau ou ASR",
    DocumentType.MEDICAL_OPINION: "Avis médical",
    DocumentType.INVALIDATION_DECISION: "Décision d'invalidation ou d'annulation du permis",
    DocumentType.CEPC: "Certificat d'examen du permis de conduire (CEPC) provisoire",
    DocumentType.AAC_BOOKLET: "Copie du livret d'apprentissage (page du rendez-vous préalable)",
    DocumentType.TRAINING_CERTIFICATE: "Attestation de suivi de formation",
    DocumentType.LEGAL_REPRESENTATIVE_IDENTITY: "Justificatif d'identité du représentant légal",
    DocumentType.DIPLOMA: "Diplôme professionnel",
}

KB = 1024
MB = 1024 * KB
JPEG, PNG, PDF = "image/jpeg", "image/png", "application/pdf"
_SCAN = frozenset({JPEG, PNG, PDF})


@dataclass(frozen=True)
class DocumentSpec:
    """What an upload of this type must be. `content_types` empty: not a file (ePhoto). Freshness:
    the document must be less than `max_age_months` old on the day that matters."""

    content_types: frozenset[str]
    min_bytes: int | None
    max_bytes: int | None
    max_age_months: int | None = None

    @property
    def is_file(self) -> bool:
        return bool(self.content_types)


# Lower bounds catch empty or blank files; an identity scan must be legible, so larger. Several
# pages (decisions, medical opinions, diplomas, booklets) get a larger upper bound.
DOCUMENT_SPECS: dict[DocumentType, DocumentSpec] = {
    DocumentType.EPHOTO: DocumentSpec(frozenset(), None, None, max_age_months=6),  # a code is valid 6 months
    DocumentType.IDENTITY: DocumentSpec(_SCAN, 20 * KB, 5 * MB),
    DocumentType.PROOF_OF_ADDRESS: DocumentSpec(_SCAN, 10 * KB, 5 * MB, max_age_months=6),
    DocumentType.JDC: DocumentSpec(_SCAN, 10 * KB, 5 * MB),
    DocumentType.ASSR: DocumentSpec(_SCAN, 10 * KB, 5 * MB),
    DocumentType.MEDICAL_OPINION: DocumentSpec(_SCAN, 10 * KB, 10 * MB),
    DocumentType.INVALIDATION_DECISION: DocumentSpec(_SCAN, 10 * KB, 10 * MB),
    DocumentType.CEPC: DocumentSpec(_SCAN, 10 * KB, 5 * MB, max_age_months=4),
    DocumentType.AAC_BOOKLET: DocumentSpec(_SCAN, 10 * KB, 10 * MB),
    DocumentType.TRAINING_CERTIFICATE: DocumentSpec(_SCAN, 10 * KB, 5 * MB),
    DocumentType.LEGAL_REPRESENTATIVE_IDENTITY: DocumentSpec(_SCAN, 20 * KB, 5 * MB),
    DocumentType.DIPLOMA: DocumentSpec(_SCAN, 10 * KB, 10 * MB),
}

_TYPE_NAMES = {JPEG: "JPEG", PNG: "PNG", PDF: "PDF"}


def _size(n: int) -> str:
    return f"{n // MB} Mo" if n >= MB else f"{n // KB} Ko"


def check_file(document: DocumentType, content_type: str, size_bytes: int) -> ErrorDetail | None:
    """An uploaded file against its type's spec: content type, then size."""
    spec = DOCUMENT_SPECS[document]
    label = DOCUMENT_LABELS[document]
    if not spec.is_file:
        return ErrorDetail(f"{label} : ce n'est pas un fichier, saisissez le code ePhoto.", code="not_a_file")
    if content_type not in spec.content_types:
        kinds = ", ".join(_TYPE_NAMES[t] for t in (JPEG, PNG, PDF) if t in spec.content_types)
        return ErrorDetail(f"{label} : format non accepté. Envoyez un fichier {kinds}.", code="content_type")
    assert spec.min_bytes is not None and spec.max_bytes is not None
    if size_bytes < spec.min_bytes:
        return ErrorDetail(f"{label} : le fichier est trop petit pour être lisible (moins de {_size(spec.min_bytes)}). "
                           "Numérisez-le à nouveau.", code="too_small")
    if size_bytes > spec.max_bytes:
        return ErrorDetail(f"{label} : le fichier dépasse {_size(spec.max_bytes)}. Réduisez sa résolution "
                           "ou envoyez-le en PDF.", code="too_large")
    return None


def is_fresh(document: DocumentType, issued_on: date, day: date) -> bool:
    """Less than `max_age_months` old on `day` (and not dated in the future)."""
    months = DOCUMENT_SPECS[document].max_age_months
    if issued_on > day:
        return False
    return months is None or day < add_months(issued_on, months)


def check_freshness(document: DocumentType, issued_on: date, day: date) -> ErrorDetail | None:
    if is_fresh(document, issued_on, day):
        return None
    label = DOCUMENT_LABELS[document]
    if issued_on > day:
        return ErrorDetail(f"{label} : la date du document ({_fr(issued_on)}) est dans le futur : vérifiez-la.",
                           code="future_date")
    months = DOCUMENT_SPECS[document].max_age_months
    return ErrorDetail(f"{label} : ce document date du {_fr(issued_on)} ; il doit avoir moins de {months} mois. "
                       "Joignez un document plus récent.", code="too_old")


# --- the situation and the documents it requires ----------------------------------------------

class Situation(Model):
    """What decides the documents of a request. `day` is the date that matters: the submission date."""

    model_config = ConfigDict(frozen=True)

    procedure: Procedure
    categories: tuple[Category, ...] = ()
    path: TrainingPath | None = None
    birth_date: date
    day: date
    first_request: bool  # the candidate's first request (registration): JDC
    has_licence: bool  # already holds a category: no ASSR for a new one
    declared_medical_condition: bool = False
    complementary_training: ComplementaryTraining = ComplementaryTraining.NONE

    @model_validator(mode="after")
    def _born_before(self) -> "Situation":
        if self.birth_date > self.day:
            raise ValueError("La date de naissance est postérieure à la date de la demande : vérifiez-la.")
        return self

    @property
    def age(self) -> int:
        return age_on(self.birth_date, self.day)

    @property
    def is_minor(self) -> bool:
        return self.age < AGE_OF_MAJORITY

    @property
    def after_invalidation(self) -> bool:
        """Derived from the procedure: a registration after invalidation or cancellation."""
        return self.procedure is Procedure.REGISTRATION_AFTER_INVALIDATION


class RequiredDocument(Model):
    document: DocumentType
    label: str
    reason: str  # why this request needs it, in French


@dataclass(frozen=True)
class DocumentRule:
    """From `valid_from` to `valid_until` (inclusive), a request of these procedures needs `document`
    when every condition set (not None) holds. Ages: `min_age` <= age < `under_age`, in full years."""

    document: DocumentType
    reason: str
    procedures: frozenset[Procedure]
    valid_from: date
    valid_until: date | None = None
    min_age: int | None = None
    under_age: int | None = None
    first_request: bool | None = None
    has_licence: bool | None = None
    minor: bool | None = None
    medical_condition: bool | None = None
    paths: frozenset[TrainingPath] | None = None

    def in_force(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_until is None or day <= self.valid_until)

    def applies(self, s: Situation) -> bool:
        age = s.age
        return (self.in_force(s.day) and s.procedure in self.procedures
                and (self.min_age is None or age >= self.min_age)
                and (self.under_age is None or age < self.under_age)
                and (self.first_request is None or s.first_request is self.first_request)
                and (self.has_licence is None or s.has_licence is self.has_licence)
                and (self.minor is None or s.is_minor is self.minor)
                and (self.medical_condition is None or s.declared_medical_condition is self.medical_condition)
                and (self.paths is None or (s.path or TrainingPath.TRADITIONAL) in self.paths))


D = DocumentType

# In the order the form asks for them. JDC: French nationals only in law; nationality is not
# modelled. ASSR at registration: a first category (no licence held) on a first-licence
# registration, not after an invalidation (the returning driver had one).
DOCUMENT_RULES: tuple[DocumentRule, ...] = (
    DocumentRule(D.EPHOTO, "Photo et signature numériques : exigées pour toute demande.", _ALL, TABLE_START),
    DocumentRule(D.IDENTITY, "Justificatif d'identité : exigé pour toute demande.", _ALL, TABLE_START),
    DocumentRule(D.PROOF_OF_ADDRESS, "Justificatif de domicile de moins de 6 mois : exigé pour toute demande.",
                 _ALL, TABLE_START),
    DocumentRule(D.JDC, "Attestation JDC : exigée de 17 à 25 ans (non révolus) pour une première demande.",
                 _REG, TABLE_START, min_age=17, under_age=25, first_request=True),
    DocumentRule(D.ASSR, "ASSR2 ou ASR : exigée avant 21 ans pour l'inscription à une première catégorie.",
                 frozenset({Procedure.EXAM_REGISTRATION}), TABLE_START, under_age=21, has_licence=False),
    DocumentRule(D.ASSR, "ASSR2 ou ASR : exigée pour la fabrication d'un premier permis.",
                 frozenset({Procedure.LICENCE_AFTER_EXAM}), TABLE_START, has_licence=False),
    DocumentRule(D.MEDICAL_OPINION, "Avis médical : une affection ou un handicap a été déclaré.", _ALL, TABLE_START,
                 medical_condition=True),
    DocumentRule(D.INVALIDATION_DECISION,
                 "Décision d'invalidation ou d'annulation : exigée pour une inscription de retour au permis.",
                 frozenset({Procedure.REGISTRATION_AFTER_INVALIDATION}), TABLE_START),
    DocumentRule(D.CEPC, "CEPC provisoire : il prouve la réussite à l'examen.",
                 frozenset({Procedure.LICENCE_AFTER_EXAM}), TABLE_START),
    DocumentRule(D.AAC_BOOKLET,
                 "Copie du livret d'apprentissage : exigée après un apprentissage anticipé de la conduite "
                 "(page comportant la date du rendez-vous préalable).",
                 frozenset({Procedure.LICENCE_AFTER_EXAM}), TABLE_START, paths=_AAC),
    DocumentRule(D.TRAINING_CERTIFICATE, "Attestation de suivi de formation : elle fonde la demande de titre.",
                 frozenset({Procedure.LICENCE_AFTER_TRAINING}), TABLE_START),
    DocumentRule(D.LEGAL_REPRESENTATIVE_IDENTITY,
                 "Justificatif d'identité du représentant légal : le candidat est mineur.", _ALL, TABLE_START,
                 minor=True),
    DocumentRule(D.DIPLOMA, "Diplôme professionnel : c'est l'objet de la demande.",
                 frozenset({Procedure.PROFESSIONAL_DIPLOMA}), TABLE_START),
)


def required_documents(situation: Situation,
                       table: tuple[DocumentRule, ...] = DOCUMENT_RULES) -> list[RequiredDocument]:
    """The documents this situation needs under the rules in force on `situation.day`, each once,
    in the table's order, with the reason of the first rule that asks for it."""
    required: dict[DocumentType, RequiredDocument] = {}
    for rule in table:
        if rule.document not in required and rule.applies(situation):
            required[rule.document] = RequiredDocument(document=rule.document, label=DOCUMENT_LABELS[rule.document],
                                                       reason=rule.reason)
    return list(required.values())


# --- ePhoto ----------------------------------------------------------------------------------

EPHOTO_PATTERN = re.compile(r"[A-Z0-9]{22}")
EPHOTO_LENGTH = 22


def check_ephoto_code(code: str) -> str:
    """The code without spaces, in upper case; ValueError (French) when it is not 22 letters or digits."""
    normalized = re.sub(r"\s+", "", code).upper()
    if EPHOTO_PATTERN.fullmatch(normalized):
        return normalized
    if not re.fullmatch(r"[A-Z0-9]*", normalized):
        raise ValueError("Le code ePhoto ne contient que des lettres et des chiffres (sans tiret ni ponctuation) : "
                         "recopiez-le tel qu'il figure sur la planche photo.")
    raise ValueError(f"Le code ePhoto compte {EPHOTO_LENGTH} caractères ; vous en avez saisi {len(normalized)}. "
                     "Recopiez-le tel qu'il figure sur la planche photo.")
