"""Commands for prefecture staff and operators, run against `make run` or a deployed stage."""
from __future__ import annotations

import json
import os
import sys


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
