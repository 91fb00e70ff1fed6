import subprocess
import sys
from pathlib import Path

import pytest

from chalicelib.domain import geography
from chalicelib.domain.geography import (
    DEPARTEMENTS,
    STREET_NUMBER_EXTENSIONS,
    STREET_TYPES,
    Commune,
    communes_for_postal_code,
    country_name,
    countries,
    find_commune,
    is_departement,
)

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def test_a_postal_code_gives_the_communes_it_serves():
    assert communes_for_postal_code("69800") == (Commune("69290", "Saint-Priest"),)
    assert communes_for_postal_code("92160") == (Commune("92002", "Antony"),)
    assert communes_for_postal_code("75003") == (Commune("75103", "Paris 3e Arrondissement"),)


def test_a_postal_code_may_serve_several_communes():
    names = {c.name for c in communes_for_postal_code("62760")}
    assert {"Pas-en-Artois", "Thièvres", "Famechon"} <= names


@pytest.mark.parametrize("postal_code", ["00000", "6980", "698000", "69 800", "ABCDE", "", None])
def test_unknown_or_malformed_postal_codes_give_nothing(postal_code):
    assert communes_for_postal_code(postal_code) == ()
    assert find_commune(postal_code, "Saint-Priest") is None


@pytest.mark.parametrize("typed", [
    "Saint-Priest", "saint priest", "st priest", "ST-PRIEST", "St. Priest", " saint-priest ", "69290"])
def test_find_commune_tolerates_case_accents_separators_and_the_saint_abbreviation(typed):
    assert find_commune("69800", typed) == Commune("69290", "Saint-Priest")


def test_find_commune_tolerates_accents_and_apostrophes():
    assert find_commune("94240", "l hay les roses") == Commune("94038", "L'Haÿ-les-Roses")
    assert find_commune("75003", "PARIS 3E ARRONDISSEMENT").insee_code == "75103"
    assert find_commune("97400", "st-denis") == Commune("97411", "Saint-Denis")


@pytest.mark.parametrize("typed", ["Priest", "Saint-Priest-en-Jarez", "Saint Pries", "69291", "", "   "])
def test_find_commune_is_strict_otherwise(typed):
    assert find_commune("69800", typed) is None


def test_find_commune_only_looks_at_the_communes_of_that_postal_code():
    assert find_commune("69800", "Antony") is None
    assert find_commune("69800", "92002") is None
    assert find_commune("00000", "Antony") is None
    # Paris districts have their own postal codes and names: "Paris" alone names none of them.
    assert find_commune("75003", "Paris") is None


def test_a_name_shared_by_two_communes_of_one_postal_code_needs_the_insee_code():
    assert find_commune("62760", "Thièvres") is None
    assert find_commune("62760", "62814") == Commune("62814", "Thièvres")
    assert find_commune("62760", "80756") == Commune("80756", "Thièvres")


def test_departement_of_a_commune():
    assert find_commune("69800", "Saint-Priest").departement == "69"
    assert find_commune("01000", "Bourg-en-Bresse").departement == "01"
    ajaccio = find_commune("20000", "Ajaccio")
    assert (ajaccio.insee_code, ajaccio.departement) == ("2A004", "2A")
    assert find_commune("20200", "Bastia").departement == "2B"
    saint_denis = find_commune("97400", "Saint-Denis")
    assert (saint_denis.insee_code, saint_denis.departement) == ("97411", "974")
    assert Commune("97611", "Mamoudzou").departement == "976"


def test_the_101_departements():
    assert len(DEPARTEMENTS) == 101
    assert DEPARTEMENTS["01"] == "Ain"
    assert DEPARTEMENTS["2A"] == "Corse-du-Sud" and DEPARTEMENTS["2B"] == "Haute-Corse"
    assert DEPARTEMENTS["95"] == "Val-d'Oise"
    assert DEPARTEMENTS["974"] == "La Réunion" and DEPARTEMENTS["976"] == "Mayotte"
    assert "20" not in DEPARTEMENTS and "975" not in DEPARTEMENTS
    assert is_departement("69") and is_departement("2A") and is_departement("2a") and is_departement("971")
    assert not is_departement("20") and not is_departement("00") and not is_departement("96")
    assert not is_departement("975") and not is_departement("") and not is_departement(None)


def test_every_commune_of_the_data_is_in_a_known_departement():
    departements = {c.departement for cs in geography._communes_by_postal_code().values() for c in cs}
    # 975 is Saint-Pierre-et-Miquelon, an overseas collectivity, not a département.
    assert departements == set(DEPARTEMENTS) | {"975"}


def test_the_data_file_covers_all_postal_codes():
    data = geography._communes_by_postal_code()
    assert len(data) >= 6000
    assert sum(len(cs) for cs in data.values()) >= 34000
    for postal_code, cs in data.items():
        assert len(postal_code) == 5 and postal_code.isdigit() and cs
        assert len(set(cs)) == len(cs)  # deduplicated


def test_country_names():
    assert country_name("DE") == "Allemagne"
    assert country_name("de") == "Allemagne"
    assert country_name("FR") == "France"
    assert country_name("xx") is None
    assert country_name("") is None
    assert country_name("DEU") is None
    assert country_name(None) is None
    assert len(countries()) >= 249
    with pytest.raises(TypeError):
        countries()["ZZ"] = "Nowhere"


def test_street_types_and_number_extensions():
    expected = {
        "ALL": "Allée", "AV": "Avenue", "BD": "Boulevard", "CAR": "Carrefour", "CHE": "Chemin",
        "CHS": "Chaussée", "CITE": "Cité", "CRS": "Cours", "DOM": "Domaine", "ESP": "Esplanade",
        "FG": "Faubourg", "HAM": "Hameau", "IMP": "Impasse", "LD": "Lieu-dit", "LOT": "Lotissement",
        "MTE": "Montée", "PAS": "Passage", "PL": "Place", "PLN": "Plaine", "PRV": "Parvis",
        "PROM": "Promenade", "QUAI": "Quai", "QUA": "Quartier", "RES": "Résidence",
        "RPT": "Rond-point", "RTE": "Route", "RUE": "Rue", "RLE": "Ruelle", "SEN": "Sentier",
        "SQ": "Square", "TRA": "Traverse", "VLA": "Villa", "VOIE": "Voie", "ZA": "Zone d'activité",
        "ZI": "Zone industrielle",
    }
    assert expected.items() <= STREET_TYPES.items()
    assert STREET_NUMBER_EXTENSIONS == {"B": "bis", "T": "ter", "Q": "quater"}


def test_importing_the_module_reads_no_data_file():
    # In a fresh interpreter: this process may already have loaded the data.
    script = (
        "from chalicelib.domain import geography as g\n"
        "assert g._communes_by_postal_code.cache_info().misses == 0\n"
        "assert g._countries.cache_info().misses == 0\n"
        "g.find_commune('69800', 'st priest'); g.communes_for_postal_code('92160')\n"
        "assert g._communes_by_postal_code.cache_info().misses == 1\n"
        "assert g._countries.cache_info().misses == 0\n"
        "g.country_name('DE'); g.country_name('IT')\n"
        "assert g._countries.cache_info().misses == 1\n"
    )
    result = subprocess.run([sys.executable, "-c", script], cwd=PROJECT_ROOT, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
