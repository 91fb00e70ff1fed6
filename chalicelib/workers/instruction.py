"""Scheduled work of the instruction queues: a request waiting longer than SQS keeps a message
(14 days) has its message sent again, so that no request ever leaves its queue undecided."""
from __future__ import annotations

from chalice import Blueprint, Rate

from chalicelib.adapters import wiring

blueprint = Blueprint(__name__)


@blueprint.schedule(Rate(1, unit=Rate.DAYS))
def requeue_long_waiting(event):
    return {"requeued": wiring.instruction_service().requeue_long_waiting()}
