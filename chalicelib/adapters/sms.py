"""Sending SMS through SNS, published straight to the phone number (no topic, no subscription):
transactional (SNS routes them for delivery, not cost) and under the product's sender name."""
from __future__ import annotations

from typing import Any

from chalicelib.domain.notifications import Sms
from chalicelib.resources import SmsSender


class SnsSms:
    def __init__(self, sns_client: Any, sender: SmsSender) -> None:
        self._sns = sns_client
        self._sender = sender

    def send(self, sms: Sms) -> None:
        self._sns.publish(PhoneNumber=sms.to, Message=sms.text, MessageAttributes={
            "AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": self._sender.sms_type},
            "AWS.SNS.SMS.SenderID": {"DataType": "String", "StringValue": self._sender.sender_id}})
