"""The static site as deployed: a private bucket behind CloudFront, the API under /api/ of the same
distribution, the pages' security headers, and the site folder `make package` builds."""
from __future__ import annotations

import json

from tests.infra.test_template import STAGE, of_type, props, render

PAGES_OF_THE_SITE = {"index.html", "connexion.html", "demandes.html", "demande.html", "suivi.html", "espace.html",
                     "verification.html", "console.html", "membres.html", "valider.html"}


def _distribution(dev):
    (config,) = [props(r)["DistributionConfig"] for r in of_type(dev, "AWS::CloudFront::Distribution").values()]
    return config


def test_the_pages_bucket_is_private_and_readable_only_by_the_distribution(dev):
    buckets = {k: props(r) for k, r in of_type(dev, "AWS::S3::Bucket").items() if k.startswith("WebsiteBucket")}
    ((bucket_id, bucket),) = buckets.items()
    assert bucket["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True, "BlockPublicPolicy": True, "IgnorePublicAcls": True, "RestrictPublicBuckets": True}
    (policy,) = [props(r)["PolicyDocument"] for r in of_type(dev, "AWS::S3::BucketPolicy").values()
                 if props(r)["Bucket"] == {"Ref": bucket_id}]
    allows = [s for s in policy["Statement"] if s["Effect"] == "Allow"]
    assert [s["Principal"] for s in allows] == [{"Service": "cloudfront.amazonaws.com"}]
    assert allows[0]["Action"] == "s3:GetObject" and "AWS:SourceArn" in allows[0]["Condition"]["StringEquals"]
    denies = [s for s in policy["Statement"] if s["Effect"] == "Deny"]
    assert any(s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}} for s in denies)


def test_the_distribution_serves_https_with_the_security_headers_and_the_api_uncached(dev):
    config = _distribution(dev)
    assert config["DefaultRootObject"] == "index.html"
    assert config["DefaultCacheBehavior"]["ViewerProtocolPolicy"] == "redirect-to-https"
    (headers,) = [props(r)["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]
                  for r in of_type(dev, "AWS::CloudFront::ResponseHeadersPolicy").values()]
    csp = render(headers["ContentSecurityPolicy"]["ContentSecurityPolicy"])
    assert "script-src 'self' 'sha256-" in csp and "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0] and "frame-ancestors 'none'" in csp and "unsafe-eval" not in csp
    assert ".s3.eu-west-3.amazonaws.com" in csp  # the uploads' presigned POST, straight to the bucket
    assert headers["FrameOptions"]["FrameOption"] == "DENY"
    assert headers["StrictTransportSecurity"]["AccessControlMaxAgeSec"] >= 31536000
    (api,) = config["CacheBehaviors"]
    assert api["PathPattern"] == "/api/*" and api["ViewerProtocolPolicy"] == "https-only"
    assert "POST" in api["AllowedMethods"] and "DELETE" in api["AllowedMethods"]
    assert api["CachePolicyId"] == "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"  # AWS managed CachingDisabled
    # AllViewerExceptHostHeader: Authorization and Idempotency-Key reach the API.
    assert api["OriginRequestPolicyId"] == "b689b0a8-53d0-40ab-baf2-68738e2966ac"
    (origin,) = [o for o in config["Origins"] if o["Id"] == api["TargetOriginId"]]
    assert "execute-api" in render(origin["DomainName"]) and "RestAPI" in json.dumps(origin["DomainName"])
    assert origin["CustomOriginConfig"]["OriginProtocolPolicy"] == "https-only"


def test_make_package_builds_the_site_with_the_dsfr_and_without_the_local_mailbox(packaged):
    site = packaged.out / STAGE / "web"
    names = {p.name for p in site.iterdir()}
    assert PAGES_OF_THE_SITE <= names
    assert "boite-mail.html" not in names and "boite-mail.js" not in names
    assert json.loads((site / "config.json").read_text()) == {"apiUrl": "/api"}
    for needed in ("dsfr.min.css", "dsfr.module.min.js", "icons/system/download-line.svg", "fonts/Marianne-Regular.woff2",
                   "favicon/favicon.svg"):
        assert (site / "dsfr" / needed).is_file(), needed
    assert (site / "lib" / "jsqr" / "jsQR.js").is_file()  # verification.js loads it when an image is read
    # Every file a page links to is in the site.
    import re

    for page in site.glob("*.html"):
        for link in re.findall(r'(?:href|src)="([^"#:?]+\.(?:css|js|svg))"', page.read_text()):
            assert (site / link).is_file(), f"{page.name} links to {link}, missing from the site"


def test_a_missing_page_gets_the_site_s_404_from_an_edge_function_on_the_pages_only(packaged, dev):
    """CloudFront's custom error responses would apply to /api/* too and replace the API's JSON
    refusals: the pages' behaviour alone has an origin-response function serving the error pages."""
    config = _distribution(dev)
    assert "CustomErrorResponses" not in config
    (association,) = config["DefaultCacheBehavior"]["LambdaFunctionAssociations"]
    assert association["EventType"] == "origin-response"
    (api,) = config["CacheBehaviors"]
    assert "LambdaFunctionAssociations" not in api
    # The function lives in us-east-1 (Lambda@Edge), packaged with the pages the site renders.
    assembly = packaged.assembly(STAGE)
    (edge,) = [json.loads(path.read_text()) for path in assembly.glob("edge-lambda-stack-*.template.json")]
    (function,) = [props(r) for r in of_type(edge, "AWS::Lambda::Function").values()]
    assert function["Handler"] == "error_pages.handler" and function["Runtime"].startswith("python3")
    folders = [p for p in assembly.glob("asset.*") if p.is_dir() and (p / "error_pages.py").is_file()]
    (folder,) = folders
    page = (folder / "404.html").read_text(encoding="utf-8")
    assert "Page non trouvée" in page and '<base href="/">' in page and "dsfr/dsfr.min.css" in page
    assert {"500.html", "503.html"} <= {p.name for p in folder.iterdir()}
