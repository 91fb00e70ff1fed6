"""Staff roles need MFA: the Cognito pre-token-generation trigger keeps staff groups out of the
tokens of an agent who has not set MFA up, and leaves everyone else alone."""
from __future__ import annotations

import boto3
import pytest

from chalicelib.domain.staff_mfa import groups_for_token
from chalicelib.resources import CATALOGUE

POOL = CATALOGUE.user_pool("users")


def event(pool_id: str, username: str, groups: list[str]) -> dict:
    return {"version": "2", "triggerSource": "TokenGeneration_Authentication", "userPoolId": pool_id,
            "userName": username, "request": {"groupConfiguration": {"groupsToOverride": groups}},
            "response": {"claimsAndScopeOverrideDetails": None}}


@pytest.fixture
def cognito(aws):
    return boto3.client("cognito-idp")


def create_user(cognito, pool_id: str, email: str, groups: list[str]) -> None:
    cognito.admin_create_user(UserPoolId=pool_id, Username=email, MessageAction="SUPPRESS")
    for group in groups:
        cognito.admin_add_user_to_group(UserPoolId=pool_id, Username=email, GroupName=group)


def enrol_authenticator(cognito, pool_id: str, client_id: str, email: str) -> None:
    """What the agent does once signed in without staff roles: enrol a TOTP authenticator."""
    password = "une phrase de passe assez longue"
    cognito.admin_set_user_password(UserPoolId=pool_id, Username=email, Password=password, Permanent=True)
    token = cognito.initiate_auth(ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH", AuthParameters={
        "USERNAME": email, "PASSWORD": password})["AuthenticationResult"]["AccessToken"]
    cognito.associate_software_token(AccessToken=token)
    cognito.verify_software_token(AccessToken=token, UserCode="123456")
    cognito.set_user_mfa_preference(AccessToken=token, SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True})


def test_an_agent_without_mfa_gets_a_token_without_staff_roles_and_is_asked_to_set_it_up(app, aws, cognito):
    pool_id = aws[POOL.env_id]
    create_user(cognito, pool_id, "agent@ddt.example.fr", ["instructeur-ddt"])
    result = app.handler_map[POOL.staff_mfa_function](event(pool_id, "agent@ddt.example.fr", ["instructeur-ddt"]), None)
    details = result["response"]["claimsAndScopeOverrideDetails"]
    assert details["groupOverrideDetails"]["groupsToOverride"] == []
    assert details["idTokenGeneration"]["claimsToAddOrOverride"] == {"mfa_setup_required": "true"}


def test_an_agent_with_mfa_keeps_their_roles(app, aws, cognito):
    pool_id = aws[POOL.env_id]
    create_user(cognito, pool_id, "agent@cert.example.fr", ["instructeur-cert"])
    enrol_authenticator(cognito, pool_id, aws[POOL.env_client_id], "agent@cert.example.fr")
    result = app.handler_map[POOL.staff_mfa_function](event(pool_id, "agent@cert.example.fr", ["instructeur-cert"]), None)
    assert result["response"]["claimsAndScopeOverrideDetails"] is None


def test_a_candidate_is_left_alone_without_any_aws_call(app, monkeypatch):
    from chalicelib.adapters import wiring

    monkeypatch.setattr(wiring, "cognito_directory", lambda: pytest.fail("no Cognito call for a candidate"))
    result = app.handler_map[POOL.staff_mfa_function](event("eu-west-3_x", "jeune@example.fr", ["candidat"]), None)
    assert result["response"]["claimsAndScopeOverrideDetails"] is None


def test_a_school_member_who_is_also_staff_keeps_the_school_role_only():
    decision = groups_for_token(("auto-ecole", "prefecture"), POOL.staff_groups, mfa_enabled=False)
    assert decision.groups == ("auto-ecole",) and decision.mfa_setup_required
    assert groups_for_token(("auto-ecole", "prefecture"), POOL.staff_groups, mfa_enabled=True).groups == (
        "auto-ecole", "prefecture")
