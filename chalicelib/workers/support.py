"""Support desk's scheduled job: the one-week promise tracked. Tickets still unanswered seven days
after they were opened are found through a sparse due-time index (no Scan) and recorded as breached,
once each (support.promise_breached, counted by the statistics). The answer's email is the emails
worker's (support.ticket_answered, relayed by workers/outbox.py)."""
from __future__ import annotations

from chalice import Blueprint, Rate

from chalicelib.adapters import wiring
from chalicelib.workers.schedule import out_of_time

blueprint = Blueprint(__name__)


@blueprint.schedule(Rate(1, unit=Rate.HOURS))
def breach_support_promises(event):
    return wiring.support().breach_promises(out_of_time(event))
