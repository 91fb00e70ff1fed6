"""Lambda@Edge, on the pages' origin responses only (never the API's): a file the bucket does not
have (S3 answers 403 or 404) becomes the site's French 404 page, an S3 failure its 500 or 503
page, each with its own status. CloudFront's custom error responses cannot do this: they apply to
every behaviour of a distribution, so they would also replace the API's JSON refusals under /api/.

The pages are rendered by `make package` (infra/pages.py) next to this file, in the function's
package. Python's standard library only."""
from __future__ import annotations

from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
# S3's answer -> the page served and its status. S3 answers 403 for a key that does not exist when
# CloudFront may not list the bucket (it may not).
ERROR_PAGES = {403: ("404.html", 404), 404: ("404.html", 404), 503: ("503.html", 503)}
STATUS_TEXT = {404: "Not Found", 500: "Internal Server Error", 503: "Service Unavailable"}


def page_for(status: int) -> tuple[str, int] | None:
    if status in ERROR_PAGES:
        return ERROR_PAGES[status]
    if status >= 500:
        return "500.html", 500
    return None


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    response = event["Records"][0]["cf"]["response"]
    found = page_for(int(response["status"]))
    if found is None:
        return response
    name, status = found
    return {
        "status": str(status),
        "statusDescription": STATUS_TEXT[status],
        "headers": {
            "content-type": [{"key": "Content-Type", "value": "text/html; charset=utf-8"}],
            # A missing page may be published a minute later: cached briefly only.
            "cache-control": [{"key": "Cache-Control", "value": "max-age=60"}],
        },
        "body": (HERE / name).read_text(encoding="utf-8"),
    }
