"""`python -m chalicelib.cli.agents create --role instructeur-ddt --departement 69 --email ...`:
opens an agent's account (never by self sign-up). The agent receives the activation email, chooses
a password, then must set up TOTP MFA before using the agents' functions.
`... create --role mediateur --departement 69 --structure "France Services de Villeurbanne" ...`:
a digital mediator's account (no MFA: not an agent).
`python -m chalicelib.cli.agents disable --email ...`: the agent loses access at once."""
from __future__ import annotations

import sys

from pydantic import ValidationError

from chalicelib.api.errors import french_message
from chalicelib.cli import FrenchParser, connect
from chalicelib.domain.accounts import CREATED_BY_ADMINISTRATORS, AgentCreation
from chalicelib.domain.errors import DomainError


def main(argv: list[str] | None = None) -> int:
    parser = FrenchParser(description="Comptes des agents (DDT, CERT, inspecteurs, préfecture)")
    parser.add_argument("action", choices=("create", "disable"))
    parser.add_argument("--email", required=True)
    parser.add_argument("--role", choices=sorted(r.value for r in CREATED_BY_ADMINISTRATORS))
    parser.add_argument("--nom", dest="birth_name")
    parser.add_argument("--prenom", dest="first_name")
    parser.add_argument("--departement", help="obligatoire sauf pour le CERT")
    parser.add_argument("--structure", dest="structure_name",
                        help="médiateur numérique : nom de la structure (France Services de ...)")
    args = parser.parse_args(argv)
    if args.action == "disable":
        return _disable(args.email)
    if not (args.role and args.birth_name and args.first_name):
        print("Pour créer un compte : --role, --nom et --prenom sont obligatoires.", file=sys.stderr)
        return 2
    try:
        form = AgentCreation(role=args.role, email=args.email, birth_name=args.birth_name,
                             first_name=args.first_name, departement=args.departement,
                             structure_name=args.structure_name)
    except ValidationError as error:
        for problem in error.errors(include_url=False):
            print(f"  {'.'.join(map(str, problem['loc'])) or 'compte'} : {french_message(problem)}", file=sys.stderr)
        return 2
    if not connect():
        return 2
    from chalicelib.adapters import wiring

    try:
        opened = wiring.accounts().create_agent(form)
    except DomainError as error:
        print(error.message, file=sys.stderr)
        return 1
    print(f"Compte d'agent créé ({args.role}) : {opened.message()}")
    return 0


def _disable(email: str) -> int:
    if not connect():
        return 2
    from chalicelib.adapters import wiring

    try:
        wiring.accounts().disable_agent(email)
    except DomainError as error:
        print(error.message, file=sys.stderr)
        return 1
    print("Compte d'agent désactivé : ses sessions sont fermées et il ne peut plus se connecter.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
