"""Accounts: who uses Permis en ligne, what they type to open an account, and the rules on it.

Every form field is validated on its own with a French message that says what to fix (the API
returns them per field). Addresses are checked against La Poste's postal codes (the commune must
be served by the postal code) and birth places against the départements and countries lists.
"""
from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from enum import StrEnum
from typing import Literal

from pydantic import ConfigDict, Field, ValidationInfo, field_validator, model_validator

from chalicelib.domain.base import Model
from chalicelib.domain.dates import IsoDate
from chalicelib.domain import geography
from chalicelib.domain.roles import AccountStatus, Role  # noqa: F401  (their home, without pydantic)


STAFF_ROLES = frozenset({Role.INSTRUCTEUR_DDT, Role.INSTRUCTEUR_CERT, Role.INSPECTEUR, Role.PREFECTURE})
ROLE_LABELS = {
    Role.CANDIDAT: "Candidat", Role.AUTO_ECOLE: "Professionnel auto-école",
    Role.INSTRUCTEUR_DDT: "Instructeur DDT", Role.INSTRUCTEUR_CERT: "Instructeur CERT",
    Role.INSPECTEUR: "Inspecteur du permis de conduire", Role.PREFECTURE: "Administrateur de préfecture",
    Role.MEDIATEUR: "Médiateur numérique",
}
# Accounts a prefecture administrator opens (command line `chalicelib.cli.agents`): the agents, and
# the mediators of the structures of their département (not staff: no agents' routes, no MFA).
CREATED_BY_ADMINISTRATORS = STAFF_ROLES | {Role.MEDIATEUR}


STATUS_LABELS = {AccountStatus.PENDING: "En attente d'activation", AccountStatus.ACTIVE: "Actif",
                 AccountStatus.REMOVED: "Retiré", AccountStatus.CLOSED: "Clos", AccountStatus.DISABLED: "Désactivé"}


class SchoolRole(StrEnum):
    ADMIN = "admin"  # the school's first account: invites and removes colleagues
    MEMBER = "member"


# An activation link is valid 7 days (the seed: "porté de 24h à 7 jours"); unactivated accounts
# are purged after that and release their email and agrément.
ACTIVATION_DAYS = 7
PASSWORD_RESET_HOURS = 1
EMAIL_CHANGE_HOURS = 24

_NAME = re.compile(r"^[^\W\d_]+(?:[ '’\-][^\W\d_]+)*$")
# The addresses accepted (README, "Règles des données reçues"): an ASCII local part of RFC 5322's
# "dot-atom" characters, and a domain of ASCII letters, digits and hyphens, an internationalised
# domain in its punycode form (xn--…). Anything else could not be told apart from a look-alike.
_EMAIL_LOCAL = re.compile(r"[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
_DOMAIN_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
_TOP_LEVEL = re.compile(r"[a-z]{2,63}|xn--[a-z0-9-]{1,59}")
_AGREMENT = re.compile(r"^[A-Z0-9]{5,20}$")


def normalize_email(value: str) -> str:
    return value.strip().lower()


def mask_email(email: str) -> str:
    """'jeanne.martin@example.fr' -> 'j***@example.fr': enough to recognise one's address."""
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}"


def normalize_agrement(value: str) -> str:
    return re.sub(r"[\s.\-/]", "", value).upper()


def check_name(value: str, what: str) -> str:
    """`what` names the field with its article ("Le prénom", "Les prénoms"): the verbs agree."""
    value = re.sub(r"\s+", " ", value.strip())
    plural = what.startswith("Les ")
    if not value:
        raise ValueError(f"{what} {'sont obligatoires : renseignez-les' if plural else 'est obligatoire : renseignez-le'}.")
    if not _NAME.match(value):
        raise ValueError(f"{what} {'ne peuvent' if plural else 'ne peut'} contenir que des lettres, des espaces, "
                         "des traits d'union et des apostrophes.")
    return value


# In the OpenAPI document: clients (and the fuzzer) know the field is an address.
EMAIL_FORMAT = {"format": "email"}


def check_email(value: str) -> str:
    """The one email rule (sign-up, a request's contact, alerts, support, sign-in): the address,
    lower-cased, or ValueError saying what to fix."""
    value = normalize_email(value)
    problem = email_problem(value)
    if problem:
        raise ValueError(f"Cette adresse électronique n'est pas acceptée : {problem}")
    return value


def email_problem(value: str) -> str | None:
    odd = next((ch for ch in value if not ch.isascii() or not ch.isprintable()), None)
    if odd is not None:
        where = f"(U+{ord(odd):04X})"
        if unicodedata.category(odd) in ("Cf", "Zs", "Zl", "Zp", "Cc"):
            return f"elle contient un caractère invisible {where} : retapez-la sans copier-coller."
        return (f"elle contient « {odd} » {where}, un caractère accentué ou d'un autre alphabet qui peut imiter une "
                "lettre latine : retapez-la en lettres latines sans accent (pour un domaine accentué, sa forme "
                "xn--…).")
    if " " in value:
        return "elle contient une espace : retirez-la."
    local, at, domain = value.rpartition("@")
    if not at or not local:
        return "il manque la partie avant ou après @ (exemple : prenom.nom@exemple.fr)."
    if len(value) > 254 or len(local) > 64:
        return "elle est trop longue (64 caractères avant @, 254 en tout au maximum)."
    if not _EMAIL_LOCAL.fullmatch(local):
        if ".." in local or local.startswith(".") or local.endswith("."):
            return "un point ne peut être ni au début, ni à la fin, ni doublé avant @."
        return "la partie avant @ contient un caractère non accepté (lettres, chiffres, . _ - + acceptés)."
    labels = domain.split(".")
    if len(labels) < 2 or not all(_DOMAIN_LABEL.fullmatch(label) for label in labels) \
            or not _TOP_LEVEL.fullmatch(labels[-1]):
        return "le nom de domaine après @ n'est pas valide (exemple : exemple.fr)."
    return None


# Overseas mobiles are dialled 06 9x... (0639 in Mayotte) within France, but carry their own
# country code in E.164: +33 6 92... would not reach a phone of La Réunion.
OVERSEAS_MOBILE_PREFIXES = (("0639", "262"), ("0690", "590"), ("0691", "590"), ("0692", "262"), ("0693", "262"),
                            ("0694", "594"), ("0696", "596"), ("0697", "596"))


def normalize_mobile_phone(value: str) -> str:
    """French mobile numbers (06, 07, and the overseas mobiles) to E.164; other countries as typed
    in E.164 (+<country code><number>)."""
    compact = re.sub(r"[\s.\-()]", "", value)
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    overseas = next((code for prefix, code in OVERSEAS_MOBILE_PREFIXES if compact.startswith(prefix)), None)
    if overseas and re.fullmatch(r"0\d{9}", compact):  # an overseas mobile dialled as in France: its own code
        return f"+{overseas}{compact[1:]}"
    if re.fullmatch(r"0[67]\d{8}", compact):
        return "+33" + compact[1:]
    if re.fullmatch(r"\+33[67]\d{8}", compact):
        return compact
    if re.fullmatch(r"\+(?:262|590|594|596|269|687|689)\d{6,9}", compact):
        return compact  # overseas départements and collectivités
    if re.fullmatch(r"\+(?!33)[1-9]\d{7,14}", compact):
        return compact
    raise ValueError("Ce numéro de téléphone portable n'est pas valide : saisissez un numéro en 06 ou 07 "
                     "(ou au format international, par exemple +33 6 12 34 56 78).")


class _Form(Model):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class AddressInput(_Form):
    number: str | None = Field(None, max_length=4, description="Numéro de la voie (facultatif : lieux-dits).")
    extension: str | None = Field(None, description="Extension : B (bis), T (ter), Q (quater).")
    street_type: str = Field(description="Type de voie, code de la liste (RUE, AV, BD...).")
    street_name: str = Field(min_length=1, max_length=100, description="Nom de la voie.")
    complement: str | None = Field(None, max_length=100, description="Complément d'adresse.")
    postal_code: str = Field(description="Code postal (5 chiffres).")
    commune: str = Field(min_length=1, max_length=100, description="Commune : nom ou code INSEE.")

    @field_validator("number")
    @classmethod
    def _number(cls, value: str | None) -> str | None:
        if value and not re.fullmatch(r"\d{1,4}", value):
            raise ValueError("Le numéro de la voie ne contient que des chiffres (l'extension bis, ter... se choisit à part).")
        return value or None

    @field_validator("extension")
    @classmethod
    def _extension(cls, value: str | None) -> str | None:
        if not value:
            return None
        by_label = {label: code for code, label in geography.STREET_NUMBER_EXTENSIONS.items()}
        code = by_label.get(value.lower(), value.upper())
        if code not in geography.STREET_NUMBER_EXTENSIONS:
            raise ValueError("Extension non reconnue : choisissez bis, ter ou quater.")
        return code

    @field_validator("street_type")
    @classmethod
    def _street_type(cls, value: str) -> str:
        code = value.upper()
        if code not in geography.STREET_TYPES:
            by_label = {label.lower(): c for c, label in geography.STREET_TYPES.items()}
            code = by_label.get(value.lower(), "")
        if not code:
            raise ValueError("Type de voie non reconnu : choisissez-le dans la liste (rue, avenue, boulevard...).")
        return code

    @field_validator("postal_code")
    @classmethod
    def _postal_code(cls, value: str) -> str:
        if not re.fullmatch(r"\d{5}", value):
            raise ValueError("Le code postal compte 5 chiffres (exemple : 69003).")
        if not geography.communes_for_postal_code(value):
            raise ValueError("Ce code postal n'existe pas : vérifiez-le.")
        return value

    @field_validator("commune")
    @classmethod
    def _commune(cls, value: str, info: ValidationInfo) -> str:
        postal_code = info.data.get("postal_code")
        if postal_code is None:
            return value  # the postal code has its own error
        commune = geography.find_commune(postal_code, value)
        if commune is None:
            served = ", ".join(c.name for c in geography.communes_for_postal_code(postal_code)[:8])
            raise ValueError(f"Cette commune n'est pas desservie par le code postal {postal_code} : "
                             f"choisissez parmi {served}.")
        return commune.insee_code

    def to_address(self) -> "Address":
        commune = geography.find_commune(self.postal_code, self.commune)
        assert commune is not None  # validated above
        return Address(number=self.number, extension=self.extension, street_type=self.street_type,
                       street_name=self.street_name, complement=self.complement, postal_code=self.postal_code,
                       commune_insee=commune.insee_code, commune_name=commune.name,
                       departement=commune.departement)


class Address(Model):
    number: str | None = None
    extension: str | None = None
    street_type: str
    street_name: str
    complement: str | None = None
    postal_code: str
    commune_insee: str
    commune_name: str
    departement: str

    def one_line(self) -> str:
        extension = geography.STREET_NUMBER_EXTENSIONS.get(self.extension or "", "")
        street = " ".join(p for p in (self.number, extension, geography.STREET_TYPES[self.street_type],
                                      self.street_name) if p)
        return f"{street}, {self.postal_code} {self.commune_name}"


class BirthPlace(_Form):
    country: str = Field("FR", description="Pays de naissance (code ISO à deux lettres, FR pour la France).")
    commune: str | None = Field(None, max_length=100, validate_default=True,
                                description="Commune (ou ville à l'étranger).")
    departement: str | None = Field(None, validate_default=True,
                                    description="Département de naissance, pour une naissance en France.")

    @field_validator("country")
    @classmethod
    def _country(cls, value: str) -> str:
        code = value.upper()
        if geography.country_name(code) is None:
            raise ValueError("Pays non reconnu : choisissez-le dans la liste, ou saisissez son code à deux lettres "
                             "(par exemple MA pour le Maroc).")
        return code

    @field_validator("commune")
    @classmethod
    def _commune(cls, value: str | None, info: ValidationInfo) -> str | None:
        if info.data.get("country") == "FR" and not value:
            raise ValueError("Pour une naissance en France, indiquez la commune de naissance.")
        return value or None

    @field_validator("departement")
    @classmethod
    def _departement(cls, value: str | None, info: ValidationInfo) -> str | None:
        country = info.data.get("country")
        if country == "FR":
            if not value or not geography.is_departement(value.upper()):
                raise ValueError("Pour une naissance en France, indiquez le département de naissance "
                                 "(numéro, par exemple 69 ou 2A).")
            return value.upper()
        if value and country is not None:
            raise ValueError("Le département ne s'indique que pour une naissance en France.")
        return None


def check_terms(value: bool) -> bool:
    if value is not True:
        raise ValueError("Acceptez les conditions générales d'utilisation et les règles de confidentialité "
                         "pour créer votre compte.")
    return value


def check_birth_date(value: date, today: date | None = None) -> date:
    today = today or date.today()
    if value > today:
        raise ValueError("La date de naissance ne peut pas être dans le futur.")
    if value < date(1900, 1, 1):
        raise ValueError("La date de naissance doit être postérieure au 1er janvier 1900.")
    return value


class SchoolSignUp(_Form):
    """The seed's "Je crée un compte" form, role "Professionnel auto-école"."""

    birth_name: str = Field(max_length=80, description="Nom de naissance")
    first_name: str = Field(max_length=80, description="Prénom")
    email: str = Field(max_length=254, json_schema_extra=EMAIL_FORMAT, description="Adresse électronique, personnelle à la personne qui crée le compte")
    company_name: str = Field(min_length=1, max_length=120, description="Raison sociale de l'auto-école")
    agrement_number: str = Field(max_length=30, description="Numéro d'agrément de l'auto-école (délivré par la préfecture)")
    address: AddressInput
    altcha: str = Field(min_length=1, max_length=4000, description="Preuve de travail anti-robot (ALTCHA)")
    terms_accepted: bool = Field(description="Acceptation des conditions générales d'utilisation")

    check_birth_name = field_validator("birth_name")(lambda v: check_name(v, "Le nom de naissance"))
    check_first_name = field_validator("first_name")(lambda v: check_name(v, "Le prénom"))
    check_email_address = field_validator("email")(check_email)

    @field_validator("agrement_number")
    @classmethod
    def _agrement(cls, value: str) -> str:
        value = normalize_agrement(value)
        if not _AGREMENT.match(value):
            raise ValueError("Le numéro d'agrément ne contient que des lettres et des chiffres (exemple : E1706900120).")
        return value

    check_terms_accepted = field_validator("terms_accepted")(check_terms)


class CandidateIdentity(_Form):
    birth_name: str = Field(max_length=80, description="Nom de naissance")
    usage_name: str | None = Field(None, max_length=80, description="Nom d'usage (facultatif)")
    first_names: str = Field(max_length=160, description="Prénoms, dans l'ordre de l'état civil")
    sex: Literal["F", "M"] = Field(description="Sexe : F ou M")
    birth_date: IsoDate = Field(description="Date de naissance (obligatoire)")
    birth_place: BirthPlace

    check_birth_name = field_validator("birth_name")(lambda v: check_name(v, "Le nom de naissance"))
    check_first_names = field_validator("first_names")(lambda v: check_name(v.replace(",", " "), "Les prénoms"))

    @field_validator("usage_name")
    @classmethod
    def _usage(cls, value: str | None) -> str | None:
        return check_name(value, "Le nom d'usage") if value else None

    @field_validator("birth_date")
    @classmethod
    def _birth_date(cls, value: date) -> date:
        return check_birth_date(value)


class CandidateSignUp(CandidateIdentity):
    email: str = Field(max_length=254, json_schema_extra=EMAIL_FORMAT, description="Adresse électronique personnelle (pas celle d'un parent ni de l'auto-école)")
    mobile_phone: str = Field(max_length=20, description="Téléphone portable")
    address: AddressInput
    altcha: str = Field(min_length=1, max_length=4000, description="Preuve de travail anti-robot (ALTCHA)")
    terms_accepted: bool = Field(description="Acceptation des conditions générales d'utilisation")

    check_email_address = field_validator("email")(check_email)
    check_mobile_phone = field_validator("mobile_phone")(normalize_mobile_phone)
    check_terms_accepted = field_validator("terms_accepted")(check_terms)


class CandidateForSchool(CandidateIdentity):
    """A candidate's account opened by a school filing a request without mandate (request issue)."""

    email: str = Field(max_length=254, json_schema_extra=EMAIL_FORMAT)
    mobile_phone: str = Field(max_length=20)
    address: AddressInput

    check_email_address = field_validator("email")(check_email)
    check_mobile_phone = field_validator("mobile_phone")(normalize_mobile_phone)


class MemberInvitation(_Form):
    birth_name: str = Field(max_length=80, description="Nom de naissance du collègue")
    first_name: str = Field(max_length=80, description="Prénom du collègue")
    email: str = Field(max_length=254, json_schema_extra=EMAIL_FORMAT, description="Adresse électronique personnelle du collègue")

    check_birth_name = field_validator("birth_name")(lambda v: check_name(v, "Le nom de naissance"))
    check_first_name = field_validator("first_name")(lambda v: check_name(v, "Le prénom"))
    check_email_address = field_validator("email")(check_email)


class AgentCreation(_Form):
    role: Role
    birth_name: str = Field(max_length=80)
    first_name: str = Field(max_length=80)
    email: str = Field(max_length=254, json_schema_extra=EMAIL_FORMAT)
    departement: str | None = None
    # A mediator's structure, e.g. "France Services de Villeurbanne" (shown to the people it helps).
    structure_name: str | None = Field(None, max_length=120)

    check_birth_name = field_validator("birth_name")(lambda v: check_name(v, "Le nom de naissance"))
    check_first_name = field_validator("first_name")(lambda v: check_name(v, "Le prénom"))
    check_email_address = field_validator("email")(check_email)

    @model_validator(mode="after")
    def _staff(self) -> "AgentCreation":
        if self.role not in CREATED_BY_ADMINISTRATORS:
            raise ValueError("Un agent a un rôle d'agent : instructeur-ddt, instructeur-cert, inspecteur, prefecture "
                             "ou mediateur.")
        if self.role is Role.MEDIATEUR:
            if not self.structure_name:
                raise ValueError("Indiquez le nom de la structure du médiateur (par exemple « France Services de "
                                 "Villeurbanne »).")
        elif self.structure_name:
            raise ValueError("Seul un médiateur numérique est rattaché à une structure.")
        if self.role in (Role.INSTRUCTEUR_DDT, Role.INSPECTEUR, Role.PREFECTURE, Role.MEDIATEUR):
            if not self.departement or not geography.is_departement(self.departement.upper()):
                raise ValueError("Indiquez le département de l'agent (numéro, par exemple 69).")
            self.departement = self.departement.upper()
        return self


class PasswordChoice(_Form):
    password: str = Field(min_length=12, max_length=256, description="Mot de passe : 12 caractères au moins")


class Profile(Model):
    """An account as stored (DynamoDB) and returned to its owner."""

    account_id: str
    role: Role
    status: AccountStatus
    email: str
    birth_name: str
    first_names: str
    usage_name: str | None = None
    sex: Literal["F", "M"] | None = None
    birth_date: date | None = None
    birth_place: BirthPlace | None = None
    mobile_phone: str | None = None
    address: Address | None = None
    school_id: str | None = None
    school_role: SchoolRole | None = None
    departement: str | None = None
    structure_name: str | None = None  # a mediator's France Services structure
    mfa_enabled: bool = False
    # "franceconnect": the civil status is the one FranceConnect certified (the person cannot change it).
    identity_certified_by: Literal["franceconnect"] | None = None
    # The user pool's name of an account opened with FranceConnect ("FranceConnect_<sub>"): it has no
    # password, and Cognito knows it by that name, not by its email. None: the account's id.
    cognito_username: str | None = None
    created_at: datetime
    activation_deadline: datetime | None = None
    activated_at: datetime | None = None
    # Tokens issued at or before this instant are refused (logout, removal, password reset).
    sessions_revoked_at: float | None = None
    version: int = 1

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def pool_username(self) -> str:
        """Its name in the user pool (Cognito's admin calls)."""
        return self.cognito_username or self.account_id

    @property
    def sign_in_name(self) -> str:
        """What Cognito's sign-out finds it by: its email, or a FranceConnect account's pool name."""
        return self.cognito_username or self.email

    def display_name(self) -> str:
        return f"{self.first_names} {self.usage_name or self.birth_name}"


class School(Model):
    school_id: str
    company_name: str
    agrement_number: str
    address: Address
    admin_account_id: str
    created_at: datetime
    status: Literal["active", "closed"] = "active"


class Agrement(Model):
    """One line of the prefecture's agrément registry."""

    number: str
    name: str
    address: str
    departement: str
    valid_from: date
    valid_until: date
    bound_school_id: str | None = None

    def is_valid_on(self, day: date) -> bool:
        return self.valid_from <= day <= self.valid_until
