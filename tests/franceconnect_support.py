"""What Cognito does at the end of FranceConnect's sign-in, for the tests on in-process moto, which
has no OAuth endpoints: the local stack's own machinery (chalicelib/local/cognito_oauth.py) signs
the identity in (the federated user "FranceConnect_<sub>" with the mapped attributes, or the user
it was linked to) and mints its tokens; a code, exchanged once with its PKCE verifier, gives them."""
from __future__ import annotations

import secrets

from moto.core import DEFAULT_ACCOUNT_ID

from chalicelib.adapters.identity import CognitoOAuth, Tokens
from chalicelib.domain.franceconnect import ATTRIBUTE_MAPPING, PROVIDER_NAME

VERIFIER = "v" * 43
# FranceConnect's claims (not yet mapped onto the pool's attributes).
LUCAS = {"given_name": "Lucas Jean", "family_name": "PETIT", "birthdate": "2008-05-14", "gender": "male",
         "birthplace": "69383", "birthcountry": "99100", "email": "lucas.petit@exemple.fr"}


class FranceConnectStandIn:
    def __init__(self, env):
        from moto.cognitoidp.models import cognitoidp_backends

        from chalicelib.local.cognito_oauth import Provider

        self.pool = cognitoidp_backends[DEFAULT_ACCOUNT_ID]["eu-west-3"].user_pools[env["USER_POOL_USERS_ID"]]
        self.client_id = env["USER_POOL_USERS_CLIENT_ID"]
        self.provider = Provider(PROVIDER_NAME, "OIDC", {}, dict(ATTRIBUTE_MAPPING))
        self.codes: dict[str, str] = {}

    def sign_in(self, claims: dict[str, str], subject: str | None = None) -> str:
        """FranceConnect identified the person with `claims`: the code the site receives."""
        from chalicelib.local.cognito_oauth import sign_in_federated

        user = sign_in_federated(self.pool, self.provider, {"sub": subject or secrets.token_hex(8), **claims})
        code = secrets.token_urlsafe(16)
        self.codes[code] = user.username
        return code

    def exchange(self, code: str, code_verifier: str) -> Tokens:
        from chalicelib.domain.errors import Unauthenticated
        from chalicelib.local.cognito_oauth import mint_tokens

        username = self.codes.pop(code, None)
        if username is None or code_verifier != VERIFIER:
            raise Unauthenticated("franceconnect_code_invalid", "Cette connexion FranceConnect a expiré.")
        tokens = mint_tokens(self.pool, self.client_id, username, ("openid", "email", "profile"), None)
        return Tokens(access_token=tokens["access_token"], id_token=tokens["id_token"],
                      refresh_token=tokens["refresh_token"], expires_in=tokens["expires_in"])


def install(aws, monkeypatch) -> FranceConnectStandIn:
    """The stand-in in place of the user pool's token endpoint."""
    stand_in = FranceConnectStandIn(aws)
    monkeypatch.setenv("USER_POOL_USERS_DOMAIN", "http://cognito.invalid")
    monkeypatch.setattr(CognitoOAuth, "exchange", lambda oauth, code, verifier: stand_in.exchange(code, verifier))
    return stand_in
