"""boto3 clients, built on first use and cached for the life of the process (a Lambda container)."""
from __future__ import annotations

import functools

import boto3
from botocore.config import Config

# Short timeouts and standard retries: a user waits behind every API call.
# Account-based DynamoDB endpoints are disabled: moto does not serve them for streams, and the
# regional endpoint is equivalent.
CLIENT_CONFIG = Config(
    connect_timeout=2, read_timeout=5, retries={"max_attempts": 3, "mode": "standard"},
    account_id_endpoint_mode="disabled",
)


@functools.cache
def _session() -> boto3.session.Session:
    # One session for every client of the process: a session loads botocore's endpoint and model
    # data once, and a second client then costs about 6 ms instead of 40 to 80 (measured).
    return boto3.session.Session()


@functools.cache
def client(service: str):
    return _session().client(service, config=CLIENT_CONFIG)


def reset_clients() -> None:
    """Forget cached clients (tests switch endpoints between in-process and server moto)."""
    client.cache_clear()
    _session.cache_clear()
