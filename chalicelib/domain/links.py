"""Links sent by email (activation, password reset, email change): single use, time limited,
and never stored in clear.

The token in a link is HMAC(secret, "<purpose>:<nonce>"). The database keeps only its SHA-256
(to find the link when it is followed) and the outbox event keeps only the nonce (so the email
worker can rebuild the link): someone reading the table or its backups cannot follow a link."""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from enum import StrEnum


class LinkPurpose(StrEnum):
    ACTIVATION = "activation"
    PASSWORD_RESET = "password_reset"
    EMAIL_CHANGE = "email_change"
    ALERT_UNSUBSCRIBE = "alert_unsubscribe"  # in every alert: valid as long as the subscription
    FRANCECONNECT_LINK = "franceconnect_link"  # an existing account takes a FranceConnect identity


def new_nonce() -> str:
    return secrets.token_urlsafe(18)


def link_token(key: bytes, purpose: LinkPurpose, nonce: str) -> str:
    digest = hmac.new(key, f"{purpose}:{nonce}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def looks_like_token(token: str) -> bool:
    """43 URL-safe characters: anything else is refused before any lookup."""
    return len(token) == 43 and all(c.isalnum() or c in "-_" for c in token)


def derive_key(master: bytes, purpose: str) -> bytes:
    """One secret, separate keys per use (anti-robot challenges, links)."""
    return hmac.new(master, f"permis-en-ligne:{purpose}".encode(), hashlib.sha256).digest()
