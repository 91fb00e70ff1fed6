"""API Gateway settings Chalice does not write: a name per stage, throttling for the stage and
for each route of a tighter rate-limit class, access logs without personal data, gateway
responses in the API's error shape with CORS headers (so the web page can read a 4xx/5xx), tracing.
Account-level settings (API Gateway's logging role, the SES domain) are in AccountStack."""
from __future__ import annotations

import json

import aws_cdk as cdk
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_ses as ses
from constructs import Construct

from chalicelib.api.errors import error_body
from chalicelib.api.gateway import GATEWAY_RESPONSES
from chalicelib.api.http import RouteDoc
from chalicelib.resources import Catalogue
from infra.functions import log_retention
from infra.stages import StageConfig

# Access log line: who called what and how it went; no body, no query string, no user identity.
ACCESS_LOG_FORMAT = json.dumps({
    "requestId": "$context.requestId", "time": "$context.requestTimeEpoch", "httpMethod": "$context.httpMethod",
    "resourcePath": "$context.resourcePath", "status": "$context.status",
    "responseLength": "$context.responseLength", "latencyMs": "$context.responseLatency",
    "integrationLatencyMs": "$context.integrationLatency", "errorType": "$context.error.responseType",
}, separators=(",", ":"))


def method_resource_path(path: str) -> str:
    """API Gateway's MethodSettings path: '/demo/messages' -> '/~1demo~1messages'."""
    return "/" + path.replace("/", "~1")


def method_settings(config: StageConfig, routes: list[RouteDoc]) -> list[dict]:
    standard = config.throttles["standard"]
    settings = [{"ResourcePath": "/*", "HttpMethod": "*", "MetricsEnabled": True, "DataTraceEnabled": False,
                 "ThrottlingRateLimit": standard.rate_per_second, "ThrottlingBurstLimit": standard.burst}]
    for route in sorted(routes, key=lambda r: (r.path, r.method)):
        if route.rate_limit == "standard":
            continue
        throttle = config.throttles[route.rate_limit]
        settings.append({"ResourcePath": method_resource_path(route.path), "HttpMethod": route.method,
                         "MetricsEnabled": True, "DataTraceEnabled": False,
                         "ThrottlingRateLimit": throttle.rate_per_second, "ThrottlingBurstLimit": throttle.burst})
    return settings


def gateway_responses(web_origin: str) -> dict:
    cors = {"Access-Control-Allow-Origin": f"'{web_origin}'", "Vary": "'Origin'",
            "Access-Control-Expose-Headers": "'X-Request-Id'"}
    return {
        response.gateway_type: {
            "StatusCode": str(response.status),
            "ResponseParameters": {"Headers": cors},
            "ResponseTemplates": {"application/json": json.dumps(error_body(response.code, response.message),
                                                                 ensure_ascii=False)},
        }
        for response in GATEWAY_RESPONSES
    }


class ApiSettings(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, rest_api: cdk.CfnResource, config: StageConfig,
                 routes: list[RouteDoc]) -> None:
        super().__init__(scope, construct_id)
        self.api_name = f"permis-{config.name}"
        self.access_logs = logs.LogGroup(self, "AccessLogs", log_group_name=f"/permis/{config.name}/api-access",
                                         retention=log_retention(config.log_retention_days),
                                         removal_policy=cdk.RemovalPolicy.DESTROY)
        overrides = {
            "Name": self.api_name,
            "TracingEnabled": True,
            "MethodSettings": method_settings(config, routes),
            "AccessLogSetting": {"DestinationArn": self.access_logs.log_group_arn, "Format": ACCESS_LOG_FORMAT},
            "GatewayResponses": gateway_responses(config.web_origin),
        }
        for key, value in overrides.items():
            rest_api.add_property_override(key, value)


class AccountStack(cdk.Stack):
    """Once per account and region, shared by the stages deployed there: the role API Gateway uses
    to write access logs, and the SES domain identities (DKIM) the emails are sent from. Two stage
    stacks could not both create them."""

    def __init__(self, scope: Construct, construct_id: str, *, catalogue: Catalogue, **kwargs) -> None:
        super().__init__(scope, construct_id, **kwargs)
        for domain in sorted({identity.domain for identity in catalogue.email_identities}):
            # Easy DKIM: SES gives three CNAME records to publish in the domain's DNS once.
            ses.EmailIdentity(
                self, f"EmailDomain-{domain}", identity=ses.Identity.domain(domain),
                dkim_identity=ses.DkimIdentity.easy_dkim(ses.EasyDkimSigningKeyLength.RSA_2048_BIT),
                mail_from_domain=f"envoi.{domain}")  # SPF aligned with the sender's domain
        # AWS's service policy for this account-wide role (API Gateway writes every API's logs).
        role = iam.Role(self, "ApiGatewayLogsRole",
                        assumed_by=iam.ServicePrincipal("apigateway.amazonaws.com"),
                        managed_policies=[iam.ManagedPolicy.from_aws_managed_policy_name(
                            "service-role/AmazonAPIGatewayPushToCloudWatchLogs")])
        apigateway.CfnAccount(self, "ApiGatewayAccount", cloud_watch_role_arn=role.role_arn)
