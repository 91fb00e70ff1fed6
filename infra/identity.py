"""The Cognito user pool of the catalogue: email as username, long passwords without
composition rules, threat protection (compromised credentials, adaptive authentication), MFA
optional for the public and required for staff (pre-token-generation trigger), one group per
role, emails sent through the product's SES identity."""
from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_cognito as cognito
from constructs import Construct

from chalicelib.resources import UserPool, physical_name

# Roles in French, as agents and prefecture administrators read them in the console.
GROUP_DESCRIPTIONS = {
    "candidat": "Candidats au permis de conduire (usagers)",
    "auto-ecole": "Membres d'une auto-école (comptes professionnels)",
    "instructeur-ddt": "Agents de la DDT : instruction des inscriptions à l'examen",
    "instructeur-cert": "Agents du CERT : instruction des demandes de titre",
    "inspecteur": "Inspecteurs du permis de conduire : résultats d'examen",
    "prefecture": "Administrateurs de préfecture : registre des agréments, statistiques",
    "mediateur": "Médiateurs numériques (France Services) : demandes déposées avec les personnes sans internet",
}


def _takeover_action(event_action: str):
    return cognito.CfnUserPoolRiskConfigurationAttachment.AccountTakeoverActionTypeProperty(
        event_action=event_action, notify=False)


class Identity(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, pool: UserPool, stage: str, email_address: str,
                 configuration_set_name: str, email_domain: str) -> None:
        super().__init__(scope, construct_id)
        self.user_pool = cognito.UserPool(
            self, f"UserPool-{pool.logical}",
            user_pool_name=physical_name(pool.logical, stage),
            # Accounts are opened by the API (anti-robot check, agrément registry), never directly.
            self_sign_up_enabled=False,
            sign_in_aliases=cognito.SignInAliases(email=True, username=False),
            sign_in_case_sensitive=False,
            auto_verify=cognito.AutoVerifiedAttrs(email=True),
            keep_original=cognito.KeepOriginalAttrs(email=True),
            password_policy=cognito.PasswordPolicy(
                # Length, not composition: ANSSI and NIST advice. Compromised passwords are refused
                # by threat protection below.
                min_length=12, require_lowercase=False, require_uppercase=False,
                require_digits=False, require_symbols=False,
                temp_password_validity=cdk.Duration.days(7),
                password_history_size=5,
            ),
            mfa=cognito.Mfa.OPTIONAL,
            mfa_second_factor=cognito.MfaSecondFactor(otp=True, sms=False, email=False),
            account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
            user_verification=cognito.UserVerificationConfig(
                email_subject="Permis en ligne : votre code de vérification",
                email_body="Votre code de vérification Permis en ligne est {####}. Il expire dans 24 heures.",
                email_style=cognito.VerificationEmailStyle.CODE,
                sms_message="Permis en ligne : votre code de vérification est {####}"),
            user_invitation=cognito.UserInvitationConfig(
                email_subject="Permis en ligne : votre compte",
                email_body="Votre identifiant Permis en ligne est {username} et votre mot de passe provisoire {####}.",
                sms_message="Permis en ligne : identifiant {username}, mot de passe provisoire {####}"),
            feature_plan=cognito.FeaturePlan.PLUS,
            standard_threat_protection_mode=cognito.StandardThreatProtectionMode.FULL_FUNCTION,
            email=cognito.UserPoolEmail.with_ses(
                from_email=email_address, from_name="Permis en ligne", ses_verified_domain=email_domain,
                configuration_set_name=configuration_set_name, ses_region=cdk.Aws.REGION),
            deletion_protection=True,
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )
        self.client = self.user_pool.add_client(
            f"Client-{pool.client_logical}",
            user_pool_client_name=physical_name(pool.client_logical, stage),
            generate_secret=False,  # a static web site cannot keep a secret
            auth_flows=cognito.AuthFlow(user_srp=True, user_password=True),
            prevent_user_existence_errors=True,
            enable_token_revocation=True,
            access_token_validity=cdk.Duration.minutes(15),
            id_token_validity=cdk.Duration.minutes(15),
            refresh_token_validity=cdk.Duration.hours(12),
        )
        # Threat protection, explicit: a password known from a breach is refused at sign-up,
        # sign-in and change; a risky sign-in is blocked (high) or asks for MFA when set (medium).
        cognito.CfnUserPoolRiskConfigurationAttachment(
            self, "ThreatProtection", user_pool_id=self.user_pool.user_pool_id, client_id="ALL",
            compromised_credentials_risk_configuration=cognito.CfnUserPoolRiskConfigurationAttachment.
            CompromisedCredentialsRiskConfigurationTypeProperty(
                actions=cognito.CfnUserPoolRiskConfigurationAttachment.CompromisedCredentialsActionsTypeProperty(
                    event_action="BLOCK"),
                event_filter=["SIGN_IN", "PASSWORD_CHANGE", "SIGN_UP"]),
            account_takeover_risk_configuration=cognito.CfnUserPoolRiskConfigurationAttachment.
            AccountTakeoverRiskConfigurationTypeProperty(
                actions=cognito.CfnUserPoolRiskConfigurationAttachment.AccountTakeoverActionsTypeProperty(
                    high_action=_takeover_action("BLOCK"), medium_action=_takeover_action("MFA_IF_CONFIGURED"),
                    low_action=_takeover_action("NO_ACTION"))),
        )
        for precedence, group in enumerate(pool.groups):
            cognito.CfnUserPoolGroup(self, f"Group-{group}", user_pool_id=self.user_pool.user_pool_id,
                                     group_name=group, description=GROUP_DESCRIPTIONS[group],
                                     precedence=len(pool.groups) - precedence)

    def bind_pre_token_generation(self, function_arn: str) -> None:
        """Version 2 events, so the trigger can change the groups of the access token too."""
        cfn_pool: cognito.CfnUserPool = self.user_pool.node.default_child  # type: ignore[assignment]
        cfn_pool.add_property_override("LambdaConfig.PreTokenGenerationConfig", {
            "LambdaArn": function_arn, "LambdaVersion": "V2_0"})
