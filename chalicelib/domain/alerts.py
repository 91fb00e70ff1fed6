"""Alerts on a request: anyone with its number subscribes an email address or a mobile phone,
confirms it with a code sent there (double opt-in), and stops them by the link every alert carries.

Pure: the codes and their hashes, the subscription's states and the refusals. A code is never
stored: the subscription keeps its HMAC, the outbox event only the nonce it is derived from (the
notifications worker derives it again to send it), like the emailed links (domain/links.py)."""
from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Literal

from pydantic import ConfigDict, Field, field_validator

from chalicelib.domain.accounts import check_email, normalize_mobile_phone
from chalicelib.domain.base import Model
from chalicelib.domain.errors import ErrorDetail, InvalidInput, TooManyRequests

CODE_VALIDITY = timedelta(minutes=15)
MAX_CODE_ATTEMPTS = 5
# A new code for the same address waits this long after the last one: a phone or a mailbox cannot
# be flooded with codes by someone who knows a request number (the answer stays the same).
RESEND_AFTER = timedelta(minutes=1)
# A subscription never confirmed is forgotten a day after its last code (expires_at).
PENDING_RETENTION = timedelta(days=1)
# A confirmed subscription (an address or a phone number: personal data) and its unsubscribe link
# are forgotten 18 months after the confirmation: longer than a registration's way to the licence
# (the CEPC's 4 months, a returned licence's 6), without keeping the address for good.
ACTIVE_RETENTION = timedelta(days=548)
CONFIRMATION_REQUESTED = "alert.confirmation_requested"  # outbox event: send the code (payload below)


class Channel(StrEnum):
    EMAIL = "email"
    SMS = "sms"


class SubscriptionStatus(StrEnum):
    PENDING = "pending"  # a code was sent, not confirmed yet: receives nothing
    ACTIVE = "active"
    UNSUBSCRIBED = "unsubscribed"


REQUEST_NUMBER = r"^[0-9]{12}$"  # ASCII digits: a pattern's \d takes any script's


class _Form(Model):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class AlertTarget(_Form):
    request_id: str = Field(pattern=REQUEST_NUMBER, description="Numéro de la demande (12 chiffres)")
    channel: Channel = Field(description="email ou sms")
    address: str = Field(min_length=3, max_length=254,
                         description="Adresse électronique, ou numéro de téléphone portable pour sms")

    @field_validator("address")
    @classmethod
    def _strip(cls, value: str) -> str:
        return value.strip()

    def normalized_address(self) -> str:
        """The address as stored and used: an email in lower case, a phone number in E.164."""
        try:
            return check_email(self.address) if self.channel is Channel.EMAIL else normalize_mobile_phone(self.address)
        except ValueError as problem:
            raise InvalidInput("validation_failed", "L'adresse indiquée n'est pas valide : corrigez-la.",
                               [ErrorDetail(str(problem), field="address", code="address_invalid")]) from None


class SubscribeInput(AlertTarget):
    altcha: str = Field(min_length=1, max_length=2000, description="Solution du défi anti-robot")


class ConfirmInput(AlertTarget):
    code: str = Field(pattern=r"^[0-9]{6}$", description="Code à 6 chiffres reçu")


class UnsubscribeInput(_Form):
    token: str = Field(min_length=1, max_length=100, description="Jeton du lien de désabonnement")


class Subscription(Model):
    request_id: str
    channel: Channel
    address: str
    status: SubscriptionStatus
    subscription_id: str  # the nonce of its unsubscribe link (a new one for each subscription)
    code_hash: str | None = None
    code_expires_at: datetime | None = None
    attempts: int = 0
    created_at: datetime
    confirmed_at: datetime | None = None
    version: int = 1


def may_send_code(current: "Subscription | None", now: datetime) -> bool:
    """Whether a subscription request sends a code: not to an address already subscribed, nor
    again within RESEND_AFTER of the last code."""
    if current is None or current.status is SubscriptionStatus.UNSUBSCRIBED:
        return True
    if current.status is SubscriptionStatus.ACTIVE:
        return False
    sent_at = current.code_expires_at - CODE_VALIDITY if current.code_expires_at else None
    return sent_at is None or now - sent_at >= RESEND_AFTER


def code_for(key: bytes, nonce: str) -> str:
    """The 6-digit code of a confirmation, derived from its nonce (the worker derives it again)."""
    digest = hmac.new(key, f"alert-code:{nonce}".encode(), hashlib.sha256).digest()
    return f"{int.from_bytes(digest[:8], 'big') % 1_000_000:06d}"


def code_hash(key: bytes, request_id: str, channel: Channel | str, address: str, code: str) -> str:
    """What the subscription keeps: bound to its request and address, useless without the key."""
    return hmac.new(key, f"alert-code-hash:{request_id}:{channel}:{address}:{code}".encode(),
                    hashlib.sha256).hexdigest()


def address_digest(address: str) -> str:
    """A recipient in a key without their address (the per-recipient sent markers)."""
    return hashlib.sha256(address.encode()).hexdigest()[:16]


CODE_WRONG = InvalidInput(
    "alert_code_wrong",
    "Ce code ne correspond pas : vérifiez le numéro de demande, l'adresse et les 6 chiffres reçus, puis recommencez.",
    [ErrorDetail("Code incorrect.", field="code", code="alert_code_wrong")])
CODE_EXPIRED = InvalidInput(
    "alert_code_expired",
    "Ce code a expiré (il est valable 15 minutes) : abonnez-vous de nouveau pour en recevoir un autre.",
    [ErrorDetail("Code expiré : demandez-en un nouveau.", field="code", code="alert_code_expired")])
TOO_MANY_ATTEMPTS = TooManyRequests(
    "alert_code_attempts_exceeded",
    f"Trop d'essais ({MAX_CODE_ATTEMPTS}) avec ce code : il ne fonctionne plus. Abonnez-vous de nouveau pour "
    "recevoir un nouveau code.")


def check_code(subscription: Subscription | None, expected_hash: str,
               now: datetime) -> Literal["confirm", "already_active"]:
    """What a confirmation does, or the refusal. An unknown subscription is refused like a wrong
    code: the answer never tells whether a number or an address is known."""
    if subscription is None or subscription.status is SubscriptionStatus.UNSUBSCRIBED:
        raise CODE_WRONG
    if subscription.status is SubscriptionStatus.ACTIVE:
        if subscription.code_hash and hmac.compare_digest(subscription.code_hash, expected_hash):
            return "already_active"  # the same code sent twice (a double click): nothing to do
        raise CODE_WRONG
    if subscription.attempts >= MAX_CODE_ATTEMPTS:
        raise TOO_MANY_ATTEMPTS
    if subscription.code_expires_at is None or now >= subscription.code_expires_at:
        raise CODE_EXPIRED
    if not (subscription.code_hash and hmac.compare_digest(subscription.code_hash, expected_hash)):
        raise CODE_WRONG
    return "confirm"
