"""Secrets generated at deployment, read once per container (one AWS call per cold start)."""
from __future__ import annotations

import functools

from chalicelib.adapters.aws import client
from chalicelib.domain.links import derive_key
from chalicelib.settings import secret_arn


@functools.cache
def _master(logical: str) -> bytes:
    return client("secretsmanager").get_secret_value(SecretId=secret_arn(logical))["SecretString"].encode()


def hmac_key(purpose: str) -> bytes:
    """A key of its own for each use of the HMAC secret ("altcha", "links")."""
    return derive_key(_master("hmac"), purpose)


def partner_key(logical: str) -> bytes:
    """A partner's own key (catalogue Secret `partner-<partner>`), used as is: the partner holds the
    same string and signs its requests with it."""
    return _master(logical)


def reset() -> None:
    _master.cache_clear()
