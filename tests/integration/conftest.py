"""Fixtures shared by the integration tests."""
from __future__ import annotations

import boto3
import pytest

from chalicelib.adapters import wiring
from chalicelib.adapters.aws import CLIENT_CONFIG
from chalicelib.local.demo_data import ActiveAccounts
from chalicelib.local.pump import EventPump


@pytest.fixture
def pump(aws, app):
    """Runs the workers as the local stack does: `pump.run_until_idle()` after the calls that queue work."""
    return EventPump(app, lambda service: boto3.client(service, config=CLIENT_CONFIG), stage="test")


@pytest.fixture
def accounts(aws):
    """Opens accounts already activated (tests.accounts_support.active_school / active_candidate)."""
    return ActiveAccounts(wiring.accounts())
