"""The static site: web/ in a private S3 bucket behind CloudFront, and the API behind the same
distribution under /api/, so that the pages call their own origin (config.json: apiUrl "/api").

The bucket is reached only through CloudFront (origin access control); every answer carries the
security headers and the Content-Security-Policy of the local web server. The files themselves are
built by `make package` (infra/site.py, dist/<stage>/web/) and synced after the stack is deployed
(infra/README.md), so that a page change needs no CloudFormation update."""
from __future__ import annotations

import shutil
from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from constructs import Construct

from chalicelib.resources import physical_name
from chalicelib.web_policy import content_security_policy

EDGE_DIR = Path(__file__).resolve().parent / "edge"
EDGE_REGION = "us-east-1"  # where Lambda@Edge functions live
ERROR_PAGE_NAMES = ("404.html", "500.html", "503.html")

# The Chalice stage of every deployed API (.chalice/config.json "api_gateway_stage"): the path
# CloudFront forwards, /api/requests, is that stage's /requests.
API_PATH = "/api"


class Website(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, stage: str, region: str,
                 rest_api: cdk.CfnResource, documents_bucket: str) -> None:
        super().__init__(scope, construct_id)
        self.bucket = s3.Bucket(
            self, "Bucket", bucket_name=physical_name("web", stage),
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            encryption=s3.BucketEncryption.S3_MANAGED,  # public pages: no personal data
            enforce_ssl=True, minimum_tls_version=1.2, versioned=True,
            lifecycle_rules=[s3.LifecycleRule(id="old-versions", noncurrent_version_expiration=cdk.Duration.days(30))],
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )
        documents = [f"https://{documents_bucket}.s3.{region}.amazonaws.com",
                     f"https://{documents_bucket}.s3.amazonaws.com"]
        headers = cloudfront.ResponseHeadersPolicy(
            self, "SecurityHeaders", response_headers_policy_name=f"permis-{stage}-web-headers",
            security_headers_behavior=cloudfront.ResponseSecurityHeadersBehavior(
                content_security_policy=cloudfront.ResponseHeadersContentSecurityPolicy(
                    content_security_policy=content_security_policy([], documents), override=True),
                strict_transport_security=cloudfront.ResponseHeadersStrictTransportSecurity(
                    access_control_max_age=cdk.Duration.days(365), include_subdomains=True, override=True),
                content_type_options=cloudfront.ResponseHeadersContentTypeOptions(override=True),
                frame_options=cloudfront.ResponseHeadersFrameOptions(
                    frame_option=cloudfront.HeadersFrameOption.DENY, override=True),
                referrer_policy=cloudfront.ResponseHeadersReferrerPolicy(
                    referrer_policy=cloudfront.HeadersReferrerPolicy.SAME_ORIGIN, override=True)))
        api_domain = f"{rest_api.ref}.execute-api.{region}.{cdk.Aws.URL_SUFFIX}"
        # The site's own 404, 500 and 503 pages for the pages' behaviour only (infra/edge/).
        error_pages = cloudfront.experimental.EdgeFunction(
            self, "ErrorPages", runtime=lambda_.Runtime.PYTHON_3_11, handler="error_pages.handler",
            code=lambda_.Code.from_asset(str(error_pages_package(Path(self.node.root.outdir).parent / "error-pages"))),
            memory_size=128,
            timeout=cdk.Duration.seconds(5), description="Pages d'erreur du site (404, 500, 503)")
        # CDK reads the function's version from us-east-1 at deployment (a custom resource in this
        # stack). Its function and the edge function declare a DependsOn on their role that their
        # GetAtt already implies (cfn-lint W3005): dropped, as every other warning is fixed. Its role
        # may read every edge function's parameter: narrowed to this one's.
        error_pages.lambda_.node.default_child.add_deletion_override("DependsOn")
        reader = cdk.Stack.of(self).node.find_child("Custom::CrossRegionStringParameterReaderCustomResourceProvider")
        reader.node.find_child("Handler").add_deletion_override("DependsOn")
        parameter = f"/cdk/EdgeFunctionArn/{region}/{error_pages.node.path}"
        reader.node.find_child("Role").add_property_override(
            "Policies.0.PolicyDocument.Statement.0.Resource",
            cdk.Fn.sub("arn:${AWS::Partition}:ssm:" + EDGE_REGION + ":${AWS::AccountId}:parameter" + parameter))
        self.distribution = cloudfront.Distribution(
            self, "Distribution", comment=f"Permis en ligne ({stage}) : pages et API",
            default_root_object="index.html",
            minimum_protocol_version=cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
            http_version=cloudfront.HttpVersion.HTTP2_AND_3, price_class=cloudfront.PriceClass.PRICE_CLASS_100,
            default_behavior=cloudfront.BehaviorOptions(
                origin=origins.S3BucketOrigin.with_origin_access_control(self.bucket),
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                cache_policy=cloudfront.CachePolicy.CACHING_OPTIMIZED,
                response_headers_policy=headers, compress=True,
                edge_lambdas=[cloudfront.EdgeLambda(
                    function_version=error_pages.current_version,
                    event_type=cloudfront.LambdaEdgeEventType.ORIGIN_RESPONSE)]),
            additional_behaviors={f"{API_PATH}/*": cloudfront.BehaviorOptions(
                origin=origins.HttpOrigin(api_domain, protocol_policy=cloudfront.OriginProtocolPolicy.HTTPS_ONLY),
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
                allowed_methods=cloudfront.AllowedMethods.ALLOW_ALL,
                # Never cached; every header but Host (Authorization, Idempotency-Key) reaches the API.
                cache_policy=cloudfront.CachePolicy.CACHING_DISABLED,
                origin_request_policy=cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER)},
        )
        cdk.CfnOutput(scope, "WebBucketName", value=self.bucket.bucket_name)
        cdk.CfnOutput(scope, "WebDistributionId", value=self.distribution.distribution_id)
        cdk.CfnOutput(scope, "WebDistributionDomain", value=self.distribution.distribution_domain_name)


def error_pages_package(folder: Path) -> Path:
    """The edge function's folder (beside the cloud assembly): its handler and the error pages as
    the site renders them."""
    from infra.pages import render_pages

    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    shutil.copy2(EDGE_DIR / "error_pages.py", folder / "error_pages.py")
    pages = render_pages(local=False)
    for name in ERROR_PAGE_NAMES:
        (folder / name).write_bytes(pages[name])
    return folder
