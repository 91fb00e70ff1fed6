"""The partners' simulator (`python -m chalicelib.cli.partners`) against the API in-process: it
signs each event with the partner's key read from the stack's secrets, plays the happy path, and
says in French what the service did or why it refused."""
from __future__ import annotations

import urllib.error
from datetime import datetime, timedelta, timezone

import pytest

from chalicelib.cli import partners as cli
from tests.accounts_support import active_school
from tests.integration.test_agent_cli import opener_for
from tests.integration.test_licence import in_production, state


@pytest.fixture
def school(http, accounts):
    return active_school(http, accounts, "E0000000001", "ecole@example.fr")


@pytest.fixture
def command(http):
    lines: list[str] = []

    def run(*argv: str) -> int:
        lines.clear()
        return cli.run(cli.parser().parse_args(list(argv)), cli.Partners("http://api.test", cli.local_key,
                                                                          opener=opener_for(http)), out=lines.append)
    run.lines = lines
    return run


def test_the_simulator_plays_the_happy_path_through_the_post_office(command, http, school, pump, agents):
    number = in_production(http, school, pump, agents)
    assert command("parcours", number, "--par-le-bureau", "--pause", "0") == 0
    assert len(command.lines) == 3
    assert command.lines[0].startswith("Imprimerie nationale : « expedie » (suivi 1A")
    assert "La Poste : « avise » (Bureau de poste principal" in command.lines[1]
    assert command.lines[2].endswith("statut « Titre remis ».")
    assert state(http, school, number)[0] == "titre-remis"


def test_single_events_out_of_order_a_replay_and_a_refusal(command, http, school, pump, agents):
    number = in_production(http, school, pump, agents)
    assert command("remettre", number) == 0 and "Titre remis" in command.lines[0]
    earlier = (datetime.now(timezone.utc) - timedelta(hours=1)).isoformat()
    assert command("expedier", number, "--date", earlier, "--suivi", "1A12312312312", "--evenement",
                   "imprimerie-0001") == 0
    assert "plus ancien que le dernier appliqué" in command.lines[0]
    assert command("expedier", number, "--evenement", "imprimerie-0001") == 1
    assert "event_replayed" in command.lines[0]
    assert command("retourner", number) == 1
    assert "event_not_allowed_now" in command.lines[0] and "Statut actuel : « Titre remis »" in command.lines[0]
    assert command("aviser", "261299999999") == 1 and "licence_not_found" in command.lines[0]
    assert command("remettre", number, "--date", "hier") == 2


def test_the_simulator_says_when_the_api_is_not_running(http, tmp_path):
    def refuse(request, timeout=None):
        raise urllib.error.URLError("connexion refusée")

    lines: list[str] = []
    partners = cli.Partners("http://127.0.0.1:9", lambda partner: b"k", opener=refuse)
    assert cli.run(cli.parser().parse_args(["remettre", "261200000001"]), partners, out=lines.append) == 2
    assert "lancez make run" in lines[0]
