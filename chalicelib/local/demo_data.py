"""Demo data for `make run`: one account per role in the user pool, and demo messages."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from chalicelib.resources import CATALOGUE
from chalicelib.services import demo as demo_service

DEMO_PASSWORD = "demo-permis-en-ligne-2026"  # local only; 12+ characters, as the pool demands


@dataclass(frozen=True)
class DemoLogin:
    role: str
    email: str


DEMO_LOGINS = tuple(DemoLogin(group, f"{group}@demo.permis-en-ligne.example.fr")
                    for group in CATALOGUE.user_pool("users").groups)
DEMO_MESSAGES = ("Bienvenue sur Permis en ligne", "Message traité par le worker de démonstration")


def load(client: Callable[[str], Any], env: dict[str, str], repository: demo_service.DemoRepository) -> None:
    cognito = client("cognito-idp")
    pool_id = env[CATALOGUE.user_pool("users").env_id]
    for login in DEMO_LOGINS:
        cognito.admin_create_user(UserPoolId=pool_id, Username=login.email, MessageAction="SUPPRESS",
                                  UserAttributes=[{"Name": "email", "Value": login.email},
                                                  {"Name": "email_verified", "Value": "true"}])
        cognito.admin_set_user_password(UserPoolId=pool_id, Username=login.email, Password=DEMO_PASSWORD,
                                        Permanent=True)
        cognito.admin_add_user_to_group(UserPoolId=pool_id, Username=login.email, GroupName=login.role)
    for text in DEMO_MESSAGES:
        demo_service.submit_message(repository, text)
