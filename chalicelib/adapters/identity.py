"""Cognito: the user pool holds passwords, MFA and tokens; profiles live in DynamoDB.

Every Cognito refusal is translated here into a domain error with a French message, so services
and routes never see botocore exceptions."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.domain.errors import Conflict, InvalidInput, TooManyRequests, Unauthenticated

INVALID_CREDENTIALS = Unauthenticated(
    "invalid_credentials",
    "Adresse électronique ou mot de passe incorrect. Vérifiez-les ; en cas d'oubli, choisissez « Mot de passe oublié ».")
PASSWORD_REJECTED_MESSAGE = ("Ce mot de passe est refusé : choisissez-en un d'au moins 12 caractères, que vous "
                             "n'utilisez nulle part ailleurs (une phrase de plusieurs mots est idéale).")


def _code(error: ClientError) -> str:
    return error.response["Error"]["Code"]


def _throttled(error: ClientError) -> None:
    if _code(error) in ("TooManyRequestsException", "LimitExceededException", "TooManyFailedAttemptsException"):
        raise TooManyRequests("too_many_requests",
                              "Trop de tentatives en peu de temps : patientez quelques minutes puis réessayez.") from None


@dataclass(frozen=True)
class Tokens:
    access_token: str
    id_token: str
    refresh_token: str | None
    expires_in: int


@dataclass(frozen=True)
class MfaChallenge:
    session: str


class CognitoDirectory:
    def __init__(self, cognito_client: Any, user_pool_id: str | None = None, client_id: str | None = None) -> None:
        self._cognito = cognito_client
        self._pool = user_pool_id
        self._client = client_id

    # --- staff MFA gate (the pool id comes from the trigger's event) -----------------------------

    def has_mfa(self, user_pool_id: str, username: str) -> bool:
        user = self._cognito.admin_get_user(UserPoolId=user_pool_id, Username=username)
        return bool(user.get("UserMFASettingList"))

    # --- accounts --------------------------------------------------------------------------------

    def create_user(self, email: str, group: str) -> str:
        """A user without a usable password (set at activation); returns its sub, the account id."""
        try:
            created = self._cognito.admin_create_user(
                UserPoolId=self._pool, Username=email, MessageAction="SUPPRESS",
                UserAttributes=[{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"}])
        except ClientError as error:
            if _code(error) in ("UsernameExistsException", "AliasExistsException"):
                raise Conflict("email_already_used", EMAIL_ALREADY_USED_MESSAGE) from None
            _throttled(error)
            raise
        sub = next(a["Value"] for a in created["User"]["Attributes"] if a["Name"] == "sub")
        self._cognito.admin_add_user_to_group(UserPoolId=self._pool, Username=sub, GroupName=group)
        return sub

    def set_password(self, account_id: str, password: str) -> None:
        try:
            self._cognito.admin_set_user_password(UserPoolId=self._pool, Username=account_id, Password=password,
                                                  Permanent=True)
        except ClientError as error:
            if _code(error) in ("InvalidPasswordException", "InvalidParameterException"):
                raise InvalidInput("password_rejected", PASSWORD_REJECTED_MESSAGE) from None
            _throttled(error)
            raise

    def delete_user(self, account_id: str) -> None:
        try:
            self._cognito.admin_delete_user(UserPoolId=self._pool, Username=account_id)
        except ClientError as error:
            if _code(error) != "UserNotFoundException":  # already gone: the goal is reached
                raise

    def sign_out_everywhere(self, email: str) -> None:
        """Revokes the account's refresh tokens (its access tokens are refused by the profile check).
        By email, the name it signs in with: Cognito accepts it as an alias (moto only that way)."""
        try:
            self._cognito.admin_user_global_sign_out(UserPoolId=self._pool, Username=email)
        except ClientError as error:
            if _code(error) != "UserNotFoundException":
                raise

    def disable_user(self, account_id: str) -> None:
        self._cognito.admin_disable_user(UserPoolId=self._pool, Username=account_id)

    def set_email(self, account_id: str, email: str) -> None:
        try:
            self._cognito.admin_update_user_attributes(
                UserPoolId=self._pool, Username=account_id,
                UserAttributes=[{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"}])
        except ClientError as error:
            if _code(error) in ("AliasExistsException", "UsernameExistsException"):
                raise Conflict("email_already_used", EMAIL_ALREADY_USED_MESSAGE) from None
            raise

    # --- FranceConnect (federated users, named "FranceConnect_<sub>" by Cognito) ------------------

    def federated_attributes(self, username: str) -> dict[str, str]:
        """The attributes Cognito mapped from FranceConnect's claims at the last sign-in."""
        try:
            user = self._cognito.admin_get_user(UserPoolId=self._pool, Username=username)
        except ClientError as error:
            if _code(error) == "UserNotFoundException":
                raise FRANCECONNECT_SESSION_ENDED from None
            _throttled(error)
            raise
        return {attribute["Name"]: attribute["Value"] for attribute in user.get("UserAttributes", [])}

    def add_to_group(self, username: str, group: str) -> None:
        self._cognito.admin_add_user_to_group(UserPoolId=self._pool, Username=username, GroupName=group)

    def link_franceconnect(self, account_id: str, federated_username: str, franceconnect_subject: str) -> None:
        """From now on, FranceConnect's sign-in of that person opens the existing account. Cognito
        links only an identity that has no user of its own: the federated user goes first."""
        from chalicelib.domain.franceconnect import PROVIDER_NAME

        self.delete_user(federated_username)
        try:
            self._cognito.admin_link_provider_for_user(
                UserPoolId=self._pool, DestinationUser={"ProviderName": "Cognito", "ProviderAttributeValue": account_id},
                SourceUser={"ProviderName": PROVIDER_NAME, "ProviderAttributeName": "Cognito_Subject",
                            "ProviderAttributeValue": franceconnect_subject})
        except ClientError as error:
            _throttled(error)
            raise

    # --- sessions --------------------------------------------------------------------------------

    def sign_in(self, email: str, password: str) -> Tokens | MfaChallenge:
        try:
            answer = self._cognito.initiate_auth(ClientId=self._client, AuthFlow="USER_PASSWORD_AUTH",
                                                 AuthParameters={"USERNAME": email, "PASSWORD": password})
        except ClientError as error:
            _throttled(error)
            if _code(error) in ("NotAuthorizedException", "UserNotFoundException", "UserNotConfirmedException",
                                "PasswordResetRequiredException", "InvalidParameterException"):
                raise INVALID_CREDENTIALS from None
            raise
        if answer.get("ChallengeName") == "SOFTWARE_TOKEN_MFA":
            return MfaChallenge(session=answer["Session"])
        if "AuthenticationResult" not in answer:
            raise INVALID_CREDENTIALS  # a challenge this product does not use: refuse, say nothing more
        return _tokens(answer["AuthenticationResult"])

    def answer_mfa(self, email: str, session: str, code: str) -> Tokens:
        try:
            answer = self._cognito.respond_to_auth_challenge(
                ClientId=self._client, ChallengeName="SOFTWARE_TOKEN_MFA", Session=session,
                ChallengeResponses={"USERNAME": email, "SOFTWARE_TOKEN_MFA_CODE": code})
        except ClientError as error:
            _throttled(error)
            # A session Cognito does not know (made up, or from another pool) is an expired one to the person.
            if _code(error) in ("CodeMismatchException", "ExpiredCodeException", "NotAuthorizedException",
                                "InvalidParameterException", "ResourceNotFoundException", "UserNotFoundException"):
                raise Unauthenticated("mfa_code_invalid", "Code de vérification incorrect ou expiré : saisissez le "
                                      "code à 6 chiffres affiché maintenant par votre application.") from None
            raise
        return _tokens(answer["AuthenticationResult"])

    def refresh(self, refresh_token: str) -> Tokens:
        try:
            answer = self._cognito.initiate_auth(ClientId=self._client, AuthFlow="REFRESH_TOKEN_AUTH",
                                                 AuthParameters={"REFRESH_TOKEN": refresh_token})
        except ClientError as error:
            _throttled(error)
            if _code(error) in ("NotAuthorizedException", "InvalidParameterException"):
                raise Unauthenticated("session_expired",
                                      "Votre session a expiré : reconnectez-vous.") from None
            raise
        return _tokens(answer["AuthenticationResult"], refresh_token)

    def change_password(self, access_token: str, current: str, new: str) -> None:
        try:
            self._cognito.change_password(AccessToken=access_token, PreviousPassword=current, ProposedPassword=new)
        except ClientError as error:
            _throttled(error)
            if _code(error) == "NotAuthorizedException":
                raise InvalidInput("current_password_wrong", "Le mot de passe actuel est incorrect.") from None
            if _code(error) in ("InvalidPasswordException", "InvalidParameterException"):
                raise InvalidInput("password_rejected", PASSWORD_REJECTED_MESSAGE) from None
            raise

    def check_password(self, email: str, password: str) -> None:
        """Re-authentication before a sensitive change (email); its tokens are not kept. A wrong
        password is a field error here, not a lost session."""
        try:
            self.sign_in(email, password)
        except Unauthenticated:
            raise InvalidInput("current_password_wrong", "Le mot de passe actuel est incorrect.") from None

    # --- TOTP --------------------------------------------------------------------------------------

    def start_totp(self, access_token: str) -> str:
        return self._cognito.associate_software_token(AccessToken=access_token)["SecretCode"]

    def confirm_totp(self, access_token: str, code: str) -> None:
        try:
            answer = self._cognito.verify_software_token(AccessToken=access_token, UserCode=code,
                                                         FriendlyDeviceName="Permis en ligne")
        except ClientError as error:
            if _code(error) in ("CodeMismatchException", "EnableSoftwareTokenMFAException", "InvalidParameterException"):
                answer = {"Status": "ERROR"}
            else:
                raise
        if answer.get("Status") != "SUCCESS":
            raise InvalidInput("mfa_code_invalid", "Code incorrect : saisissez le code à 6 chiffres affiché "
                               "maintenant par votre application d'authentification.")
        self._cognito.set_user_mfa_preference(AccessToken=access_token, SoftwareTokenMfaSettings={
            "Enabled": True, "PreferredMfa": True})


FRANCECONNECT_SESSION_ENDED = Unauthenticated(
    "franceconnect_session_ended", "Votre connexion FranceConnect a pris fin : choisissez de nouveau « S'identifier "
    "avec FranceConnect ».")


class CognitoOAuth:
    """The user pool's OAuth token endpoint (its domain): the code FranceConnect's sign-in ends
    with, exchanged for the pool's tokens. The exchange is the API's, not the page's: the code
    verifier (PKCE) proves the page that asked is the one that finishes."""

    def __init__(self, domain: str, client_id: str, redirect_uri: str, http: Any | None = None) -> None:
        self._token_url = domain.rstrip("/") + "/oauth2/token"
        self._client_id = client_id
        self.redirect_uri = redirect_uri
        self._http = http

    def exchange(self, code: str, code_verifier: str) -> Tokens:
        import json
        from urllib.parse import urlencode

        import urllib3

        from chalicelib.domain.errors import Unavailable

        http = self._http or urllib3.PoolManager(timeout=urllib3.Timeout(connect=3.0, read=5.0), retries=False)
        try:
            answer = http.request("POST", self._token_url, headers={"Content-Type": "application/x-www-form-urlencoded"},
                                  body=urlencode({"grant_type": "authorization_code", "client_id": self._client_id,
                                                  "code": code, "redirect_uri": self.redirect_uri,
                                                  "code_verifier": code_verifier}))
        except urllib3.exceptions.HTTPError:
            raise Unavailable("franceconnect_unavailable", "La connexion avec FranceConnect n'a pas pu aboutir : "
                              "réessayez dans quelques minutes.") from None
        if answer.status in (400, 401):
            raise Unauthenticated("franceconnect_code_invalid", "Cette connexion FranceConnect a expiré ou a déjà servi : "
                                  "choisissez de nouveau « S'identifier avec FranceConnect ».")
        if answer.status != 200:
            raise Unavailable("franceconnect_unavailable", "La connexion avec FranceConnect n'a pas pu aboutir : "
                              "réessayez dans quelques minutes.")
        result = json.loads(answer.data)
        return Tokens(access_token=result["access_token"], id_token=result["id_token"],
                      refresh_token=result.get("refresh_token"), expires_in=int(result["expires_in"]))


EMAIL_ALREADY_USED_MESSAGE = (
    "Cette adresse électronique est déjà utilisée par un compte (peut-être un compte personnel ouvert pour une "
    "autre démarche). Connectez-vous avec ce compte, ou utilisez une adresse qui vous est propre.")


def _tokens(result: dict[str, Any], refresh_token: str | None = None) -> Tokens:
    return Tokens(access_token=result["AccessToken"], id_token=result["IdToken"],
                  refresh_token=result.get("RefreshToken", refresh_token), expires_in=int(result["ExpiresIn"]))
