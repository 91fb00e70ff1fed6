"""Who is calling: the API Gateway authorizer (signature, expiry, issuer, client of the access
token, against the user pool's JWKS, cached: no AWS call per request) and, in the function, the
caller's profile (one read), which is where disabled, removed and signed-out accounts are refused
at once, and where roles are checked.

Locally the same code runs: chalice's local gateway calls the authorizer, and moto serves the JWKS
(the local stack points COGNITO_JWKS_URL at it)."""
from __future__ import annotations

import functools
import os
from typing import TYPE_CHECKING, Any

from chalice import AuthResponse, Blueprint

from chalicelib import settings
from chalicelib.api.middleware import observed_authorizer
from chalicelib.domain.errors import Forbidden, Unauthenticated
from chalicelib.domain.roles import AccountStatus, Role
from chalicelib.resources import current_region

if TYPE_CHECKING:  # the authorizer function and the API's routing do not load the models (pydantic)
    from chalicelib.domain.accounts import Profile

blueprint = Blueprint(__name__)

# Anonymous routes, and routes any signed-in account may call.
PUBLIC: tuple[str, ...] = ()
ANY_ROLE: tuple[str, ...] = tuple(role.value for role in Role)
# Routes for a person FranceConnect identified who has no account yet (a federated user of the
# pool without a profile): they open it, or ask to link an existing one.
FRANCECONNECT_NEWCOMER: tuple[str, ...] = ("franceconnect-newcomer",)
# How long API Gateway keeps an authorizer's answer for a token (the profile check is not cached).
AUTHORIZER_CACHE_SECONDS = 300


class Unauthorized(Exception):
    """Raised by the authorizer: API Gateway answers 401 when a Lambda authorizer fails with
    exactly this message (the local gateway emulation does the same)."""

    def __init__(self) -> None:
        super().__init__("Unauthorized")


@functools.cache
def verifier():
    # Imported here: only the authorizer function loads the JWT and crypto libraries.
    from chalicelib.auth.tokens import JwksCache, TokenVerifier, default_jwks_url, issuer_for

    pool_id = settings.user_pool_id()
    url = os.environ.get("COGNITO_JWKS_URL") or default_jwks_url(current_region(), pool_id)
    return TokenVerifier(JwksCache(url), issuer_for(current_region(), pool_id), settings.user_pool_client_id())


def bearer_token(header: str | None) -> str | None:
    if not header:
        return None
    scheme, _, token = header.strip().partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


@observed_authorizer
@blueprint.authorizer(ttl_seconds=AUTHORIZER_CACHE_SECONDS)
def jwt_authorizer(auth_request):
    from chalicelib.auth.tokens import InvalidToken

    token = bearer_token(auth_request.token)
    if token is None:
        raise Unauthorized()
    try:
        verified = verifier().verify_access_token(token)
    except InvalidToken:
        raise Unauthorized() from None
    # Every route: API Gateway caches this answer per token, for any route of the API.
    return AuthResponse(routes=["*"], principal_id=verified.subject,
                        context={"issued_at": str(verified.issued_at), "username": verified.username})


SESSION_ENDED = Unauthenticated("session_revoked", "Votre session a été fermée (déconnexion, nouveau mot de passe "
                                "ou compte retiré) : reconnectez-vous.")
ACCOUNT_INACTIVE = Unauthenticated("account_inactive", "Ce compte n'est plus actif. S'il s'agit d'une erreur, "
                                   "contactez l'administrateur de votre espace ou le support.")
MFA_REQUIRED = Forbidden("mfa_required", "Les comptes d'agents doivent activer la double authentification : "
                         "configurez votre application d'authentification dans « Mon compte » avant de continuer.")


def caller(request_context: dict[str, Any], load_profile) -> Profile:
    """The signed-in account, or 401 when it cannot act any more (whatever its token says)."""
    authorizer = request_context.get("authorizer") or {}
    account_id = authorizer.get("principalId")
    if not account_id:
        raise Unauthenticated("unauthenticated", "Vous devez être connecté : reconnectez-vous puis réessayez.")
    profile = load_profile(account_id)
    if profile is None or profile.status != AccountStatus.ACTIVE:
        raise ACCOUNT_INACTIVE
    issued_at = int(authorizer.get("issued_at") or 0)
    if profile.sessions_revoked_at is not None and issued_at < profile.sessions_revoked_at:
        raise SESSION_ENDED  # issued before the sign-out's second (see services.accounts.revocation_second)
    return profile


def newcomer(request_context: dict[str, Any]) -> tuple[str, str]:
    """The subject and username of a FranceConnect identity: 403 for any other token."""
    from chalicelib.domain.franceconnect import is_federated

    authorizer = request_context.get("authorizer") or {}
    subject, username = authorizer.get("principalId"), authorizer.get("username")
    if not subject:
        raise Unauthenticated("unauthenticated", "Vous devez être connecté : reconnectez-vous puis réessayez.")
    if not is_federated(username):
        raise Forbidden("forbidden", "Cette étape ne concerne qu'une personne identifiée avec FranceConnect "
                        "qui n'a pas encore de compte.")
    return subject, username


def check_role(profile: Profile, roles: tuple[str, ...], mfa_exempt: bool = False) -> None:
    if profile.role.value not in roles:
        raise Forbidden("forbidden", "Votre compte n'a pas accès à cette fonction.")
    if profile.is_staff and not profile.mfa_enabled and not mfa_exempt:
        raise MFA_REQUIRED
