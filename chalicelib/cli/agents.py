"""`python -m chalicelib.cli.agents create --role instructeur-ddt --departement 69 --email ...`:
opens an agent's account (never by self sign-up). The agent receives the activation email, chooses
a password, then must set up TOTP MFA before using the agents' functions."""
from __future__ import annotations

import argparse
import sys

from pydantic import ValidationError

from chalicelib.api.errors import french_message
from chalicelib.cli import connect
from chalicelib.domain.accounts import STAFF_ROLES, AgentCreation
from chalicelib.domain.errors import DomainError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Comptes des agents (DDT, CERT, inspecteurs, préfecture)")
    parser.add_argument("action", choices=("create",))
    parser.add_argument("--role", required=True, choices=sorted(r.value for r in STAFF_ROLES))
    parser.add_argument("--email", required=True)
    parser.add_argument("--nom", required=True, dest="birth_name")
    parser.add_argument("--prenom", required=True, dest="first_name")
    parser.add_argument("--departement", help="obligatoire sauf pour le CERT")
    args = parser.parse_args(argv)
    try:
        form = AgentCreation(role=args.role, email=args.email, birth_name=args.birth_name,
                             first_name=args.first_name, departement=args.departement)
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


if __name__ == "__main__":
    sys.exit(main())
