"""The virtual-clock event loop both asyncio drivers run their participants' tasks on.

Its ``time()`` returns a virtual time that only the driver moves
(:meth:`VirtualClockLoop.set_time`), so ``asyncio.timeout`` and ``wait_for`` deadlines are
exact and fire instantly when the clock passes them; no timer ever becomes due by itself. It
also knows the executor jobs started through it, so a task awaiting one is never taken for
blocked. Relies on two attributes of ``asyncio.BaseEventLoop`` (``_ready``, ``_scheduled``),
stable from 3.11 to 3.13; the tests pin the behaviour.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Callable
from typing import Any, TypeVar, TypeVarTuple

__all__ = ["VirtualClockLoop"]

_T = TypeVar("_T")
_Ts = TypeVarTuple("_Ts")


class VirtualClockLoop(asyncio.SelectorEventLoop):
    """An event loop whose ``time()`` is virtual: it moves only through :meth:`set_time`.

    It also tracks the executor jobs started through it (``run_in_executor``, hence
    ``asyncio.to_thread``): while one has not handed its result back, the loop is not
    quiescent (:meth:`runnable`), so a task awaiting it is never taken for blocked.
    """

    def __init__(self) -> None:
        super().__init__()
        self._virtual_now = 0.0
        self._outside: list[asyncio.Future[Any]] = []  # executor jobs not handed over yet

    def run_in_executor(
        self,
        executor: concurrent.futures.Executor | None,
        func: Callable[[*_Ts], _T],
        *args: *_Ts,
    ) -> asyncio.Future[_T]:
        """As asyncio's; the job is tracked (see the class docstring)."""
        future = super().run_in_executor(executor, func, *args)
        self._outside.append(future)
        return future

    def outside_pending(self) -> bool:
        """Whether an executor job started through this loop has not handed over yet."""
        self._outside = [f for f in self._outside if not f.done()]
        return bool(self._outside)

    def wait_outside(self, timeout: float) -> bool:
        """Block (real time, at most ``timeout``) until another thread hands a callback
        over (``call_soon_threadsafe`` wakes the selector); False if none came."""
        return bool(self._selector.select(timeout))  # type: ignore[attr-defined]

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
