"""Cognito pre-token-generation trigger (event version 2): applies the staff MFA rule to the
groups of both the ID and the access token. infra/ binds it to the user pool; the embedded local
stack cannot (moto runs no Cognito triggers)."""
from __future__ import annotations

from chalice import Blueprint

from chalicelib.adapters import wiring
from chalicelib.domain.staff_mfa import groups_for_token
from chalicelib.resources import CATALOGUE

blueprint = Blueprint(__name__)

USER_POOL = CATALOGUE.user_pool("users")


@blueprint.lambda_function(name=USER_POOL.staff_mfa_function)
def staff_mfa_gate(event, context):
    groups = tuple(event["request"].get("groupConfiguration", {}).get("groupsToOverride") or ())
    if not any(group in USER_POOL.staff_groups for group in groups):
        return event  # no AWS call for candidates and schools
    mfa_enabled = wiring.cognito_directory().has_mfa(event["userPoolId"], event["userName"])
    decision = groups_for_token(groups, USER_POOL.staff_groups, mfa_enabled)
    if decision.mfa_setup_required:
        event["response"]["claimsAndScopeOverrideDetails"] = {
            "idTokenGeneration": {"claimsToAddOrOverride": {"mfa_setup_required": "true"}},
            "groupOverrideDetails": {"groupsToOverride": list(decision.groups)},
        }
    return event
