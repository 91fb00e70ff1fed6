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


def test_a_duplicate_neph_is_validated_with_verifie_and_notes_are_read_and_added(command, http, accounts, pump):
    from tests.integration.test_instruction_queues import queued as queue_one

    school = active_school(http, accounts, "E0000000001", "ecole@example.fr")
    first = queue_one(http, school, pump)
    second = queue_one(http, school, pump, ephoto="ZZ12CD34EF56GH78IJ90KL")  # the same person, filed again
    active_agent(http, accounts, Role.INSTRUCTEUR_DDT, "92", "agent@ddt92.gouv.fr", "Arnaud")
    command("connexion", "--email", "agent@ddt92.gouv.fr")
    assert first in command("liste") and second in command("liste")
    taken = command("prendre", first)  # from the list
    assert f"Demande {first}" in taken and "Prise en charge : vous" in taken
    assert command("decider", first, "valider").startswith("Décision enregistrée : Validée ; NEPH ")
    shown = command("suivante")
    assert "À VOIR" in shown and "doublon possible" in shown
    assert f"permis-agent decider {second} valider --verifie neph" in shown  # what to type, said
    with pytest.raises(cli.Refused) as refused:
        command("decider", second, "valider")
    assert refused.value.status == 422 and refused.value.answer["code"] == "checks_not_acknowledged"
    assert command("decider", second, "valider", "--verifie", "neph").startswith("Décision enregistrée : Validée")

    listed = command("liste", "--onglet", "traites")
    assert first in listed and second in listed and "valider par Claire Arnaud" in listed
    assert command("liste") == "Aucune demande ici pour ces critères."
    assert second in command("chercher", second)
    assert command("notes", second) == "Aucune note sur cette demande."
    assert "seuls les agents de votre service" in command("notes", second, "--ajouter", "Même personne que " + first)
    listed = command("notes", second)
    assert f"Même personne que {first}" in listed and "Claire Arnaud" in listed
    with pytest.raises(cli.Refused) as empty:
        command("notes", second, "--ajouter", "  ")
    assert empty.value.status == 422 and empty.value.answer["code"] == "note_invalid"
    # The thread with the school: written from the terminal, read back (the school reads it too).
    assert command("messages", second) == "Aucun message sur cette demande."
    assert "en reçoivent un courriel" in command("messages", second, "--ecrire", "Est-ce la même personne ?")
    assert "vous\nEst-ce la même personne ?" in command("messages", second)


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
    # The same listing for a script: the API's answer as JSON; and its times are Paris time as text.
    import json
    from datetime import datetime

    [read] = json.loads(command("consultations", queued, "--json"))["reads"]
    assert read["agent_name"].upper().endswith("ARNAUD") and read["what"] == "demande"
    in_paris = datetime.fromisoformat(read["at"]).astimezone(cli.PARIS).strftime("%Y-%m-%d %H:%M")
    assert in_paris in reads and "UTC" not in reads
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
    assert "permis-agent dlq inspecter MESSAGE --service" in capsys.readouterr().err


@pytest.mark.parametrize("argv, said", [
    (["decider", "261100000001", "accepter"],
     "permis-agent decider : erreur : DECISION : valeur 'accepter' inconnue (au choix : 'valider', 'complement', "
     "'rejeter')"),
    (["decider"], "permis-agent decider : erreur : il manque : NUMERO, DECISION"),
    (["connexion"], "permis-agent connexion : erreur : il manque : --email"),
    (["connexion", "--email"], "permis-agent connexion : erreur : --email : une valeur est attendue après cette option"),
    (["motifs", "--tout"], "permis-agent : erreur : arguments inconnus : --tout"),
    (["ouvrir"], "permis-agent : erreur : commande : valeur 'ouvrir' inconnue"),
])
def test_usage_errors_are_in_french_and_name_the_command_s_own_flags(argv, said, capsys):
    with pytest.raises(SystemExit) as stopped:
        cli.main(argv)
    error = capsys.readouterr().err
    assert stopped.value.code == 2 and said in error and error.startswith("usage : permis-agent")


def test_the_help_is_in_french_and_says_every_listing_has_json(capsys):
    with pytest.raises(SystemExit):
        cli.main(["file", "-h"])
    help_text = capsys.readouterr().out
    assert "affiche cette aide et s'arrête" in help_text and "--json" in help_text and "options" in help_text
    assert "show this help" not in help_text and "usage: " not in help_text
    needs = {"voir": ["261100000001"], "pieces": ["261100000001"], "notes": ["261100000001"], "messages": ["261100000001"],
             "chercher": ["261100000001"],
             "prendre": ["261100000001"], "consultations": ["261100000001"],
             "examens": ["261192100012"], "dlq": ["liste", "--service", "CERT"]}
    for listing in cli.LISTINGS:
        assert cli.parser().parse_args([listing, *needs.get(listing, []), "--json"]).json


def test_times_are_read_in_paris_time_summer_and_winter():
    assert cli.paris("2026-12-06T10:05:00+00:00") == "2026-12-06 11:05"
    assert cli.paris("2026-07-14T10:05:00Z", with_day=False) == "12:05"
    assert cli.paris(None) == ""


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
