"""A candidate's account through FranceConnect: sign in, open an account with the civil status
FranceConnect certifies, or take that identity on an existing account, confirmed by email.

The identity is always read from the user pool (what Cognito mapped from FranceConnect's claims),
never from the browser. An existing account is never linked silently: the person proves they hold
its email address by following a link sent there, which names the identity being linked."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Callable

from pydantic import ValidationError

from chalicelib.adapters.dynamo import TransactionRefused
from chalicelib.adapters.identity import CognitoOAuth, Tokens
from chalicelib.domain import links
from chalicelib.domain.account_events import FRANCECONNECT_LINK_REQUESTED
from chalicelib.domain.accounts import (AccountStatus, BirthPlace, CandidateIdentity, Profile, Role, mask_email,
                                        normalize_email)
from chalicelib.domain.errors import Conflict, ErrorDetail, InvalidInput, NotFound, Unauthenticated, Unavailable
from chalicelib.domain.events import OutboxEvent
from chalicelib.domain.franceconnect import CERTIFIED_FIELDS, FranceConnectIdentity, is_federated
from chalicelib.services.accounts import LINK_INVALID, Accounts, _email_used

# A link to take a FranceConnect identity is followed at once or not at all: two hours.
FRANCECONNECT_LINK_HOURS = 2

ACCOUNT_INACTIVE = Unauthenticated("account_inactive", "Ce compte n'est plus actif. S'il s'agit d'une erreur, "
                                   "contactez le support.")
IDENTITY_INCOMPLETE = Unavailable(
    "franceconnect_identity_incomplete", "FranceConnect n'a pas transmis toute votre identité (nom, prénoms, date de "
    "naissance) : réessayez, ou créez votre compte avec le formulaire.")


@dataclass(frozen=True)
class FranceConnectSignIn:
    # signed_in: the account exists; new_account: none yet; link_required: the identity's email is
    # an account's, which the person links by email confirmation.
    status: str
    tokens: Tokens
    identity: FranceConnectIdentity | None = None
    email_masked: str | None = None


class FranceConnect:
    def __init__(self, accounts: Accounts, oauth: CognitoOAuth, verify_token: Callable[[str], Any]) -> None:
        self.accounts = accounts
        self.repo = accounts.repo
        self.directory = accounts.directory
        self.oauth = oauth
        self.verify_token = verify_token

    def sign_in(self, code: str, code_verifier: str) -> FranceConnectSignIn:
        tokens = self.oauth.exchange(code, code_verifier)
        verified = self.verify_token(tokens.access_token)
        profile = self.repo.get_profile(verified.subject)
        if profile is not None:
            if profile.status != AccountStatus.ACTIVE:
                raise ACCOUNT_INACTIVE
            return FranceConnectSignIn("signed_in", tokens)
        if not is_federated(verified.username):
            raise ACCOUNT_INACTIVE  # a pool user without an account: closed meanwhile
        identity = self.identity(verified.username)
        existing = self.repo.account_id_for_email(identity.email) if identity.email else None
        if existing is None:
            return FranceConnectSignIn("new_account", tokens, identity)
        return FranceConnectSignIn("link_required", tokens, identity, mask_email(identity.email))

    def identity(self, username: str) -> FranceConnectIdentity:
        try:
            return FranceConnectIdentity.from_attributes(username, self.directory.federated_attributes(username))
        except ValueError:
            raise IDENTITY_INCOMPLETE from None

    # --- a new account ---------------------------------------------------------------------------

    def open_account(self, subject: str, username: str, mobile_phone: str, address: Any,
                     birth_place: BirthPlace | None) -> Profile:
        """The account of the person FranceConnect identified, active at once: FranceConnect
        proved who they are, and its email is the one their identity provider holds."""
        if self.repo.get_profile(subject) is not None:
            raise Conflict("account_exists", "Votre compte existe déjà : connectez-vous avec FranceConnect.")
        identity = self.identity(username)
        if not identity.email:
            raise IDENTITY_INCOMPLETE
        place = identity.birth_place() or (birth_place.model_dump() if birth_place else None)
        if place is None:
            raise InvalidInput("birth_place_required", "Indiquez votre lieu de naissance : FranceConnect ne l'a pas "
                               "transmis sous une forme lisible ici.",
                               [ErrorDetail(field="birth_place.country", message="Choisissez le pays de naissance.")])
        try:
            status = CandidateIdentity.model_validate({**identity.civil_status(), "birth_place": place})
        except ValidationError:
            raise IDENTITY_INCOMPLETE from None
        if status.sex is None:
            raise IDENTITY_INCOMPLETE
        now = self.accounts.clock()
        profile = Profile(account_id=subject, role=Role.CANDIDAT, status=AccountStatus.ACTIVE,
                          email=normalize_email(identity.email), birth_name=status.birth_name,
                          first_names=status.first_names, sex=status.sex, birth_date=status.birth_date,
                          birth_place=status.birth_place, mobile_phone=mobile_phone, address=address,
                          identity_certified_by="franceconnect", cognito_username=username, created_at=now,
                          activated_at=now)
        try:
            self.repo.transact([self.repo.put_profile(profile), self.repo.lock_email(profile.email, subject)])
        except TransactionRefused as refused:
            if 0 in refused.failed:
                raise Conflict("account_exists", "Votre compte existe déjà : connectez-vous avec FranceConnect.") from None
            raise _email_used() from None
        self.directory.add_to_group(username, Role.CANDIDAT.value)
        return profile

    # --- an existing account takes the identity ------------------------------------------------------

    def request_link(self, username: str) -> str:
        """Emails the account that has the identity's address a link to take that identity; the
        address, masked, for the page."""
        identity = self.identity(username)
        account_id = self.repo.account_id_for_email(identity.email) if identity.email else None
        profile = self.repo.get_profile(account_id) if account_id else None
        if profile is None:
            raise NotFound("no_account_to_link", "Aucun compte n'utilise l'adresse transmise par FranceConnect : "
                           "créez votre compte.")
        if profile.role != Role.CANDIDAT:
            raise Conflict("not_a_candidate_account", "L'adresse transmise par FranceConnect est celle d'un compte "
                           "professionnel, qui ne se relie pas à FranceConnect. Créez votre compte de candidat avec "
                           "le formulaire et une adresse qui vous est propre.")
        if profile.status == AccountStatus.PENDING:
            raise Conflict("account_pending", "Le compte qui utilise cette adresse n'est pas encore activé : activez-le "
                           "avec le lien reçu par courriel, puis reliez-le à FranceConnect.")
        if profile.status != AccountStatus.ACTIVE:
            raise ACCOUNT_INACTIVE
        now = self.accounts.clock()
        deadline = now + timedelta(hours=FRANCECONNECT_LINK_HOURS)
        nonce = self.accounts.new_nonce()
        name = f"{identity.given_name} {identity.family_name}"
        link = self.accounts.new_link(links.LinkPurpose.FRANCECONNECT_LINK, profile.account_id, deadline, nonce,
                                      {"username": username, "subject": identity.subject, "name": name,
                                       "civil_status": identity.civil_status()})
        event = OutboxEvent(id=uuid.uuid4().hex, type=FRANCECONNECT_LINK_REQUESTED, aggregate_id=profile.account_id,
                            occurred_at=now, payload={"account_id": profile.account_id, "nonce": nonce, "name": name,
                                                      "deadline": deadline.isoformat()})
        self.repo.transact([self.repo.put_link(link), self.repo.event(event)])
        return mask_email(profile.email)

    def link_preview(self, token: str) -> dict[str, Any]:
        link, profile = self._link(token)
        return {"name": link.data["name"], "email": mask_email(profile.email),
                "civil_status": link.data["civil_status"]}

    def confirm_link(self, token: str) -> Profile:
        link, profile = self._link(token)
        self.directory.link_franceconnect(profile.account_id, str(link.data["username"]), str(link.data["subject"]))
        certified = {key: value for key, value in dict(link.data["civil_status"]).items()
                     if key in CERTIFIED_FIELDS or key == "birth_place"}
        updated = Profile.model_validate({**profile.model_dump(), **certified, "identity_certified_by": "franceconnect",
                                          "version": profile.version + 1})
        try:
            self.repo.transact([self.repo.delete_link(link.token_hash), self.repo.replace_profile(updated)])
        except TransactionRefused:
            raise LINK_INVALID from None  # followed twice at once: the other one linked
        return updated

    def _link(self, token: str):
        link = self.accounts.valid_link(token, links.LinkPurpose.FRANCECONNECT_LINK)
        profile = self.repo.get_profile(link.account_id)
        if profile is None or profile.status != AccountStatus.ACTIVE:
            raise LINK_INVALID
        return link, profile
