"""French geographic reference data, to validate the addresses and birth places typed into
account and request forms: which communes a postal code serves, the départements, the
countries (ISO 3166-1 alpha-2, French names), and the street types and street-number
extensions of the national address base.

Pure Python, standard library only. The data files (chalicelib/data, see its README for
their sources and how to regenerate them) are read on first use and cached for the life of
the process: importing this module reads nothing.
"""
from __future__ import annotations

import functools
import gzip
import json
import os
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

_DATA_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data")
_COMMUNES_FILE = os.path.join(_DATA_DIR, "communes.json.gz")
_COUNTRIES_FILE = os.path.join(_DATA_DIR, "countries.json")
_POSTAL_CODE = re.compile(r"[0-9]{5}")


@dataclass(frozen=True, slots=True)
class Commune:
    insee_code: str
    name: str

    @property
    def departement(self) -> str:
        """The département code: "69" for 69123, "2A"/"2B" in Corsica, "971".."976" overseas."""
        return self.insee_code[:3] if self.insee_code.startswith("97") else self.insee_code[:2]


DEPARTEMENTS: dict[str, str] = {
    "01": "Ain", "02": "Aisne", "03": "Allier", "04": "Alpes-de-Haute-Provence",
    "05": "Hautes-Alpes", "06": "Alpes-Maritimes", "07": "Ardèche", "08": "Ardennes",
    "09": "Ariège", "10": "Aube", "11": "Aude", "12": "Aveyron", "13": "Bouches-du-Rhône",
    "14": "Calvados", "15": "Cantal", "16": "Charente", "17": "Charente-Maritime", "18": "Cher",
    "19": "Corrèze", "2A": "Corse-du-Sud", "2B": "Haute-Corse", "21": "Côte-d'Or",
    "22": "Côtes-d'Armor", "23": "Creuse", "24": "Dordogne", "25": "Doubs", "26": "Drôme",
    "27": "Eure", "28": "Eure-et-Loir", "29": "Finistère", "30": "Gard", "31": "Haute-Garonne",
    "32": "Gers", "33": "Gironde", "34": "Hérault", "35": "Ille-et-Vilaine", "36": "Indre",
    "37": "Indre-et-Loire", "38": "Isère", "39": "Jura", "40": "Landes", "41": "Loir-et-Cher",
    "42": "Loire", "43": "Haute-Loire", "44": "Loire-Atlantique", "45": "Loiret", "46": "Lot",
    "47": "Lot-et-Garonne", "48": "Lozère", "49": "Maine-et-Loire", "50": "Manche",
    "51": "Marne", "52": "Haute-Marne", "53": "Mayenne", "54": "Meurthe-et-Moselle",
    "55": "Meuse", "56": "Morbihan", "57": "Moselle", "58": "Nièvre", "59": "Nord",
    "60": "Oise", "61": "Orne", "62": "Pas-de-Calais", "63": "Puy-de-Dôme",
    "64": "Pyrénées-Atlantiques", "65": "Hautes-Pyrénées", "66": "Pyrénées-Orientales",
    "67": "Bas-Rhin", "68": "Haut-Rhin", "69": "Rhône", "70": "Haute-Saône",
    "71": "Saône-et-Loire", "72": "Sarthe", "73": "Savoie", "74": "Haute-Savoie", "75": "Paris",
    "76": "Seine-Maritime", "77": "Seine-et-Marne", "78": "Yvelines", "79": "Deux-Sèvres",
    "80": "Somme", "81": "Tarn", "82": "Tarn-et-Garonne", "83": "Var", "84": "Vaucluse",
    "85": "Vendée", "86": "Vienne", "87": "Haute-Vienne", "88": "Vosges", "89": "Yonne",
    "90": "Territoire de Belfort", "91": "Essonne", "92": "Hauts-de-Seine",
    "93": "Seine-Saint-Denis", "94": "Val-de-Marne", "95": "Val-d'Oise",
    "971": "Guadeloupe", "972": "Martinique", "973": "Guyane", "974": "La Réunion",
    "976": "Mayotte",
}

# Street-type codes of the national address base (as used by INSEE's Sirene and La Poste).
STREET_TYPES: dict[str, str] = {
    "ALL": "Allée", "AV": "Avenue", "BD": "Boulevard", "CAR": "Carrefour", "CHE": "Chemin",
    "CHS": "Chaussée", "CITE": "Cité", "COR": "Corniche", "CRS": "Cours", "DOM": "Domaine",
    "DSC": "Descente", "ECA": "Écart", "ESP": "Esplanade", "FG": "Faubourg", "GR": "Grande Rue",
    "HAM": "Hameau", "HLE": "Halle", "IMP": "Impasse", "LD": "Lieu-dit", "LOT": "Lotissement",
    "MAR": "Marché", "MTE": "Montée", "PAS": "Passage", "PL": "Place", "PLN": "Plaine",
    "PLT": "Plateau", "PRV": "Parvis", "PRO": "Promenade", "PROM": "Promenade",
    "QUAI": "Quai", "QUA": "Quartier", "RES": "Résidence", "ROC": "Rocade", "RPT": "Rond-point",
    "RTE": "Route", "RUE": "Rue", "RLE": "Ruelle", "SEN": "Sentier", "SQ": "Square",
    "TPL": "Terre-plein", "TRA": "Traverse", "VLA": "Villa", "VLGE": "Village", "VOIE": "Voie",
    "ZA": "Zone d'activité", "ZI": "Zone industrielle",
}

# Street-number extensions ("indice de répétition"): 12 B rue ... reads "12 bis rue ...".
STREET_NUMBER_EXTENSIONS: dict[str, str] = {"B": "bis", "T": "ter", "Q": "quater"}


@functools.cache
def _communes_by_postal_code() -> dict[str, tuple[Commune, ...]]:
    with gzip.open(_COMMUNES_FILE, "rb") as file:
        data = json.load(file)
    return {code: tuple(Commune(insee, name) for insee, name in pairs) for code, pairs in data.items()}


@functools.cache
def _countries() -> Mapping[str, str]:
    with open(_COUNTRIES_FILE, encoding="utf-8") as file:
        return MappingProxyType(json.load(file))


def communes_for_postal_code(postal_code: str) -> tuple[Commune, ...]:
    """The communes a postal code serves; () when the code is unknown or not 5 digits."""
    if not isinstance(postal_code, str) or not _POSTAL_CODE.fullmatch(postal_code.strip()):
        return ()
    return _communes_by_postal_code().get(postal_code.strip(), ())


@functools.cache
def _communes_by_insee_code() -> dict[str, Commune]:
    return {commune.insee_code: commune for communes in _communes_by_postal_code().values() for commune in communes}


def commune_by_insee_code(code: str) -> Commune | None:
    """The commune of that INSEE code (as FranceConnect gives a birth place), else None."""
    if not isinstance(code, str):
        return None
    return _communes_by_insee_code().get(code.strip().upper())


def departement_of(insee_code: str) -> str:
    """The département of a commune's INSEE code: its first two characters, three overseas (97x)."""
    code = insee_code.strip().upper()
    return code[:3] if code.startswith("97") else code[:2]


def _comparable_name(name: str) -> str:
    """Case, accents and separators (hyphens, spaces, apostrophes...) dropped, St/Ste spelt out."""
    decomposed = unicodedata.normalize("NFKD", name.casefold().replace("œ", "oe").replace("æ", "ae"))
    letters = "".join(c for c in decomposed if not unicodedata.combining(c))
    words = re.findall(r"[a-z0-9]+", letters)
    return "".join({"st": "saint", "ste": "sainte"}.get(word, word) for word in words)


def find_commune(postal_code: str, commune: str) -> Commune | None:
    """The commune of that postal code whose INSEE code is `commune` (exactly, e.g. "69290") or
    whose name is `commune`, tolerating case, accents, separators and the St/Ste abbreviation
    ("st priest" finds "Saint-Priest"). No other approximation. None when nothing matches, and
    when the name is ambiguous: a few postal codes serve two communes of the same name (62760
    serves two "Thièvres", 62 and 80), which only their INSEE codes tell apart."""
    if not isinstance(commune, str):
        return None
    candidates = communes_for_postal_code(postal_code)
    code = commune.strip().upper()
    for candidate in candidates:
        if candidate.insee_code == code:
            return candidate
    wanted = _comparable_name(commune)
    if not wanted:
        return None
    matches = [candidate for candidate in candidates if _comparable_name(candidate.name) == wanted]
    return matches[0] if len(matches) == 1 else None


def is_departement(code: str) -> bool:
    """Whether `code` is one of the 101 département codes ("01".."95", "2A", "2B", "971".."976")."""
    return isinstance(code, str) and code.strip().upper() in DEPARTEMENTS


def country_name(code: str) -> str | None:
    """The French name of an ISO 3166-1 alpha-2 country code ("DE" -> "Allemagne"), else None."""
    if not isinstance(code, str):
        return None
    return _countries().get(code.strip().upper())


def countries() -> Mapping[str, str]:
    """All countries, ISO 3166-1 alpha-2 code -> French name (read-only), e.g. for a select list."""
    return _countries()
