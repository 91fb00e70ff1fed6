"""Cognito's OAuth 2.0 endpoints and account linking, for the local stack, which moto lacks.

moto serves Cognito's API (create users, sign in with a password, JWKS) but neither the user pool
domain's OAuth endpoints (hosted UI) nor AdminLinkProviderForUser. Here, for FranceConnect
(/tmp/fc/spec.md, domain/franceconnect.py), the same URLs and answers as Cognito's:

    GET  /oauth2/authorize     response_type=code, client_id, redirect_uri, identity_provider,
                               state, scope, code_challenge (S256), nonce: checked against the
                               app client and the identity provider as configured in moto
                               (provision.py), then 302 to the provider's authorize_url
    GET  /oauth2/idpresponse   the provider's answer: code exchanged at its token_url
                               (client_secret_post), id token checked, claims read at its
                               attributes_url, mapped by its AttributeMapping onto the federated
                               user <ProviderName>_<sub> (created, then updated at each sign-in),
                               or onto the user an AdminLinkProviderForUser linked; 302 to the
                               client's redirect_uri with code & state (error=access_denied&state
                               when the person cancelled at the provider)
    POST /oauth2/token         authorization_code (PKCE verified; codes single use, 5 minutes) and
                               refresh_token grants: {id_token, access_token, refresh_token,
                               expires_in, token_type}, minted by moto's user pool (its signature:
                               the JWKS the API verifies)

They are served by the moto process, on moto's port, OUTSIDE the lock that serves moto's requests
one at a time (processes.serialized): /oauth2/idpresponse calls the FranceConnect stand-in on the
same server over HTTP. Only the work on moto's models (read the configuration, create a user, mint
tokens) takes that lock. `install()` patches moto's Cognito for what federation needs (below);
provision.py installs it too for the tests' in-process moto. Not shipped to Lambda."""
from __future__ import annotations

import base64
import hashlib
import html
import json
import re
import secrets
import time
import uuid
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator, Mapping
from urllib.parse import urlencode, urlsplit

from chalicelib.local.franceconnect_server import (API_PATH, ISSUER_PATH, ExpiringStore, FranceConnectStandIn,
                                                   Registration, json_response, redirect_to, text_response,
                                                   verify_hs256)

OAUTH_PATH = "/oauth2"
FEDERATED_STATUS = "EXTERNAL_PROVIDER"  # Cognito's UserStatus of a user created by federation
CODE_SECONDS = 5 * 60  # Cognito's authorization codes
PENDING_SECONDS = 15 * 60  # time to authenticate at the provider
MAX_LINKED_IDENTITIES = 5
LINKS = "permis_linked_identities"  # on moto's CognitoIdpUser: the SourceUsers linked to it
HTTP_TIMEOUT_SECONDS = 10
_CHALLENGE = re.compile(r"[A-Za-z0-9_-]{43}")
_VERIFIER = re.compile(r"[A-Za-z0-9._~-]{43,128}")

# (method, url, form or None, headers) -> (status, body): how idpresponse calls the provider.
Http = Callable[[str, str, "Mapping[str, str] | None", Mapping[str, str]], "tuple[int, bytes]"]


# --- moto: what federation needs -----------------------------------------------------------------

def _is_federated(user: Any) -> bool:
    return getattr(user, "status", None) == FEDERATED_STATUS


def install() -> None:
    """Patches moto's Cognito (idempotent):
    - AdminLinkProviderForUser (JSON API and backend), the link kept on the destination user;
    - users created by federation (status EXTERNAL_PROVIDER) are not found by their email where a
      pool signs in with the email, nor count for its uniqueness (as Cognito: their email is an
      attribute, not a sign-in alias);
    - tokens of federated or linked users carry the user's own username ("username" in the access
      token, "cognito:username" and the email attribute in the id token): moto writes the sub and
      the sign-in name there, which for "FranceConnect_<sub>" is wrong (also on refresh);
    - AdminDeleteUser revokes the user's refresh and access tokens, as Cognito (moto kept them,
      and a refresh then failed with a server error)."""
    from moto.cognitoidp import models, responses

    if getattr(models.CognitoIdpBackend, "permis_federation", False):
        return
    pool_class, backend_class = models.CognitoIdpUserPool, models.CognitoIdpBackend

    def _get_user(self: Any, username: str) -> Any:
        if self.extended_config.get("UsernameAttributes"):
            kinds = self.extended_config["UsernameAttributes"]
            for user in self.users.values():
                if not _is_federated(user) and username in [user.attribute_lookup.get(kind) for kind in kinds]:
                    return user
        return self.users.get(username)

    original_create_jwt = pool_class.create_jwt

    def create_jwt(self: Any, client_id: str, username: str, token_use: str, expires_in: int = 60 * 60,
                   extra_data: dict[str, Any] | None = None) -> tuple[str, int]:
        user = self._get_user(username)
        if user is None or not (_is_federated(user) or getattr(user, LINKS, None)):
            return original_create_jwt(self, client_id, username, token_use, expires_in, extra_data)
        from joserfc import jwt

        now = int(time.time())
        payload: dict[str, Any] = {
            "iss": f"https://cognito-idp.{self.region}.amazonaws.com/{self.id}", "sub": user.id,
            "client_id" if token_use == "access" else "aud": client_id, "token_use": token_use,
            "iat": now, "auth_time": now, "exp": now + expires_in, "jti": str(uuid.uuid4())}
        if token_use == "access":
            payload["username"] = user.username
        if token_use == "id":
            payload["cognito:username"] = user.username
            if user.attribute_lookup.get("email"):
                payload["email"] = user.attribute_lookup["email"]
        payload.update(extra_data or {})
        return jwt.encode({"kid": "dummy", "alg": "RS256"}, payload, self.json_web_key), expires_in

    def _verify_email_is_not_used(self: Any, user_pool_id: str, email: str | None) -> None:
        if not email:
            return
        pool = self.describe_user_pool(user_pool_id)
        if "email" not in pool.extended_config.get("UsernameAttributes", []):
            return
        for user in pool.users.values():
            if not _is_federated(user) and user.attribute_lookup.get("email", "") == email:
                raise models.AliasExistsException()

    original_delete = backend_class.admin_delete_user

    def admin_delete_user(self: Any, user_pool_id: str, username: str) -> None:
        pool = self.describe_user_pool(user_pool_id)
        user = self.admin_get_user(user_pool_id, username)
        names = {entry[1] for entry in pool.refresh_tokens.values() if entry} | \
                {name for _, name in pool.access_tokens.values()}
        theirs = {name for name in names if pool._get_user(name) is user}
        for token, entry in list(pool.refresh_tokens.items()):
            if entry and entry[1] in theirs:
                pool.refresh_tokens[token] = None
        for token, (_, name) in list(pool.access_tokens.items()):
            if name in theirs:
                del pool.access_tokens[token]
        original_delete(self, user_pool_id, username)

    def admin_link_provider_for_user(self: Any, user_pool_id: str, destination_user: Mapping[str, str],
                                     source_user: Mapping[str, str]) -> None:
        link_provider(self, user_pool_id, dict(destination_user or {}), dict(source_user or {}))

    def admin_link_provider_for_user_response(self: Any) -> Any:
        self.backend.admin_link_provider_for_user(self._get_param("UserPoolId"), self._get_param("DestinationUser"),
                                                  self._get_param("SourceUser"))
        return responses.EmptyResult()

    pool_class._get_user = _get_user
    pool_class.create_jwt = create_jwt
    backend_class._verify_email_is_not_used = _verify_email_is_not_used
    backend_class.admin_delete_user = admin_delete_user
    backend_class.admin_link_provider_for_user = admin_link_provider_for_user
    responses.CognitoIdpResponse.admin_link_provider_for_user = admin_link_provider_for_user_response
    backend_class.permis_federation = True


def link_provider(backend: Any, user_pool_id: str, destination: dict[str, str], source: dict[str, str]) -> None:
    """AdminLinkProviderForUser: the destination must exist, the source must be a provider of the
    pool whose federated user does not exist (Cognito does not merge)."""
    from moto.cognitoidp.exceptions import InvalidParameterException, UserNotFoundError
    from moto.core.exceptions import JsonRESTError

    pool = backend.describe_user_pool(user_pool_id)
    for name, given in (("DestinationUser", destination), ("SourceUser", source)):
        for key in ("ProviderName", "ProviderAttributeValue"):
            if not given.get(key):
                raise InvalidParameterException(f"{name}.{key} is required.")
    provider, attribute, value = source["ProviderName"], source.get("ProviderAttributeName"), \
        source["ProviderAttributeValue"]
    if provider == "Cognito" or provider not in pool.identity_providers:
        raise InvalidParameterException(f"SourceUser.ProviderName {provider} is not an identity provider of "
                                        "the user pool.")
    if not attribute:
        raise InvalidParameterException("SourceUser.ProviderAttributeName is required.")
    if destination["ProviderName"] == "Cognito":
        target = pool._get_user(destination["ProviderAttributeValue"])
    elif destination["ProviderName"] in pool.identity_providers:
        target = pool.users.get(f"{destination['ProviderName']}_{destination['ProviderAttributeValue']}")
    else:
        raise InvalidParameterException(f"DestinationUser.ProviderName {destination['ProviderName']} is not an "
                                        "identity provider of the user pool.")
    if target is None:
        raise UserNotFoundError("User does not exist.")
    if attribute == "Cognito_Subject" and f"{provider}_{value}" in pool.users:
        raise InvalidParameterException("Merging is not currently supported, provide a SourceUser that has not "
                                        "been signed up in order to link")
    link = {"ProviderName": provider, "ProviderAttributeName": attribute, "ProviderAttributeValue": value}
    for user in pool.users.values():
        if link in getattr(user, LINKS, ()):
            if user is target:
                return
            raise InvalidParameterException("SourceUser is already linked to another user.")
    links = target.__dict__.setdefault(LINKS, [])
    if len(links) >= MAX_LINKED_IDENTITIES:
        raise JsonRESTError("LimitExceededException", "A user can be linked to at most 5 identities.")
    links.append(link)


def _user_pools() -> Iterator[tuple[str, str, Any]]:
    from moto.cognitoidp.models import cognitoidp_backends

    for account_id, regions in list(cognitoidp_backends.items()):
        for region, backend in list(regions.items()):
            for pool in list(backend.user_pools.values()):
                yield account_id, region, pool


def _pool(reference: tuple[str, str, str]) -> Any:
    from moto.cognitoidp.models import cognitoidp_backends

    account_id, region, pool_id = reference
    try:
        return cognitoidp_backends[account_id][region].user_pools.get(pool_id)
    except KeyError:
        return None


def franceconnect_registrations(lock: Any) -> Callable[[], dict[str, Registration]]:
    """The FranceConnect stand-in's service providers: the identity providers of moto's user pools
    whose authorize_url is the stand-in's (their client id, secret and issuer)."""
    def read() -> dict[str, Registration]:
        found = {}
        with lock:
            for _, _, pool in _user_pools():
                for provider in pool.identity_providers.values():
                    details = provider.extended_config.get("ProviderDetails") or {}
                    if urlsplit(details.get("authorize_url", "")).path.startswith(API_PATH + "/") \
                            and details.get("client_id"):
                        found[details["client_id"]] = Registration(details["client_id"],
                                                                   details.get("client_secret", ""),
                                                                   details.get("oidc_issuer", ""))
        return found
    return read


# --- the OAuth endpoints --------------------------------------------------------------------------

@dataclass(frozen=True)
class Provider:
    name: str
    type: str
    details: dict[str, str]
    mapping: dict[str, str]


@dataclass(frozen=True)
class _Pending:
    pool: tuple[str, str, str]
    client_id: str
    redirect_uri: str
    state: str | None
    scopes: tuple[str, ...]
    code_challenge: str
    nonce: str | None
    provider: str
    provider_nonce: str
    provider_redirect_uri: str


@dataclass(frozen=True)
class _Grant:
    pool: tuple[str, str, str]
    client_id: str
    redirect_uri: str
    username: str
    scopes: tuple[str, ...]
    code_challenge: str
    nonce: str | None


class _ProviderFailure(Exception):
    pass


class _TokenError(Exception):
    def __init__(self, error: str):
        super().__init__(error)
        self.error = error


def urllib_http(method: str, url: str, form: Mapping[str, str] | None, headers: Mapping[str, str]) -> tuple[int, bytes]:
    import urllib.error
    import urllib.request

    data = urlencode(dict(form)).encode() if form is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers=dict(headers))
    if data is not None:
        request.add_header("Content-Type", "application/x-www-form-urlencoded")
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # the stand-in is local
    try:
        with opener.open(request, timeout=HTTP_TIMEOUT_SECONDS) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _error_page(code: str, french: str, english: str) -> Any:
    """Cognito's plain error page (its /error?error=<code>), in French and English, status 400."""
    body = f"""<!doctype html>
<html lang="fr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Erreur / Error</title>
</head>
<body>
<main>
<h1>Une erreur est survenue avec la page demandée.</h1>
<p>{html.escape(french)}</p>
<p lang="en">An error was encountered with the requested page. {html.escape(english)}</p>
<p>Code : <code>{html.escape(code)}</code></p>
</main>
</body>
</html>
"""
    return text_response(body, 400, "text/html; charset=utf-8")


def _with_state(parameters: dict[str, str], state: str | None) -> dict[str, str]:
    return {**parameters, "state": state} if state is not None else parameters


class CognitoOAuth:
    """The WSGI app of the user pool domain's /oauth2/ endpoints. `lock`: the one moto's requests
    are served under; `http`: how the provider is called (urllib by default)."""

    def __init__(self, lock: Any, http: Http | None = None, clock: Callable[[], float] = time.time):
        self.lock = lock
        self.http = http or urllib_http
        self.clock = clock
        self.pending = ExpiringStore(clock)
        self.codes = ExpiringStore(clock)
        self.refresh_scopes: dict[str, tuple[str, ...]] = {}

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        from werkzeug.wrappers import Request

        request = Request(environ)
        path, method = request.path, request.method
        if path == OAUTH_PATH + "/authorize" and method == "GET":
            response = self.authorize(request)
        elif path == OAUTH_PATH + "/idpresponse" and method == "GET":
            response = self.idp_response(request)
        elif path == OAUTH_PATH + "/token":
            response = self.token(request) if method == "POST" else json_response({"error": "invalid_request"}, 405)
        else:
            response = _error_page("not_found", "Cette page n'existe pas.", "This page does not exist.")
            response.status_code = 404
        return response(environ, start_response)

    # --- reading moto's configuration (lock held) ----------------------------------------------

    @staticmethod
    def _client(client_id: str) -> tuple[tuple[str, str, str], Any, dict[str, Any]] | None:
        for account_id, region, pool in _user_pools():
            client = pool.clients.get(client_id)
            if client is not None:
                return (account_id, region, pool.id), client, dict(client.extended_config)
        return None

    @staticmethod
    def _provider(pool: Any, name: str) -> Provider | None:
        provider = pool.identity_providers.get(name) if pool is not None else None
        if provider is None:
            return None
        config = provider.extended_config
        return Provider(name, config.get("ProviderType") or "OIDC", dict(config.get("ProviderDetails") or {}),
                         dict(config.get("AttributeMapping") or {}))

    # --- /oauth2/authorize -------------------------------------------------------------------

    def authorize(self, request: Any) -> Any:
        args = request.args
        client_id = args.get("client_id", "")
        with self.lock:
            found = self._client(client_id)
            provider = self._provider(_pool(found[0]), args.get("identity_provider", "")) if found else None
        if found is None:
            return _error_page("invalid_request", "Le client (client_id) est inconnu.", "Unknown client_id.")
        reference, _, config = found
        redirect_uri = args.get("redirect_uri", "")
        if redirect_uri not in (config.get("CallbackURLs") or []):
            return _error_page("redirect_mismatch", "L'adresse de retour (redirect_uri) n'est pas une adresse de "
                               "rappel du client.", "redirect_uri is not a callback URL of the client.")
        if args.get("response_type") != "code":
            return _error_page("unsupported_response_type", "Seul response_type=code est accepté.",
                               "Only response_type=code is supported.")
        if not config.get("AllowedOAuthFlowsUserPoolClient") or "code" not in (config.get("AllowedOAuthFlows") or []):
            return _error_page("unauthorized_client", "Le client n'est pas autorisé à utiliser ce flux OAuth.",
                               "The client is not allowed this OAuth flow.")
        allowed = config.get("AllowedOAuthScopes") or []
        scopes = tuple(args.get("scope", "").split()) or tuple(allowed)
        if not scopes or any(scope not in allowed for scope in scopes):
            return _error_page("invalid_scope", "Une portée (scope) demandée n'est pas permise au client.",
                               "A requested scope is not allowed for the client.")
        name = args.get("identity_provider", "")
        if not name:
            return _error_page("invalid_request", "Le paramètre identity_provider est requis : la page de connexion "
                               "de Cognito n'existe pas dans la pile locale.", "identity_provider is required.")
        if provider is None or name not in (config.get("SupportedIdentityProviders") or []):
            return _error_page("invalid_request", "Ce mode de connexion (identity_provider) n'est pas disponible.",
                               "Login option is not available.")
        if args.get("code_challenge_method") != "S256" or not _CHALLENGE.fullmatch(args.get("code_challenge", "")):
            return _error_page("invalid_request", "Un code_challenge PKCE (méthode S256) est requis.",
                               "A PKCE code_challenge (method S256) is required.")
        provider_redirect_uri = request.host_url.rstrip("/") + OAUTH_PATH + "/idpresponse"
        provider_nonce, state = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        self.pending.put(_Pending(reference, client_id, redirect_uri, args.get("state"), scopes, args["code_challenge"],
                                  args.get("nonce"), name, provider_nonce, provider_redirect_uri),
                         PENDING_SECONDS, key=state)
        return redirect_to(provider.details.get("authorize_url", ""), {
            "response_type": "code", "client_id": provider.details.get("client_id", ""),
            "redirect_uri": provider_redirect_uri, "scope": provider.details.get("authorize_scopes", "openid"),
            "state": state, "nonce": provider_nonce})

    # --- /oauth2/idpresponse -------------------------------------------------------------------

    def idp_response(self, request: Any) -> Any:
        args = request.args
        pending: _Pending | None = self.pending.pop(args.get("state", ""))
        if pending is None:
            return _error_page("invalid_request", "Cette demande de connexion est inconnue ou a expiré : "
                               "recommencez.", "Invalid or expired state.")
        if args.get("error"):
            error = "access_denied" if args["error"] == "access_denied" else "invalid_request"
            return redirect_to(pending.redirect_uri, _with_state({"error": error}, pending.state))
        with self.lock:
            provider = self._provider(_pool(pending.pool), pending.provider)
        try:
            if provider is None or not args.get("code"):
                raise _ProviderFailure("Invalid identity provider response")
            claims = self._provider_claims(pending, provider, args["code"])
        except _ProviderFailure as failure:
            return redirect_to(pending.redirect_uri, _with_state(
                {"error_description": str(failure), "error": "invalid_request"}, pending.state))
        with self.lock:
            pool = _pool(pending.pool)
            user = sign_in_federated(pool, provider, claims) if pool is not None else None
            username = user.username if user is not None and user.enabled else None
        if username is None:
            return redirect_to(pending.redirect_uri, _with_state(
                {"error_description": "User is disabled.", "error": "invalid_request"}, pending.state))
        code = self.codes.put(_Grant(pending.pool, pending.client_id, pending.redirect_uri, username, pending.scopes,
                                     pending.code_challenge, pending.nonce), CODE_SECONDS, key=str(uuid.uuid4()))
        return redirect_to(pending.redirect_uri, _with_state({"code": code}, pending.state))

    def _provider_claims(self, pending: _Pending, provider: Provider, code: str) -> dict[str, Any]:
        """The code exchanged (client_secret_post), the id token checked, the userinfo read:
        the claims (userinfo's over the id token's)."""
        details = provider.details
        try:
            status, body = self.http("POST", details.get("token_url", ""), {
                "grant_type": "authorization_code", "code": code, "redirect_uri": pending.provider_redirect_uri,
                "client_id": details.get("client_id", ""), "client_secret": details.get("client_secret", "")},
                {"Accept": "application/json"})
            tokens = json.loads(body) if status == 200 else None
        except (OSError, ValueError):
            tokens = None
        if not isinstance(tokens, dict) or not tokens.get("access_token") or not tokens.get("id_token"):
            raise _ProviderFailure("Exception processing authorization code")
        try:
            segment = tokens["id_token"].split(".")[0]
            header = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
            if header.get("alg") != "HS256":
                raise ValueError("only HS256 (FranceConnect v1) is checked here")
            identity = verify_hs256(tokens["id_token"], details.get("client_secret", ""))
        except (ValueError, IndexError, AttributeError):
            raise _ProviderFailure("Bad id_token") from None
        audience = identity.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if (details.get("oidc_issuer") and identity.get("iss") != details["oidc_issuer"]) \
                or details.get("client_id") not in audiences or identity.get("nonce") != pending.provider_nonce \
                or not isinstance(identity.get("exp"), (int, float)) or identity["exp"] <= self.clock() \
                or not identity.get("sub"):
            raise _ProviderFailure("Bad id_token")
        try:
            status, body = self.http(details.get("attributes_request_method", "GET"), details.get("attributes_url", ""),
                                     None, {"Authorization": f"Bearer {tokens['access_token']}",
                                            "Accept": "application/json"})
            userinfo = json.loads(body) if status == 200 else None
        except (OSError, ValueError):
            userinfo = None
        if not isinstance(userinfo, dict) or userinfo.get("sub") != identity["sub"]:
            raise _ProviderFailure("Bad userinfo")
        return {**identity, **userinfo}

    # --- /oauth2/token -------------------------------------------------------------------------

    def token(self, request: Any) -> Any:
        try:
            return json_response(self._token(request))
        except _TokenError as refused:
            return json_response({"error": refused.error}, 400)

    def _token(self, request: Any) -> dict[str, Any]:
        if request.mimetype != "application/x-www-form-urlencoded":
            raise _TokenError("invalid_request")
        form = request.form
        client_id, secret = form.get("client_id", ""), form.get("client_secret")
        if request.authorization and request.authorization.type == "basic":
            client_id, secret = request.authorization.username or "", request.authorization.password
        grant_type = form.get("grant_type")
        if not grant_type:
            raise _TokenError("invalid_request")
        if grant_type not in ("authorization_code", "refresh_token"):
            raise _TokenError("unsupported_grant_type")
        with self.lock:
            found = self._client(client_id)
            client = found[1] if found else None
            if client is None or (client.generate_secret and secret != client.secret):
                raise _TokenError("invalid_client")
            if not found[2].get("AllowedOAuthFlowsUserPoolClient"):
                raise _TokenError("unauthorized_client")
            if grant_type == "refresh_token":
                return self._refresh(_pool(found[0]), client_id, form.get("refresh_token", ""))
        if not form.get("code"):
            raise _TokenError("invalid_request")
        grant: _Grant | None = self.codes.pop(form["code"])  # single use, even when refused below
        if grant is None or grant.client_id != client_id or grant.redirect_uri != form.get("redirect_uri"):
            raise _TokenError("invalid_grant")
        verifier = form.get("code_verifier", "")
        if not verifier:
            raise _TokenError("invalid_request")
        challenge = _b64url(hashlib.sha256(verifier.encode()).digest())
        if not _VERIFIER.fullmatch(verifier) or challenge != grant.code_challenge:
            raise _TokenError("invalid_grant")
        with self.lock:
            pool = _pool(grant.pool)
            if pool is None:
                raise _TokenError("invalid_grant")
            tokens = mint_tokens(pool, client_id, grant.username, grant.scopes, grant.nonce)
        self.refresh_scopes[tokens["refresh_token"]] = grant.scopes
        return tokens

    def _refresh(self, pool: Any, client_id: str, refresh_token: str) -> dict[str, Any]:
        entry = pool.refresh_tokens.get(refresh_token) if pool is not None and refresh_token else None
        if not entry or entry[0] != client_id:
            raise _TokenError("invalid_grant")
        scopes = self.refresh_scopes.get(refresh_token, ("openid", "aws.cognito.signin.user.admin"))
        tokens = mint_tokens(pool, client_id, entry[1], scopes, None, refresh_token=refresh_token)
        del tokens["refresh_token"]  # Cognito gives none on refresh
        return tokens


def _attribute_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else json.dumps(value)


def mapped_attributes(mapping: Mapping[str, str], claims: Mapping[str, Any]) -> dict[str, str]:
    """Pool attribute -> value, for the claims present ("" for a claim given empty)."""
    return {attribute: _attribute_value(claims[claim]) for attribute, claim in mapping.items()
            if attribute != "username" and claim in claims and claims[claim] is not None}


def _set_attributes(user: Any, values: Mapping[str, str]) -> None:
    """Cognito's update of the mapped attributes: set those given, drop those given empty."""
    from moto.cognitoidp.utils import expand_attrs
    from moto.core.utils import utcnow

    flat = dict(user.attribute_lookup)
    for name, value in values.items():
        if value:
            flat[name] = value
        else:
            flat.pop(name, None)
    user.attribute_lookup = flat
    user.attributes = expand_attrs(flat)
    user.last_modified_date = utcnow()


def _identity(provider: Provider, subject: str, primary: bool) -> dict[str, Any]:
    return {"userId": subject, "providerName": provider.name, "providerType": provider.type, "issuer": None,
            "primary": "true" if primary else "false", "dateCreated": str(int(time.time() * 1000))}


def _linked_user(pool: Any, provider: str, claims: Mapping[str, Any]) -> Any:
    for user in pool.users.values():
        for link in getattr(user, LINKS, ()):
            if link["ProviderName"] != provider:
                continue
            name = link["ProviderAttributeName"]
            value = claims.get("sub") if name == "Cognito_Subject" else claims.get(name)
            if value is not None and _attribute_value(value) == link["ProviderAttributeValue"]:
                return user
    return None


def sign_in_federated(pool: Any, provider: Provider, claims: Mapping[str, Any]) -> Any:
    """The user the provider's identity signs in as (lock held): the user linked to it, else the
    federated user <provider>_<sub>, created on first sign-in; its mapped attributes updated."""
    from moto.cognitoidp.models import CognitoIdpUser

    subject = str(claims["sub"])
    values = mapped_attributes(provider.mapping, claims)
    linked = _linked_user(pool, provider.name, claims)
    if linked is not None:
        identities = json.loads(linked.attribute_lookup.get("identities") or "[]")
        if not any(i.get("providerName") == provider.name and i.get("userId") == subject for i in identities):
            identities.append(_identity(provider, subject, primary=False))
        _set_attributes(linked, {**values, "identities": json.dumps(identities)})
        return linked
    username = f"{provider.name}_{subject}"
    user = pool.users.get(username)
    if user is None:
        attributes = [{"Name": name, "Value": value} for name, value in values.items() if value]
        attributes.append({"Name": "identities", "Value": json.dumps([_identity(provider, subject, primary=True)])})
        user = CognitoIdpUser(pool.id, username, None, FEDERATED_STATUS, attributes)
        pool.users[username] = user
    else:
        _set_attributes(user, values)
    return user


def mint_tokens(pool: Any, client_id: str, username: str, scopes: Iterable[str], nonce: str | None,
                refresh_token: str | None = None) -> dict[str, Any]:
    """Tokens as Cognito's token endpoint gives them, signed by moto's user pool (lock held)."""
    user = pool._get_user(username)  # a username, or the email a refresh token of InitiateAuth keeps
    if user is None or not user.enabled:
        raise _TokenError("invalid_grant")
    scopes = tuple(scopes)
    if refresh_token is None:
        refresh_token, origin_jti = pool.create_refresh_token(client_id, username)
    else:
        origin_jti = pool.refresh_tokens[refresh_token][2]
    common: dict[str, Any] = {"origin_jti": origin_jti, "event_id": str(uuid.uuid4())}
    if user.groups:
        common["cognito:groups"] = sorted(group.group_name for group in user.groups)
    access_token, expires_in = pool.create_jwt(client_id, username, "access", extra_data={
        **common, "scope": " ".join(scopes), "username": user.username, "version": 2})
    pool.access_tokens[access_token] = (client_id, username)
    tokens: dict[str, Any] = {"access_token": access_token, "refresh_token": refresh_token,
                              "expires_in": expires_in, "token_type": "Bearer"}
    if "openid" in scopes:
        claims: dict[str, Any] = {name: value for name, value in user.attribute_lookup.items()
                                  if name not in ("sub", "identities")}
        if user.attribute_lookup.get("identities"):
            claims["identities"] = json.loads(user.attribute_lookup["identities"])
        for name in ("email_verified", "phone_number_verified"):  # booleans in Cognito's id tokens
            if name in claims:
                claims[name] = claims[name] == "true"
        claims.update(common)
        claims["cognito:username"] = user.username
        claims["at_hash"] = _b64url(hashlib.sha256(access_token.encode()).digest()[:16])
        if nonce:
            claims["nonce"] = nonce
        id_token, _ = pool.create_jwt(client_id, username, "id", extra_data=claims)
        pool.id_tokens[id_token] = (client_id, username)
        tokens["id_token"] = id_token
    return tokens


def local_identity_app(moto_app: Callable, lock: Any, http: Http | None = None) -> Callable:
    """moto's WSGI app with Cognito's /oauth2/ endpoints and the FranceConnect stand-in in front,
    both served outside `lock` (which moto_app takes for itself)."""
    oauth = CognitoOAuth(lock, http)
    franceconnect = FranceConnectStandIn(franceconnect_registrations(lock))

    def handle(environ: dict, start_response: Callable) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path.startswith(OAUTH_PATH + "/"):
            return oauth(environ, start_response)
        if path.startswith(ISSUER_PATH + "/"):
            return franceconnect(environ, start_response)
        return moto_app(environ, start_response)

    handle.oauth, handle.franceconnect = oauth, franceconnect  # type: ignore[attr-defined]
    return handle


__all__ = ["CognitoOAuth", "FEDERATED_STATUS", "install", "link_provider", "local_identity_app", "mint_tokens",
           "sign_in_federated"]
