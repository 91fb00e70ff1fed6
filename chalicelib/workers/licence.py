"""Scheduled steps of the licence's way: 15 days at the post office, then "Retourné"; a warning
before the 6 months to ask for a resend end; then "Détruit" (chalicelib.services.licence)."""
from __future__ import annotations

from chalice import Blueprint, Rate

from chalicelib.adapters import wiring
from chalicelib.workers.schedule import out_of_time

blueprint = Blueprint(__name__)


@blueprint.schedule(Rate(1, unit=Rate.HOURS))
def advance_licences(event):
    return wiring.licences_service().advance(out_of_time(event))
