"""The prefecture's agrément registry, as its staff export it (CSV), checked line by line."""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date, datetime

from chalicelib.domain import geography
from chalicelib.domain.accounts import Agrement, normalize_agrement

# Accepted column names (lower case, accents and spaces ignored) -> field.
COLUMNS = {
    "numero": "number", "number": "number", "agrement": "number", "numeroagrement": "number",
    "nom": "name", "name": "name", "raisonsociale": "name", "etablissement": "name",
    "adresse": "address", "address": "address",
    "departement": "departement", "dept": "departement",
    "debut": "valid_from", "datedebut": "valid_from", "validfrom": "valid_from", "valablede": "valid_from",
    "fin": "valid_until", "datefin": "valid_until", "validuntil": "valid_until", "valablejusque": "valid_until",
}
REQUIRED = ("number", "name", "address", "departement", "valid_from", "valid_until")


@dataclass(frozen=True)
class LineError:
    line: int
    message: str


def _column(header: str) -> str | None:
    import unicodedata

    plain = "".join(c for c in unicodedata.normalize("NFD", header) if unicodedata.category(c) != "Mn")
    return COLUMNS.get(re.sub(r"[^a-z]", "", plain.lower()))


def _date(value: str) -> date:
    value = value.strip()
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(value, pattern).date()
        except ValueError:
            continue
    raise ValueError(f"date illisible « {value} » (attendu JJ/MM/AAAA ou AAAA-MM-JJ)")


def parse_registry(text: str) -> tuple[list[Agrement], list[LineError]]:
    """Agréments and the lines refused, with why. A number given twice keeps its last line."""
    sample = text[:4096]
    dialect = csv.Sniffer().sniff(sample, delimiters=";,\t") if sample.strip() else csv.excel
    rows = csv.reader(io.StringIO(text), dialect)
    header = next(rows, None)
    if header is None:
        return [], [LineError(1, "fichier vide")]
    fields = [_column(h) for h in header]
    missing = [f for f in REQUIRED if f not in fields]
    if missing:
        return [], [LineError(1, "colonnes manquantes : " + ", ".join(missing) +
                              " (attendues : numero, nom, adresse, departement, debut, fin)")]
    found: dict[str, Agrement] = {}
    errors: list[LineError] = []
    for line_number, row in enumerate(rows, start=2):
        if not any(cell.strip() for cell in row):
            continue
        values = {f: row[i].strip() for i, f in enumerate(fields) if f and i < len(row)}
        try:
            number = normalize_agrement(values.get("number", ""))
            if not re.fullmatch(r"[A-Z0-9]{5,20}", number):
                raise ValueError("numéro d'agrément absent ou mal formé")
            departement = values.get("departement", "").upper().zfill(2)
            if not geography.is_departement(departement):
                raise ValueError(f"département inconnu « {values.get('departement', '')} »")
            agrement = Agrement(number=number, name=values.get("name") or "", address=values.get("address") or "",
                                departement=departement, valid_from=_date(values.get("valid_from", "")),
                                valid_until=_date(values.get("valid_until", "")))
            if not agrement.name:
                raise ValueError("nom de l'établissement absent")
            if agrement.valid_until < agrement.valid_from:
                raise ValueError("la date de fin précède la date de début")
        except ValueError as error:
            errors.append(LineError(line_number, str(error)))
            continue
        found[agrement.number] = agrement
    return list(found.values()), errors
