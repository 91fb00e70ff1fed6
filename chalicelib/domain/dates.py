"""Calendar arithmetic the rules share: months added as people count them, and the day in France
(what a date printed on a document or a deadline in a message means)."""
from __future__ import annotations

import re
from calendar import monthrange
from datetime import date, datetime
from typing import Annotated, TypeVar
from zoneinfo import ZoneInfo

from pydantic import AfterValidator, BeforeValidator

PARIS = ZoneInfo("Europe/Paris")
Day = TypeVar("Day", date, datetime)


def add_months(moment: Day, months: int) -> Day:
    """The same day `months` later (the month's last day when it has fewer days); a date or a
    date-time, whose time of day is kept."""
    month = moment.month - 1 + months
    year, month = moment.year + month // 12, month % 12 + 1
    return moment.replace(year=year, month=month, day=min(moment.day, monthrange(year, month)[1]))


def paris_day(moment: datetime) -> date:
    """The day it is in France at `moment` (an aware date-time)."""
    return moment.astimezone(PARIS).date()


def _iso_day(value: object) -> object:
    """A day given as anything but AAAA-MM-JJ (a number of seconds, "86400", "1/1/2006") is
    refused rather than read as something else: pydantic alone would take 0 for 1970-01-01."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not _ISO_DAY.fullmatch(value):
        raise ValueError("Ce champ doit être une date au format AAAA-MM-JJ (par exemple 2006-07-14).")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError("Cette date n'existe pas : vérifiez le jour et le mois.") from None


_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# The type of every day a form sends: an ISO string, nothing else.
IsoDate = Annotated[date, BeforeValidator(_iso_day)]


def _clock_time(value: str) -> str:
    if not _CLOCK_TIME.fullmatch(value):
        raise ValueError("Une heure s'écrit HH:MM, par exemple 08:30.")
    return value


_CLOCK_TIME = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9]")
# A time of day a form sends (a slot's start, a convocation), Paris time: HH:MM, nothing else.
ClockTime = Annotated[str, AfterValidator(_clock_time)]
