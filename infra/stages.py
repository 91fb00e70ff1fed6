"""What differs between the deployed stages: configuration only, never resources.

Everything else (which tables, queues, keys, roles...) comes from `chalicelib/resources.py` and
the app itself, identically for every stage. tests/infra checks that the dev and prod templates
differ only by these values.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Throttle:
    rate_per_second: float
    burst: int


@dataclass(frozen=True)
class StageConfig:
    name: str
    region: str
    # The only origin the API's CORS and the documents bucket's CORS allow (the static site's CDN).
    web_origin: str
    # API Gateway throttling per rate-limit class of chalicelib/api/http.py RATE_LIMITS; "standard"
    # is also the stage-wide default.
    throttles: dict[str, Throttle]
    log_retention_days: int
    # Alarm when more than this share of API requests end in a 5xx over 5 minutes.
    api_5xx_rate_alarm: float
    # Where operators' alarms are emailed (subscription to confirm once).
    operators_email: str
    # The approved ePhoto operator's API, where the photo and signature of a code are fetched
    # (chalicelib/adapters/ephoto.py; EPHOTO_API_URL). Its test platform for dev.
    ephoto_api_url: str


STAGES: dict[str, StageConfig] = {
    "dev": StageConfig(
        name="dev",
        region="eu-west-3",
        web_origin="https://dev.permis-en-ligne.example.fr",
        throttles={"standard": Throttle(50, 100), "public": Throttle(5, 10)},
        log_retention_days=30,
        api_5xx_rate_alarm=0.05,
        operators_email="exploitation-dev@permis-en-ligne.example.fr",
        ephoto_api_url="https://recette.api.ephoto.example.fr/v1",
    ),
    "prod": StageConfig(
        name="prod",
        region="eu-west-3",
        web_origin="https://permis-en-ligne.example.fr",
        throttles={"standard": Throttle(500, 1000), "public": Throttle(20, 40)},
        log_retention_days=365,
        api_5xx_rate_alarm=0.01,
        operators_email="exploitation@permis-en-ligne.example.fr",
        ephoto_api_url="https://api.ephoto.example.fr/v1",
    ),
}
