"""The pages' Content-Security-Policy, one text for the local web server and for CloudFront."""


def content_security_policy(connect_sources: list[str]) -> str:
    """Scripts and styles from the site only; the pages may call the API (`connect_sources`: the
    local API, or the documents bucket where uploads go by presigned POST) and nothing else. The
    DSFR script sets style attributes (hence 'unsafe-inline' for styles, never for scripts); the
    local mailbox shows the emails in a sandboxed frame (srcdoc); documents are previewed as blobs."""
    return "; ".join([
        "default-src 'self'", "script-src 'self'", "style-src 'self' 'unsafe-inline'",
        " ".join(["connect-src 'self'", *connect_sources, "blob:"]), "img-src 'self' data: blob:",
        "font-src 'self'", "frame-src 'self' blob:", "object-src 'none'", "base-uri 'self'",
        "form-action 'self'", "frame-ancestors 'none'",
    ])
