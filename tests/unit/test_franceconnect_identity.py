"""The civil status FranceConnect certifies, read from the user pool's attributes of its users."""
from datetime import date

import pytest

from chalicelib.domain.franceconnect import ATTRIBUTE_MAPPING, FranceConnectIdentity, is_federated

ATTRIBUTES = {"given_name": "Angela Claire Louise", "family_name": "DUBOIS", "birthdate": "1962-08-24",
              "gender": "female", "custom:birthplace": "75107", "custom:birthcountry": "99100",
              "email": "Angela.Dubois@Exemple.fr"}


def test_a_birth_in_france_gives_the_commune_and_departement_of_its_insee_code():
    identity = FranceConnectIdentity.from_attributes("FranceConnect_abc", ATTRIBUTES)
    assert identity.subject == "abc" and identity.email == "angela.dubois@exemple.fr"
    assert identity.civil_status() == {
        "birth_name": "DUBOIS", "first_names": "Angela Claire Louise", "birth_date": "1962-08-24", "sex": "F",
        "birth_place": {"country": "FR", "commune": "Paris 7e Arrondissement", "departement": "75"}}


@pytest.mark.parametrize("place, country, departement", [("97411", "99100", "974"), ("2A004", "99100", "2A")])
def test_overseas_and_corsican_communes_keep_their_departement(place, country, departement):
    identity = FranceConnectIdentity.from_attributes(
        "FranceConnect_x", {**ATTRIBUTES, "custom:birthplace": place, "custom:birthcountry": country})
    assert identity.birth_place()["departement"] == departement


@pytest.mark.parametrize("place, country", [("", "99134"), ("99999", "99100")])
def test_a_birth_abroad_or_an_unknown_commune_is_left_for_the_person_to_give(place, country):
    identity = FranceConnectIdentity.from_attributes(
        "FranceConnect_x", {**ATTRIBUTES, "custom:birthplace": place, "custom:birthcountry": country})
    assert identity.birth_place() is None and "birth_place" not in identity.civil_status()
    assert identity.birthdate == date(1962, 8, 24)


def test_only_franceconnect_users_with_their_names_and_birth_date_are_read():
    assert not is_federated("9c6e-sub") and not is_federated(None) and is_federated("FranceConnect_1")
    with pytest.raises(ValueError):
        FranceConnectIdentity.from_attributes("a-native-user", ATTRIBUTES)
    with pytest.raises(ValueError):
        FranceConnectIdentity.from_attributes("FranceConnect_x", {k: v for k, v in ATTRIBUTES.items()
                                                                  if k != "birthdate"})


def test_every_claim_of_the_civil_status_lands_on_an_attribute():
    assert set(ATTRIBUTE_MAPPING.values()) >= {"given_name", "family_name", "birthdate", "gender", "birthplace",
                                              "birthcountry", "email"}
