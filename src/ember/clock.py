"""The injectable clock.

The server reads time through a Clock; tests swap in a ManualClock so expiry can be tested
without sleeping.  Handlers read the per-command frozen time from ``server.now_ms`` (set by
dispatch before each command), never from the clock directly, so one command sees one instant.
"""

import time


class Clock:
    __slots__ = ()

    def time(self) -> float:
        return time.time()

    def ms(self) -> int:
        return int(time.time() * 1000)

    def monotonic(self) -> float:
        return time.monotonic()


class ManualClock(Clock):
    """A clock that only moves when told to (for tests)."""

    __slots__ = ("_t",)

    def __init__(self, start: float = 1_700_000_000.0):
        self._t = start

    def time(self) -> float:
        return self._t

    def ms(self) -> int:
        return int(self._t * 1000)

    def monotonic(self) -> float:
        return self._t

    def advance(self, seconds: float) -> None:
        self._t += seconds

    def set(self, t: float) -> None:
        self._t = t
