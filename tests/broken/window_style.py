"""Broken barriers whose bug lives in the window between "released" and "returned".

Each bug shows only when a party released inside ``wait()`` is held there while others act,
or when the schedule lets a woken party run first; the observing driver always lets every
released party return first, so it never sees them. ``check()`` reaches them through the
controlled driver's schedules (a ``hold`` instruction, drawn and enumerated schedule
choices), and so does the controlled program runner (``adapters._controlled_programs``,
``tests/adapters/test_controlled_windows.py``). ``WINDOW_BROKEN`` maps each to the property
its bug breaks; ``BROKEN`` includes them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from .correct import DRAINING, FILLING, DrainingBarrier, _check_parties


class ReleaseFlagBarrier:
    """Bug: a round is released by raising a flag, and the next round's first arrival lowers
    it. A released party that has not resumed when a fast party re-enters finds the flag
    down, sleeps again and is lapped: it never returns. Property: draining (every released
    party returns from the round that released it)."""

    def __init__(
        self, parties: int, action: Callable[[], object] | None = None, timeout: float | None = None
    ) -> None:
        _check_parties(parties)
        self.parties = parties
        self._action = action
        self._cond = threading.Condition(threading.Lock())
        self._count = 0
        self._released = False

    def wait(self, timeout: float | None = None) -> int:
        with self._cond:
            self._released = False  # the bug: the previous round may still be draining
            index = self._count
            self._count += 1
            if self._count == self.parties:
                if self._action is not None:
                    self._action()
                self._count = 0
                self._released = True
                self._cond.notify_all()
                return index
            self._cond.wait_for(lambda: self._released, timeout)
            return index

    @property
    def n_waiting(self) -> int:
        return self._count

    @property
    def broken(self) -> bool:
        return False


class DrainingCountedBarrier(DrainingBarrier):
    """Bug: n_waiting counts released parties that have not left yet (it should be 0 while
    the round drains). Property: n_waiting (at most parties - 1; the parties blocked in the
    filling round)."""

    @property
    def n_waiting(self) -> int:
        return self._count if self._state in (FILLING, DRAINING) else 0


class UnlockedActionBarrier(DrainingBarrier):
    """Bug: the round is released, then the action runs with the lock dropped, so the other
    parties can return before it finishes. Property: single action (the action of a round
    ends before any party of that round returns)."""

    def _trip(self) -> None:
        self._state = DRAINING
        self._rounds += 1
        self._wake_all()
        self._cond.release()
        try:
            self._run_action()
        finally:
            self._cond.acquire()


WINDOW_BROKEN: dict[type, str] = {
    ReleaseFlagBarrier: "draining",
    DrainingCountedBarrier: "n_waiting",
    UnlockedActionBarrier: "single action",
}

__all__ = [
    "WINDOW_BROKEN",
    "DrainingCountedBarrier",
    "ReleaseFlagBarrier",
    "UnlockedActionBarrier",
]
