"""Commands for prefecture staff and operators, run against `make run` or a deployed stage."""
from __future__ import annotations

import argparse
import json
import os
import sys
from contextlib import contextmanager
from typing import Iterator


def connect() -> bool:
    """Use the running `make run` stack when there is one (its identifiers are in .local/), else
    the environment (a deployed stage: AWS credentials and the stage's variables)."""
    from chalicelib.local.stack import STACK_ENV_FILE
    from chalicelib.resources import CATALOGUE

    if STACK_ENV_FILE.exists():
        os.environ.update(json.loads(STACK_ENV_FILE.read_text()))
        return True
    if not os.environ.get(CATALOGUE.user_pool("users").env_id):
        print("La pile locale ne tourne pas (lancez make run) et aucun environnement de déploiement n'est défini.",
              file=sys.stderr)
        return False
    return True


# argparse's own words (Python 3.11), as the agents and operators read them.
_ARGPARSE_FRENCH = {
    "usage: ": "usage : ",
    "positional arguments": "arguments",
    "options": "options",
    "show this help message and exit": "affiche cette aide et s'arrête",
    "%(prog)s: error: %(message)s\n": "%(prog)s : erreur : %(message)s\n",
    "the following arguments are required: %s": "il manque : %s",
    "one of the arguments %s is required": "indiquez l'un de ces arguments : %s",
    "unrecognized arguments: %s": "arguments inconnus : %s (-h donne ceux qui sont possibles)",
    "invalid choice: %(value)r (choose from %(choices)s)": "valeur %(value)r inconnue (au choix : %(choices)s)",
    "argument %(argument_name)s: %(message)s": "%(argument_name)s : %(message)s",
    "expected one argument": "une valeur est attendue après cette option",
    "expected at most one argument": "une valeur au plus est attendue",
    "expected at least one argument": "au moins une valeur est attendue",
    "expected %s argument": "%s valeur attendue",
    "expected %s arguments": "%s valeurs attendues",
    "not allowed with argument %s": "ne peut pas être utilisé avec %s",
    "ambiguous option: %(option)s could match %(matches)s": "option ambiguë : %(option)s peut être %(matches)s",
    "invalid %(type)s value: %(value)r": "valeur %(value)r invalide",
    "ignored explicit argument %r": "valeur %r ignorée",
    "unexpected option string: %s": "option inattendue : %s",
}


@contextmanager
def _french() -> Iterator[None]:
    """argparse looks its words up through its module's `_` and `ngettext` at each call: they are
    answered in French while one of our parsers builds, parses or prints, and restored after."""
    words, plurals = argparse._, argparse.ngettext
    argparse._ = lambda text: _ARGPARSE_FRENCH.get(text, text)
    argparse.ngettext = lambda one, many, n: _ARGPARSE_FRENCH.get(one if n == 1 else many, one if n == 1 else many)
    try:
        yield
    finally:
        argparse._, argparse.ngettext = words, plurals


class FrenchParser(argparse.ArgumentParser):
    """An ArgumentParser whose help and errors are in French (its subcommands' parsers too)."""

    def __init__(self, *args, **kwargs):
        with _french():
            super().__init__(*args, **kwargs)

    def parse_args(self, *args, **kwargs):
        with _french():
            return super().parse_args(*args, **kwargs)

    def parse_known_args(self, *args, **kwargs):
        with _french():
            return super().parse_known_args(*args, **kwargs)

    def format_usage(self) -> str:
        with _french():
            return super().format_usage()

    def format_help(self) -> str:
        with _french():
            return super().format_help()

    def error(self, message: str):
        with _french():
            super().error(message)
