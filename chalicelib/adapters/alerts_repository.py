"""DynamoDB storage of alert subscriptions (access patterns in chalicelib/resources.py, MAIN_TABLE):
  ALERT#<request number> / SUB#<channel>#<address>   a subscription (pending ones expire)
  UNSUBSCRIBE#<sha256 of the token> / UNSUBSCRIBE    the unsubscribe link: which subscription
A subscription changes on condition of its version; the code sent and the confirmation are each
one transaction with what goes with them (the outbox event, the unsubscribe link)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.adapters.dynamo import from_item, to_item, transact
from chalicelib.adapters.outbox import outbox_put
from chalicelib.domain.alerts import ACTIVE_RETENTION, PENDING_RETENTION, Channel, Subscription, SubscriptionStatus
from chalicelib.domain.events import OutboxEvent


def subscription_key(request_id: str, channel: Channel | str, address: str) -> dict[str, Any]:
    return {"pk": {"S": f"ALERT#{request_id}"}, "sk": {"S": f"SUB#{channel}#{address}"}}


def unsubscribe_key(token_hash: str) -> dict[str, Any]:
    return {"pk": {"S": f"UNSUBSCRIBE#{token_hash}"}, "sk": {"S": "UNSUBSCRIBE"}}


def _subscription(values: dict[str, Any]) -> Subscription:
    return Subscription.model_validate({k: values[k] for k in Subscription.model_fields if k in values})


class DynamoAlertsRepository:
    def __init__(self, dynamodb_client, table_name: str):
        self._db = dynamodb_client
        self._table = table_name

    def get(self, request_id: str, channel: Channel | str, address: str) -> Subscription | None:
        item = self._db.get_item(TableName=self._table, ConsistentRead=True,
                                 Key=subscription_key(request_id, channel, address)).get("Item")
        return _subscription(from_item(item)) if item else None

    def of_request(self, request_id: str) -> list[Subscription]:
        """Every subscription of a request (a handful: one query page)."""
        found, start = [], None
        while True:
            kwargs: dict[str, Any] = {"TableName": self._table, "KeyConditionExpression": "pk = :pk AND "
                                      "begins_with(sk, :sub)", "ExpressionAttributeValues": {
                                          ":pk": {"S": f"ALERT#{request_id}"}, ":sub": {"S": "SUB#"}}}
            if start:
                kwargs["ExclusiveStartKey"] = start
            page = self._db.query(**kwargs)
            found += [_subscription(from_item(item)) for item in page["Items"]]
            start = page.get("LastEvaluatedKey")
            if not start:
                return found

    def _put(self, subscription: Subscription, previous: Subscription | None) -> dict[str, Any]:
        values = {"pk": f"ALERT#{subscription.request_id}", "sk": f"SUB#{subscription.channel}#{subscription.address}",
                  "entity": "alert_subscription", **subscription.model_dump(mode="json")}
        if subscription.status is SubscriptionStatus.PENDING and subscription.code_expires_at:
            values["expires_at"] = int((subscription.code_expires_at + PENDING_RETENTION).timestamp())
        elif subscription.status is not SubscriptionStatus.PENDING:
            values["expires_at"] = _forgotten_at(subscription)
        put: dict[str, Any] = {"TableName": self._table, "Item": to_item(values)}
        if previous is None:
            put["ConditionExpression"] = "attribute_not_exists(pk)"
        else:
            put["ConditionExpression"] = "version = :expected"
            put["ExpressionAttributeValues"] = {":expected": {"N": str(previous.version)}}
        return {"Put": put}

    def save_pending(self, subscription: Subscription, previous: Subscription | None, event: OutboxEvent) -> None:
        """A new code: the subscription and the event that sends it. TransactionRefused when it
        changed meanwhile."""
        transact(self._db, [self._put(subscription, previous), outbox_put(self._table, event)])

    def count_attempt(self, subscription: Subscription) -> None:
        """A wrong code counted (on condition of the version: two wrong codes at once count twice
        or one is refused, never lost)."""
        transact(self._db, [self._put(subscription.model_copy(update={"attempts": subscription.attempts + 1,
                                                                       "version": subscription.version + 1}),
                                      subscription)])

    def activate(self, subscription: Subscription, token_hash: str, now: datetime) -> None:
        active = subscription.model_copy(update={"status": SubscriptionStatus.ACTIVE, "confirmed_at": now,
                                                 "version": subscription.version + 1})
        pointer = to_item({"pk": f"UNSUBSCRIBE#{token_hash}", "sk": "UNSUBSCRIBE", "entity": "alert_unsubscribe",
                           "request_id": subscription.request_id, "channel": subscription.channel.value,
                           "address": subscription.address, "subscription_id": subscription.subscription_id,
                           "expires_at": _forgotten_at(active)})
        transact(self._db, [self._put(active, subscription), {"Put": {"TableName": self._table, "Item": pointer}}])

    def find_unsubscribe(self, token_hash: str) -> dict[str, Any] | None:
        item = self._db.get_item(TableName=self._table, ConsistentRead=True,
                                 Key=unsubscribe_key(token_hash)).get("Item")
        return from_item(item) if item else None

    def unsubscribe(self, request_id: str, channel: Channel | str, address: str, subscription_id: str) -> bool:
        """Stops an active subscription in one conditional write (no read first): False when it is
        not that subscription, or no longer active (stopped already, or subscribed again since)."""
        try:
            self._db.update_item(
                TableName=self._table, Key=subscription_key(request_id, channel, address),
                UpdateExpression="SET #status = :stopped, version = version + :one REMOVE code_hash",
                ConditionExpression="subscription_id = :id AND #status = :active",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={":stopped": {"S": SubscriptionStatus.UNSUBSCRIBED.value},
                                           ":active": {"S": SubscriptionStatus.ACTIVE.value},
                                           ":one": {"N": "1"}, ":id": {"S": subscription_id}})
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            return False
        return True


def _forgotten_at(subscription: Subscription) -> int:
    """When DynamoDB deletes a confirmed (or since unsubscribed) subscription and its link (TTL)."""
    return int(((subscription.confirmed_at or subscription.created_at) + ACTIVE_RETENTION).timestamp())
