"""The pages' Content-Security-Policy, one text for the local web server and for CloudFront, and
the one script the pages carry inline."""
import base64
import hashlib

# The theme chosen in "Paramètres d'affichage" (kept by the DSFR in localStorage "scheme"), applied
# before the page is painted so that a dark theme does not flash white at each page. Inline, in
# every page's head (web/gabarits/cadre.html), allowed by its hash: a file would cost every first
# visit one more request blocking the page. The DSFR script does the same later and handles changes.
THEME_SCRIPT = (
    '(function(){var s=null;try{s=localStorage.getItem("scheme");}catch(e){}'
    's=s||document.documentElement.getAttribute("data-fr-scheme");'
    'if(s==="dark"||(s==="system"&&matchMedia("(prefers-color-scheme: dark)").matches))'
    '{document.documentElement.setAttribute("data-fr-theme","dark");}})();'
)


def script_hash(script: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii") + "'"


def content_security_policy(api_sources: list[str], document_sources: list[str]) -> str:
    """Scripts and styles from the site only. The pages may call the API (`api_sources`: the local
    API; deployed, it is on the site's own origin) and the documents bucket (`document_sources`),
    where uploads go by presigned POST and from which a person's own checked images are shown as
    thumbnails through a link of a minute; nothing else. The DSFR script sets style attributes
    (hence 'unsafe-inline' for styles, never for scripts); the local mailbox shows the emails in a
    sandboxed frame (srcdoc); documents are previewed as blobs. Agents see a request's PDF documents
    in a frame of the page through the same links of a minute (hence the bucket in frame-src). The
    one inline script, THEME_SCRIPT, by its hash."""
    return "; ".join([
        "default-src 'self'", "script-src 'self' " + script_hash(THEME_SCRIPT), "style-src 'self' 'unsafe-inline'",
        " ".join(["connect-src 'self'", *api_sources, *document_sources, "blob:"]),
        " ".join(["img-src 'self' data: blob:", *document_sources]),
        "font-src 'self'", " ".join(["frame-src 'self' blob:", *document_sources]), "object-src 'none'", "base-uri 'self'",
        "form-action 'self'", "frame-ancestors 'none'",
    ])
