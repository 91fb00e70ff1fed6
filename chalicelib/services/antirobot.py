"""Anti-robot check of the public forms: ALTCHA proof of work (no third party, no cookie).

The server hands out a challenge signed with its HMAC key (valid 10 minutes); the browser finds
the number that solves it (about a second of work); the server verifies the signature, the
solution and the expiry, and refuses a proof used before (single use, remembered until expiry)."""
from __future__ import annotations

import base64
import json
from datetime import datetime, timedelta
from typing import Any, Callable

from chalicelib.domain.errors import ErrorDetail, InvalidInput

CHALLENGE_VALIDITY = timedelta(minutes=10)
# About 50 000 SHA-256 on average in the browser: under a second on a phone, costly in bulk.
MAX_NUMBER = 100_000

ALTCHA_REFUSED = InvalidInput(
    "antirobot_failed",
    "La vérification anti-robot a échoué ou a expiré : relancez-la (case « Je ne suis pas un robot ») puis renvoyez le formulaire.",
    [ErrorDetail(field="altcha", code="antirobot_failed",
                 message="Relancez la vérification anti-robot puis renvoyez le formulaire.")])


def new_challenge(key: bytes, now: datetime) -> dict[str, Any]:
    from altcha import ChallengeOptionsV1, create_challenge_v1  # only the sign-up routes pay for it

    challenge = create_challenge_v1(ChallengeOptionsV1(hmac_key=key, max_number=MAX_NUMBER,
                                                       expires=now + CHALLENGE_VALIDITY))
    return {"algorithm": challenge.algorithm, "challenge": challenge.challenge, "maxnumber": challenge.max_number,
            "salt": challenge.salt, "signature": challenge.signature}


def verify_and_consume(payload: str, key: bytes, now: datetime, consume: Callable[[str, int], bool]) -> None:
    """Raises ALTCHA_REFUSED unless `payload` solves a challenge of ours, unexpired, never used.
    `consume(signature, expires_at)` records the use and says False when it was used already."""
    from altcha import verify_solution_v1

    try:
        decoded = json.loads(base64.b64decode(payload, validate=True))
        signature = str(decoded["signature"])
    except (ValueError, KeyError, TypeError):
        raise ALTCHA_REFUSED from None
    ok, _ = verify_solution_v1(payload, key, check_expires=True)
    if not ok:
        raise ALTCHA_REFUSED
    if not consume(signature, int((now + CHALLENGE_VALIDITY).timestamp())):
        raise ALTCHA_REFUSED
