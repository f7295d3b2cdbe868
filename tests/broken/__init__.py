"""Deliberately broken barriers the conformance suite must reject, and correct ones it must
accept.

``BROKEN`` maps each broken class to the property that must catch it (the one its docstring
names); ``CORRECT`` lists the correct designs. Modules: ``correct`` (two threading-style
designs, one asyncio-style, a named registry), ``threading_style`` and ``asyncio_style``
(one seeded bug per class), ``window_style`` (bugs visible only while a released party is
held inside ``wait()``: the controlled driver's schedules reach them).
"""

from __future__ import annotations

from . import asyncio_style as a
from . import correct as c
from . import threading_style as t
from . import window_style as w

BROKEN: dict[type, str] = {
    t.DuplicateIndexBarrier: "arrival index",
    t.IndexOutOfRangeBarrier: "arrival index",
    t.EarlyReleaseBarrier: "release count",
    t.LappingBarrier: "draining",
    t.ActionTwiceBarrier: "single action",
    t.EarlyActionBarrier: "single action",
    t.LateActionBarrier: "single action",
    t.ActionFailureNotBreakingBarrier: "action failure",
    t.TimeoutIgnoredBarrier: "timeout",
    t.TimeoutNoBreakBarrier: "timeout",
    t.ResetNoWakeBarrier: "reset",
    t.ResetStaysBrokenBarrier: "reset",
    t.AbortOnlyCurrentBarrier: "abort",
    t.BrokenClearsBarrier: "broken stickiness",
    t.NWaitingOffByOneBarrier: "n_waiting",
    t.NoValidationBarrier: "argument validation",
    t.LostWakeupBarrier: "lost wake-ups",
    t.NoDrainWaitBarrier: "draining",
    **w.WINDOW_BROKEN,
    a.AsyncDuplicateIndexAfterCancelBarrier: "arrival index",
    a.CancelStillCountedBarrier: "cancellation",
    a.CancelBreaksBarrier: "cancellation",
    a.AsyncLostWakeupBarrier: "lost wake-ups",
    a.AsyncResetNoWakeBarrier: "reset",
}

CORRECT: tuple[type, ...] = (c.DrainingBarrier, c.RoundBarrier, c.AsyncDrainingBarrier)

__all__ = ["BROKEN", "CORRECT"]
