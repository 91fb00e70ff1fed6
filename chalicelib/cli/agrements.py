"""`python -m chalicelib.cli.agrements import FICHIER.csv`: loads the prefecture's agrément
registry. Re-importing updates the agréments already known (never a duplicate) and never
touches which school an agrément is bound to. Lines in error are listed and skipped."""
from __future__ import annotations

import sys
from pathlib import Path

from chalicelib.cli import FrenchParser, connect
from chalicelib.domain.registry import parse_registry


def main(argv: list[str] | None = None) -> int:
    parser = FrenchParser(description="Registre des agréments d'auto-écoles (préfecture)")
    parser.add_argument("action", choices=("import",))
    parser.add_argument("file", type=Path, help="CSV : numero;nom;adresse;departement;debut;fin")
    args = parser.parse_args(argv)
    try:
        text = args.file.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        print(f"Lecture impossible de {args.file} : {error}", file=sys.stderr)
        return 2
    agrements, errors = parse_registry(text)
    for error in errors:
        print(f"  ligne {error.line} ignorée : {error.message}", file=sys.stderr)
    if not agrements:
        print("Aucun agrément valide dans ce fichier : rien n'a été importé.", file=sys.stderr)
        return 1
    if not connect():
        return 2
    from chalicelib.adapters import wiring

    counts = wiring.accounts().import_agrements(agrements)
    # The statistics' agréments per département (issue 9): the file is the registry's export of
    # the départements it holds, so their sizes are set from it, dated today.
    wiring.statistics().registry_loaded(agrements)
    print(f"{len(agrements)} agrément(s) lu(s) : {counts['created']} ajouté(s), {counts['updated']} mis à jour, "
          f"{counts['unchanged']} inchangé(s) ; {len(errors)} ligne(s) en erreur.")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
