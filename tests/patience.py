"""How long a test waits, scaled to the machine it runs on now.

Every wait in the suite is for a condition, with a deadline; the figure a test writes is what an idle
machine needs with room to spare. On a busy machine (another suite beside this one, the workers of
this one) everything is slower in proportion to how many runnable processes share each core, so the
deadline grows with the load average, read when the wait starts. PERMIS_TEST_PATIENCE forces the
factor (e.g. 3 on a machine known to be slow)."""
from __future__ import annotations

import os

# Beyond this the machine is not busy but stuck: a test should fail rather than wait forever.
MAX_FACTOR = 4.0


def factor() -> float:
    forced = os.environ.get("PERMIS_TEST_PATIENCE")
    if forced:
        return float(forced)
    busy = os.getloadavg()[0] / (os.cpu_count() or 1)
    return min(MAX_FACTOR, max(1.0, busy))


def seconds(idle: float) -> float:
    """The deadline, in seconds, for a wait that takes at most `idle` seconds on an idle machine."""
    return idle * factor()


def ms(idle: float) -> int:
    """The same for Playwright, which counts in milliseconds."""
    return int(idle * factor())
