"""The virtual-clock event loop both asyncio drivers run their participants' tasks on.

Its ``time()`` returns a virtual time that only the driver moves
(:meth:`VirtualClockLoop.set_time`), so ``asyncio.timeout`` and ``wait_for`` deadlines are
exact and fire instantly when the clock passes them; no timer ever becomes due by itself. It
also knows the executor jobs started through it, and watches each one's thread with a
:class:`~barrierspec.adapters._probe.Probe`: a task awaiting a job is blocked only when every
pending job is (its thread blocked, or the job still queued behind blocked ones), seen so
over consecutive looks (:meth:`VirtualClockLoop.wait_outside`). Relies on two attributes
of ``asyncio.BaseEventLoop`` (``_ready``, ``_scheduled``),
stable from 3.11 to 3.13; the tests pin the behaviour.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import sys
import time
from collections.abc import Callable
from typing import Any, Literal, TypeVar, TypeVarTuple

from barrierspec.adapters._probe import Probe

__all__ = ["OUTSIDE_QUIET_LOOKS", "VirtualClockLoop"]

OUTSIDE_QUIET_LOOKS = 5  # consecutive looks, 1 ms apart, that find every pending job blocked
_LOOK = 0.001

_T = TypeVar("_T")
_Ts = TypeVarTuple("_Ts")


class VirtualClockLoop(asyncio.SelectorEventLoop):
    """An event loop whose ``time()`` is virtual: it moves only through :meth:`set_time`.

    It also tracks the executor jobs started through it (``run_in_executor``, hence
    ``asyncio.to_thread``): while one has not handed its result back, the loop is not
    quiescent (:meth:`runnable`) unless the job is blocked (:meth:`wait_outside`).
    """

    def __init__(self) -> None:
        super().__init__()
        self._virtual_now = 0.0
        # executor jobs not handed over yet, each with the probe of the thread running it
        self._outside: list[tuple[asyncio.Future[Any], Probe]] = []

    def run_in_executor(
        self,
        executor: concurrent.futures.Executor | None,
        func: Callable[[*_Ts], _T],
        *args: *_Ts,
    ) -> asyncio.Future[_T]:
        """As asyncio's; the job is tracked, its thread probed while it runs, and it runs in
        a copy of the caller's context (as ``asyncio.to_thread`` does), so a barrier action
        run in the job knows which participant it runs for."""
        probe = Probe()
        context = contextvars.copy_context()

        def probed() -> _T:
            probe.install()
            try:
                return context.run(func, *args)
            finally:
                sys.setprofile(None)

        future = super().run_in_executor(executor, probed)
        self._outside.append((future, probe))
        return future

    def outside_pending(self) -> bool:
        """Whether an executor job started through this loop has not handed over yet."""
        self._outside = [(f, p) for f, p in self._outside if not f.done()]
        return bool(self._outside)

    def wait_outside(self, timeout: float) -> Literal["handed", "blocked", "timeout"]:
        """Wait (real time, at most ``timeout``) for an executor job to hand a callback over
        (``call_soon_threadsafe`` wakes the selector): ``"handed"``; or until every pending
        job looks blocked, with no profile event, over ``OUTSIDE_QUIET_LOOKS`` looks:
        ``"blocked"`` (a job not started yet counts as blocked once every started one is:
        it waits for a worker they hold); ``"timeout"`` otherwise."""
        deadline = time.monotonic() + timeout
        last: tuple[tuple[int, bool], ...] | None = None
        quiet = 0
        while True:
            if self._selector.select(min(_LOOK, timeout)):  # type: ignore[attr-defined]
                return "handed"
            looks = self._looks()
            quiet = quiet + 1 if looks is not None and looks == last else 0
            last = looks
            if quiet >= OUTSIDE_QUIET_LOOKS:
                return "blocked"
            if time.monotonic() >= deadline:
                return "timeout"

    def _looks(self) -> tuple[tuple[int, bool], ...] | None:
        """Each pending job's (event count, started), or None if one of them runs."""
        looks = []
        for future, probe in self._outside:
            if future.done():
                continue
            if probe.thread_id is None:
                looks.append((0, False))
                continue
            seen = probe.observe()
            if not seen.blocked:
                return None
            looks.append((seen.events, True))
        return tuple(looks) if any(started for _, started in looks) else None

    def time(self) -> float:
        return self._virtual_now

    def set_time(self, when: float) -> None:
        """Move the clock forward to ``when`` (never backward)."""
        self._virtual_now = max(self._virtual_now, when)

    def next_timer(self) -> float | None:
        """The deadline of the earliest live timer, or None."""
        handles: list[asyncio.TimerHandle] = self._scheduled  # type: ignore[attr-defined]
        live = [h.when() for h in handles if not h.cancelled()]
        return min(live, default=None)

    def runnable(self) -> bool:
        """Whether any callback is ready, any timer is due at the current time, or an
        executor job is still to hand over."""
        return self.callbacks_due() or self.outside_pending()

    def callbacks_due(self) -> bool:
        """Whether any callback is ready or any timer is due at the current time."""
        if self._ready:  # type: ignore[attr-defined]
            return True
        handles: list[asyncio.TimerHandle] = self._scheduled  # type: ignore[attr-defined]
        horizon = self._virtual_now + self._clock_resolution  # type: ignore[attr-defined]
        return any(h.when() < horizon for h in handles)
