"""Physical identifiers of the resources, read from the environment that infra or the local
launcher sets (variable names come from `chalicelib.resources`)."""
from __future__ import annotations

import os

from chalicelib.resources import CATALOGUE, physical_name


class MissingSetting(RuntimeError):
    pass


def _required(variable: str) -> str:
    value = os.environ.get(variable)
    if not value:
        raise MissingSetting(f"environment variable {variable} is not set (see README, Configuration)")
    return value


def table_name(logical: str) -> str:
    table = CATALOGUE.table(logical)
    return os.environ.get(table.env_name) or physical_name(logical)


def queue_url(logical: str) -> str:
    return _required(CATALOGUE.queue(logical).env_url)


def dead_letter_queue_url(logical: str) -> str:
    return _required(CATALOGUE.queue(logical).env_dead_letter_url)


def bucket_name(logical: str) -> str:
    return _required(CATALOGUE.bucket(logical).env_name)


def web_origin() -> str:
    """The origin of the web pages, the only one CORS lets call the API."""
    return os.environ.get("WEB_ORIGIN", "http://127.0.0.1:8001")
