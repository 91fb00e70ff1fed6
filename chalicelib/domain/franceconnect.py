"""FranceConnect, federated into the Cognito user pool: what is asked of it, how its claims land on
the pool's attributes, and how they become a candidate's civil status.

FranceConnect (https://docs.partenaires.franceconnect.gouv.fr) sends the civil status of the
identity providers (impots.gouv.fr, l'Identité Numérique La Poste...): names, birth date, sex, and
the birth place and country as INSEE codes (COG). Cognito keeps them on the federated user
(`FranceConnect_<sub>`), mapped by ATTRIBUTE_MAPPING; the API reads them there, never from the
browser. Pure: no AWS, no HTTP."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Mapping

from chalicelib.domain import geography

# The identity provider's name in the user pool; Cognito names its users "<name>_<sub>".
PROVIDER_NAME = "FranceConnect"
FEDERATED_USERNAME_PREFIX = PROVIDER_NAME + "_"
# The claims asked for (FranceConnect's scopes are its claims' names) and the eIDAS level.
SCOPES = ("openid", "given_name", "family_name", "birthdate", "birthplace", "birthcountry", "gender", "email")
ACR_VALUES = "eidas1"
# The user pool's custom attributes for the two claims Cognito has no standard attribute for.
CUSTOM_ATTRIBUTES = ("birthplace", "birthcountry")
# User pool attribute <- FranceConnect claim.
ATTRIBUTE_MAPPING: Mapping[str, str] = {
    "email": "email", "given_name": "given_name", "family_name": "family_name", "birthdate": "birthdate",
    "gender": "gender", "custom:birthplace": "birthplace", "custom:birthcountry": "birthcountry",
}
# FranceConnect's (INSEE's) code for France among the countries of birth.
COG_FRANCE = "99100"
# The account's fields FranceConnect certifies, which the person cannot correct once it does.
CERTIFIED_FIELDS = frozenset({"birth_name", "first_names", "sex", "birth_date"})
# Where FranceConnect sends the person back on the site (a Cognito callback URL).
CALLBACK_PAGE = "franceconnect.html"


def is_federated(username: str | None) -> bool:
    return bool(username) and username.startswith(FEDERATED_USERNAME_PREFIX)


@dataclass(frozen=True)
class FranceConnectIdentity:
    """The civil status FranceConnect certified, as Cognito keeps it on the federated user."""

    subject: str  # FranceConnect's sub (per service provider), from the Cognito username
    given_name: str
    family_name: str
    birthdate: date
    gender: str  # "female" | "male"
    birthplace: str  # INSEE code of the commune of birth; "" when born abroad
    birthcountry: str  # INSEE code of the country of birth (99100: France)
    email: str

    @classmethod
    def from_attributes(cls, username: str, attributes: Mapping[str, str]) -> "FranceConnectIdentity":
        """From the user pool's attributes of the federated user; ValueError when one is missing
        or malformed (a pool misconfigured, or a user that is not FranceConnect's)."""
        if not is_federated(username):
            raise ValueError("not a FranceConnect user")
        try:
            return cls(subject=username[len(FEDERATED_USERNAME_PREFIX):],
                       given_name=attributes["given_name"].strip(), family_name=attributes["family_name"].strip(),
                       birthdate=date.fromisoformat(attributes["birthdate"]),
                       gender=attributes.get("gender", ""), birthplace=attributes.get("custom:birthplace", "").strip(),
                       birthcountry=attributes.get("custom:birthcountry", "").strip(),
                       email=attributes.get("email", "").strip().lower())
        except KeyError as missing:
            raise ValueError(f"missing attribute {missing}") from None

    @property
    def sex(self) -> str | None:
        return {"female": "F", "male": "M"}.get(self.gender)

    @property
    def born_in_france(self) -> bool:
        return self.birthcountry == COG_FRANCE

    def birth_place(self) -> dict[str, str] | None:
        """The birth place in the account's form ({country, commune, departement}), when the
        codes can be read here: a commune of today's official geography for a birth in France.
        None otherwise (a commune merged since, or a country of birth abroad, whose INSEE code this
        product cannot translate yet): the person then chooses it, as on the sign-up form."""
        if not self.born_in_france:
            return None
        commune = geography.commune_by_insee_code(self.birthplace)
        if commune is None:
            return None
        return {"country": "FR", "commune": commune.name, "departement": geography.departement_of(commune.insee_code)}

    def civil_status(self) -> dict[str, object]:
        """The fields of the account's civil status FranceConnect fills (and the person cannot
        change): names, sex, birth date, and the birth place when it can be read."""
        status: dict[str, object] = {"birth_name": self.family_name, "first_names": self.given_name,
                                     "birth_date": self.birthdate.isoformat()}
        if self.sex:
            status["sex"] = self.sex
        place = self.birth_place()
        if place:
            status["birth_place"] = place
        return status
