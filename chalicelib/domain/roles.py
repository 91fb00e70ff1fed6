"""Who an account is and whether it may act: the roles and the account statuses.

Apart from chalicelib.domain.accounts (which re-exports them) so that the authorizer and the API's
routing read them without importing pydantic."""
from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    CANDIDAT = "candidat"
    AUTO_ECOLE = "auto-ecole"
    INSTRUCTEUR_DDT = "instructeur-ddt"
    INSTRUCTEUR_CERT = "instructeur-cert"
    INSPECTEUR = "inspecteur"
    PREFECTURE = "prefecture"
    # A digital mediator (France Services, "points numériques"): files requests with and for people
    # who have no internet access, with their consent (domain.requests.ConsentStep).
    MEDIATEUR = "mediateur"


class AccountStatus(StrEnum):
    PENDING = "pending"  # created, activation link not followed yet
    ACTIVE = "active"
    REMOVED = "removed"  # a school member removed by the school's administrator
    CLOSED = "closed"  # closed by its owner
    DISABLED = "disabled"  # an agent's account disabled by an administrator
