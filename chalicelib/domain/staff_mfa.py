"""Staff roles need a second factor: an agent whose account has no MFA set up gets a token
without staff roles (and a flag asking to set MFA up), so they can sign in to enrol their
authenticator but cannot act as an agent before. Pure rule; the Cognito trigger applies it."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TokenGroups:
    groups: tuple[str, ...]
    mfa_setup_required: bool


def groups_for_token(groups: tuple[str, ...], staff_groups: tuple[str, ...], mfa_enabled: bool) -> TokenGroups:
    """The groups a token may carry. Users' own roles are never removed."""
    if mfa_enabled or not any(group in staff_groups for group in groups):
        return TokenGroups(groups=groups, mfa_setup_required=False)
    return TokenGroups(groups=tuple(g for g in groups if g not in staff_groups), mfa_setup_required=True)
