"""The agrément registry import command of prefecture staff: CSV in, registry updated, never
duplicated, bindings untouched, bad lines listed with why."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import boto3

from chalicelib.adapters import wiring
from chalicelib.cli import agrements
from chalicelib.domain.registry import parse_registry

EXAMPLE = Path(__file__).resolve().parents[1] / "data" / "agrements-exemple.csv"


def registry_items(aws) -> list[dict]:
    items = boto3.client("dynamodb").scan(TableName=aws["TABLE_MAIN_NAME"])["Items"]
    return [i for i in items if i["pk"]["S"].startswith("AGREMENT#")]


def test_the_example_file_is_read_with_its_errors_by_line():
    found, errors = parse_registry(EXAMPLE.read_text(encoding="utf-8"))
    assert [a.number for a in found] == ["E1706900120", "E1706900130", "E1709200140"]
    assert str(found[0].valid_until) == "2029-12-31" and found[1].valid_from.isoformat() == "2018-03-01"
    assert [(e.line, e.message) for e in errors] == [
        (5, "numéro d'agrément absent ou mal formé"), (6, "département inconnu « 99 »")]


def test_a_file_without_the_expected_columns_says_which_are_missing():
    found, errors = parse_registry("numero;nom\nE1706900120;École\n")
    assert found == [] and "adresse" in errors[0].message and errors[0].line == 1


def test_importing_twice_updates_and_never_duplicates_nor_unbinds(aws, capsys, tmp_path):
    assert agrements.main(["import", str(EXAMPLE)]) == 1  # two lines in error: exit 1, the rest imported
    first = capsys.readouterr()
    assert "3 ajouté(s)" in first.out and "ligne 5 ignorée" in first.err
    assert len(registry_items(aws)) == 3
    repo = wiring.accounts_repository()
    repo.transact([repo.bind_agrement("E1706900120", "ecole-1", date(2024, 1, 1))])

    second = tmp_path / "registre.csv"
    second.write_text(EXAMPLE.read_text(encoding="utf-8").replace("Auto-école Bellecour", "Auto-école Bellecour Centre"),
                      encoding="utf-8")
    agrements.main(["import", str(second)])
    out = capsys.readouterr().out
    assert "0 ajouté(s), 1 mis à jour, 2 inchangé(s)" in out
    assert len(registry_items(aws)) == 3
    assert repo.get_agrement("E1706900130").name == "Auto-école Bellecour Centre"
    assert repo.get_agrement("E1706900120").bound_school_id == "ecole-1"


def test_an_unreadable_or_empty_file_imports_nothing(aws, tmp_path, capsys):
    empty = tmp_path / "vide.csv"
    empty.write_text("", encoding="utf-8")
    assert agrements.main(["import", str(empty)]) == 1
    assert agrements.main(["import", str(tmp_path / "absent.csv")]) == 2
    assert "Lecture impossible" in capsys.readouterr().err
    assert registry_items(aws) == []
