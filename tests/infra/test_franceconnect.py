"""FranceConnect federated into the user pool (issue 21, item 5; /tmp/fc/spec.md): the identity
provider, its client secret, the pool's custom attributes and domain, the web client's code flow
and the variable that tells the API where the pool's OAuth endpoints are, read from the templates
`make package` writes. The helpers at the end need no synthesis."""
from __future__ import annotations

import json

import aws_cdk as cdk
import pytest

from chalicelib.domain.franceconnect import ATTRIBUTE_MAPPING, CALLBACK_PAGE, CUSTOM_ATTRIBUTES, PROVIDER_NAME, SCOPES
from infra.identity import (FRANCECONNECT_CLIENT_ID_CONTEXT, FRANCECONNECT_CLIENT_ID_PLACEHOLDER,
                            FRANCECONNECT_INTEGRATION, FRANCECONNECT_PLATFORMS, FRANCECONNECT_PRODUCTION, domain_prefix,
                            franceconnect_client_id)
from chalicelib.resources import physical_name
from infra.stages import STAGES
from tests.infra.test_template import CATALOGUE, as_list, by_property, of_type, props, render, role_statements, target

POOL = CATALOGUE.user_pool("users")


def _pool_id(template: dict, stage: str) -> str:
    return by_property(template, "AWS::Cognito::UserPool", "UserPoolName", physical_name(POOL.logical, stage))[0]


def _provider(template: dict) -> tuple[str, dict]:
    [(logical_id, provider)] = of_type(template, "AWS::Cognito::UserPoolIdentityProvider").items()
    return logical_id, provider


def _functions(template: dict) -> dict[str, dict]:
    """Chalice function name -> its resource."""
    found = {}
    for function in of_type(template, "AWS::Serverless::Function").values():
        handler = props(function)["Handler"]
        found["api_handler" if handler == "app.app" else handler.rsplit(".", 1)[1]] = function
    return found


@pytest.mark.parametrize("stage", sorted(STAGES))
def test_franceconnect_is_an_oidc_provider_of_the_pool_on_the_stage_s_platform(packaged, stage):
    assert packaged.returncode == 0, packaged.output[-4000:]
    template = packaged.template(stage)
    _, provider = _provider(template)
    p = props(provider)
    assert p["ProviderName"] == PROVIDER_NAME and p["ProviderType"] == "OIDC"
    assert target(p["UserPoolId"]) == _pool_id(template, stage)
    details = p["ProviderDetails"]
    platform = FRANCECONNECT_PLATFORMS[stage]
    assert platform is (FRANCECONNECT_PRODUCTION if stage == "prod" else FRANCECONNECT_INTEGRATION)
    assert details["oidc_issuer"] == platform.issuer
    assert {details[k] for k in ("authorize_url", "token_url", "attributes_url", "jwks_uri")} == {
        f"{platform.issuer}/{endpoint}" for endpoint in ("authorize", "token", "userinfo", "jwks")}
    assert details["authorize_scopes"] == " ".join(SCOPES) and "openid" in SCOPES
    assert details["attributes_request_method"] == "GET"
    assert isinstance(details["client_id"], str) and details["client_id"]  # the stage's (or the placeholder)
    assert p["AttributeMapping"] == dict(ATTRIBUTE_MAPPING)
    assert p["AttributeMapping"]["custom:birthplace"] == "birthplace"


def test_the_client_secret_is_a_dynamic_reference_to_its_secret_never_a_value(dev):
    _, provider = _provider(dev)
    secret = props(provider)["ProviderDetails"]["client_secret"]
    assert not isinstance(secret, str), "a plaintext client secret in the template"
    secret_id, resource = by_property(dev, "AWS::SecretsManager::Secret", "Name", physical_name("franceconnect", "dev"))
    assert render(secret) == "{{resolve:secretsmanager:${" + secret_id + "}:SecretString:::}}"
    assert "SecretString" not in props(resource) and "GenerateSecretString" in props(resource)
    # Cognito reads it at deployment; no function may.
    readers = {function for function, statements in role_statements(dev).items() for statement in statements
               if secret_id in [target(r) for r in as_list(statement["Resource"])]}
    assert readers == set()


def test_the_pool_keeps_franceconnect_s_birth_place_and_country_in_custom_attributes(dev):
    _, pool = by_property(dev, "AWS::Cognito::UserPool", "UserPoolName", physical_name(POOL.logical, "dev"))
    schema = {attribute["Name"]: attribute for attribute in props(pool).get("Schema", [])}
    for name in CUSTOM_ATTRIBUTES:
        assert schema[name]["AttributeDataType"] == "String" and schema[name]["Mutable"] is True
        assert schema[name]["StringAttributeConstraints"] == {"MinLength": "0", "MaxLength": "5"}
    # Standard attributes FranceConnect fills stay optional (and mutable): nothing declares them otherwise.
    for name in ("given_name", "family_name", "birthdate", "gender", "email"):
        assert schema.get(name, {}).get("Required", False) is False and schema.get(name, {}).get("Mutable", True)


def test_the_pool_has_a_cognito_domain_whose_url_the_api_reads(dev):
    [(domain_id, domain)] = of_type(dev, "AWS::Cognito::UserPoolDomain").items()
    assert props(domain)["Domain"] == domain_prefix("dev") == "permis-en-ligne-dev"
    assert target(props(domain)["UserPoolId"]) == _pool_id(dev, "dev")
    assert "CustomDomainConfig" not in props(domain)
    functions = _functions(dev)
    variables = props(functions["api_handler"])["Environment"]["Variables"]
    assert render(variables[POOL.env_domain]) == (
        "https://${" + domain_id + "}.auth." + STAGES["dev"].region + ".amazoncognito.com")
    # The staff-MFA trigger is named by the pool: naming the pool (or its domain) back is a cycle.
    gate = props(functions[POOL.staff_mfa_function]).get("Environment", {}).get("Variables", {})
    assert not {POOL.env_id, POOL.env_client_id, POOL.env_domain} & set(gate)


def test_the_web_client_signs_in_with_franceconnect_by_the_code_flow_back_to_the_site(dev):
    provider_id, _ = _provider(dev)
    [(_, client)] = of_type(dev, "AWS::Cognito::UserPoolClient").items()
    p = props(client)
    assert p["AllowedOAuthFlows"] == ["code"] and p["AllowedOAuthFlowsUserPoolClient"] is True
    assert set(p["AllowedOAuthScopes"]) == {"openid", "email", "profile"}
    assert p["SupportedIdentityProviders"] == [PROVIDER_NAME]
    assert provider_id in as_list(client.get("DependsOn", []))  # Cognito refuses an unknown provider
    origin = STAGES["dev"].web_origin
    assert p["CallbackURLs"] == [f"{origin}/{CALLBACK_PAGE}"] and p["CallbackURLs"][0].endswith("/franceconnect.html")
    assert p["LogoutURLs"] == [f"{origin}/connexion.html"]
    # Cognito writes the mapped attributes with the client's rights at each sign-in.
    assert set(ATTRIBUTE_MAPPING) <= set(p["WriteAttributes"]) <= set(p["ReadAttributes"])
    assert "email" in p["WriteAttributes"]
    # The existing sign-in (the API's, by password) and token lifetimes are unchanged; no secret (public client).
    assert set(p["ExplicitAuthFlows"]) == {"ALLOW_USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"}
    assert (p["AccessTokenValidity"], p["IdTokenValidity"], p["RefreshTokenValidity"]) == (15, 15, 720)
    assert p["GenerateSecret"] is False


def test_the_api_may_read_and_link_federated_users_of_its_pool_only(dev):
    pool_id = _pool_id(dev, "dev")
    granted = {action for statement in role_statements(dev)["api_handler"]
               if [target(r) for r in as_list(statement["Resource"])] == [pool_id]
               for action in as_list(statement["Action"])}
    assert {"cognito-idp:AdminGetUser", "cognito-idp:AdminLinkProviderForUser", "cognito-idp:AdminDeleteUser"} <= granted
    assert json.dumps(dev).count('"cognito-idp:AdminLinkProviderForUser"') == 1  # no other function's


# --- without synthesis -----------------------------------------------------------------------------

def test_the_domain_prefix_follows_cognito_s_rules():
    for stage in STAGES:
        assert domain_prefix(stage) == f"permis-en-ligne-{stage}"
    for refused in ("Dev", "aws", "cognito", "x" * 60, "dev_1"):
        with pytest.raises(ValueError):
            domain_prefix(refused)


@pytest.mark.parametrize("context, expected", [
    (None, FRANCECONNECT_CLIENT_ID_PLACEHOLDER),
    ({"dev": "id-integration", "prod": "id-production"}, "id-integration"),
    ({"prod": "id-production"}, FRANCECONNECT_CLIENT_ID_PLACEHOLDER),
    ("id-du-stage", "id-du-stage"),
])
def test_the_client_id_comes_from_the_cdk_context_per_stage(context, expected):
    app = cdk.App(context={} if context is None else {FRANCECONNECT_CLIENT_ID_CONTEXT: context})
    assert franceconnect_client_id(app, "dev") == expected


def test_integration_and_production_are_franceconnect_s_v2_platforms():
    assert FRANCECONNECT_INTEGRATION.issuer == "https://fcp-low.integ01.dev-franceconnect.fr/api/v2"
    assert FRANCECONNECT_PRODUCTION.issuer == "https://oidc.franceconnect.gouv.fr/api/v2"
    assert set(FRANCECONNECT_PLATFORMS) == set(STAGES)
