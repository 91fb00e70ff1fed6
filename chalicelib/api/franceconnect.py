"""FranceConnect for candidates: the sign-in's end (the code the user pool sends back), opening an
account with the certified civil status, and linking an existing account by email confirmation."""
from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import ConfigDict, Field, field_validator

from chalicelib.adapters import wiring
from chalicelib.api.accounts import Accepted, SessionTokens, TokenInput, session_tokens
from chalicelib.api.auth import FRANCECONNECT_NEWCOMER, PUBLIC
from chalicelib.api.http import Routes, route
from chalicelib.api.me import ProfileView, view
from chalicelib.domain.accounts import AddressInput, BirthPlace, check_terms, normalize_mobile_phone
from chalicelib.domain.base import Model

blueprint = Routes(__name__)
TAGS = ("FranceConnect",)


class Configuration(Model):
    authorize_url: str = Field(description="Adresse d'autorisation du groupe d'utilisateurs (Cognito)")
    client_id: str
    redirect_uri: str
    identity_provider: str
    scope: str


class CodeInput(Model):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    code: str = Field(min_length=1, max_length=2048, pattern=r"^[\x21-\x7e]+$",
                      description="Code reçu sur la page de retour de FranceConnect")
    code_verifier: str = Field(min_length=43, max_length=128, pattern=r"^[A-Za-z0-9._~-]+$",
                               description="Vérificateur PKCE de la page qui a lancé la connexion")


class IdentityView(Model):
    given_name: str
    family_name: str
    birth_date: date
    sex: Literal["F", "M"] | None
    birth_place: BirthPlace | None = Field(description="Lieu de naissance lisible ici (sinon à indiquer)")
    email: str


class FranceConnectAnswer(Model):
    status: Literal["signed_in", "new_account", "link_required"]
    tokens: SessionTokens
    identity: IdentityView | None = None
    email: str | None = Field(None, description="link_required : l'adresse du compte existant, masquée")
    message: str


class FranceConnectSignUp(Model):
    """What FranceConnect does not certify: how to reach the person, and where they live."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    mobile_phone: str = Field(max_length=20, description="Téléphone portable")
    address: AddressInput
    birth_place: BirthPlace | None = Field(None, description="Seulement quand FranceConnect ne l'a pas transmis "
                                                             "sous une forme lisible")
    terms_accepted: bool

    check_mobile_phone = field_validator("mobile_phone")(normalize_mobile_phone)
    check_terms_accepted = field_validator("terms_accepted")(check_terms)


class LinkPreview(Model):
    name: str
    email: str
    birth_date: date


MESSAGES = {
    "signed_in": "Vous êtes connecté avec FranceConnect.",
    "new_account": "FranceConnect vous a identifié. Complétez votre compte : téléphone et adresse.",
    "link_required": "Un compte Permis en ligne utilise déjà l'adresse électronique que FranceConnect a transmise. "
                     "Pour le relier à votre identité FranceConnect, confirmez depuis cette adresse.",
}


@route(blueprint, "/franceconnect/configuration", summary="FranceConnect : où lancer la connexion", tags=TAGS,
       response_model=Configuration, roles=PUBLIC)
def configuration() -> Configuration:
    from chalicelib import settings
    from chalicelib.domain.franceconnect import CALLBACK_PAGE, PROVIDER_NAME

    return Configuration(authorize_url=f"{settings.user_pool_domain()}/oauth2/authorize",
                         client_id=settings.user_pool_client_id(),
                         redirect_uri=f"{settings.web_origin()}/{CALLBACK_PAGE}", identity_provider=PROVIDER_NAME,
                         scope="openid email profile")


@route(blueprint, "/sessions/franceconnect", method="POST", summary="Se connecter avec FranceConnect (retour)",
       tags=TAGS, request_model=CodeInput, response_model=FranceConnectAnswer, errors=(401, 503), roles=PUBLIC,
       rate_limit="public",
       description="new_account : la personne complète son compte (POST /franceconnect/account) ; link_required : "
                   "elle reçoit un lien de liaison à l'adresse du compte existant (POST /franceconnect/link).")
def sign_in(body: CodeInput) -> FranceConnectAnswer:
    signed = wiring.franceconnect().sign_in(body.code, body.code_verifier)
    identity = None
    if signed.identity is not None:
        person = signed.identity
        identity = IdentityView(given_name=person.given_name, family_name=person.family_name,
                                birth_date=person.birthdate, sex=person.sex, birth_place=person.birth_place(),
                                email=person.email)
    return FranceConnectAnswer(status=signed.status, tokens=session_tokens(signed.tokens), identity=identity,
                               email=signed.email_masked, message=MESSAGES[signed.status])


@route(blueprint, "/franceconnect/account", method="POST", summary="Créer mon compte avec FranceConnect",
       tags=TAGS, request_model=FranceConnectSignUp, response_model=ProfileView, status=201, errors=(409, 503),
       roles=FRANCECONNECT_NEWCOMER)
def open_account(newcomer: tuple[str, str], body: FranceConnectSignUp) -> ProfileView:
    subject, username = newcomer
    return view(wiring.franceconnect().open_account(subject, username, body.mobile_phone, body.address.to_address(),
                                                    body.birth_place))


@route(blueprint, "/franceconnect/link", method="POST", summary="Relier mon compte existant à FranceConnect "
       "(courriel de confirmation)", tags=TAGS, response_model=Accepted, status=202, errors=(404, 409, 503),
       roles=FRANCECONNECT_NEWCOMER)
def request_link(newcomer: tuple[str, str]) -> Accepted:
    masked = wiring.franceconnect().request_link(newcomer[1])
    return Accepted(message=f"Nous avons envoyé un lien à {masked}. Ouvrez-le dans les 2 heures pour relier votre "
                            "compte à FranceConnect.")


@route(blueprint, "/franceconnect/link/preview", method="POST", summary="Ce que relie un lien reçu", tags=TAGS,
       request_model=TokenInput, response_model=LinkPreview, errors=(404,), roles=PUBLIC, rate_limit="public")
def link_preview(body: TokenInput) -> LinkPreview:
    preview = wiring.franceconnect().link_preview(body.token)
    return LinkPreview(name=preview["name"], email=preview["email"],
                       birth_date=preview["civil_status"]["birth_date"])


@route(blueprint, "/franceconnect/link/confirm", method="POST", summary="Confirmer la liaison à FranceConnect "
       "(lien reçu)", tags=TAGS, request_model=TokenInput, response_model=Accepted, errors=(404,), roles=PUBLIC,
       rate_limit="public")
def confirm_link(body: TokenInput) -> Accepted:
    wiring.franceconnect().confirm_link(body.token)
    return Accepted(message="Votre compte est relié à FranceConnect : votre état civil est celui que FranceConnect "
                            "certifie. Connectez-vous désormais avec FranceConnect.")
