"""The ePhoto photo and signature of a request, shown to the agents beside the identity document.

A request carries only the 22-character ePhoto code (`DOC#ephoto`); the photo and the signature stay
with the approved ePhoto operator, who gives them to the administration for that code. They are
fetched once, the first time an agent opens one of them: the API records the ask (the `DOC#ephoto`
item goes `pending`, with its event, in one transaction) and the attestations worker, which has
the document checker, fetches both images from the operator, checks them like an upload
(`documents/checks.py`) and keeps them under `checked/<request>/ephoto/` (purged with the
request); their keys land on the `DOC#ephoto` item, so later views never call the operator again.

Pure: no AWS, no HTTP. `view` says what opening a part gives as of now, from the `DOC#ephoto` item:
its stored copy, a fetch under way, the operator's answer (unknown code, unavailable), or a fetch
to ask for."""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from chalicelib.domain.rules import JPEG, KB, MB, PNG

PHOTO, SIGNATURE = "photo", "signature"
PARTS = (PHOTO, SIGNATURE)
# The names the agents' route takes (GET /staff/requests/{id}/documents/{document}), and the reads audit's.
DOCUMENT_PARTS = {"ephoto-photo": PHOTO, "ephoto-signature": SIGNATURE}
EXTENSIONS = {JPEG: "jpg", PNG: "png"}


@dataclass(frozen=True)
class PartSpec:
    """What the operator must send for a part: the checker's size range and pixel bound."""

    content_types: frozenset[str]
    min_bytes: int
    max_bytes: int
    max_pixels: int


# An ID photo is a JPEG of a 35 x 45 mm print (413 x 531 pixels at 300 dpi: tens of KB); a
# signature, a small scan. Both well within 4 megapixels, which decode in about 16 MB: the
# attestations worker's memory (chalicelib/sizing.py) is not moved by them.
SPECS = {
    PHOTO: PartSpec(frozenset({JPEG}), 2 * KB, 2 * MB, 4_000_000),
    SIGNATURE: PartSpec(frozenset({JPEG, PNG}), 512, 1 * MB, 4_000_000),
}

# A fetch asked this long ago with no answer recorded (its message lost, the worker throttled) is
# asked again by the next view.
FETCH_PATIENCE = timedelta(seconds=60)
# After the operator failed (unreachable, a timeout, a 5xx, or an image the checker refused), the
# views of the next 30 seconds get the same 503 instead of calling it again at once.
RETRY_AFTER = timedelta(seconds=30)

# The fetch's states on the DOC#ephoto item (`fetch_state`, with `fetch_at`).
PENDING, DONE, NOT_FOUND, UNAVAILABLE, REFUSED = "pending", "done", "not_found", "unavailable", "refused"


class EphotoUnknown(Exception):
    """The operator does not know this code (HTTP 404)."""


class EphotoUnavailable(Exception):
    """The operator could not answer (unreachable, timed out, a 5xx, a malformed answer)."""


@dataclass(frozen=True)
class EphotoImage:
    """An image's bytes and content type: what the operator sent for a part (the type it declared),
    or what the document checker kept of it (re-encoded, without metadata)."""

    content: bytes
    content_type: str


# --- what a view gives ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Stored:
    key: str
    content_type: str


@dataclass(frozen=True)
class Pending:
    pass


@dataclass(frozen=True)
class Failed:
    state: str  # NOT_FOUND, UNAVAILABLE or REFUSED
    retry_after_seconds: int | None = None


@dataclass(frozen=True)
class Ask:
    """No copy, no fetch under way: a fetch is to be asked (`seen_at`: the fetch_at read, if any)."""

    seen_at: str | None


def view(record: dict, part: str, now: datetime) -> Stored | Pending | Failed | Ask:
    """What opening `part` gives now, from the request's DOC#ephoto item (with a code)."""
    key = record.get(f"{part}_key")
    if key:
        return Stored(key, record.get(f"{part}_content_type") or JPEG)
    state, at = record.get("fetch_state"), record.get("fetch_at")
    since = now - datetime.fromisoformat(at) if at else None
    if state == NOT_FOUND:
        return Failed(NOT_FOUND)  # a new code (the filer's complement) replaces the item, and this state
    if state == PENDING and since is not None and since < FETCH_PATIENCE:
        return Pending()
    if state in (UNAVAILABLE, REFUSED) and since is not None and since < RETRY_AFTER:
        return Failed(state, max(1, math.ceil((RETRY_AFTER - since).total_seconds())))
    return Ask(at)

