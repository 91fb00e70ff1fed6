"""Adapters built on first use, once per process: handlers ask here, tests replace them."""
from __future__ import annotations

import functools

from chalicelib import settings
from chalicelib.adapters import secrets
from chalicelib.adapters.accounts_repository import DynamoAccountsRepository
from chalicelib.adapters.aws import client
from chalicelib.adapters.demo_repository import DynamoDemoRepository
from chalicelib.adapters.identity import CognitoDirectory
from chalicelib.adapters.mailer import SesMailer
from chalicelib.adapters.queues import QueuePublisher


@functools.cache
def demo_repository() -> DynamoDemoRepository:
    return DynamoDemoRepository(client("dynamodb"), settings.table_name("main"))


@functools.cache
def queue_publisher() -> QueuePublisher:
    return QueuePublisher(client("sqs"))


@functools.cache
def cognito_directory() -> CognitoDirectory:
    """For the Cognito trigger, which learns the pool from its event."""
    return CognitoDirectory(client("cognito-idp"))


@functools.cache
def accounts_repository() -> DynamoAccountsRepository:
    return DynamoAccountsRepository(client("dynamodb"), settings.table_name("main"))


@functools.cache
def user_directory() -> CognitoDirectory:
    return CognitoDirectory(client("cognito-idp"), settings.user_pool_id(), settings.user_pool_client_id())


@functools.cache
def mailer() -> SesMailer:
    return SesMailer(client("ses"), settings.email_sender(), settings.email_configuration_set())


def accounts():
    from chalicelib.services.accounts import Accounts

    return Accounts(accounts_repository(), user_directory(), link_key=lambda: secrets.hmac_key("links"))


def reset() -> None:
    for cached in (demo_repository, queue_publisher, cognito_directory, accounts_repository, user_directory, mailer):
        cached.cache_clear()
    secrets.reset()
