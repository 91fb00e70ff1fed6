"""Client of the approved ePhoto operator's HTTP API: the photo and the signature of an ePhoto code.

    GET {base}/ephoto/{code}/photo       200 image/jpeg
    GET {base}/ephoto/{code}/signature   200 image/png or image/jpeg
    404: the operator does not know the code

The base URL is `EPHOTO_API_URL` (infra sets the operator's per stage; `make run` and the tests set
the local stand-in's, chalicelib/local/ephoto_server.py): the same code runs in both. Standard
library only (urllib), a short timeout for the whole answer, and never more read than the part may
weigh plus one byte (the checker then refuses it as too large). Every failure but the operator's 404 is
`EphotoUnavailable`: the caller says "try again later", never a 500."""
from __future__ import annotations

import http.client
import time
import urllib.error
import urllib.parse
import urllib.request

from chalicelib.domain.ephoto import SPECS, EphotoImage, EphotoUnavailable, EphotoUnknown

# The most a part's request may take, connection to last byte (the attestations worker fetches both
# parts of a few requests in one run of its 60 seconds).
TIMEOUT_SECONDS = 4.0
CHUNK_BYTES = 64 * 1024


class HttpEphotoOperator:
    def __init__(self, base_url: str, timeout: float = TIMEOUT_SECONDS):
        scheme = urllib.parse.urlsplit(base_url).scheme
        if scheme not in ("http", "https"):
            raise ValueError(f"EPHOTO_API_URL must be an http(s) URL, not {scheme or 'a relative one'}")
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    def fetch(self, code: str, part: str) -> EphotoImage:
        """The operator's image of `part` (photo, signature) for `code`."""
        url = f"{self.base_url}/ephoto/{urllib.parse.quote(code, safe='')}/{part}"
        request = urllib.request.Request(url, headers={"Accept": "image/jpeg, image/png",
                                                       "User-Agent": "permis-en-ligne"})
        limit, deadline = SPECS[part].max_bytes + 1, time.monotonic() + self.timeout
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                content_type = response.headers.get_content_type()
                chunks, size = [], 0
                while size < limit and (chunk := response.read1(min(CHUNK_BYTES, limit - size))):
                    chunks.append(chunk)
                    size += len(chunk)
                    if time.monotonic() > deadline:  # an answer trickling in: the worker must not wait on it
                        raise TimeoutError("the operator's answer is too slow")
                content = b"".join(chunks)
        except urllib.error.HTTPError as error:
            error.close()
            if error.code == 404:
                raise EphotoUnknown(part) from None
            raise EphotoUnavailable(f"HTTP {error.code}") from None
        except (urllib.error.URLError, http.client.HTTPException, TimeoutError, OSError) as error:
            raise EphotoUnavailable(type(error).__name__) from None
        return EphotoImage(content, content_type)
