"""Calendar arithmetic the rules share: months added as people count them, and the day in France
(what a date printed on a document or a deadline in a message means)."""
from __future__ import annotations

from calendar import monthrange
from datetime import date, datetime
from typing import TypeVar
from zoneinfo import ZoneInfo

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
