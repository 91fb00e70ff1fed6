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
def client(service: str):
    return boto3.session.Session().client(service, config=CLIENT_CONFIG)


def reset_clients() -> None:
    """Forget cached clients (tests switch endpoints between in-process and server moto)."""
    client.cache_clear()
