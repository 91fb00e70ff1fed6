"""Adapters built on first use, once per process: handlers ask here, tests replace them."""
from __future__ import annotations

import functools

from chalicelib import settings
from chalicelib.adapters.aws import client
from chalicelib.adapters.demo_repository import DynamoDemoRepository
from chalicelib.adapters.identity import CognitoDirectory
from chalicelib.adapters.queues import QueuePublisher


@functools.cache
def demo_repository() -> DynamoDemoRepository:
    return DynamoDemoRepository(client("dynamodb"), settings.table_name("main"))


@functools.cache
def queue_publisher() -> QueuePublisher:
    return QueuePublisher(client("sqs"))


@functools.cache
def cognito_directory() -> CognitoDirectory:
    return CognitoDirectory(client("cognito-idp"))


def reset() -> None:
    demo_repository.cache_clear()
    queue_publisher.cache_clear()
    cognito_directory.cache_clear()
