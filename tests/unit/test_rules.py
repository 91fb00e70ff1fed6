from dataclasses import replace
from datetime import date, timedelta

import pytest
from pydantic import ValidationError

from chalicelib.domain.procedures import Category, Procedure, TrainingPath
from chalicelib.domain.rules import (
    DOCUMENT_LABELS,
    DOCUMENT_RULES,
    DOCUMENT_SPECS,
    EPHOTO_PATTERN,
    MB,
    MINIMUM_AGES,
    TABLE_START,
    DocumentRule,
    DocumentType,
    MinimumAge,
    Situation,
    add_months,
    age_on,
    check_age,
    check_ephoto_code,
    check_file,
    check_freshness,
    check_minor_has_representative,
    date_reaching_age,
    is_fresh,
    minimum_age,
    required_documents,
)

D = DocumentType
P = Procedure
B = Category.B
TODAY = date.today()


# --- age_on ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("day", "age"), [
    (date(2024, 5, 13), 16),
    (date(2024, 5, 14), 17),
    (date(2024, 12, 31), 17),
    (date(2025, 5, 13), 17),
    (date(2025, 5, 14), 18),
    (date(2007, 5, 14), 0),
])
def test_age_in_full_years_across_birthdays(day, age):
    assert age_on(date(2007, 5, 14), day) == age


@pytest.mark.parametrize(("day", "age"), [
    (date(2024, 2, 28), 15),
    (date(2024, 2, 29), 16),  # leap year: the birthday itself
    (date(2025, 2, 28), 16),  # non-leap year: not yet...
    (date(2025, 3, 1), 17),  # ...the birthday is 1 March
])
def test_someone_born_on_29_february_has_their_birthday_on_1_march_in_non_leap_years(day, age):
    assert age_on(date(2008, 2, 29), day) == age


def test_the_day_one_reaches_an_age():
    assert date_reaching_age(date(2008, 2, 29), 17) == date(2025, 3, 1)
    assert date_reaching_age(date(2008, 2, 29), 16) == date(2024, 2, 29)
    assert date_reaching_age(date(2007, 5, 14), 17) == date(2024, 5, 14)


def test_no_age_before_birth():
    with pytest.raises(ValueError):
        age_on(date(2007, 5, 14), date(2007, 5, 13))


# --- minimum ages ----------------------------------------------------------------------------

def test_exam_registration_for_b_at_17_on_the_day_of_the_birthday():
    assert check_age(date(2007, 1, 1), P.EXAM_REGISTRATION, [B], TrainingPath.TRADITIONAL, date(2024, 1, 1)) == []


def test_exam_registration_for_b_one_day_short_of_17_is_refused():
    [error] = check_age(date(2007, 1, 2), P.EXAM_REGISTRATION, [B], TrainingPath.TRADITIONAL, date(2024, 1, 1))
    assert error.message == ("Le candidat n'aura 17 ans que le 02/01/2024 : la catégorie B demande 17 ans "
                             "pour l'inscription.")
    assert (error.field, error.code) == ("categories", "minimum_age")


def test_the_message_of_the_brief():
    [error] = check_age(date(2008, 5, 14), P.EXAM_REGISTRATION, [B], None, date(2025, 5, 13))
    assert error.message == ("Le candidat n'aura 17 ans que le 14/05/2025 : la catégorie B demande 17 ans "
                             "pour l'inscription.")


def test_production_for_b_at_17_and_a_half_waited_until_18_before_2024():
    born = date(2006, 6, 30)  # 17 and a half on 31 December 2023
    assert minimum_age(P.LICENCE_AFTER_EXAM, B, TrainingPath.AAC, date(2023, 12, 31)) == 18
    [error] = check_age(born, P.LICENCE_AFTER_EXAM, [B], TrainingPath.AAC, date(2023, 12, 31))
    assert error.message == ("Le candidat n'aura 18 ans que le 30/06/2024 : la catégorie B demande 18 ans "
                             "pour la fabrication du titre.")


def test_production_for_b_at_17_is_open_from_1_january_2024():
    born = date(2006, 6, 30)
    assert minimum_age(P.LICENCE_AFTER_EXAM, B, TrainingPath.AAC, date(2024, 1, 1)) == 17
    assert check_age(born, P.LICENCE_AFTER_EXAM, [B], TrainingPath.AAC, date(2024, 1, 1)) == []
    assert check_age(date(2007, 3, 1), P.LICENCE_AFTER_EXAM, [B], None, date(2024, 3, 1)) == []


def test_aac_from_15():
    born = date(2010, 3, 1)
    assert check_age(born, P.EXAM_REGISTRATION, [B], TrainingPath.AAC, date(2025, 3, 1)) == []
    [error] = check_age(born, P.EXAM_REGISTRATION, [B], TrainingPath.AAC, date(2025, 2, 28))
    assert error.message == ("Le candidat n'aura 15 ans que le 01/03/2025 : la catégorie B en apprentissage "
                             "anticipé de la conduite demande 15 ans pour l'inscription.")
    # the same 15-year-old on the traditional path waits until 17
    [error] = check_age(born, P.EXAM_REGISTRATION, [B], TrainingPath.TRADITIONAL, date(2025, 3, 1))
    assert "n'aura 17 ans que le 01/03/2027" in error.message


@pytest.mark.parametrize(("procedure", "category", "path", "age"), [
    (P.EXAM_REGISTRATION, Category.AM, None, 14),
    (P.LICENCE_AFTER_TRAINING, Category.AM, None, 14),
    (P.EXAM_REGISTRATION, Category.A1, None, 16),
    (P.EXAM_REGISTRATION, Category.B1, None, 16),
    (P.EXAM_REGISTRATION, Category.A2, None, 18),
    (P.EXAM_REGISTRATION, Category.A, None, 24),
    (P.LICENCE_AFTER_TRAINING, Category.A, None, 20),
    (P.EXAM_REGISTRATION, Category.BE, None, 18),
    (P.EXAM_REGISTRATION, Category.C1, None, 18),
    (P.EXAM_REGISTRATION, Category.C, None, 21),
    (P.PROFESSIONAL_DIPLOMA, Category.C, None, 18),
    (P.EXAM_REGISTRATION, Category.D1, None, 21),
    (P.EXAM_REGISTRATION, Category.D, None, 24),
    (P.PROFESSIONAL_DIPLOMA, Category.D, None, 21),
    (P.REGISTRATION_AFTER_INVALIDATION, B, TrainingPath.SUPERVISED, 17),
])
def test_the_figures(procedure, category, path, age):
    assert minimum_age(procedure, category, path, date(2025, 6, 1)) == age


def test_one_error_per_category_too_young_for():
    errors = check_age(date(2007, 1, 1), P.EXAM_REGISTRATION, [Category.AM, B, Category.A], None, date(2025, 1, 1))
    assert [e.message.split("la catégorie ")[1].split(" ")[0] for e in errors] == ["A"]
    assert "n'aura 24 ans que le 01/01/2031" in errors[0].message


@pytest.mark.parametrize("day", [TABLE_START, date(2023, 12, 31), date(2024, 1, 1), TODAY])
def test_the_age_table_has_exactly_one_record_for_every_case(day):
    for record in MINIMUM_AGES:
        assert record.valid_until is None or record.valid_from <= record.valid_until
    for procedure in Procedure:
        for category in Category:
            for path in TrainingPath:
                matching = [r for r in MINIMUM_AGES if r.in_force(day) and r.matches(procedure, category, path)]
                assert len(matching) == 1, (procedure, category, path, day)


def test_no_age_rule_before_the_table():
    with pytest.raises(LookupError):
        minimum_age(P.EXAM_REGISTRATION, B, None, TABLE_START - timedelta(days=1))


def test_age_rules_are_data_a_future_record_applies_on_its_date_only():
    # A hypothetical law lowering AM to 13 from a future date: the old record ends the day before.
    change = TODAY + timedelta(days=400)
    old = next(r for r in MINIMUM_AGES if r.category is Category.AM)
    table = tuple(r for r in MINIMUM_AGES if r is not old) + (
        replace(old, valid_until=change - timedelta(days=1)),
        MinimumAge(old.procedures, Category.AM, 13, change, note="Hypothèse de test."),
    )
    assert minimum_age(P.EXAM_REGISTRATION, Category.AM, None, TODAY, table) == 14
    assert minimum_age(P.EXAM_REGISTRATION, Category.AM, None, change - timedelta(days=1), table) == 14
    assert minimum_age(P.EXAM_REGISTRATION, Category.AM, None, change, table) == 13
    born = date(change.year - 13, 1, 1)
    assert check_age(born, P.EXAM_REGISTRATION, [Category.AM], None, change, table) == []
    assert check_age(born, P.EXAM_REGISTRATION, [Category.AM], None, change) != []  # the real table


def test_document_rules_are_data_a_future_record_applies_on_its_date_only():
    start = TODAY + timedelta(days=30)
    table = DOCUMENT_RULES + (DocumentRule(D.DIPLOMA, "Hypothèse de test.", frozenset({P.EXAM_REGISTRATION}),
                                           start),)
    situation = Situation(procedure=P.EXAM_REGISTRATION, categories=(B,), birth_date=date(1990, 1, 1), day=TODAY,
                          first_request=False, has_licence=True)
    assert D.DIPLOMA not in _types(required_documents(situation, table))
    later = situation.model_copy(update={"day": start})
    assert D.DIPLOMA in _types(required_documents(later, table))
    assert D.DIPLOMA not in _types(required_documents(later))


# --- required documents ----------------------------------------------------------------------

def _types(documents):
    return [d.document for d in documents]


def _situation(**kw):
    values = dict(procedure=P.EXAM_REGISTRATION, categories=(B,), path=TrainingPath.TRADITIONAL,
                  birth_date=date(2008, 5, 14), day=date(2025, 6, 1), first_request=True, has_licence=False)
    values.update(kw)
    return Situation(**values)


def test_a_17_year_olds_first_b_registration():
    situation = _situation()
    assert situation.age == 17 and situation.is_minor
    documents = required_documents(situation)
    assert _types(documents) == [D.EPHOTO, D.IDENTITY, D.PROOF_OF_ADDRESS, D.JDC, D.ASSR,
                                 D.LEGAL_REPRESENTATIVE_IDENTITY]
    assert all(d.label == DOCUMENT_LABELS[d.document] and d.reason for d in documents)
    assert "mineur" in documents[-1].reason


def test_a_30_year_olds_registration_after_invalidation():
    situation = _situation(procedure=P.REGISTRATION_AFTER_INVALIDATION, birth_date=date(1995, 1, 10),
                           first_request=False, has_licence=False)
    assert situation.after_invalidation and not situation.is_minor
    assert _types(required_documents(situation)) == [D.EPHOTO, D.IDENTITY, D.PROOF_OF_ADDRESS,
                                                     D.INVALIDATION_DECISION]


def test_a_young_driver_back_after_invalidation_brings_no_assr():
    situation = _situation(procedure=P.REGISTRATION_AFTER_INVALIDATION, birth_date=date(2005, 1, 10),
                           first_request=False, has_licence=False)
    assert D.ASSR not in _types(required_documents(situation))


def test_production_after_the_exam_with_aac():
    situation = _situation(procedure=P.LICENCE_AFTER_EXAM, path=TrainingPath.AAC, birth_date=date(2007, 3, 1),
                           first_request=False)
    assert _types(required_documents(situation)) == [D.EPHOTO, D.IDENTITY, D.PROOF_OF_ADDRESS, D.ASSR, D.CEPC,
                                                     D.AAC_BOOKLET]


def test_production_after_the_exam_traditional_with_a_licence_already():
    situation = _situation(procedure=P.LICENCE_AFTER_EXAM, categories=(Category.A2,), birth_date=date(1990, 3, 1),
                           first_request=False, has_licence=True)
    assert _types(required_documents(situation)) == [D.EPHOTO, D.IDENTITY, D.PROOF_OF_ADDRESS, D.CEPC]


def test_a_declared_medical_condition_needs_a_medical_opinion():
    without = required_documents(_situation(birth_date=date(1990, 1, 1), first_request=False))
    with_condition = required_documents(_situation(birth_date=date(1990, 1, 1), first_request=False,
                                                   declared_medical_condition=True))
    assert D.MEDICAL_OPINION not in _types(without)
    assert _types(with_condition) == _types(without) + [D.MEDICAL_OPINION]


def test_a_training_course_and_a_professional_diploma():
    training = _situation(procedure=P.LICENCE_AFTER_TRAINING, birth_date=date(1990, 1, 1), has_licence=True)
    assert _types(required_documents(training)) == [D.EPHOTO, D.IDENTITY, D.PROOF_OF_ADDRESS,
                                                    D.TRAINING_CERTIFICATE]
    diploma = _situation(procedure=P.PROFESSIONAL_DIPLOMA, categories=(Category.C,), birth_date=date(2000, 1, 1),
                         has_licence=True)
    assert _types(required_documents(diploma)) == [D.EPHOTO, D.IDENTITY, D.PROOF_OF_ADDRESS, D.DIPLOMA]


@pytest.mark.parametrize(("birth_date", "jdc"), [
    (date(2009, 6, 2), False),  # 15
    (date(2008, 6, 2), False),  # 16 the day before 17
    (date(2008, 6, 1), True),  # 17 that day
    (date(2000, 6, 2), True),  # 24, the day before 25
    (date(2000, 6, 1), False),  # 25 that day
])
def test_the_jdc_from_17_until_25(birth_date, jdc):
    situation = _situation(birth_date=birth_date, path=TrainingPath.AAC)
    assert (D.JDC in _types(required_documents(situation))) is jdc


def test_a_situation_with_a_birth_after_the_day_is_refused():
    with pytest.raises(ValidationError, match="postérieure"):
        _situation(birth_date=date(2025, 6, 2))


# --- the legal representative ----------------------------------------------------------------

def test_a_minor_without_a_legal_representative_is_refused():
    error = check_minor_has_representative(date(2008, 5, 14), date(2025, 6, 1), has_representative=False)
    assert error is not None
    assert error.message.startswith("Le candidat est mineur (17 ans) : son représentant légal doit se déclarer")
    assert (error.field, error.code) == ("legal_representative", "legal_representative_required")


def test_a_minor_with_a_representative_or_an_adult_is_accepted():
    assert check_minor_has_representative(date(2008, 5, 14), date(2025, 6, 1), has_representative=True) is None
    assert check_minor_has_representative(date(2007, 6, 1), date(2025, 6, 1), has_representative=False) is None


# --- document formats and freshness ----------------------------------------------------------

def test_every_document_type_has_a_label_and_a_spec():
    assert set(DOCUMENT_LABELS) == set(D) == set(DOCUMENT_SPECS)
    assert not DOCUMENT_SPECS[D.EPHOTO].is_file
    for document, spec in DOCUMENT_SPECS.items():
        if document is D.EPHOTO:
            continue
        assert spec.content_types == {"image/jpeg", "image/png", "application/pdf"}
        assert 0 < spec.min_bytes < spec.max_bytes <= 10 * MB


def test_a_file_is_checked_for_type_and_size():
    assert check_file(D.IDENTITY, "image/jpeg", 300_000) is None
    assert check_file(D.IDENTITY, "image/gif", 300_000).code == "content_type"
    assert "Envoyez un fichier JPEG, PNG, PDF." in check_file(D.IDENTITY, "image/gif", 300_000).message
    assert check_file(D.IDENTITY, "application/pdf", 1_000).code == "too_small"
    too_large = check_file(D.PROOF_OF_ADDRESS, "application/pdf", 5 * MB + 1)
    assert too_large.code == "too_large" and "dépasse 5 Mo" in too_large.message
    assert check_file(D.EPHOTO, "image/jpeg", 300_000).code == "not_a_file"


def test_a_proof_of_address_is_under_6_months_and_a_cepc_under_4():
    assert is_fresh(D.PROOF_OF_ADDRESS, date(2025, 1, 15), date(2025, 7, 14))
    assert not is_fresh(D.PROOF_OF_ADDRESS, date(2025, 1, 15), date(2025, 7, 15))
    assert is_fresh(D.CEPC, date(2025, 1, 15), date(2025, 5, 14))
    assert not is_fresh(D.CEPC, date(2025, 1, 15), date(2025, 5, 15))
    assert is_fresh(D.IDENTITY, date(2015, 1, 15), date(2025, 5, 15))  # no freshness rule
    error = check_freshness(D.PROOF_OF_ADDRESS, date(2025, 1, 15), date(2025, 7, 15))
    assert error.code == "too_old" and "moins de 6 mois" in error.message
    assert check_freshness(D.CEPC, date(2025, 5, 16), date(2025, 5, 15)).code == "future_date"


def test_months_are_added_to_the_end_of_a_shorter_month():
    assert add_months(date(2024, 8, 31), 6) == date(2025, 2, 28)
    assert add_months(date(2023, 8, 31), 6) == date(2024, 2, 29)
    assert add_months(date(2024, 11, 15), 4) == date(2025, 3, 15)


# --- ePhoto ----------------------------------------------------------------------------------

def test_a_valid_ephoto_code_is_normalised():
    assert check_ephoto_code("AB12CD34EF56GH78IJ90KL") == "AB12CD34EF56GH78IJ90KL"
    assert check_ephoto_code("  ab12 cd34 ef56 gh78 ij90 kl ") == "AB12CD34EF56GH78IJ90KL"
    assert EPHOTO_PATTERN.fullmatch(check_ephoto_code("ab12\tcd34ef56gh78ij90kl"))


@pytest.mark.parametrize(("code", "says"), [
    ("AB12CD34EF56GH78IJ90K", "vous en avez saisi 21"),
    ("AB12CD34EF56GH78IJ90KLM", "vous en avez saisi 23"),
    ("", "vous en avez saisi 0"),
    ("AB12-CD34-EF56-GH78-IJ90-KL", "que des lettres et des chiffres"),
    ("AB12CD34EF56GH78IJ90K.", "que des lettres et des chiffres"),
    ("AB12CD34EF56GH78IJ90KÉ", "que des lettres et des chiffres"),
])
def test_an_invalid_ephoto_code_is_refused_in_french(code, says):
    with pytest.raises(ValueError, match="Le code ePhoto") as raised:
        check_ephoto_code(code)
    assert says in str(raised.value)
