"""moto, in-process, called from several threads at once (the NEPH tests and bench): DynamoDB
applies each call whole and in isolation; moto does not (it can apply half a refused transaction,
and a read can see an item half-written). One lock gives moto DynamoDB's guarantee; the reads,
and the order in which the calls arrive, still interleave."""
from __future__ import annotations

import threading
from typing import Any

LOCK = threading.Lock()


class IsolatedClient:
    """A boto3 client whose every call is applied whole."""

    def __init__(self, client: Any):
        self._client = client

    def __getattr__(self, name: str) -> Any:
        call = getattr(self._client, name)

        def isolated(*args: Any, **kwargs: Any) -> Any:
            with LOCK:
                return call(*args, **kwargs)
        return isolated
