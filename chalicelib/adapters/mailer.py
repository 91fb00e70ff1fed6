"""Sending emails through SES, from the product's address and through its configuration set
(bounces and complaints are suppressed there)."""
from __future__ import annotations

from typing import Any

from chalicelib.domain.emails import Email


class SesMailer:
    def __init__(self, ses_client: Any, sender: str, configuration_set: str | None) -> None:
        self._ses = ses_client
        self._sender = sender
        self._configuration_set = configuration_set

    def send(self, email: Email) -> None:
        kwargs: dict[str, Any] = {
            "Source": f"Permis en ligne <{self._sender}>",
            "Destination": {"ToAddresses": [email.to]},
            "Message": {"Subject": {"Data": email.subject, "Charset": "UTF-8"},
                        "Body": {"Text": {"Data": email.text, "Charset": "UTF-8"},
                                 "Html": {"Data": email.html, "Charset": "UTF-8"}}},
        }
        if self._configuration_set:
            kwargs["ConfigurationSetName"] = self._configuration_set
        self._ses.send_email(**kwargs)
