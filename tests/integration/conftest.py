"""Fixtures shared by the integration tests."""
from __future__ import annotations

import pytest

from chalicelib.adapters import wiring
from chalicelib.adapters.aws import client as aws_client
from chalicelib.local.demo_data import ActiveAccounts
from chalicelib.local.pump import EventPump
from chalicelib.domain.accounts import Role
from tests.accounts_support import active_agent


@pytest.fixture
def pump(aws, app):
    """Runs the workers as the local stack does: `pump.run_until_idle()` after the calls that queue work."""
    return EventPump(app, aws_client, stage="test")  # the app's clients, kept between tests (tests/moto_speed.py)


@pytest.fixture
def accounts(aws):
    """Opens accounts already activated (tests.accounts_support.active_school / active_candidate)."""
    return ActiveAccounts(wiring.accounts())


@pytest.fixture
def agents(http, accounts):
    """Two agents of the DDT of the Hauts-de-Seine (the test candidates live in Antony), one of the
    Rhône, one of the CERT, and a prefecture administrator of each département."""
    return {
        "ddt92": active_agent(http, accounts, Role.INSTRUCTEUR_DDT, "92", "a.ddt92@interieur.gouv.fr", "Arnaud"),
        "ddt92b": active_agent(http, accounts, Role.INSTRUCTEUR_DDT, "92", "b.ddt92@interieur.gouv.fr", "Blanc"),
        "ddt69": active_agent(http, accounts, Role.INSTRUCTEUR_DDT, "69", "c.ddt69@interieur.gouv.fr", "Colin"),
        "cert": active_agent(http, accounts, Role.INSTRUCTEUR_CERT, None, "d.cert@interieur.gouv.fr", "Durand"),
        "admin92": active_agent(http, accounts, Role.PREFECTURE, "92", "e.pref92@interieur.gouv.fr", "Ester"),
        "admin69": active_agent(http, accounts, Role.PREFECTURE, "69", "f.pref69@interieur.gouv.fr", "Faure"),
    }
