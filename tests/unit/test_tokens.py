"""chalicelib.auth.tokens against real moto-signed Cognito tokens (USER_PASSWORD_AUTH on a moto
user pool), the JWKS being moto's own public key set, served by an injected fetch that counts
its calls, or by a moto server for the default HTTP fetch."""
from __future__ import annotations

import base64
import gzip
import hashlib
import hmac
import json
import os
import socket
import threading
import time
from pathlib import Path

import boto3
import moto
import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey
from moto import mock_aws

from chalicelib.auth.tokens import (
    InvalidToken,
    JwksCache,
    JwksUnavailable,
    TokenVerifier,
    VerifiedToken,
    default_jwks_url,
    http_get,
    issuer_for,
)

REGION = os.environ["AWS_DEFAULT_REGION"]
EMAIL = "alice@example.com"
PASSWORD = "Sup3r-secret-passw0rd!"


def moto_public_jwks() -> bytes:
    """The public JWKS shipped in the moto package (gzipped in recent versions)."""
    resources = Path(moto.__file__).parent / "cognitoidp" / "resources"
    plain = resources / "jwks-public.json"
    if plain.exists():
        return plain.read_bytes()
    return gzip.decompress((resources / "jwks-public.json.gz").read_bytes())


class CountingFetch:
    def __init__(self, *documents: bytes):
        self.documents = list(documents)
        self.urls: list[str] = []

    def __call__(self, url: str) -> bytes:
        self.urls.append(url)
        # The last document keeps being served once the list is exhausted.
        return self.documents[min(len(self.urls), len(self.documents)) - 1]

    @property
    def calls(self) -> int:
        return len(self.urls)


class FakeClock:
    def __init__(self, now: float):
        self.now = now

    def __call__(self) -> float:
        return self.now


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def claims_of(token: str) -> dict:
    return json.loads(unb64(token.split(".")[1]))


def header_of(token: str) -> dict:
    return json.loads(unb64(token.split(".")[0]))


def create_client(cognito, pool_id: str, name: str) -> str:
    return cognito.create_user_pool_client(
        UserPoolId=pool_id, ClientName=name,
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]["ClientId"]


def create_pool(cognito, name: str) -> str:
    return cognito.create_user_pool(PoolName=name, UsernameAttributes=["email"])["UserPool"]["Id"]


def create_user(cognito, pool_id: str, email: str = EMAIL) -> str:
    cognito.admin_create_user(
        UserPoolId=pool_id, Username=email, MessageAction="SUPPRESS",
        UserAttributes=[{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"}],
    )
    cognito.admin_set_user_password(UserPoolId=pool_id, Username=email, Password=PASSWORD, Permanent=True)
    attributes = cognito.admin_get_user(UserPoolId=pool_id, Username=email)["UserAttributes"]
    return next(a["Value"] for a in attributes if a["Name"] == "sub")


def sign_in(cognito, client_id: str, email: str = EMAIL) -> dict:
    return cognito.initiate_auth(
        ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": email, "PASSWORD": PASSWORD},
    )["AuthenticationResult"]


class Pool:
    """A moto user pool with a client and a signed-in user."""

    def __init__(self, cognito, name: str = "permis"):
        self.cognito = cognito
        self.pool_id = create_pool(cognito, name)
        self.client_id = create_client(cognito, self.pool_id, "web")
        self.sub = create_user(cognito, self.pool_id)
        tokens = sign_in(cognito, self.client_id)
        self.access_token = tokens["AccessToken"]
        self.id_token = tokens["IdToken"]
        self.issuer = issuer_for(REGION, self.pool_id)

    def verifier(self, fetch=None, *, clock=time.time, cache_clock=time.time, max_age_seconds=3600,
                 leeway_seconds=0) -> tuple[TokenVerifier, CountingFetch]:
        fetch = fetch or CountingFetch(moto_public_jwks())
        cache = JwksCache(default_jwks_url(REGION, self.pool_id), fetch=fetch,
                          max_age_seconds=max_age_seconds, clock=cache_clock)
        return TokenVerifier(cache, self.issuer, self.client_id, clock=clock,
                             leeway_seconds=leeway_seconds), fetch


@pytest.fixture
def cognito():
    with mock_aws():
        yield boto3.client("cognito-idp", region_name=REGION)


@pytest.fixture
def pool(cognito):
    return Pool(cognito)


def refused(verifier: TokenVerifier, token: str) -> InvalidToken:
    with pytest.raises(InvalidToken) as caught:
        verifier.verify_access_token(token)
    assert token not in str(caught.value) or not token  # the token never leaks into the message
    return caught.value


def forge(claims: dict, *, kid: str = "dummy", key: RSAKey | None = None) -> str:
    """A token signed (RS256) with a fresh RSA key of our own."""
    key = key or RSAKey.generate_key(2048)
    return jwt.encode({"alg": "RS256", "kid": kid}, claims, key)


# --- the happy path ------------------------------------------------------------------------


def test_moto_access_token_verifies(pool):
    verifier, fetch = pool.verifier()
    verified = verifier.verify_access_token(pool.access_token)

    claims = claims_of(pool.access_token)
    assert isinstance(verified, VerifiedToken)
    assert verified.subject == pool.sub
    assert verified.username == pool.sub  # email sign-in: moto (like Cognito) puts the sub here
    assert verified.client_id == pool.client_id
    assert verified.issued_at == claims["iat"] and verified.expires_at == claims["exp"]
    assert verified.expires_at - verified.issued_at == 3600
    assert verified.token_id == claims["jti"]
    assert verified.groups == ()
    assert fetch.urls == [
        f"https://cognito-idp.{REGION}.amazonaws.com/{pool.pool_id}/.well-known/jwks.json"]


def test_moto_access_token_contents(pool):
    """What moto puts in an access token (documents the assumptions above)."""
    assert header_of(pool.access_token) == {"kid": "dummy", "alg": "RS256", "typ": "JWT"}
    claims = claims_of(pool.access_token)
    assert set(claims) == {"iss", "sub", "client_id", "token_use", "iat", "auth_time", "exp", "jti",
                           "username", "origin_jti", "scope"}
    assert claims["token_use"] == "access"
    assert claims["scope"] == "aws.cognito.signin.user.admin"
    assert claims["iss"] == pool.issuer


def test_groups_are_read_from_cognito_groups(pool):
    pool.cognito.create_group(GroupName="moniteurs", UserPoolId=pool.pool_id)
    pool.cognito.admin_add_user_to_group(UserPoolId=pool.pool_id, Username=EMAIL, GroupName="moniteurs")
    token = sign_in(pool.cognito, pool.client_id)["AccessToken"]
    assert claims_of(token)["cognito:groups"] == ["moniteurs"]

    verifier, _ = pool.verifier()
    assert verifier.verify_access_token(token).groups == ("moniteurs",)


def test_refreshed_access_token_verifies(pool):
    refresh_token = sign_in(pool.cognito, pool.client_id)["RefreshToken"]
    token = pool.cognito.initiate_auth(
        ClientId=pool.client_id, AuthFlow="REFRESH_TOKEN_AUTH",
        AuthParameters={"REFRESH_TOKEN": refresh_token},
    )["AuthenticationResult"]["AccessToken"]
    verifier, _ = pool.verifier()
    assert verifier.verify_access_token(token).subject == pool.sub


def test_jwks_fetched_once_for_100_verifications(pool):
    verifier, fetch = pool.verifier()
    for _ in range(100):
        assert verifier.verify_access_token(pool.access_token).subject == pool.sub
    assert fetch.calls == 1


def test_concurrent_first_use_fetches_once(pool):
    verifier, fetch = pool.verifier()
    results: list[str] = []

    def verify() -> None:
        for _ in range(20):
            results.append(verifier.verify_access_token(pool.access_token).subject)

    threads = [threading.Thread(target=verify) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [pool.sub] * 160
    assert fetch.calls == 1


def test_leeway_accepts_a_token_just_expired(pool):
    expires_at = claims_of(pool.access_token)["exp"]
    verifier, _ = pool.verifier(clock=lambda: expires_at + 5, leeway_seconds=10)
    assert verifier.verify_access_token(pool.access_token).subject == pool.sub


# --- claims refused --------------------------------------------------------------------------


def test_id_token_refused(pool):
    verifier, _ = pool.verifier()
    assert claims_of(pool.id_token)["token_use"] == "id"
    assert refused(verifier, pool.id_token).reason == "not_an_access_token"


def test_token_of_another_client_refused(pool):
    other_client = create_client(pool.cognito, pool.pool_id, "other")
    token = sign_in(pool.cognito, other_client)["AccessToken"]
    verifier, _ = pool.verifier()
    assert refused(verifier, token).reason == "wrong_client"


def test_token_of_another_pool_refused(pool):
    """moto signs every pool's tokens with the same key: only the issuer tells them apart."""
    other = Pool(pool.cognito, "other")
    verifier, _ = pool.verifier()
    assert refused(verifier, other.access_token).reason == "wrong_issuer"


def test_verifier_of_another_issuer_refuses(pool):
    cache = JwksCache("https://example.invalid/jwks.json", fetch=CountingFetch(moto_public_jwks()))
    verifier = TokenVerifier(cache, issuer_for(REGION, f"{REGION}_other"), pool.client_id)
    assert refused(verifier, pool.access_token).reason == "wrong_issuer"


def test_expired_token_refused(pool):
    verifier, _ = pool.verifier(clock=lambda: time.time() + 2 * 86400)
    assert refused(verifier, pool.access_token).reason == "expired"
    expires_at = claims_of(pool.access_token)["exp"]
    verifier, _ = pool.verifier(clock=lambda: expires_at)
    assert refused(verifier, pool.access_token).reason == "expired"


def test_token_issued_in_the_future_refused(pool):
    verifier, _ = pool.verifier(clock=lambda: time.time() - 600, leeway_seconds=60)
    assert refused(verifier, pool.access_token).reason == "not_yet_valid"


# --- signatures refused ----------------------------------------------------------------------


def test_altered_payload_refused(pool):
    header, payload, signature = pool.access_token.split(".")
    claims = claims_of(pool.access_token)
    claims["sub"] = "00000000-0000-0000-0000-000000000000"
    tampered = ".".join([header, b64(json.dumps(claims).encode()), signature])
    verifier, _ = pool.verifier()
    assert refused(verifier, tampered).reason == "bad_signature"


def test_token_signed_with_our_own_key_refused(pool):
    token = forge(claims_of(pool.access_token), kid="dummy")
    verifier, _ = pool.verifier()
    assert refused(verifier, token).reason == "bad_signature"


def test_unknown_kid_refetches_once_per_minute(pool):
    cache_clock = FakeClock(1_000_000.0)
    verifier, fetch = pool.verifier(cache_clock=cache_clock)
    verifier.verify_access_token(pool.access_token)
    assert fetch.calls == 1

    claims = claims_of(pool.access_token)
    assert refused(verifier, forge(claims, kid="forged-1")).reason == "unknown_key"
    assert fetch.calls == 2  # the keys may have rotated: one refetch

    cache_clock.now += 59
    assert refused(verifier, forge(claims, kid="forged-2")).reason == "unknown_key"
    assert refused(verifier, forge(claims, kid="forged-1")).reason == "unknown_key"
    assert fetch.calls == 2  # no refetch within 60 s, whatever the kid

    cache_clock.now += 1
    assert refused(verifier, forge(claims, kid="forged-3")).reason == "unknown_key"
    assert fetch.calls == 3
    assert verifier.verify_access_token(pool.access_token).subject == pool.sub
    assert fetch.calls == 3


def test_unknown_kid_on_first_use_does_not_fetch_twice(pool):
    verifier, fetch = pool.verifier()
    assert refused(verifier, forge(claims_of(pool.access_token), kid="forged")).reason == "unknown_key"
    assert fetch.calls == 1


def test_rotated_key_is_found_by_the_refetch(pool):
    rotated = RSAKey.generate_key(2048)
    jwks = json.loads(moto_public_jwks())
    jwks["keys"].append({**rotated.as_dict(private=False), "kid": "rotated", "alg": "RS256", "use": "sig"})
    verifier, fetch = pool.verifier(CountingFetch(moto_public_jwks(), json.dumps(jwks).encode()))
    verifier.verify_access_token(pool.access_token)

    token = forge(claims_of(pool.access_token), kid="rotated", key=rotated)
    assert verifier.verify_access_token(token).subject == pool.sub
    assert fetch.calls == 2


def test_alg_none_refused_without_fetching(pool):
    _, payload, _ = pool.access_token.split(".")
    verifier, fetch = pool.verifier()
    for header in ({"alg": "none", "kid": "dummy"}, {"alg": "none"}, {"alg": "None", "kid": "dummy"}):
        token = f"{b64(json.dumps(header).encode())}.{payload}."
        assert refused(verifier, token).reason == "bad_signature"
    assert fetch.calls == 0


def test_hs256_signed_with_the_public_key_refused(pool):
    """Algorithm confusion: an HMAC keyed with the (public) RSA key must not verify."""
    public_jwk = json.loads(moto_public_jwks())["keys"][0]
    public_pem = RSAKey.import_key(public_jwk).as_pem(private=False)
    _, payload, _ = pool.access_token.split(".")
    verifier, fetch = pool.verifier()
    for secret in (public_pem, public_pem.strip(), json.dumps(public_jwk).encode()):
        signing_input = f"{b64(json.dumps({'alg': 'HS256', 'kid': 'dummy'}).encode())}.{payload}"
        signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
        assert refused(verifier, f"{signing_input}.{b64(signature)}").reason == "bad_signature"
    assert fetch.calls == 0


@pytest.mark.parametrize("garbage", [
    "", "garbage", "a.b.c", "a.b", "....", "Bearer x.y.z", "é.é.é", "x" * 20000,
    f"{b64(b'[1]')}.{b64(b'{}')}.",
    f"{b64(json.dumps({'alg': 'RS256', 'kid': 'dummy', 'crit': ['exp']}).encode())}.e30.sig",
])
def test_garbage_refused_as_malformed(pool, garbage):
    verifier, fetch = pool.verifier()
    assert refused(verifier, garbage).reason == "malformed"
    assert fetch.calls == 0


def test_non_string_refused_as_malformed(pool):
    verifier, _ = pool.verifier()
    with pytest.raises(InvalidToken) as caught:
        verifier.verify_access_token(None)  # type: ignore[arg-type]
    assert caught.value.reason == "malformed"


def test_signed_token_with_unusable_claims_refused_as_malformed(pool):
    own = RSAKey.generate_key(2048)
    jwks = {"keys": [{**own.as_dict(private=False), "kid": "own"}]}
    verifier, _ = pool.verifier(CountingFetch(json.dumps(jwks).encode()))
    claims = claims_of(pool.access_token)
    assert verifier.verify_access_token(forge(claims, kid="own", key=own)).subject == pool.sub
    for change in ({"exp": "tomorrow"}, {"iat": None}, {"sub": 42}, {"cognito:groups": "admins"},
                   {"jti": 7}):
        token = forge({**claims, **change}, kid="own", key=own)
        assert refused(verifier, token).reason == "malformed"


# --- the JWKS cache --------------------------------------------------------------------------


def test_jwks_older_than_max_age_is_refetched(pool):
    cache_clock = FakeClock(1_000_000.0)
    verifier, fetch = pool.verifier(cache_clock=cache_clock, max_age_seconds=600)
    verifier.verify_access_token(pool.access_token)
    cache_clock.now += 599
    verifier.verify_access_token(pool.access_token)
    assert fetch.calls == 1
    cache_clock.now += 1
    verifier.verify_access_token(pool.access_token)
    assert fetch.calls == 2
    verifier.verify_access_token(pool.access_token)
    assert fetch.calls == 2


def test_fetch_failure_raises_jwks_unavailable(pool):
    def failing(url: str) -> bytes:
        raise ConnectionError("cognito down")

    verifier, _ = pool.verifier(failing)
    with pytest.raises(JwksUnavailable):
        verifier.verify_access_token(pool.access_token)


@pytest.mark.parametrize("document", [b"<html>", b"[]", b'{"keys": "none"}'])
def test_a_document_that_is_not_a_jwks_raises_jwks_unavailable(pool, document):
    verifier, _ = pool.verifier(CountingFetch(document))
    with pytest.raises(JwksUnavailable):
        verifier.verify_access_token(pool.access_token)


def test_cached_keys_survive_a_failed_periodic_refresh(pool):
    cache_clock = FakeClock(1_000_000.0)
    calls: list[str] = []
    outage = False

    def fetch(url: str) -> bytes:
        calls.append(url)
        if outage:
            raise JwksUnavailable("cognito down")
        return moto_public_jwks()

    verifier, _ = pool.verifier(fetch, cache_clock=cache_clock, max_age_seconds=600)
    verifier.verify_access_token(pool.access_token)
    outage = True
    cache_clock.now += 600
    assert verifier.verify_access_token(pool.access_token).subject == pool.sub  # stale keys
    cache_clock.now += 30
    verifier.verify_access_token(pool.access_token)
    assert len(calls) == 2  # the failed refresh is retried after 60 s, not per request
    outage = False
    cache_clock.now += 30
    verifier.verify_access_token(pool.access_token)
    assert len(calls) == 3


def test_default_fetch_raises_jwks_unavailable_when_unreachable():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(JwksUnavailable):
        http_get(f"http://127.0.0.1:{port}/pool/.well-known/jwks.json")


def test_urls():
    pool_id = "eu-west-3_AbCdEf123"
    assert issuer_for("eu-west-3", pool_id) == "https://cognito-idp.eu-west-3.amazonaws.com/eu-west-3_AbCdEf123"
    assert default_jwks_url("eu-west-3", pool_id) == (
        "https://cognito-idp.eu-west-3.amazonaws.com/eu-west-3_AbCdEf123/.well-known/jwks.json")
    assert default_jwks_url("eu-west-3", pool_id, "http://127.0.0.1:5100") == (
        "http://127.0.0.1:5100/eu-west-3_AbCdEf123/.well-known/jwks.json")
    assert default_jwks_url("eu-west-3", pool_id, "http://127.0.0.1:5100/") == (
        "http://127.0.0.1:5100/eu-west-3_AbCdEf123/.well-known/jwks.json")


def test_invalid_token_reasons_are_closed():
    with pytest.raises(ValueError):
        InvalidToken("nope")


# --- against a moto server (in-process thread), with the default urllib3 fetch ------------------


def test_default_fetch_against_moto_server():
    pytest.importorskip("flask")
    pytest.importorskip("flask_cors")
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        cognito = boto3.client("cognito-idp", region_name=REGION, endpoint_url=endpoint)
        pool = Pool(cognito)
        url = default_jwks_url(REGION, pool.pool_id, endpoint)
        assert json.loads(http_get(url)) == json.loads(moto_public_jwks())

        verifier = TokenVerifier(JwksCache(url), pool.issuer, pool.client_id)
        assert verifier.verify_access_token(pool.access_token).subject == pool.sub
        assert refused(verifier, pool.id_token).reason == "not_an_access_token"
    finally:
        server.stop()
