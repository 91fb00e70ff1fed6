"""Verification of the Cognito access tokens presented to the API.

Why this module exists, and what it deliberately does not do:

* On AWS, API Gateway's Cognito authorizer verifies the access token (signature, expiry, issuer)
  before the function runs: a request with a bad token never reaches our code. The function still
  needs the verified claims (who is calling, through which client) and must behave the same way
  locally, where Chalice's local server and the tests run without that authorizer. This module is
  that single code path: it verifies the token itself, against the user pool's JWKS, identically
  on AWS (https://cognito-idp.<region>.amazonaws.com/<pool>/.well-known/jwks.json) and locally
  (moto serves the same document at <endpoint>/<pool>/.well-known/jwks.json).
* The JWKS is cached (JwksCache): it is fetched on first use, again when it is older than
  max_age_seconds, and when a token names a key id we do not know (Cognito rotated its keys) --
  at most once per 60 s for unknown key ids, so a flood of forged key ids cannot make us hammer
  Cognito. Verifying a token therefore makes no network call in the steady state.
* Only RS256 is accepted (no "none", no HS256 signed with the public key: algorithm confusion),
  the issuer and the client id must match exactly, and the token must be an access token
  (token_use == "access"): an ID token is refused.
* Revocation (global sign-out, a refresh token revoked) and disabled or deleted accounts are NOT
  checked here: a signed, unexpired access token stays cryptographically valid until it expires.
  Those checks belong to the caller, later, against the account profile.

Failures raise InvalidToken with a stable ``reason`` code (suitable for a metric or a 401 body);
the token itself never appears in an exception message, and nothing here logs. A JWKS that cannot
be fetched raises JwksUnavailable instead: that is our outage (503), not the caller's fault (401).

No boto3 or Chalice import here: this module only needs joserfc (JWS/JWK) and urllib3 (shipped
with botocore) for the default HTTP fetch.
"""
from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable

from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import RSAKey

__all__ = [
    "ACCEPTED_ALGORITHM",
    "InvalidToken",
    "JwksCache",
    "JwksUnavailable",
    "TokenVerifier",
    "VerifiedToken",
    "default_jwks_url",
    "http_get",
    "issuer_for",
    "parse_jwks",
]

ACCEPTED_ALGORITHM = "RS256"
HTTP_TIMEOUT_SECONDS = 3.0
UNKNOWN_KID_REFETCH_INTERVAL_SECONDS = 60
MAX_JWKS_BYTES = 256 * 1024
MAX_TOKEN_CHARS = 16 * 1024


@dataclass(frozen=True)
class VerifiedToken:
    """The claims of a verified access token that the API relies on."""

    subject: str  # "sub": the Cognito user's immutable id
    username: str  # "username" (equal to sub when the pool signs in with the email)
    client_id: str
    issued_at: int  # "iat", seconds since the epoch
    expires_at: int  # "exp", seconds since the epoch
    token_id: str | None  # "jti"
    groups: tuple[str, ...] = ()  # "cognito:groups", absent when the user is in no group


class InvalidToken(Exception):
    """The token is refused. ``reason`` is one of REASONS; the message never contains the token."""

    REASONS = frozenset({
        "malformed", "bad_signature", "unknown_key", "expired", "wrong_issuer", "wrong_client",
        "not_an_access_token", "not_yet_valid",
    })

    def __init__(self, reason: str, detail: str | None = None):
        if reason not in self.REASONS:
            raise ValueError(f"unknown InvalidToken reason {reason!r}")
        self.reason = reason
        super().__init__(reason if detail is None else f"{reason}: {detail}")


class JwksUnavailable(Exception):
    """The JWKS could not be fetched or is not a JWKS: a server-side outage, not a bad token."""


def issuer_for(region: str, user_pool_id: str) -> str:
    """The "iss" claim of the tokens of a user pool (moto uses the same value)."""
    return f"https://cognito-idp.{region}.amazonaws.com/{user_pool_id}"


def default_jwks_url(region: str, user_pool_id: str, endpoint_url: str | None = None) -> str:
    """Where the pool's public keys are served: Cognito on AWS, or a moto server's endpoint."""
    if endpoint_url:
        return f"{endpoint_url.rstrip('/')}/{user_pool_id}/.well-known/jwks.json"
    return f"{issuer_for(region, user_pool_id)}/.well-known/jwks.json"


_pool_lock = threading.Lock()
_pool: Any = None


def http_get(url: str) -> bytes:
    """GET ``url`` with urllib3 (3 s timeout, no retry, no redirect); JwksUnavailable on failure."""
    global _pool
    import urllib3  # installed with botocore; imported lazily, only the default fetch needs it

    with _pool_lock:
        if _pool is None:
            _pool = urllib3.PoolManager(num_pools=2)
        pool = _pool
    try:
        response = pool.request(
            "GET", url, timeout=urllib3.Timeout(total=HTTP_TIMEOUT_SECONDS), retries=False,
            redirect=False, headers={"Accept": "application/json"},
        )
    except urllib3.exceptions.HTTPError as error:
        raise JwksUnavailable(f"JWKS request failed: {type(error).__name__}") from error
    if response.status != 200:
        raise JwksUnavailable(f"JWKS endpoint answered HTTP {response.status}")
    return bytes(response.data)


def parse_jwks(document: bytes) -> dict[str, RSAKey]:
    """The usable signing keys of a JWKS document, by kid (RSA, RS256/unspecified, use sig).

    Only the public members (kty, n, e) are imported. A document that is not a JWKS raises
    JwksUnavailable; individual keys we cannot use are skipped.
    """
    if len(document) > MAX_JWKS_BYTES:
        raise JwksUnavailable("JWKS document too large")
    try:
        data = json.loads(document)
    except (TypeError, ValueError) as error:
        raise JwksUnavailable("JWKS document is not JSON") from error
    if not isinstance(data, dict) or not isinstance(data.get("keys"), list):
        raise JwksUnavailable("document is not a JWKS")
    keys: dict[str, RSAKey] = {}
    for entry in data["keys"]:
        if not isinstance(entry, dict):
            continue
        kid = entry.get("kid")
        if not isinstance(kid, str) or not kid or entry.get("kty") != "RSA":
            continue
        if entry.get("use", "sig") != "sig" or entry.get("alg", ACCEPTED_ALGORITHM) != ACCEPTED_ALGORITHM:
            continue
        try:
            keys[kid] = RSAKey.import_key({"kty": "RSA", "n": entry["n"], "e": entry["e"]})
        except (JoseError, KeyError, TypeError, ValueError):
            continue
    return keys


class JwksCache:
    """The user pool's public keys, fetched lazily and cached.

    Fetched on first use; fetched again when the cache is older than ``max_age_seconds``, or when
    a kid is unknown (keys rotated) -- at most one such refetch per 60 s, whatever the kid. If a
    periodic refresh fails while keys are cached, the cached keys keep being used (Cognito rarely
    rotates; its outage must not fail every request) and the refresh is retried after 60 s.
    A lock serialises fetches: enough for Lambda (one request at a time per sandbox) and for the
    threaded local server.
    """

    def __init__(
        self,
        url: str,
        fetch: Callable[[str], bytes] | None = None,
        max_age_seconds: int = 3600,
        clock: Callable[[], float] = time.time,
    ):
        self.url = url
        self._fetch = fetch if fetch is not None else http_get
        self._max_age = max_age_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._keys: dict[str, RSAKey] | None = None
        self._fetched_at = 0.0
        self._refresh_failed_at: float | None = None
        self._unknown_kid_refetch_at: float | None = None

    def key_for(self, kid: str) -> RSAKey:
        """The public key named ``kid``; InvalidToken("unknown_key") if the pool has none."""
        with self._lock:
            now = self._clock()
            fetched_now = False
            if self._keys is None:
                self._refresh(now)
                fetched_now = True
            elif now - self._fetched_at >= self._max_age and not self._recently(self._refresh_failed_at, now):
                try:
                    self._refresh(now)
                    fetched_now = True
                except JwksUnavailable:
                    self._refresh_failed_at = now  # keep serving the cached keys
            assert self._keys is not None
            key = self._keys.get(kid)
            if key is not None:
                return key
            if fetched_now or self._recently(self._unknown_kid_refetch_at, now):
                raise InvalidToken("unknown_key")
            self._unknown_kid_refetch_at = now  # counted even if the fetch fails
            self._refresh(now)
            key = self._keys.get(kid)
            if key is None:
                raise InvalidToken("unknown_key")
            return key

    @staticmethod
    def _recently(moment: float | None, now: float) -> bool:
        return moment is not None and now - moment < UNKNOWN_KID_REFETCH_INTERVAL_SECONDS

    def _refresh(self, now: float) -> None:
        try:
            document = self._fetch(self.url)
        except JwksUnavailable:
            raise
        except Exception as error:  # any transport error of an injected fetch
            raise JwksUnavailable(f"JWKS fetch failed: {type(error).__name__}") from error
        self._keys = parse_jwks(document)
        self._fetched_at = now
        self._refresh_failed_at = None


def _timestamp(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidToken("malformed", "time claim missing or not a number")
    return int(value)


def _text(value: Any, claim: str) -> str:
    if not isinstance(value, str) or not value:
        raise InvalidToken("malformed", f"claim {claim} missing or not a string")
    return value


class TokenVerifier:
    """Verifies the access tokens of one user pool client."""

    def __init__(
        self,
        jwks: JwksCache,
        issuer: str,
        client_id: str,
        clock: Callable[[], float] = time.time,
        leeway_seconds: int = 0,
    ):
        self._jwks = jwks
        self.issuer = issuer
        self.client_id = client_id
        self._clock = clock
        self._leeway = leeway_seconds
        # Only RS256: refuses "none" and HS256 signed with the public key (algorithm confusion).
        self._registry = jws.JWSRegistry(algorithms=[ACCEPTED_ALGORITHM], strict_check_header=False)

    def verify_access_token(self, token: str) -> VerifiedToken:
        """The verified claims of ``token``; InvalidToken (with a reason) if it must be refused.

        JwksUnavailable propagates when the keys cannot be fetched.
        """
        signed = self._parse(token)
        header = signed.headers()
        if header.get("alg") != ACCEPTED_ALGORITHM:
            raise InvalidToken("bad_signature", "algorithm not accepted")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise InvalidToken("unknown_key", "no key id")
        key = self._jwks.key_for(kid)
        try:
            valid = jws.validate_compact(signed, key, registry=self._registry)
        except JoseError:
            valid = False
        if not valid:
            raise InvalidToken("bad_signature")
        try:
            claims = json.loads(signed.payload)
        except (TypeError, ValueError):
            raise InvalidToken("malformed", "payload is not JSON") from None
        if not isinstance(claims, dict):
            raise InvalidToken("malformed", "payload is not an object")
        return self._check_claims(claims)

    def _parse(self, token: str) -> jws.CompactSignature:
        if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_CHARS:
            raise InvalidToken("malformed")
        try:
            signed = jws.extract_compact(token.encode("ascii"), registry=self._registry)
            self._registry.check_header(signed.headers())  # "crit" we do not understand, etc.
        except (JoseError, UnicodeError, TypeError, ValueError):
            raise InvalidToken("malformed") from None
        return signed

    def _check_claims(self, claims: dict[str, Any]) -> VerifiedToken:
        if claims.get("iss") != self.issuer:
            raise InvalidToken("wrong_issuer")
        if claims.get("token_use") != "access":
            raise InvalidToken("not_an_access_token")
        if claims.get("client_id") != self.client_id:
            raise InvalidToken("wrong_client")
        expires_at = _timestamp(claims.get("exp"))
        issued_at = _timestamp(claims.get("iat"))
        now = self._clock()
        if now >= expires_at + self._leeway:
            raise InvalidToken("expired")
        if issued_at > now + self._leeway:
            raise InvalidToken("not_yet_valid")
        if "nbf" in claims and _timestamp(claims["nbf"]) > now + self._leeway:
            raise InvalidToken("not_yet_valid")
        token_id = claims.get("jti")
        if token_id is not None and not isinstance(token_id, str):
            raise InvalidToken("malformed", "claim jti not a string")
        groups = claims.get("cognito:groups", [])
        if not isinstance(groups, list) or not all(isinstance(g, str) for g in groups):
            raise InvalidToken("malformed", "claim cognito:groups not a list of strings")
        return VerifiedToken(
            subject=_text(claims.get("sub"), "sub"),
            username=_text(claims.get("username"), "username"),
            client_id=self.client_id,
            issued_at=issued_at,
            expires_at=expires_at,
            token_id=token_id,
            groups=tuple(groups),
        )
