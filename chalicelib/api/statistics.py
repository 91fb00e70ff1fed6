"""The prefecture's statistics (issue 9): figures at a date for a département or the whole country,
computed from pre-aggregated counters (never a scan), and their French CSV export."""
from __future__ import annotations

from datetime import date

from chalice import Response
from pydantic import Field

from chalicelib.adapters import wiring
from chalicelib.api.http import Routes, route
from chalicelib.api.staff import ADMINISTRATORS
from chalicelib.domain.base import Model
from chalicelib.domain.statistics import MAX_PERIOD_DAYS

blueprint = Routes(__name__)
TAGS = ("statistiques",)
PARAMETERS = ("departement : code du département (69, 2A, 971) ou « national » (par défaut) ; date : AAAA-MM-JJ, "
              "aujourd'hui par défaut, jamais dans le futur ; du : début de la période des séries et des délais "
              f"(par défaut date − 89 jours ; une période de plus de {MAX_PERIOD_DAYS} jours est refusée : 422 "
              "period_too_long, ce qu'une réponse peut lire). Délais : médiane et 90e centile estimés sur un "
              "histogramme (à la largeur d'une tranche près).")
QUERY = ("departement", "date", "du")


class Scope(Model):
    departement: str | None
    label: str


class Band(Model):
    band: str
    label: str
    schools: int


class Schools(Model):
    agrements: int
    accounts_opened: int
    opening_rate: float | None = Field(description="Comptes ouverts / agréments (ratio, 4 décimales)")
    national_opening_rate: float | None
    opening_percent: float | None = Field(description="Le même taux tel qu'il s'affiche et s'exporte : en %, au "
                                                      "dixième inférieur (259 / 365 → 70.9)")
    national_opening_percent: float | None
    filing: int
    by_requests_filed: list[Band]


class Waiting(Model):
    status: str
    label: str
    count: int


class Delay(Model):
    procedure: str
    label: str
    decisions: int
    median_hours: float | None
    p90_hours: float | None


class Requests(Model):
    submitted: int
    processed: int
    waiting_by_status: list[Waiting]
    decision_delays: list[Delay]


class Support(Model):
    opened: int
    answered: int
    answered_within_promise: int
    breaches: int


class Day(Model):
    date: date
    submitted: int
    processed: int
    accounts_opened: int


class StatisticsView(Model):
    scope: Scope
    date: date
    period: dict[str, date]
    schools: Schools
    requests: Requests
    support: Support
    series: list[Day]


def _answer() -> dict:
    return wiring.statistics().answer(dict(blueprint.current_request.query_params or {}))


@route(blueprint, "/statistics", summary="Statistiques de la préfecture (administrateurs)", tags=TAGS,
       response_model=StatisticsView, errors=(422,), roles=ADMINISTRATORS, description=PARAMETERS,
       query=QUERY)
def statistics() -> StatisticsView:
    return StatisticsView.model_validate(_answer())


@route(blueprint, "/statistics/export", summary="Statistiques au format CSV (administrateurs)", tags=TAGS,
       errors=(422,), roles=ADMINISTRATORS, query=QUERY,
       description="Mêmes paramètres que /statistics. Fichier CSV (séparateur « ; », UTF-8 avec BOM) : les "
                   "indicateurs, une ligne vide, puis la série quotidienne. " + PARAMETERS)
def export() -> Response:
    from chalicelib.domain.statistics import csv_file_name, csv_text

    result = _answer()
    return Response(body=csv_text(result), status_code=200, headers={
        "Content-Type": "text/csv; charset=utf-8",
        "Content-Disposition": f'attachment; filename="{csv_file_name(result)}"'})
