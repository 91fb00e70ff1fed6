"""The Cognito user pool of the catalogue: email as username, long passwords without
composition rules, threat protection (compromised credentials, adaptive authentication), MFA
optional for the public and required for staff (pre-token-generation trigger), one group per
role, emails sent through the product's SES identity; FranceConnect federated as an OpenID Connect
identity provider, reached through the pool's own domain by the web client's code flow
(chalicelib/domain/franceconnect.py, infra/README.md "Connecting FranceConnect")."""
from __future__ import annotations

import re
from dataclasses import dataclass

import aws_cdk as cdk
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from chalicelib.domain.franceconnect import ATTRIBUTE_MAPPING, CALLBACK_PAGE, CUSTOM_ATTRIBUTES, PROVIDER_NAME, SCOPES
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


@dataclass(frozen=True)
class FranceConnectPlatform:
    """One of FranceConnect's platforms (API v2): its issuer, the endpoints are under it
    (`<issuer>/.well-known/openid-configuration` lists them)."""

    issuer: str

    @property
    def endpoints(self) -> cognito.OidcEndpoints:
        return cognito.OidcEndpoints(authorization=f"{self.issuer}/authorize", token=f"{self.issuer}/token",
                                     user_info=f"{self.issuer}/userinfo", jwks_uri=f"{self.issuer}/jwks")


# The partners' integration platform (test identities) and the production one.
FRANCECONNECT_INTEGRATION = FranceConnectPlatform("https://fcp-low.integ01.dev-franceconnect.fr/api/v2")
FRANCECONNECT_PRODUCTION = FranceConnectPlatform("https://oidc.franceconnect.gouv.fr/api/v2")
# The platform each stage federates: real identities for prod only.
FRANCECONNECT_PLATFORMS = {"dev": FRANCECONNECT_INTEGRATION, "prod": FRANCECONNECT_PRODUCTION}
# The client id FranceConnect gives the service (a public identifier, one per platform): the CDK
# context value `franceconnect_client_id`, {"<stage>": "<client id>"} (or one string for the stage
# being synthesised); the placeholder lets `make package` synthesise before the registration.
FRANCECONNECT_CLIENT_ID_CONTEXT = "franceconnect_client_id"
FRANCECONNECT_CLIENT_ID_PLACEHOLDER = "client-id-franceconnect-a-renseigner"
# The page FranceConnect's sign-out sends the person back to (the callback is CALLBACK_PAGE).
SIGN_OUT_PAGE = "connexion.html"
CUSTOM_ATTRIBUTE_MAX_LENGTH = 5  # INSEE codes (COG): a commune's or a country's, five characters


def franceconnect_client_id(scope: Construct, stage: str) -> str:
    value = scope.node.try_get_context(FRANCECONNECT_CLIENT_ID_CONTEXT)
    if isinstance(value, dict):
        value = value.get(stage)
    return str(value) if value else FRANCECONNECT_CLIENT_ID_PLACEHOLDER


def domain_prefix(stage: str) -> str:
    """The pool's Cognito domain, `<prefix>.auth.<region>.amazoncognito.com` (unique per region):
    lowercase letters, digits and hyphens, neither "aws", "amazon" nor "cognito"."""
    prefix = f"permis-en-ligne-{stage}"
    if not re.fullmatch(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?", prefix) or re.search("aws|amazon|cognito", prefix):
        raise ValueError(f"{prefix!r} is not a valid Cognito domain prefix")
    return prefix


def attribute_mapping() -> cognito.AttributeMapping:
    """ATTRIBUTE_MAPPING (user pool attribute <- FranceConnect claim) as CDK writes it."""
    standard = {attribute: cognito.ProviderAttribute.other(claim) for attribute, claim in ATTRIBUTE_MAPPING.items()
                if not attribute.startswith("custom:")}
    custom = {attribute: cognito.ProviderAttribute.other(claim) for attribute, claim in ATTRIBUTE_MAPPING.items()
              if attribute.startswith("custom:")}
    return cognito.AttributeMapping(**standard, custom=custom)


def _takeover_action(event_action: str):
    return cognito.CfnUserPoolRiskConfigurationAttachment.AccountTakeoverActionTypeProperty(
        event_action=event_action, notify=False)


class Identity(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, pool: UserPool, stage: str, email_address: str,
                 configuration_set_name: str, email_domain: str, web_origin: str,
                 franceconnect_secret: secretsmanager.ISecret) -> None:
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
            # FranceConnect's birth place and country (INSEE codes; the place is empty for a birth
            # abroad). The standard attributes it fills (names, birth date, gender) stay optional.
            custom_attributes={name: cognito.StringAttribute(min_len=0, max_len=CUSTOM_ATTRIBUTE_MAX_LENGTH,
                                                             mutable=True)
                               for name in CUSTOM_ATTRIBUTES},
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
        # The pool's OAuth endpoints (/oauth2/authorize, /oauth2/token, /oauth2/idpresponse, the
        # redirect URI FranceConnect knows): the API reads the base URL (USER_POOL_<POOL>_DOMAIN).
        self.domain = self.user_pool.add_domain(
            "Domain", cognito_domain=cognito.CognitoDomainOptions(domain_prefix=domain_prefix(stage)))
        platform = FRANCECONNECT_PLATFORMS[stage]
        self.franceconnect = cognito.UserPoolIdentityProviderOidc(
            self, "FranceConnect", user_pool=self.user_pool, name=PROVIDER_NAME,
            client_id=franceconnect_client_id(self, stage),
            # A dynamic reference, resolved by CloudFormation when it creates or updates the provider:
            # the secret's value is never in the template.
            client_secret=franceconnect_secret.secret_value.unsafe_unwrap(),
            issuer_url=platform.issuer, endpoints=platform.endpoints,
            scopes=list(SCOPES), attribute_request_method=cognito.OidcAttributeRequestMethod.GET,
            attribute_mapping=attribute_mapping(),
        )
        # Cognito writes the mapped attributes with the client's rights at each federated sign-in.
        mapped = cognito.ClientAttributes().with_standard_attributes(
            **{attribute: True for attribute in ATTRIBUTE_MAPPING if not attribute.startswith("custom:")},
        ).with_custom_attributes(*(attribute for attribute in ATTRIBUTE_MAPPING if attribute.startswith("custom:")))
        self.client = self.user_pool.add_client(
            f"Client-{pool.client_logical}",
            user_pool_client_name=physical_name(pool.client_logical, stage),
            generate_secret=False,  # a static web site cannot keep a secret
            auth_flows=cognito.AuthFlow(user_srp=True, user_password=True),
            # FranceConnect's sign-in: the code flow (PKCE, from the page) through the pool's domain,
            # back to the site's page, which hands the code to the API.
            o_auth=cognito.OAuthSettings(
                flows=cognito.OAuthFlows(authorization_code_grant=True),
                scopes=[cognito.OAuthScope.OPENID, cognito.OAuthScope.EMAIL, cognito.OAuthScope.PROFILE],
                callback_urls=[f"{web_origin}/{CALLBACK_PAGE}"], logout_urls=[f"{web_origin}/{SIGN_OUT_PAGE}"]),
            supported_identity_providers=[cognito.UserPoolClientIdentityProvider.custom(PROVIDER_NAME)],
            read_attributes=mapped.with_standard_attributes(email_verified=True),
            write_attributes=mapped,
            prevent_user_existence_errors=True,
            enable_token_revocation=True,
            access_token_validity=cdk.Duration.minutes(15),
            id_token_validity=cdk.Duration.minutes(15),
            refresh_token_validity=cdk.Duration.hours(12),
        )
        # Cognito refuses a client that names a provider the pool does not have yet.
        self.client.node.add_dependency(self.franceconnect)
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
