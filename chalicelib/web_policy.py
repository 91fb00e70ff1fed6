"""The pages' Content-Security-Policy, one text for the local web server and for CloudFront."""


def content_security_policy(api_sources: list[str], document_sources: list[str]) -> str:
    """Scripts and styles from the site only. The pages may call the API (`api_sources`: the local
    API; deployed, it is on the site's own origin) and the documents bucket (`document_sources`),
    where uploads go by presigned POST and from which a person's own checked images are shown as
    thumbnails through a link of a minute; nothing else. The DSFR script sets style attributes
    (hence 'unsafe-inline' for styles, never for scripts); the local mailbox shows the emails in a
    sandboxed frame (srcdoc); documents are previewed as blobs. Agents see a request's PDF documents
    in a frame of the page through the same links of a minute (hence the bucket in frame-src)."""
    return "; ".join([
        "default-src 'self'", "script-src 'self'", "style-src 'self' 'unsafe-inline'",
        " ".join(["connect-src 'self'", *api_sources, *document_sources, "blob:"]),
        " ".join(["img-src 'self' data: blob:", *document_sources]),
        "font-src 'self'", " ".join(["frame-src 'self' blob:", *document_sources]), "object-src 'none'", "base-uri 'self'",
        "form-action 'self'", "frame-ancestors 'none'",
    ])
