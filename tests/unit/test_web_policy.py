"""The pages' Content-Security-Policy: the documents bucket may receive uploads and give back the
person's own images, the API only answers calls, and no script comes from anywhere but the site."""
import base64
import hashlib
import re

from chalicelib.web_policy import THEME_SCRIPT, content_security_policy


def directives(policy):
    return {part.split()[0]: part.split()[1:] for part in policy.split("; ")}


def test_uploads_and_thumbnails_go_to_the_documents_bucket_and_nothing_else():
    policy = directives(content_security_policy(["http://127.0.0.1:8000"], ["http://127.0.0.1:5100"]))
    assert policy["connect-src"] == ["'self'", "http://127.0.0.1:8000", "http://127.0.0.1:5100", "blob:"]
    assert policy["img-src"] == ["'self'", "data:", "blob:", "http://127.0.0.1:5100"]
    theme = "'sha256-" + base64.b64encode(hashlib.sha256(THEME_SCRIPT.encode()).digest()).decode() + "'"
    assert policy["script-src"] == ["'self'", theme] and policy["object-src"] == ["'none'"]
    # The agents' viewer shows a request's PDF in a frame from the bucket; no other site is framed.
    assert policy["frame-src"] == ["'self'", "blob:", "http://127.0.0.1:5100"]


def test_deployed_the_api_is_the_site_s_own_origin():
    bucket = "https://permis-prod-documents.s3.eu-west-3.amazonaws.com"
    policy = directives(content_security_policy([], [bucket]))
    assert policy["connect-src"] == ["'self'", bucket, "blob:"] and bucket in policy["img-src"]


def test_the_only_inline_script_of_the_pages_is_the_theme_s_that_the_policy_allows_by_its_hash():
    """Any other inline script, or this one changed without its hash, would be blocked by the browser."""
    from infra.pages import render_pages

    for name, content in render_pages(local=True).items():
        inline = re.findall(r"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", content.decode("utf-8"), re.S)
        assert inline == [THEME_SCRIPT], name
