"""Opening accounts: anti-robot challenge, school and candidate sign-up, activation by the
emailed link, resending the link, and the communes of a postal code (for the address fields)."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING, Literal

from pydantic import ConfigDict, Field, field_validator

from chalicelib.domain.base import Model
from chalicelib.adapters import wiring
from chalicelib.api.auth import PUBLIC
from chalicelib.api.http import Routes, route
from chalicelib.domain import geography
from chalicelib.domain.accounts import ACTIVATION_DAYS, EMAIL_FORMAT, CandidateSignUp, SchoolSignUp, check_email, mask_email
from chalicelib.domain.errors import NotFound
from chalicelib.services import antirobot

if TYPE_CHECKING:
    from chalicelib.adapters.identity import Tokens
    from chalicelib.services.accounts import Opened

blueprint = Routes(__name__)
TAGS = ("comptes",)


class AltchaChallenge(Model):
    algorithm: str
    challenge: str
    maxnumber: int
    salt: str
    signature: str


class AccountOpened(Model):
    account_id: str
    email: str = Field(description="Adresse masquée à laquelle le lien d'activation est envoyé")
    activation_deadline: datetime
    message: str


class TokenInput(Model):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    token: str = Field(min_length=1, max_length=100, description="Jeton du lien reçu par courriel")


class ActivationInput(TokenInput):
    password: str = Field(min_length=12, max_length=256, description="Mot de passe choisi : 12 caractères au moins")


class ActivationPreview(Model):
    email: str
    first_name: str
    role: str
    kind: str
    request_id: str


class SessionTokens(Model):
    access_token: str
    id_token: str
    refresh_token: str | None
    expires_in: int
    token_type: Literal["Bearer"] = "Bearer"


def session_tokens(tokens: "Tokens") -> SessionTokens:
    return SessionTokens(access_token=tokens.access_token, id_token=tokens.id_token,
                         refresh_token=tokens.refresh_token, expires_in=tokens.expires_in)


class Activated(Model):
    account_id: str
    role: str
    message: str
    request_id: str | None = None
    tokens: SessionTokens | None = Field(default=None, description="La session ouverte à l'activation (candidats, "
                                                                     "auto-écoles, médiateurs) ; les agents se "
                                                                     "connectent ensuite avec leur double "
                                                                     "authentification")


class EmailInput(Model):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    email: str = Field(min_length=3, max_length=254, json_schema_extra=EMAIL_FORMAT)

    check_email_address = field_validator("email")(check_email)


class Accepted(Model):
    message: str


class CommuneView(Model):
    insee_code: str
    name: str
    departement: str


class Communes(Model):
    postal_code: str
    communes: list[CommuneView]


def _opened(opened: "Opened") -> AccountOpened:
    assert opened.activation_deadline is not None
    return AccountOpened(account_id=opened.account_id, email=mask_email(opened.email),
                         activation_deadline=opened.activation_deadline, message=opened.message())


def _altcha_key() -> bytes:
    from chalicelib.adapters import secrets

    return secrets.hmac_key("altcha")


def _check_antirobot(payload: str) -> None:
    repo = wiring.accounts_repository()
    antirobot.verify_and_consume(payload, _altcha_key(), datetime.now(timezone.utc), repo.consume_altcha)


@route(blueprint, "/antirobot/challenge", summary="Défi anti-robot (ALTCHA) pour un formulaire public", tags=TAGS,
       response_model=AltchaChallenge, roles=PUBLIC, rate_limit="public",
       description="Le navigateur résout le défi (preuve de travail, environ une seconde) et joint la solution au "
                   "formulaire (champ altcha). Une solution ne sert qu'une fois et expire en 10 minutes.")
def antirobot_challenge() -> AltchaChallenge:
    return AltchaChallenge(**antirobot.new_challenge(_altcha_key(), datetime.now(timezone.utc)))


@route(blueprint, "/accounts/schools", method="POST", summary="Créer le compte professionnel d'une auto-école",
       tags=TAGS, request_model=SchoolSignUp, response_model=AccountOpened, status=201, errors=(409,),
       roles=PUBLIC, rate_limit="public",
       description="L'agrément doit figurer au registre de la préfecture, être en cours de validité et n'être "
                   f"rattaché à aucun autre compte. Un courriel d'activation (valable {ACTIVATION_DAYS} jours) est "
                   "envoyé ; la personne qui crée le compte en devient l'administrateur.")
def sign_up_school(body: SchoolSignUp) -> AccountOpened:
    _check_antirobot(body.altcha)
    return _opened(wiring.accounts().sign_up_school(body))


@route(blueprint, "/accounts/candidates", method="POST", summary="Créer un compte de candidat", tags=TAGS,
       request_model=CandidateSignUp, response_model=AccountOpened, status=201, errors=(409,), roles=PUBLIC,
       rate_limit="public",
       description="La date de naissance est obligatoire. L'adresse électronique doit être personnelle au candidat.")
def sign_up_candidate(body: CandidateSignUp) -> AccountOpened:
    _check_antirobot(body.altcha)
    return _opened(wiring.accounts().sign_up_candidate(body))


@route(blueprint, "/accounts/activation/preview", method="POST", summary="Vérifier un lien d'activation",
       tags=TAGS, request_model=TokenInput, response_model=ActivationPreview, errors=(404,), roles=PUBLIC,
       rate_limit="public", description="Pour afficher à qui appartient le compte avant de choisir le mot de passe.")
def activation_preview(body: TokenInput) -> ActivationPreview:
    return ActivationPreview(**wiring.accounts().activation_preview(body.token))


@route(blueprint, "/accounts/activation", method="POST", summary="Activer un compte et choisir son mot de passe",
       tags=TAGS, request_model=ActivationInput, response_model=Activated, errors=(404,), roles=PUBLIC,
       rate_limit="public")
def activate(body: ActivationInput) -> Activated:
    profile, link_data, tokens = wiring.accounts().activate_and_sign_in(body.token, body.password)
    return Activated(account_id=profile.account_id, role=profile.role.value,
                     request_id=str(link_data.get("request_id") or "") or None,
                     tokens=session_tokens(tokens) if tokens else None,
                     message="Votre compte est activé et vous êtes connecté(e)." if tokens else
                     "Votre compte est activé : connectez-vous avec votre adresse électronique et ce mot de passe.")


@route(blueprint, "/accounts/activation/resend", method="POST", summary="Recevoir un nouveau lien d'activation",
       tags=TAGS, request_model=EmailInput, response_model=Accepted, status=202, roles=PUBLIC, rate_limit="public",
       description="La réponse est la même que l'adresse ait un compte en attente ou non. Le nouveau lien remplace "
                   "le précédent, qui cesse de fonctionner.")
def resend_activation(body: EmailInput) -> Accepted:
    wiring.accounts().request_activation_resend(body.email)
    return Accepted(message="Si un compte en attente d'activation correspond à cette adresse, un nouveau lien vient "
                            "d'y être envoyé (le précédent ne fonctionne plus). Pensez à regarder dans les indésirables.")


@route(blueprint, "/communes/{postal_code}", summary="Communes desservies par un code postal", tags=TAGS,
       response_model=Communes, errors=(404,), roles=PUBLIC)
def communes(postal_code: str) -> Communes:
    found = geography.communes_for_postal_code(postal_code)
    if not found:
        raise NotFound("postal_code_unknown", "Ce code postal n'existe pas : vérifiez-le (5 chiffres).")
    return Communes(postal_code=postal_code, communes=[
        CommuneView(insee_code=c.insee_code, name=c.name, departement=c.departement) for c in found])
