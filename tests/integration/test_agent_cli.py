"""The agents' command line (`permis-agent`) against the API in-process: it signs in, keeps the
session in a file only its owner reads, claims, shows the request with its pre-checks and
documents as tables, decides, and says in French why the service refused."""
from __future__ import annotations

import io
import stat
import urllib.error

import pytest

from chalicelib.cli import agent as cli
from chalicelib.domain.accounts import Role
from tests.accounts_support import PASSWORD, active_agent, active_school
from tests.integration.test_requests import body
from tests.integration.test_submission import ready_request, submit


class Response(io.BytesIO):
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def opener_for(http):
    """urllib's urlopen, answered by the API in-process (chalice's test client)."""
    def urlopen(request, timeout=None):
        path = request.full_url.split("://", 1)[1].split("/", 1)[1]
        answer = http.request(request.get_method(), "/" + path, headers=dict(request.header_items()),
                              body=request.data or b"")
        if answer.status_code >= 400:
            raise urllib.error.HTTPError(request.full_url, answer.status_code, "refused", {}, io.BytesIO(answer.body))
        return Response(answer.body)
    return urlopen


@pytest.fixture
def command(http, tmp_path):
    api = cli.Api("http://api.test", tmp_path / "session.json", opener=opener_for(http))

    def run(*argv: str) -> str:
        return cli.run(cli.parser().parse_args(list(argv)), api, ask_password=lambda _: PASSWORD,
                       ask=lambda _: "123456")
    run.api = api
    return run


@pytest.fixture
def queued(http, accounts, pump):
    school = active_school(http, accounts, "E0000000001", "ecole@example.fr")
    number = ready_request(http, school, pump)
    assert body(submit(http, school, number))["status"] == "en-instruction"
    pump.run_until_idle()
    return number


def test_an_agent_signs_in_claims_examines_and_asks_for_a_complement(command, http, accounts, queued, tmp_path):
    active_agent(http, accounts, Role.INSTRUCTEUR_DDT, "92", "agent@ddt92.gouv.fr", "Arnaud")
    with pytest.raises(cli.Refused, match="pas connecté"):
        command("suivante")
    assert command("connexion", "--email", "agent@ddt92.gouv.fr") == "Vous êtes connecté."
    assert stat.S_IMODE((tmp_path / "session.json").stat().st_mode) == 0o600
    shown = command("suivante")
    assert f"Demande {queued}" in shown and "Contrôles automatiques" in shown and "Prise en charge : vous" in shown
    assert "Âge minimal" in shown and "Justificatif de domicile" in shown
    assert "Aucune demande en attente" in command("suivante")
    assert "identite" in command("pieces", queued) and "X-Amz-Expires=60" in command("pieces", queued,
                                                                                      "--ouvrir", "identite")
    with pytest.raises(cli.Refused) as refused:
        command("decider", queued, "complement", "--motif", "domicile-ancien")
    assert refused.value.status == 422 and refused.value.answer["details"][0]["field"] == "documents"
    done = command("decider", queued, "complement", "--motif", "domicile-ancien", "--piece", "domicile")
    assert done == "Décision enregistrée : Complément demandé."
    assert "domicile-ancien" in command("motifs")
    assert "File DDT-92" in command("file")
    assert command("deconnexion").startswith("Vous êtes déconnecté") and not (tmp_path / "session.json").exists()


def test_an_agent_without_double_authentication_sets_it_up_while_signing_in(command, http, accounts, capsys):
    from chalicelib.adapters import wiring
    from chalicelib.domain.accounts import AgentCreation

    accounts.open(lambda a: a.create_agent(AgentCreation(role=Role.INSTRUCTEUR_CERT, email="new@cert.gouv.fr",
                                                         birth_name="Neuf", first_name="Anne")), PASSWORD)
    assert command("connexion", "--email", "new@cert.gouv.fr") == \
        "Double authentification configurée. Vous êtes connecté."
    assert "otpauth://totp/" in capsys.readouterr().out
    repository = wiring.accounts_repository()
    assert repository.get_profile(repository.account_id_for_email("new@cert.gouv.fr")).mfa_enabled is True
    assert "File CERT" in command("file")


def test_an_administrator_reads_who_looked_and_the_dead_letters(command, http, accounts, queued):
    active_agent(http, accounts, Role.INSTRUCTEUR_DDT, "92", "agent@ddt92.gouv.fr", "Arnaud")
    active_agent(http, accounts, Role.PREFECTURE, "92", "admin@pref92.gouv.fr", "Ester")
    command("connexion", "--email", "agent@ddt92.gouv.fr")
    command("suivante")
    command("connexion", "--email", "admin@pref92.gouv.fr")
    reads = command("consultations", queued)
    assert "Consultation" in reads and "demande" in reads and "ARNAUD" in reads.upper()
    assert command("dlq", "liste", "--service", "DDT-92") == "Aucun message en échec."
    assert "File DDT-92" in command("file", "--service", "DDT-92")
    with pytest.raises(cli.Refused) as refused:
        command("file", "--service", "DDT-69")
    assert refused.value.status == 404 and refused.value.answer["code"] == "queue_not_found"


def test_the_command_says_what_is_wrong_and_exits_non_zero(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("PERMIS_AGENT_SESSION", str(tmp_path / "none.json"))
    assert cli.main(["--api", "http://127.0.0.1:9", "suivante"]) == 1
    assert "pas connecté" in capsys.readouterr().err
    (tmp_path / "none.json").write_text('{"access_token": "x"}')
    assert cli.main(["--api", "http://127.0.0.1:9", "suivante"]) == 2
    assert "make run" in capsys.readouterr().err
    assert cli.main(["dlq", "inspecter", "--service", "CERT"]) == 2
    with pytest.raises(SystemExit):
        cli.main(["decider", "261100000001", "accepter"])


def test_tables_line_up_their_columns():
    assert cli.table([("a", 1), ("bbb", None)], ("X", "Valeur")).splitlines() == [
        "X    Valeur", "---  ------", "a    1", "bbb"]


def test_an_examiner_records_results_and_a_favourable_practical_says_the_cepc_is_issued(command, http, accounts,
                                                                                       queued, agents, pump):
    from tests.integration.test_instruction_queues import claim, decide
    from tests.integration.test_requests import call

    version = claim(http, agents["ddt92"])["request"]["version"]
    assert decide(http, agents["ddt92"], queued, version).status_code == 200
    neph = body(call(http, "GET", f"/staff/requests/{queued}", agents["ddt92"]))["neph"]
    active_agent(http, accounts, Role.INSPECTEUR, "92", "inspecteur@dsr92.gouv.fr", "Garnier")
    command("connexion", "--email", "inspecteur@dsr92.gouv.fr")
    with pytest.raises(cli.Refused) as refused:
        command("resultat", neph, "--epreuve", "pratique", "--categorie", "B", "--resultat", "favorable",
                "--centre", "Antony", "--aac", "oui")
    assert refused.value.answer["code"] == "theory_not_passed"
    assert "Résultat enregistré : Épreuve théorique B" in command(
        "resultat", neph, "--epreuve", "theorie", "--categorie", "B", "--resultat", "favorable", "--centre", "Antony",
        "--date", "2026-01-05")
    done = command("resultat", neph, "--epreuve", "pratique", "--categorie", "B", "--resultat", "favorable",
                   "--centre", "Antony", "--aac", "non", "--date", "2026-02-05")
    assert "Le CEPC est délivré" in done and "demande de fabrication du titre" in done
    shown = command("examens", neph)
    assert f"Inscription {queued}" in shown and "Favorable" in shown and "CEPC B valable jusqu'au 2026-06-05" in shown
