"""Broken asyncio-style barriers: each is :class:`~.correct.AsyncDrainingBarrier` with ONE
seeded bug. Each docstring names the bug and the property that must reject it."""

from __future__ import annotations

from .correct import FILLING, RESETTING, AsyncDrainingBarrier


class AsyncDuplicateIndexAfterCancelBarrier(AsyncDrainingBarrier):
    """Bug: the index is the count of waiters at arrival, so after a cancelled waiter gives
    its slot back two tasks of one round share an index (CPython's gh-155233).
    Property: arrival index (distinct within a round)."""

    def _arrive(self) -> int:
        index = self._count
        self._count += 1
        return index

    def _withdraw(self, index: int) -> None:
        """Nothing to give back: indices are not tracked."""


class CancelStillCountedBarrier(AsyncDrainingBarrier):
    """Bug: a waiter cancelled while filling stays counted (a ghost arrival), so the round is
    released one real arrival early. Property: cancellation (the arrival is withdrawn)."""

    def _withdraw(self, index: int) -> None:
        self._count += 1  # undoes the decrement on the way out: the ghost keeps the slot


class CancelBreaksBarrier(AsyncDrainingBarrier):
    """Bug: cancelling a filling waiter breaks the barrier for everyone (threading's timeout
    rule applied to asyncio). Property: cancellation (the barrier stays as it was)."""

    def _withdraw(self, index: int) -> None:
        super()._withdraw(index)
        self._break()


class AsyncLostWakeupBarrier(AsyncDrainingBarrier):
    """Bug: the release wakes one waiter instead of all: the others stay blocked.
    Property: release / lost wake-ups (every party of a round returns)."""

    def _wake_all(self) -> None:
        self._cond.notify(1)


class AsyncResetNoWakeBarrier(AsyncDrainingBarrier):
    """Bug: reset() changes the state but wakes nobody: the waiters stay blocked.
    Property: reset (current waiters get BrokenBarrierError)."""

    async def reset(self) -> None:
        async with self._cond:
            if self._count > 0:
                self._state = RESETTING
            else:
                self._state = FILLING


__all__ = [
    "AsyncDuplicateIndexAfterCancelBarrier",
    "AsyncLostWakeupBarrier",
    "AsyncResetNoWakeBarrier",
    "CancelBreaksBarrier",
    "CancelStillCountedBarrier",
]
