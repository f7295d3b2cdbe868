"""Broken barriers that only a wide enough input space catches: each is
:class:`~.correct.DrainingBarrier` with ONE seeded bug in how it treats a constructor
argument, a class of timeout value, or the scope (parties, rounds).

``INPUT_SPACE`` maps each class to the property that must reject it and the
:class:`~barrierspec.conformance.InputSpace` dimension its bug needs: with that dimension
switched off the barrier passes the property, with it on the property fails
(``tests/conformance/test_input_space.py``).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable

from .correct import AsyncDrainingBarrier, DrainingBarrier


class DefaultTimeoutIgnoredBarrier(DrainingBarrier):
    """Bug: the constructor's default ``timeout`` is dropped, so ``wait()`` with no timeout
    blocks forever where it must break after the default. Dimension: default timeouts."""

    def __init__(
        self, parties: int, action: Callable[[], object] | None = None, timeout: float | None = None
    ) -> None:
        super().__init__(parties, action, None)


class ZeroTimeoutAsNoneBarrier(DrainingBarrier):
    """Bug: ``wait(0)`` is taken as "no timeout" (``timeout or default``), so it blocks
    instead of breaking at once. Dimension: timeout values."""

    def wait(self, timeout: float | None = None) -> int:
        return super().wait(timeout or None)


class DefaultBeatsExplicitBarrier(DrainingBarrier):
    """Bug: the constructor's default timeout wins over the wait's own, so ``wait(t)`` on a
    barrier built with a default expires after the default, not after ``t``.
    Dimension: default timeouts."""

    def wait(self, timeout: float | None = None) -> int:
        return super().wait(self._timeout if self._timeout is not None else timeout)


class ManyPartiesDuplicateIndexBarrier(DrainingBarrier):
    """Bug: with five or more parties the last arrival gets index 0, which the first arrival
    also got. Dimension: scope (parties >= 5)."""

    def _arrive(self) -> int:
        index = super()._arrive()
        return 0 if self._parties >= 5 and index == self._parties - 1 else index


class FourthRoundDuplicateIndexBarrier(DrainingBarrier):
    """Bug: from the fourth round on the last arrival gets index 0, which the first arrival
    also got. Dimension: scope (rounds >= 4)."""

    def _arrive(self) -> int:
        index = super()._arrive()
        return 0 if self._rounds >= 3 and index == self._parties - 1 else index


class MissingActionCalledBarrier(DrainingBarrier):
    """Bug: the action is called even when none was given, so a barrier built without one
    fails every trip with ``TypeError``. Dimension: the action absent."""

    def _run_action(self) -> None:
        self._action()  # type: ignore[misc]


class SlowActionTimesOutBarrier(DrainingBarrier):
    """Bug: the last arrival's own timeout keeps running while it runs the action, so an
    action that outlasts that timeout breaks a round that has filled (everyone gets
    BrokenBarrierError). CPython's timeout bounds only the wait for the round to fill: once
    the last party arrives the round trips, however long the action takes.
    Dimension: the action takes time."""

    def wait(self, timeout: float | None = None) -> int:
        # no __init__ of its own: super().__init__ would build real primitives under control
        timeouts: dict[int, float | None] = self.__dict__.setdefault("_timeouts", {})
        timeouts[threading.get_ident()] = self._timeout if timeout is None else timeout
        return super().wait(timeout)

    def _run_action(self) -> None:
        started = time.monotonic()
        super()._run_action()
        timeout = self.__dict__["_timeouts"].get(threading.get_ident())
        if timeout is not None and time.monotonic() - started > timeout:
            raise threading.BrokenBarrierError("timed out while the action ran")


class AsyncTimedBarrier(AsyncDrainingBarrier):
    """Correct: :class:`~.correct.AsyncDrainingBarrier` with a timeout of its own,
    ``wait(timeout)``: a task still waiting after ``timeout`` seconds withdraws and raises
    TimeoutError (asyncio's rule for a task that gives up); ``wait(0)`` times out at once."""

    async def wait(self, timeout: float | None = None) -> int:  # type: ignore[override]
        limit = self._limit(timeout)
        if limit is None:
            return await super().wait()
        async with asyncio.timeout(limit):
            return await super().wait()

    def _limit(self, timeout: float | None) -> float | None:
        return timeout


class AsyncOwnTimeoutIgnoredBarrier(AsyncTimedBarrier):
    """Bug: ``wait(timeout)`` accepts its own timeout and ignores it, so a timed task waits
    until released, possibly forever; ``asyncio.timeout`` from outside still works.
    Dimension: the async barrier's own timeout parameter."""

    def _limit(self, timeout: float | None) -> float | None:
        return None


class AsyncOwnZeroAsNoneBarrier(AsyncTimedBarrier):
    """Bug: its own ``wait(0)`` is taken as "no timeout" (``timeout or None``), so it blocks
    instead of timing out at once; ``wait(t)`` with ``t > 0`` works.
    Dimension: timeout values (``wait(0)``) through the barrier's own timeout."""

    def _limit(self, timeout: float | None) -> float | None:
        return timeout or None


class AsyncZeroTimeoutLeakBarrier(AsyncDrainingBarrier):
    """Bug: ``wait()`` reserves its slot, then yields once before it takes the barrier's
    lock, and a cancellation at that yield leaves the slot reserved: the next round is
    released one arrival early. ``asyncio.timeout(0)`` lands exactly there; a positive
    timeout (or a cancel) lands while the task waits for the round, which is handled.
    Dimension: timeout values (``wait(0)`` under ``asyncio.timeout``)."""

    async def wait(self) -> int:
        self._count += 1  # the reservation
        await asyncio.sleep(0)  # let the tasks woken before it run first
        self._count -= 1
        return await super().wait()


__all__ = [
    "AsyncOwnTimeoutIgnoredBarrier",
    "AsyncOwnZeroAsNoneBarrier",
    "AsyncTimedBarrier",
    "AsyncZeroTimeoutLeakBarrier",
    "DefaultBeatsExplicitBarrier",
    "DefaultTimeoutIgnoredBarrier",
    "FourthRoundDuplicateIndexBarrier",
    "ManyPartiesDuplicateIndexBarrier",
    "MissingActionCalledBarrier",
    "SlowActionTimesOutBarrier",
    "ZeroDefaultTimeoutRejectedBarrier",
    "ZeroTimeoutAsNoneBarrier",
]


class ZeroDefaultTimeoutRejectedBarrier(DrainingBarrier):
    """Bug: a constructor default ``timeout=0`` is rejected with ``ValueError``, though the
    docs allow any default timeout (and ``0`` breaks at once). Dimension: default timeouts."""

    def __init__(
        self, parties: int, action: Callable[[], object] | None = None, timeout: float | None = None
    ) -> None:
        if timeout is not None and timeout <= 0:
            raise ValueError(f"timeout must be > 0, got {timeout!r}")
        super().__init__(parties, action, timeout)


class ReentrantLostAbortBarrier(threading.Barrier):
    """Bug (multiprocessing's, on threads): the condition's lock is reentrant, so an
    ``abort()`` or ``reset()`` called from the action re-enters, and ``_release`` then sets
    the state to draining anyway: the round is released and the abort or reset is lost.
    Under a contract that defines the call (``reentry=breaks-round``) every party of the
    round must raise BrokenBarrierError. Dimension: an action that calls back."""

    def __init__(
        self, parties: int, action: Callable[[], None] | None = None, timeout: float | None = None
    ) -> None:
        super().__init__(parties, action, timeout)
        self._cond = threading.Condition(threading.RLock())


class ZeroPartiesBarrier(DrainingBarrier):
    """A correct barrier that accepts ``parties=0`` (aiologic's choice): it never trips, a
    wait on it ends only by its timeout or ``abort()``."""

    def _validate(self, parties: int) -> None:
        if not isinstance(parties, int) or parties < 0:
            raise ValueError(f"parties must be an int >= 0, got {parties!r}")


class ZeroPartiesAbortIgnoredBarrier(ZeroPartiesBarrier):
    """Bug: ``abort()`` on a barrier of no parties does nothing ("nobody can be waiting"),
    so its waiters stay blocked and later waits block too. Argument validation, which only
    times a lone wait out, does not see it. Dimension: the scope (``parties=0``)."""

    def abort(self) -> None:
        if self._parties:
            super().abort()
