"""What Cognito does at the end of FranceConnect's sign-in, for the tests on in-process moto (which
has no OAuth endpoints): the federated user "FranceConnect_<sub>" with the mapped attributes, and
a code the token endpoint exchanges once, with its PKCE verifier, for that user's tokens."""
from __future__ import annotations

import secrets

from moto.core import DEFAULT_ACCOUNT_ID

from chalicelib.adapters.identity import CognitoDirectory, CognitoOAuth, Tokens

VERIFIER = "v" * 43
LUCAS = {"given_name": "Lucas Jean", "family_name": "PETIT", "birthdate": "2008-05-14", "gender": "male",
         "custom:birthplace": "69383", "custom:birthcountry": "99100", "email": "lucas.petit@exemple.fr"}


class FranceConnectStandIn:
    """What the user pool does once FranceConnect answers: the federated user, its mapped
    attributes, and a code the token endpoint exchanges (once) for its tokens."""

    def __init__(self, env):
        from moto.cognitoidp.models import cognitoidp_backends

        self.pool = cognitoidp_backends[DEFAULT_ACCOUNT_ID]["eu-west-3"].user_pools[env["USER_POOL_USERS_ID"]]
        self.client_id = env["USER_POOL_USERS_CLIENT_ID"]
        self.codes: dict[str, str] = {}
        self.links: dict[str, str] = {}  # FranceConnect sub -> the linked user's username

    def sign_in(self, claims: dict[str, str], subject: str | None = None) -> str:
        from moto.cognitoidp.models import CognitoIdpUser

        subject = subject or secrets.token_hex(8)
        username = self.links.get(subject) or f"FranceConnect_{subject}"
        if username not in self.pool.users:
            self.pool.users[username] = CognitoIdpUser(self.pool.id, username, None, "EXTERNAL_PROVIDER",
                                                       [{"Name": k, "Value": v} for k, v in claims.items()])
        code = secrets.token_urlsafe(16)
        self.codes[code] = username
        return code

    def exchange(self, oauth, code: str, code_verifier: str) -> Tokens:
        from chalicelib.domain.errors import Unauthenticated

        username = self.codes.pop(code, None)
        if username is None or code_verifier != VERIFIER:
            raise Unauthenticated("franceconnect_code_invalid", "expiré")
        refresh, jti = self.pool.create_refresh_token(self.client_id, username)
        if username.startswith("FranceConnect_"):
            # Cognito names a federated user's tokens by its username (moto, by the sub of any user).
            access, expires = self.pool.create_jwt(self.client_id, username, "access", extra_data={
                "origin_jti": jti, "username": username, "scope": "openid email profile"})
        else:
            access, expires = self.pool.create_access_token(self.client_id, username, jti)
        identity, _ = self.pool.create_id_token(self.client_id, username, jti)
        return Tokens(access_token=access, id_token=identity, refresh_token=refresh, expires_in=expires)

    def link(self, destination: str, subject: str) -> None:
        self.links[subject] = destination


def install(aws, monkeypatch, follow_links=True):
    """The stand-in in place of the token endpoint; follow_links: Cognito's link recorded here too,
    so that the next sign-in of a linked identity opens the existing user."""
    stand_in = FranceConnectStandIn(aws)
    monkeypatch.setenv("USER_POOL_USERS_DOMAIN", "http://cognito.invalid")
    monkeypatch.setattr(CognitoOAuth, "exchange", lambda oauth, code, verifier: stand_in.exchange(oauth, code, verifier))
    if follow_links:
        original = CognitoDirectory.link_franceconnect

        def link(directory, account_id, federated_username, subject):
            original(directory, account_id, federated_username, subject)
            stand_in.link(account_id, subject)

        monkeypatch.setattr(CognitoDirectory, "link_franceconnect", link)
    return stand_in


