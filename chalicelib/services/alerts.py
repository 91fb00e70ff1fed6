"""Alert subscriptions: subscribe (a code sent, whether or not the number exists: the answer is
the same), confirm with the code, unsubscribe by the link every alert carries."""
from __future__ import annotations

import uuid
from datetime import datetime, timezone
from typing import Callable

from chalicelib.adapters.dynamo import TransactionRefused
from chalicelib.domain import alerts, links
from chalicelib.domain.alerts import AlertTarget, Subscription, SubscriptionStatus
from chalicelib.domain.errors import InvalidInput, NotFound
from chalicelib.domain.events import OutboxEvent
from chalicelib.domain.procedures import RequestStatus


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


LINK_UNKNOWN = NotFound("alert_link_unknown", "Ce lien de désabonnement n'est pas valable : ouvrez de nouveau le lien "
                                              "reçu, en entier, depuis le dernier message d'alerte.")


class Alerts:
    def __init__(self, repo, requests_repo, key: Callable[[], bytes], links_key: Callable[[], bytes],
                 clock: Callable[[], datetime] | None = None):
        self.repo = repo
        self.requests = requests_repo
        self.key = key  # the alerts' HMAC key (codes)
        self.links_key = links_key  # the links' (unsubscribe links)
        self.clock = clock or (lambda: utc_now())  # looked up at each call: tests move the time

    def subscribe(self, target: AlertTarget) -> None:
        """A pending subscription and its code, only for a submitted request; nothing otherwise,
        nor for an address already subscribed or sent a code a minute ago. The caller answers the
        same in every case."""
        address = target.normalized_address()  # an invalid address is the caller's to fix: 422
        found = self.requests.tracked(target.request_id)  # its status alone: nothing personal read
        if found is None or found["status"] == RequestStatus.DRAFT.value:
            return
        current = self.repo.get(target.request_id, target.channel, address)
        now = self.clock()
        if not alerts.may_send_code(current, now):
            return
        nonce = links.new_nonce()
        code = alerts.code_for(self.key(), nonce)
        pending = Subscription(
            request_id=target.request_id, channel=target.channel, address=address,
            status=SubscriptionStatus.PENDING, subscription_id=links.new_nonce(),
            code_hash=alerts.code_hash(self.key(), target.request_id, target.channel, address, code),
            code_expires_at=now + alerts.CODE_VALIDITY, attempts=0, created_at=now,
            version=(current.version + 1) if current else 1)
        event = OutboxEvent(id=str(uuid.uuid4()), type=alerts.CONFIRMATION_REQUESTED, aggregate_id=target.request_id,
                            occurred_at=now, payload={"request_id": target.request_id, "channel": target.channel.value,
                                                      "address": address, "nonce": nonce,
                                                      "expires_at": pending.code_expires_at.isoformat()})
        try:
            self.repo.save_pending(pending, current, event)
        except TransactionRefused:
            return  # a subscription at the same moment sent its own code

    def confirm(self, target: AlertTarget, code: str) -> Subscription:
        address = target.normalized_address()
        subscription = self.repo.get(target.request_id, target.channel, address)
        expected = alerts.code_hash(self.key(), target.request_id, target.channel, address, code)
        now = self.clock()
        try:
            outcome = alerts.check_code(subscription, expected, now)
        except InvalidInput as refused:
            if refused.code == "alert_code_wrong" and subscription is not None \
                    and subscription.status is SubscriptionStatus.PENDING:
                try:
                    self.repo.count_attempt(subscription)
                except TransactionRefused:
                    pass  # another try landed at once: it was counted
            raise
        assert subscription is not None
        if outcome == "confirm":
            try:
                self.repo.activate(subscription, links.token_hash(self.unsubscribe_token(subscription)), now)
            except TransactionRefused:
                raise alerts.CODE_WRONG from None  # changed meanwhile (a new code was asked)
        return subscription

    def unsubscribe_token(self, subscription: Subscription) -> str:
        """The token of the subscription's unsubscribe link, rebuilt from its nonce (never stored)."""
        return links.link_token(self.links_key(), links.LinkPurpose.ALERT_UNSUBSCRIBE, subscription.subscription_id)

    def unsubscribe(self, token: str) -> None:
        """Stops the alerts of the link's subscription; again on a link already used: same answer."""
        if not links.looks_like_token(token):
            raise LINK_UNKNOWN
        pointer = self.repo.find_unsubscribe(links.token_hash(token))
        if pointer is None:
            raise LINK_UNKNOWN
        # Refused when already stopped, or subscribed again since (with a new link): the same answer.
        self.repo.unsubscribe(pointer["request_id"], pointer["channel"], pointer["address"], pointer["subscription_id"])

