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


def family_queue_url(family_logical: str, queue_logical: str) -> str:
    """The URL of a queue of a queue family (`resources.QueueFamily`): the family's URL prefix,
    then the rest of the queue's logical name (`instruction-ddt-69-retours` -> `ddt-69-retours`)."""
    family = CATALOGUE.queue_family(family_logical)
    return _required(family.env_url_prefix) + queue_logical.removeprefix(f"{family.logical}-")


def key_id(logical: str) -> str:
    return _required(CATALOGUE.key(logical).env_id)


def bucket_name(logical: str) -> str:
    return _required(CATALOGUE.bucket(logical).env_name)


def web_origin() -> str:
    """The origin of the web pages, the only one CORS lets call the API."""
    return os.environ.get("WEB_ORIGIN", "http://127.0.0.1:8001")


def ephoto_api_url() -> str:
    """The approved ePhoto operator's API (the photo and signature of a code): the operator's per
    stage (infra/stages.py), the local stand-in's on `make run` and in the tests."""
    return _required("EPHOTO_API_URL")


def secret_arn(logical: str) -> str:
    return _required(CATALOGUE.secret(logical).env_arn)


def user_pool_id(logical: str = "users") -> str:
    return _required(CATALOGUE.user_pool(logical).env_id)


def user_pool_client_id(logical: str = "users") -> str:
    return _required(CATALOGUE.user_pool(logical).env_client_id)


def user_pool_domain(logical: str = "users") -> str:
    return _required(CATALOGUE.user_pool(logical).env_domain).rstrip("/")


def email_sender(logical: str = "notifications") -> str:
    identity = CATALOGUE.email_identity(logical)
    return os.environ.get(identity.env_address) or identity.address


def email_configuration_set(logical: str = "notifications") -> str | None:
    return os.environ.get(CATALOGUE.email_identity(logical).env_configuration_set)


def sms_sender(logical: str = "alerts"):
    """The catalogue's SMS sender, with the sender name infra or the local launcher set."""
    sender = CATALOGUE.sms_sender(logical)
    return sender._replace(sender_id=os.environ.get(sender.env_sender_id) or sender.sender_id)
