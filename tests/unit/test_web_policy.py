"""The pages' Content-Security-Policy: the documents bucket may receive uploads and give back the
person's own images, the API only answers calls, and no script comes from anywhere but the site."""
from chalicelib.web_policy import content_security_policy


def directives(policy):
    return {part.split()[0]: part.split()[1:] for part in policy.split("; ")}


def test_uploads_and_thumbnails_go_to_the_documents_bucket_and_nothing_else():
    policy = directives(content_security_policy(["http://127.0.0.1:8000"], ["http://127.0.0.1:5100"]))
    assert policy["connect-src"] == ["'self'", "http://127.0.0.1:8000", "http://127.0.0.1:5100", "blob:"]
    assert policy["img-src"] == ["'self'", "data:", "blob:", "http://127.0.0.1:5100"]
    assert policy["script-src"] == ["'self'"] and policy["object-src"] == ["'none'"]
    # The agents' viewer shows a request's PDF in a frame from the bucket; no other site is framed.
    assert policy["frame-src"] == ["'self'", "blob:", "http://127.0.0.1:5100"]


def test_deployed_the_api_is_the_site_s_own_origin():
    bucket = "https://permis-prod-documents.s3.eu-west-3.amazonaws.com"
    policy = directives(content_security_policy([], [bucket]))
    assert policy["connect-src"] == ["'self'", bucket, "blob:"] and bucket in policy["img-src"]
