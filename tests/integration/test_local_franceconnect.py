"""FranceConnect on the local stack (issue 21, item 5): moto's server with the user pool domain's
OAuth endpoints and the FranceConnect stand-in (chalicelib/local/cognito_oauth.py,
franceconnect_server.py), provisioned as `make run` does, driven over HTTP as a browser and the API
would: authorize -> FranceConnect's page -> an identity chosen -> idpresponse -> the site's page
with a code -> the token endpoint with PKCE; and AdminLinkProviderForUser through boto3."""
from __future__ import annotations

import base64
import hashlib
import html
import re
import secrets
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
import requests

from chalicelib.adapters.aws import CLIENT_CONFIG
from chalicelib.auth.tokens import JwksCache, TokenVerifier, issuer_for
from chalicelib.domain.franceconnect import (ACR_VALUES, ATTRIBUTE_MAPPING, CALLBACK_PAGE, FEDERATED_USERNAME_PREFIX,
                                             PROVIDER_NAME, SCOPES, FranceConnectIdentity)
from chalicelib.local.franceconnect_server import DEMO_IDENTITIES, PAGE_TITLE, unverified_claims
from chalicelib.resources import CATALOGUE, Catalogue

WEB = "http://127.0.0.1:8001"
POOL = CATALOGUE.user_pool("users")
ONLY_THE_POOL = Catalogue(tables=(), queues=(), buckets=(), topics=(), email_identities=(), user_pools=(POOL,),
                          keys=())
LUCAS, CAMILLE, ANGELA, LUCIA = DEMO_IDENTITIES


@pytest.fixture(scope="module")
def local(tmp_path_factory):
    """moto's server as `make run` starts it (chalicelib.local.processes), with the user pool."""
    from chalicelib.local.provision import provision
    from tests.stack_support import moto_server

    with moto_server(tmp_path_factory.mktemp("moto")) as url:
        env = provision("local", WEB, endpoint_url=url, catalogue=ONLY_THE_POOL)
        cognito = boto3.session.Session(region_name="eu-west-3").client("cognito-idp", endpoint_url=url,
                                                                          config=CLIENT_CONFIG)
        yield {"url": url, "env": env, "cognito": cognito, "pool": env[POOL.env_id],
               "client": env[POOL.env_client_id]}


def pkce():
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def authorize(local, session, **overrides):
    verifier, challenge = pkce()
    parameters = {"response_type": "code", "client_id": local["client"], "redirect_uri": f"{WEB}/{CALLBACK_PAGE}",
                  "state": "etat-du-site", "identity_provider": PROVIDER_NAME, "scope": "openid email profile",
                  "code_challenge": challenge, "code_challenge_method": "S256", **overrides}
    parameters = {name: value for name, value in parameters.items() if value is not None}
    return session.get(local["env"][POOL.env_domain] + "/oauth2/authorize", params=parameters,
                       allow_redirects=False, timeout=10), verifier


def franceconnect_page(local, session):
    answer, verifier = authorize(local, session)
    assert answer.status_code == 302, answer.text
    page = session.get(answer.headers["Location"], timeout=10)
    assert page.status_code == 200, page.text
    interaction = html.unescape(re.search(r'name="interaction" value="([^"]+)"', page.text).group(1))
    return page, interaction, verifier


def sign_in(local, person, action="continuer"):
    """The browser's journey; returns (the query of the site's page it lands on, the code verifier)."""
    session = requests.Session()
    _, interaction, verifier = franceconnect_page(local, session)
    chosen = session.post(local["url"] + "/franceconnect/api/v1/authorize", allow_redirects=False, timeout=10,
                          data={"interaction": interaction, "identite": person["sub"], "action": action})
    assert chosen.status_code == 302, chosen.text
    assert chosen.headers["Location"].startswith(local["url"] + "/oauth2/idpresponse?")
    back = session.get(chosen.headers["Location"], allow_redirects=False, timeout=30)
    assert back.status_code == 302, back.text
    landing = urlsplit(back.headers["Location"])
    assert f"{landing.scheme}://{landing.netloc}{landing.path}" == f"{WEB}/{CALLBACK_PAGE}"
    return {name: values[0] for name, values in parse_qs(landing.query).items()}, verifier


def exchange(local, code, verifier, **overrides):
    form = {"grant_type": "authorization_code", "client_id": local["client"], "code": code,
            "redirect_uri": f"{WEB}/{CALLBACK_PAGE}", "code_verifier": verifier, **overrides}
    return requests.post(local["env"][POOL.env_domain] + "/oauth2/token", data=form, timeout=10)


def tokens_of(local, person):
    query, verifier = sign_in(local, person)
    assert query["state"] == "etat-du-site"
    answer = exchange(local, query["code"], verifier)
    assert answer.status_code == 200, answer.text
    return answer.json()


def verifier_of(local):
    jwks = JwksCache(f"{local['url']}/{local['pool']}/.well-known/jwks.json")
    return TokenVerifier(jwks, issuer_for("eu-west-3", local["pool"]), local["client"])


def attributes(local, username):
    user = local["cognito"].admin_get_user(UserPoolId=local["pool"], Username=username)
    return user, {a["Name"]: a["Value"] for a in user["UserAttributes"]}


def test_provisioning_configures_the_client_the_provider_and_the_domain(local):
    cognito, pool = local["cognito"], local["pool"]
    assert local["env"][POOL.env_domain] == local["url"]
    client = cognito.describe_user_pool_client(UserPoolId=pool, ClientId=local["client"])["UserPoolClient"]
    assert client["AllowedOAuthFlows"] == ["code"] and client["AllowedOAuthFlowsUserPoolClient"]
    assert client["SupportedIdentityProviders"] == [PROVIDER_NAME]
    assert client["CallbackURLs"] == [f"{WEB}/{CALLBACK_PAGE}"] and client["LogoutURLs"] == [f"{WEB}/connexion.html"]
    provider = cognito.describe_identity_provider(UserPoolId=pool, ProviderName=PROVIDER_NAME)["IdentityProvider"]
    assert provider["ProviderType"] == "OIDC" and provider["AttributeMapping"] == dict(ATTRIBUTE_MAPPING)
    details = provider["ProviderDetails"]
    assert details["authorize_scopes"] == " ".join(SCOPES)
    assert details["authorize_url"] == f"{local['url']}/franceconnect/api/v1/authorize?acr_values={ACR_VALUES}"
    schema = cognito.describe_user_pool(UserPoolId=pool)["UserPool"]["SchemaAttributes"]
    assert {"custom:birthplace", "custom:birthcountry"} <= {a["Name"] for a in schema}


def test_a_newcomer_signs_in_with_franceconnect(local):
    tokens = tokens_of(local, CAMILLE)
    assert set(tokens) == {"access_token", "id_token", "refresh_token", "expires_in", "token_type"}
    assert tokens["token_type"] == "Bearer" and tokens["expires_in"] == 3600
    username = FEDERATED_USERNAME_PREFIX + CAMILLE["sub"]
    verified = verifier_of(local).verify_access_token(tokens["access_token"])
    assert verified.username == username and verified.client_id == local["client"]
    user, values = attributes(local, username)
    assert user["UserStatus"] == "EXTERNAL_PROVIDER" and verified.subject == values["sub"]
    assert values["custom:birthplace"] == "13201" and values["custom:birthcountry"] == "99100"
    assert (values["given_name"], values["family_name"], values["birthdate"], values["gender"], values["email"]) == (
        "Camille", "NOUVEAU", "2008-09-03", "female", CAMILLE["email"])
    assert PROVIDER_NAME in values["identities"] and CAMILLE["sub"] in values["identities"]
    identity = FranceConnectIdentity.from_attributes(username, values)
    assert identity.birth_place() == {"country": "FR", "commune": "Marseille 1er Arrondissement", "departement": "13"}
    id_claims = unverified_claims(tokens["id_token"])
    assert id_claims["cognito:username"] == username and id_claims["custom:birthplace"] == "13201"
    assert id_claims["token_use"] == "id" and id_claims["aud"] == local["client"]
    # Signing in again updates the user, and a refresh keeps the username (InitiateAuth as the API does).
    again = tokens_of(local, CAMILLE)
    assert verifier_of(local).verify_access_token(again["access_token"]).subject == verified.subject
    refreshed = local["cognito"].initiate_auth(ClientId=local["client"], AuthFlow="REFRESH_TOKEN_AUTH",
                                               AuthParameters={"REFRESH_TOKEN": again["refresh_token"]})
    assert verifier_of(local).verify_access_token(
        refreshed["AuthenticationResult"]["AccessToken"]).username == username


def test_a_person_born_abroad_has_no_birthplace(local):
    tokens_of(local, LUCIA)
    _, values = attributes(local, FEDERATED_USERNAME_PREFIX + LUCIA["sub"])
    assert "custom:birthplace" not in values and values["custom:birthcountry"] == "99134"
    assert values["family_name"] == "GARCÍA MARTÍN"


def test_the_franceconnect_page_is_french_and_accessible(local):
    page, _, _ = franceconnect_page(local, requests.Session())
    text = page.text
    assert '<html lang="fr">' in text and f"<title>{html.escape(PAGE_TITLE, quote=False)}</title>" in text
    assert "<h1>" in text and "<fieldset>" in text and "<legend>" in text and "<script" not in text
    assert "style=" not in text and not re.search(r'(src|href|action)="(https?:)?//', text)  # nothing external
    assert text.count('type="radio"') == len(DEMO_IDENTITIES)
    for index, _ in enumerate(DEMO_IDENTITIES, start=1):
        assert f'<label for="identite-{index}">' in text
    assert "Angela Claire Louise DUBOIS, née le 24 août 1962 à Paris 7e Arrondissement (75107)" in text
    assert "Lucía GARCÍA MARTÍN, née le 2 novembre 2007 en Espagne" in text
    assert ">Continuer</button>" in text and ">Annuler</button>" in text
    assert requests.get(local["url"] + "/franceconnect/franceconnect.css", timeout=10).status_code == 200


def test_the_authorize_endpoint_refuses_as_cognito(local):
    session = requests.Session()
    cases = {
        "redirect_mismatch": {"redirect_uri": "https://ailleurs.example/franceconnect.html"},
        "unsupported_response_type": {"response_type": "token"},
        "invalid_scope": {"scope": "openid phone"},
        "invalid_request": {"identity_provider": "Google"},
    }
    for code, overrides in cases.items():
        answer, _ = authorize(local, session, **overrides)
        assert answer.status_code == 400 and code in answer.text and 'lang="fr"' in answer.text, (code, answer.text)
    for overrides in ({"client_id": "inconnu"}, {"code_challenge": None}, {"code_challenge_method": "plain"},
                      {"identity_provider": None}):
        answer, _ = authorize(local, session, **overrides)
        assert answer.status_code == 400 and "invalid_request" in answer.text, overrides


def test_the_token_endpoint_checks_pkce_and_uses_a_code_once(local):
    query, verifier = sign_in(local, ANGELA)
    assert exchange(local, query["code"], pkce()[0]).json() == {"error": "invalid_grant"}
    query, verifier = sign_in(local, ANGELA)
    assert exchange(local, query["code"], verifier, redirect_uri=f"{WEB}/autre.html").json() == {
        "error": "invalid_grant"}
    query, verifier = sign_in(local, ANGELA)
    assert exchange(local, query["code"], verifier).status_code == 200
    replay = exchange(local, query["code"], verifier)
    assert replay.status_code == 400 and replay.json() == {"error": "invalid_grant"}
    assert exchange(local, "inconnu", verifier, client_id="inconnu").json() == {"error": "invalid_client"}
    assert exchange(local, "x", verifier, grant_type="password").json() == {"error": "unsupported_grant_type"}


def test_cancelling_at_franceconnect_comes_back_with_access_denied(local):
    query, _ = sign_in(local, {"sub": ""}, action="annuler")
    assert query == {"error": "access_denied", "state": "etat-du-site"}


def test_linking_a_franceconnect_identity_to_an_existing_account(local):
    cognito, pool = local["cognito"], local["pool"]
    native = cognito.admin_create_user(UserPoolId=pool, Username=LUCAS["email"], MessageAction="SUPPRESS",
                                       UserAttributes=[{"Name": "email", "Value": LUCAS["email"]}])["User"]
    federated = FEDERATED_USERNAME_PREFIX + LUCAS["sub"]
    first = tokens_of(local, LUCAS)  # FranceConnect's first sign-in: its own federated user, same email
    assert verifier_of(local).verify_access_token(first["access_token"]).username == federated
    # The native account still signs in by its email (the federated user's email is no alias).
    assert cognito.admin_get_user(UserPoolId=pool, Username=LUCAS["email"])["Username"] == native["Username"]
    source = {"ProviderName": PROVIDER_NAME, "ProviderAttributeName": "Cognito_Subject",
              "ProviderAttributeValue": LUCAS["sub"]}
    destination = {"ProviderName": "Cognito", "ProviderAttributeValue": native["Username"]}
    with pytest.raises(cognito.exceptions.InvalidParameterException):  # Cognito does not merge
        cognito.admin_link_provider_for_user(UserPoolId=pool, DestinationUser=destination, SourceUser=source)
    with pytest.raises(cognito.exceptions.UserNotFoundException):
        cognito.admin_link_provider_for_user(UserPoolId=pool, SourceUser=source, DestinationUser={
            "ProviderName": "Cognito", "ProviderAttributeValue": "personne"})
    cognito.admin_delete_user(UserPoolId=pool, Username=federated)
    cognito.admin_link_provider_for_user(UserPoolId=pool, DestinationUser=destination, SourceUser=source)
    with pytest.raises(cognito.exceptions.NotAuthorizedException):  # the deleted user's session is over
        cognito.initiate_auth(ClientId=local["client"], AuthFlow="REFRESH_TOKEN_AUTH",
                              AuthParameters={"REFRESH_TOKEN": first["refresh_token"]})
    linked = tokens_of(local, LUCAS)
    verified = verifier_of(local).verify_access_token(linked["access_token"])
    assert verified.username == native["Username"] and verified.subject == native["Username"]
    with pytest.raises(cognito.exceptions.UserNotFoundException):  # no federated user again
        cognito.admin_get_user(UserPoolId=pool, Username=federated)
    _, values = attributes(local, native["Username"])  # Cognito maps the claims onto the linked user
    assert values["family_name"] == "PETIT" and values["custom:birthplace"] == "69383"
    assert LUCAS["sub"] in values["identities"]


def test_the_franceconnect_stand_in_answers_as_franceconnect_v1(local):
    from chalicelib.local.franceconnect_server import verify_hs256

    details = local["cognito"].describe_identity_provider(
        UserPoolId=local["pool"], ProviderName=PROVIDER_NAME)["IdentityProvider"]["ProviderDetails"]
    api, redirect_uri = local["url"] + "/franceconnect/api/v1", local["url"] + "/oauth2/idpresponse"
    asked = {"response_type": "code", "client_id": details["client_id"], "redirect_uri": redirect_uri,
             "scope": "openid given_name birthplace", "state": "s" * 32, "nonce": "n" * 32, "acr_values": "eidas1"}
    session = requests.Session()
    for wrong in ({"client_id": "inconnu"}, {"redirect_uri": WEB + "/franceconnect.html"}, {"scope": "email"},
                  {"nonce": ""}, {"state": ""}):
        assert session.get(api + "/authorize", params={**asked, **wrong}, timeout=10).status_code == 400, wrong
    page = session.get(api + "/authorize", params=asked, timeout=10)
    interaction = html.unescape(re.search(r'name="interaction" value="([^"]+)"', page.text).group(1))
    unchosen = session.post(api + "/authorize", data={"interaction": interaction, "action": "continuer"}, timeout=10)
    assert unchosen.status_code == 400 and 'role="alert"' in unchosen.text  # the page again, with the error
    chosen = session.post(api + "/authorize", data={"interaction": interaction, "identite": ANGELA["sub"],
                                                    "action": "continuer"}, allow_redirects=False, timeout=10)
    back = parse_qs(urlsplit(chosen.headers["Location"]).query)
    assert back["state"] == ["s" * 32]
    form = {"grant_type": "authorization_code", "code": back["code"][0], "redirect_uri": redirect_uri,
            "client_id": details["client_id"], "client_secret": "faux"}
    assert requests.post(api + "/token", data=form, timeout=10).json()["error"] == "invalid_client"
    answer = requests.post(api + "/token", data={**form, "client_secret": details["client_secret"]}, timeout=10)
    tokens = answer.json()
    assert set(tokens) == {"access_token", "token_type", "expires_in", "id_token"} and tokens["token_type"] == "Bearer"
    claims = verify_hs256(tokens["id_token"], details["client_secret"])
    assert (claims["iss"], claims["aud"], claims["sub"], claims["nonce"], claims["acr"]) == (
        details["oidc_issuer"], details["client_id"], ANGELA["sub"], "n" * 32, "eidas1")
    assert claims["iat"] <= claims["exp"]
    assert requests.post(api + "/token", data={**form, "client_secret": details["client_secret"]},
                         timeout=10).json()["error"] == "invalid_grant"  # a code is used once
    userinfo = requests.get(api + "/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"},
                            timeout=10)
    assert userinfo.json() == {"sub": ANGELA["sub"], "given_name": "Angela Claire Louise", "birthplace": "75107"}
    assert requests.get(api + "/userinfo", headers={"Authorization": "Bearer faux"}, timeout=10).status_code == 401
    logout = requests.get(api + "/logout", allow_redirects=False, timeout=10, params={
        "id_token_hint": tokens["id_token"], "state": "fin", "post_logout_redirect_uri": WEB + "/connexion.html"})
    assert logout.status_code == 302 and logout.headers["Location"] == WEB + "/connexion.html?state=fin"
    assert requests.get(api + "/logout", params={"id_token_hint": "faux"}, timeout=10).status_code == 400


def test_the_stand_ins_are_served_outside_motos_lock():
    """moto serves one request at a time; the OAuth pages must not wait for it (idpresponse calls
    FranceConnect's token endpoint on the same server), and take its lock only for moto's models."""
    import threading

    from werkzeug.test import Client

    from chalicelib.local.cognito_oauth import local_identity_app
    from chalicelib.local.processes import serialized

    def moto_app(environ, start_response):
        start_response("200 OK", [])
        return [b"moto"]

    moto = serialized(moto_app)
    assert isinstance(moto.lock, type(threading.Lock()))
    client = Client(local_identity_app(moto, moto.lock))
    with moto.lock:  # moto busy
        assert client.get("/franceconnect/franceconnect.css").status_code == 200
        refused = client.post("/oauth2/token", data="{}", content_type="application/json")
        assert refused.status_code == 400 and refused.json == {"error": "invalid_request"}
    assert client.get("/").get_data() == b"moto"


def test_in_process_moto_links_identities_too(aws):
    """provision() installs the same patches in the tests' in-process moto."""
    cognito = boto3.client("cognito-idp", config=CLIENT_CONFIG)
    pool = aws[POOL.env_id]
    assert aws[POOL.env_domain].startswith("https://") and aws[POOL.env_domain].endswith(".amazoncognito.com")
    source = {"ProviderName": PROVIDER_NAME, "ProviderAttributeName": "Cognito_Subject",
              "ProviderAttributeValue": LUCAS["sub"]}
    with pytest.raises(cognito.exceptions.UserNotFoundException):
        cognito.admin_link_provider_for_user(UserPoolId=pool, SourceUser=source, DestinationUser={
            "ProviderName": "Cognito", "ProviderAttributeValue": "personne"})
    user = cognito.admin_create_user(UserPoolId=pool, Username=LUCAS["email"], MessageAction="SUPPRESS")["User"]
    cognito.admin_link_provider_for_user(UserPoolId=pool, SourceUser=source, DestinationUser={
        "ProviderName": "Cognito", "ProviderAttributeValue": user["Username"]})
