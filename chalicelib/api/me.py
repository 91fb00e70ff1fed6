"""The signed-in person's own account: see and correct their data, export it, close the account,
change password and email, set up the authenticator (TOTP)."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal
from urllib.parse import quote

from pydantic import ConfigDict, Field, field_validator

from chalicelib.domain.base import Model
from chalicelib.domain.dates import IsoDate
from chalicelib.adapters import wiring
from chalicelib.api.accounts import Accepted, TokenInput
from chalicelib.api.auth import ANY_ROLE, PUBLIC
from chalicelib.api.http import Routes, route
from chalicelib.domain.accounts import (EMAIL_FORMAT, Address, AddressInput, BirthPlace, Profile, Role, check_email, check_name,
                                        normalize_mobile_phone, check_birth_date)
from chalicelib.domain.errors import ErrorDetail, InvalidInput
from chalicelib.domain.franceconnect import CERTIFIED_FIELDS

blueprint = Routes(__name__)
TAGS = ("mon compte",)


class ProfileView(Model):
    account_id: str
    role: str
    status: str
    email: str
    birth_name: str
    first_names: str
    usage_name: str | None = None
    sex: str | None = None
    birth_date: date | None = None
    birth_place: BirthPlace | None = None
    mobile_phone: str | None = None
    address: Address | None = None
    school_id: str | None = None
    school_role: str | None = None
    departement: str | None = None
    structure_name: str | None = Field(None, description="Médiateur numérique : sa structure (France Services)")
    mfa_enabled: bool
    identity_certified_by: str | None = Field(None, description="franceconnect : état civil certifié par "
                                                                "FranceConnect (il ne se corrige pas ici)")
    mfa_required: bool = Field(description="Vrai pour un agent sans double authentification : à configurer d'abord")
    created_at: datetime
    activated_at: datetime | None = None


def view(profile: Profile) -> ProfileView:
    data = profile.model_dump(exclude={"sessions_revoked_at", "version", "activation_deadline", "cognito_username"})
    return ProfileView(**data, mfa_required=profile.is_staff and not profile.mfa_enabled)


class Correction(Model):
    """What a person may correct themselves. A candidate corrects their civil status (the seed's
    remedy for a divergence: add the missing birth date in « Mon compte » › « Mes informations »)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    birth_name: str | None = Field(None, max_length=80)
    first_names: str | None = Field(None, max_length=160)
    usage_name: str | None = Field(None, max_length=80)
    sex: Literal["F", "M"] | None = None
    birth_date: IsoDate | None = None
    birth_place: BirthPlace | None = None
    mobile_phone: str | None = Field(None, max_length=20)
    address: AddressInput | None = None

    check_birth_name = field_validator("birth_name")(lambda v: check_name(v, "Le nom de naissance") if v else v)
    check_first_names = field_validator("first_names")(
        lambda v: check_name(v.replace(",", " "), "Les prénoms") if v else v)
    check_usage_name = field_validator("usage_name")(lambda v: check_name(v, "Le nom d'usage") if v else v)
    valid_birth_date = field_validator("birth_date")(lambda v: check_birth_date(v) if v else v)
    check_phone = field_validator("mobile_phone")(lambda v: normalize_mobile_phone(v) if v else v)


CANDIDATE_ONLY = {"usage_name", "sex", "birth_date", "birth_place", "mobile_phone", "address"}


class EmailChange(Model):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    new_email: str = Field(max_length=254, json_schema_extra=EMAIL_FORMAT)
    password: str = Field(min_length=1, max_length=256, description="Mot de passe actuel (nouvelle authentification)")

    check_new_email = field_validator("new_email")(check_email)


class PasswordChange(Model):
    model_config = ConfigDict(extra="forbid")
    current_password: str = Field(min_length=1, max_length=256)
    new_password: str = Field(min_length=12, max_length=256)


class MfaSetup(Model):
    secret: str
    otpauth_uri: str
    qr_code: str = Field(description="L'adresse de configuration en QR code : une image SVG (data URI) à scanner "
                                     "avec l'application d'authentification")
    message: str


def qr_code(text: str) -> str:
    """The QR code of `text` as an SVG data URI (an <img> shows it: no markup is inserted in the page)."""
    import segno  # imported here: only this route draws one

    return segno.make(text, error="m").svg_data_uri(scale=5, border=4)


class MfaCode(Model):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    code: str = Field(pattern=r"^[0-9]{6}$", description="Code à 6 chiffres affiché par l'application")


@route(blueprint, "/me", summary="Mon compte", tags=TAGS, response_model=ProfileView, roles=ANY_ROLE,
       mfa_exempt=True)
def me(caller: Profile) -> ProfileView:
    return view(caller)


@route(blueprint, "/me", method="PATCH", summary="Corriger mes données", tags=TAGS, request_model=Correction,
       response_model=ProfileView, errors=(409,), roles=ANY_ROLE)
def correct_me(caller: Profile, body: Correction) -> ProfileView:
    changes: dict[str, Any] = body.model_dump(exclude_unset=True, exclude={"address"})
    if body.address is not None:
        changes["address"] = body.address.to_address()
    not_allowed = sorted(set(changes) & CANDIDATE_ONLY) if caller.role != Role.CANDIDAT else []
    if not_allowed:
        raise InvalidInput("not_correctable", "Ces données ne se corrigent pas depuis ce compte.", [])
    certified = sorted(set(changes) & CERTIFIED_FIELDS) if caller.identity_certified_by else []
    if certified:
        raise InvalidInput("certified_by_franceconnect", "Votre état civil est celui que FranceConnect certifie : il "
                           "ne se corrige pas ici. S'il est inexact, faites-le corriger auprès de l'état civil.",
                           [ErrorDetail(field=field, message="Certifié par FranceConnect.") for field in certified])
    if any(value is None for key, value in changes.items() if key in ("birth_name", "first_names", "sex", "birth_date")):
        raise InvalidInput("required_field", "Le nom de naissance, les prénoms, le sexe et la date de naissance ne "
                           "peuvent pas être effacés, seulement corrigés.")
    return view(wiring.accounts().correct(caller, changes))


@route(blueprint, "/me/export", summary="Exporter mes données (JSON)", tags=TAGS, roles=ANY_ROLE, mfa_exempt=True)
def export_me(caller: Profile) -> dict[str, Any]:
    return wiring.accounts().export(caller)


@route(blueprint, "/me", method="DELETE", summary="Clore mon compte", tags=TAGS, response_model=Accepted,
       errors=(409,), roles=(Role.CANDIDAT.value, Role.AUTO_ECOLE.value),
       description="Possible quand aucune demande n'est en cours. L'administrateur d'une auto-école retire d'abord "
                   "ses collègues. Les agents sont clos par un administrateur.")
def close_me(caller: Profile) -> Accepted:
    wiring.accounts().close(caller)
    return Accepted(message="Votre compte est clos et vos données personnelles effacées.")


@route(blueprint, "/me/password", method="PUT", summary="Changer mon mot de passe", tags=TAGS,
       request_model=PasswordChange, response_model=Accepted, roles=ANY_ROLE, mfa_exempt=True, rate_limit="public")
def change_password(caller: Profile, access_token: str, body: PasswordChange) -> Accepted:
    wiring.accounts().change_password(access_token, body.current_password, body.new_password)
    return Accepted(message="Votre mot de passe est changé.")


@route(blueprint, "/me/email", method="POST", summary="Changer mon adresse électronique", tags=TAGS,
       request_model=EmailChange, response_model=Accepted, status=202, errors=(409,), roles=ANY_ROLE,
       rate_limit="public",
       description="Le mot de passe actuel est redemandé ; un lien de confirmation (24 heures) est envoyé à la "
                   "nouvelle adresse, qui ne remplace l'ancienne qu'une fois confirmée.")
def change_email(caller: Profile, body: EmailChange) -> Accepted:
    masked = wiring.accounts().request_email_change(caller, body.new_email, body.password)
    return Accepted(message=f"Un lien de confirmation vient d'être envoyé à {masked} : suivez-le dans les 24 heures.")


@route(blueprint, "/me/email/confirm", method="POST", summary="Confirmer ma nouvelle adresse (lien reçu)",
       tags=TAGS, request_model=TokenInput, response_model=Accepted, errors=(404, 409), roles=PUBLIC,
       rate_limit="public")
def confirm_email(body: TokenInput) -> Accepted:
    wiring.accounts().confirm_email_change(body.token)
    return Accepted(message="Votre nouvelle adresse est enregistrée : utilisez-la pour vous connecter.")


@route(blueprint, "/me/mfa/setup", method="POST", summary="Configurer la double authentification (étape 1)",
       tags=TAGS, response_model=MfaSetup, roles=ANY_ROLE, mfa_exempt=True)
def mfa_setup(caller: Profile, access_token: str) -> MfaSetup:
    secret = wiring.user_directory().start_totp(access_token)
    label = quote(f"Permis en ligne:{caller.email}")
    uri = f"otpauth://totp/{label}?secret={secret}&issuer=Permis%20en%20ligne"
    return MfaSetup(secret=secret, otpauth_uri=uri, qr_code=qr_code(uri),
                    message="Ajoutez ce compte dans votre application d'authentification (QR code ou clé), puis "
                            "saisissez le code à 6 chiffres qu'elle affiche.")


@route(blueprint, "/me/mfa/verify", method="POST", summary="Configurer la double authentification (étape 2)",
       tags=TAGS, request_model=MfaCode, response_model=Accepted, roles=ANY_ROLE, mfa_exempt=True)
def mfa_verify(caller: Profile, access_token: str, body: MfaCode) -> Accepted:
    wiring.user_directory().confirm_totp(access_token, body.code)
    wiring.accounts_repository().set_mfa_enabled(caller.account_id)
    return Accepted(message="La double authentification est active : le code vous sera demandé à chaque connexion.")
