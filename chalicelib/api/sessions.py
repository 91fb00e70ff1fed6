"""Signing in and out, refreshing a session, forgotten and reset passwords."""
from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict, Field, field_validator

from chalicelib.domain.base import Model
from chalicelib.adapters import wiring
from chalicelib.api.accounts import Accepted, EmailInput, SessionTokens, TokenInput, session_tokens as _tokens
from chalicelib.api.auth import ANY_ROLE, PUBLIC
from chalicelib.api.http import Routes, route
from chalicelib.domain.accounts import EMAIL_FORMAT, Profile, check_email

blueprint = Routes(__name__)
TAGS = ("sessions",)


class Credentials(Model):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    email: str = Field(min_length=3, max_length=254, json_schema_extra=EMAIL_FORMAT)

    check_email_address = field_validator("email")(check_email)
    password: str = Field(min_length=1, max_length=256)


class MfaAnswer(Model):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    email: str = Field(min_length=3, max_length=254, json_schema_extra=EMAIL_FORMAT)

    check_email_address = field_validator("email")(check_email)
    session: str = Field(min_length=20, max_length=2048, pattern=r"^[\x21-\x7e]+$",
                         description="Valeur session de la réponse précédente")
    code: str = Field(pattern=r"^[0-9]{6}$", description="Code à 6 chiffres de l'application d'authentification")


class RefreshInput(Model):
    model_config = ConfigDict(extra="forbid")
    refresh_token: str = Field(min_length=1, max_length=8192)


class SignInAnswer(Model):
    status: Literal["signed_in", "mfa_required"]
    tokens: SessionTokens | None = None
    session: str | None = None
    message: str


class PasswordReset(TokenInput):
    password: str = Field(min_length=12, max_length=256, description="Nouveau mot de passe : 12 caractères au moins")


@route(blueprint, "/sessions", method="POST", summary="Se connecter", tags=TAGS, request_model=Credentials,
       response_model=SignInAnswer, errors=(401, 429), roles=PUBLIC, rate_limit="public",
       description="Même réponse pour une adresse inconnue et un mauvais mot de passe. Les agents dont la double "
                   "authentification est active reçoivent mfa_required et envoient leur code à /sessions/mfa.")
def sign_in(body: Credentials) -> SignInAnswer:
    from chalicelib.adapters.identity import MfaChallenge

    result = wiring.accounts().sign_in(body.email, body.password)
    if isinstance(result, MfaChallenge):
        return SignInAnswer(status="mfa_required", session=result.session,
                            message="Saisissez le code à 6 chiffres de votre application d'authentification.")
    return SignInAnswer(status="signed_in", tokens=_tokens(result), message="Vous êtes connecté.")


@route(blueprint, "/sessions/mfa", method="POST", summary="Se connecter : code de double authentification",
       tags=TAGS, request_model=MfaAnswer, response_model=SignInAnswer, errors=(401, 429), roles=PUBLIC,
       rate_limit="public")
def answer_mfa(body: MfaAnswer) -> SignInAnswer:
    tokens = wiring.accounts().answer_mfa(body.email, body.session, body.code)
    return SignInAnswer(status="signed_in", tokens=_tokens(tokens), message="Vous êtes connecté.")


@route(blueprint, "/sessions/refresh", method="POST", summary="Prolonger la session", tags=TAGS,
       request_model=RefreshInput, response_model=SessionTokens, errors=(401,), roles=PUBLIC)
def refresh(body: RefreshInput) -> SessionTokens:
    return _tokens(wiring.accounts().refresh(body.refresh_token))


@route(blueprint, "/sessions", method="DELETE", summary="Se déconnecter (sur tous les appareils)", tags=TAGS,
       response_model=Accepted, roles=ANY_ROLE, mfa_exempt=True,
       description="Les jetons de rafraîchissement sont révoqués et les jetons d'accès déjà émis sont refusés.")
def sign_out(caller: Profile) -> Accepted:
    wiring.accounts().sign_out(caller)
    return Accepted(message="Vous êtes déconnecté, sur cet appareil et sur les autres.")


@route(blueprint, "/passwords/forgotten", method="POST", summary="Mot de passe oublié", tags=TAGS,
       request_model=EmailInput, response_model=Accepted, status=202, roles=PUBLIC, rate_limit="public",
       description="Même réponse, même travail, que l'adresse ait un compte ou non : le lien (valable une heure) "
                   "n'est envoyé qu'à un compte actif.")
def forgotten_password(body: EmailInput) -> Accepted:
    wiring.accounts().request_password_reset(body.email)
    return Accepted(message="Si un compte actif correspond à cette adresse, un lien pour choisir un nouveau mot de "
                            "passe vient d'y être envoyé ; il est valable une heure.")


@route(blueprint, "/passwords/reset", method="POST", summary="Choisir un nouveau mot de passe (lien reçu)",
       tags=TAGS, request_model=PasswordReset, response_model=Accepted, errors=(404,), roles=PUBLIC,
       rate_limit="public")
def reset_password(body: PasswordReset) -> Accepted:
    wiring.accounts().reset_password(body.token, body.password)
    return Accepted(message="Votre mot de passe est changé et vos autres sessions sont fermées : connectez-vous.")
