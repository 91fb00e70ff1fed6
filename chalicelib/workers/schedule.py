"""What the scheduled jobs share: each drains all that is due, page after page, and stops taking
new items while its function still has time to finish the one in hand; the next run goes on
where it stopped (every job is idempotent: what it did leaves the due index)."""
from __future__ import annotations

from typing import Any, Callable

# Stop taking new items when less than this is left of the function's time (Chalice's 60 s):
# one item is a few calls, well under a second.
MARGIN_MS = 10_000


def out_of_time(event: Any) -> Callable[[], bool]:
    """For a scheduled handler's `event`: true once its Lambda context is nearly out of time;
    never when there is no context (a test or a command calling the handler directly)."""
    context = getattr(event, "context", None)
    if context is None or not hasattr(context, "get_remaining_time_in_millis"):
        return lambda: False
    return lambda: context.get_remaining_time_in_millis() < MARGIN_MS
