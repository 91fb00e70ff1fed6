import unicodedata
from dataclasses import replace
from datetime import date

import pytest

from chalicelib.domain.identity_match import (
    FIELD_LABELS,
    CivilIdentity,
    compare_identities,
    divergence_message,
    normalize_first_names,
    normalize_name,
)

ACCOUNT = CivilIdentity(birth_name="N'Diaye", first_names="Marie-Lætitia Zoë", birth_date=date(2007, 3, 14), sex="F")


# --- names: tolerated variants -------------------------------------------------------------------

@pytest.mark.parametrize(("left", "right"), [
    ("Jean-Pierre", "jean pierre"),
    ("Jean-Pierre", "JEAN  PIERRE"),
    ("Jean-Pierre", "  Jean \t Pierre  "),
    ("Jean-Pierre", "Jean\u2010Pierre"),  # HYPHEN
    ("Jean-Pierre", "Jean\u2011Pierre"),  # NON-BREAKING HYPHEN
    ("Jean-Pierre", "Jean\u2013Pierre"),  # EN DASH
    ("Jean-Pierre", "Jean\u2014Pierre"),  # EM DASH
    ("Jean-Pierre", "Jean\u2212Pierre"),  # MINUS SIGN
    ("Jean-Pierre", "Jean\uff0dPierre"),  # FULLWIDTH HYPHEN-MINUS
    ("Jean-Pierre", "Jean\u00a0Pierre"),  # NO-BREAK SPACE
    ("Jean-Pierre", "Jean - Pierre"),
    ("N'Diaye", "N\u2019DIAYE"),  # RIGHT SINGLE QUOTATION MARK
    ("N'Diaye", "n diaye"),
    ("N'Diaye", "N\u02bcDiaye"),  # MODIFIER LETTER APOSTROPHE
    ("N'Diaye", "N\u2018Diaye"),  # LEFT SINGLE QUOTATION MARK
    ("N'Diaye", "N`Diaye"),
    ("Lætitia", "Laetitia"),
    ("LÆTITIA", "laetitia"),
    ("Œuvray", "OEUVRAY"),
    ("Straße", "STRASSE"),
    ("Zoë", "Zoe"),
    ("François", "FRANCOIS"),
    ("Hélène", "HELENE"),
    ("Ｍａｒｉｅ", "Marie"),  # full-width letters
    ("Éloïse", "E\u0301loi\u0308se"),  # NFC vs NFD
    (unicodedata.normalize("NFC", "Bénédicte"), unicodedata.normalize("NFD", "Bénédicte")),
])
def test_harmless_spelling_variants_are_the_same_name(left, right):
    assert normalize_name(left) == normalize_name(right)
    account = replace(ACCOUNT, birth_name=left)
    assert compare_identities(account, replace(account, birth_name=right)) == ()


# --- names: strict differences -------------------------------------------------------------------

@pytest.mark.parametrize(("left", "right"), [
    ("Dupont", "Dupond"),
    ("Marie", "Maria"),
    ("Jean Pierre", "Jean"),
    ("Jeanpierre", "Jean-Pierre"),  # a removed separator is a difference
    ("NDiaye", "N'Diaye"),
    ("Saint-Exupéry", "St-Exupéry"),  # no abbreviation is expanded
    ("St. Pierre", "St Pierre"),  # dots are kept
    ("Lætitia", "Letitia"),
    ("Lætitia", "Latitia"),
])
def test_other_differences_are_kept(left, right):
    assert normalize_name(left) != normalize_name(right)
    account = replace(ACCOUNT, birth_name=left)
    assert compare_identities(account, replace(account, birth_name=right)) == ("birth_name",)


def test_accents_are_ignored_whichever_they_are():
    # A documented consequence of stripping accents: a wrong accent is not a divergence either.
    assert normalize_name("Zoë") == normalize_name("Zoé") == normalize_name("Zoe")


def test_normalized_form():
    assert normalize_name("  N’DIAYE--Lætitia  Zoë ") == "n diaye laetitia zoe"


# --- first names ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("left", "right"), [
    ("Marie, Louise", "Marie Louise"),
    ("Marie,Louise", "marie louise"),
    ("Marie ,Louise, Zoë", "MARIE LOUISE ZOE"),
    ("Marie\uff0cLouise", "Marie Louise"),  # FULLWIDTH COMMA
    ("Jean-Pierre, Paul", "Jean Pierre Paul"),
])
def test_first_name_separators_are_tolerated(left, right):
    assert normalize_first_names(left) == normalize_first_names(right)
    account = replace(ACCOUNT, first_names=left)
    assert compare_identities(account, replace(account, first_names=right)) == ()


@pytest.mark.parametrize(("left", "right"), [
    ("Marie Louise", "Louise Marie"),  # order matters
    ("Marie Louise", "Marie"),  # every first name must be present
    ("Marie", "Marie Louise"),
    ("Marie, Louise", "Marie Louisa"),
    ("Jean-Pierre", "Jeanpierre"),
])
def test_first_name_list_is_compared_whole_and_in_order(left, right):
    account = replace(ACCOUNT, first_names=left)
    assert compare_identities(account, replace(account, first_names=right)) == ("first_names",)


def test_comma_is_not_a_separator_in_the_birth_name():
    account = replace(ACCOUNT, birth_name="Martin Dupont")
    assert compare_identities(account, replace(account, birth_name="Martin, Dupont")) == ("birth_name",)


# --- missing values, the seed's FAQ 7/9 ----------------------------------------------------------

def test_account_without_birth_date_is_reported_and_named():
    # The account was created without a birth date; the school's request has one.
    account = replace(ACCOUNT, birth_date=None)
    request = ACCOUNT
    fields = compare_identities(account, request)
    assert fields == ("birth_date",)
    message = divergence_message(fields)
    assert "Date de naissance" in message
    assert "« Mon compte » › « Mes informations »" in message


def test_request_without_birth_date_is_reported():
    assert compare_identities(ACCOUNT, replace(ACCOUNT, birth_date=None)) == ("birth_date",)


def test_birth_date_missing_on_both_sides_is_reported_because_it_is_mandatory():
    account = replace(ACCOUNT, birth_date=None)
    assert compare_identities(account, account) == ("birth_date",)


@pytest.mark.parametrize("field", ["birth_name", "first_names", "sex"])
@pytest.mark.parametrize("missing", [None, "", "   ", "\u00a0"])
def test_a_missing_value_facing_a_present_one_is_a_difference_on_either_side(field, missing):
    incomplete = replace(ACCOUNT, **{field: missing})
    assert compare_identities(incomplete, ACCOUNT) == (field,)
    assert compare_identities(ACCOUNT, incomplete) == (field,)


@pytest.mark.parametrize("field", ["birth_name", "first_names", "sex"])
def test_a_value_missing_on_both_sides_is_not_a_divergence_except_the_birth_date(field):
    incomplete = replace(ACCOUNT, **{field: None})
    assert compare_identities(incomplete, replace(ACCOUNT, **{field: "  "})) == ()


def test_a_name_made_only_of_separators_counts_as_missing():
    assert compare_identities(replace(ACCOUNT, birth_name="-'"), replace(ACCOUNT, birth_name="Dupont")) == ("birth_name",)


# --- other fields, several fields ----------------------------------------------------------------

def test_identical_identities_match():
    assert compare_identities(ACCOUNT, ACCOUNT) == ()
    assert divergence_message(compare_identities(ACCOUNT, ACCOUNT)) == ""


def test_a_different_birth_date_is_reported():
    assert compare_identities(ACCOUNT, replace(ACCOUNT, birth_date=date(2007, 4, 13))) == ("birth_date",)


@pytest.mark.parametrize(("left", "right", "expected"), [
    ("F", "M", ("sex",)),
    ("M", "F", ("sex",)),
    ("F", "f", ()),
    ("M", " M ", ()),
    ("F", None, ("sex",)),
])
def test_sex(left, right, expected):
    assert compare_identities(replace(ACCOUNT, sex=left), replace(ACCOUNT, sex=right)) == expected


def test_several_fields_are_reported_in_the_fixed_order():
    account = CivilIdentity(birth_name="Dupont", first_names="Marie Louise", birth_date=None, sex="F")
    request = CivilIdentity(birth_name="Dupond", first_names="Louise Marie", birth_date=date(2007, 3, 14), sex="M")
    assert compare_identities(account, request) == ("birth_name", "first_names", "birth_date", "sex")
    # The order does not depend on which side is which.
    assert compare_identities(request, account) == ("birth_name", "first_names", "birth_date", "sex")
    request = replace(account, sex="M", birth_name="Durand")
    assert compare_identities(account, request) == ("birth_name", "birth_date", "sex")


# --- message -------------------------------------------------------------------------------------

def test_message_for_one_field():
    assert divergence_message(("birth_date",)) == (
        "Divergence d'identité entre le compte du candidat et la demande pour les champs : "
        "Date de naissance. Vérifiez l'état civil saisi dans la demande ; si le compte est erroné, "
        "le candidat le corrige dans « Mon compte » › « Mes informations »."
    )


def test_message_for_several_fields_names_each_label_in_order():
    message = divergence_message(("birth_name", "first_names", "birth_date", "sex"))
    assert "pour les champs : Nom de naissance, Prénoms, Date de naissance, Sexe. Vérifiez" in message


def test_message_for_no_field_is_empty():
    assert divergence_message(()) == ""


def test_message_refuses_an_unknown_field():
    with pytest.raises(ValueError):
        divergence_message(("email",))


def test_every_field_has_a_french_label():
    assert FIELD_LABELS == {"birth_name": "Nom de naissance", "first_names": "Prénoms",
                            "birth_date": "Date de naissance", "sex": "Sexe"}


# --- property: normalization is idempotent -------------------------------------------------------

TRICKY_NAMES = [
    "", " ", "-", "'", "Jean-Pierre", "N’DIAYE", "Lætitia", "ŒUVRAY", "Straße", "STRAẞE", "Zoë",
    "E\u0301loi\u0308se", "Ｍａｒｉｅ", "İlknur", "ǅemal", "ﬁfi", "Ǽ", "ŉ", "D’Artagnan--de  la Tour",
    "St. Pierre", "Marie, Louise", "Ørsted", "Þórr", "Ἀλέξανδρος", "Ǆ", "\u00a0Marie\u202fLouise\u00a0",
    "한국", "Jean\u2011Pierre\u2014Paul", "Ｏ’Ｂｒｉｅｎ",
]


@pytest.mark.parametrize("name", TRICKY_NAMES)
def test_normalize_name_is_idempotent_on_tricky_names(name):
    once = normalize_name(name)
    assert normalize_name(once) == once
    assert normalize_first_names(normalize_first_names(name)) == normalize_first_names(name)


def test_normalize_name_is_idempotent_on_every_latin_greek_punctuation_and_fullwidth_character():
    codepoints = [*range(0x20, 0x2500), *range(0xFB00, 0xFB50), *range(0xFF00, 0xFFF0)]
    for cp in codepoints:
        for text in (chr(cp), f"a{chr(cp)}b"):
            once = normalize_name(text)
            assert normalize_name(once) == once, hex(cp)
