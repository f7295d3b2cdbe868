"""Broken asyncio barriers whose bug lives in a window the FIFO loop never opens.

Each bug shows only while a task released (or woken) inside ``wait()`` has not resumed yet,
or while newcomers are blocked on entry behind a draining round. The observing
:class:`~barrierspec.adapters.AsyncioDriver` runs ready callbacks first in, first out after
each operation, so every released task resumes and leaves before the next operation: it
never sees them. The controlled loop (``adapters._controlled_async_programs``) holds a woken
task while others act, and a cancel can land on it there.
``tests/adapters/test_controlled_async_windows.py`` rejects each under a pinned schedule,
shows it minimal in preemptions and missed by the FIFO driver. ``ASYNC_WINDOW_BROKEN`` maps
each to the property its bug breaks.
"""

from __future__ import annotations

import asyncio

from .correct import DRAINING, FILLING, AsyncDrainingBarrier, _check_parties


class CancelAfterReleaseWithdrawsBarrier:
    """Bug: a cancelled waiter always withdraws its arrival (count - 1, its index given back),
    even when its round was already released and the count belongs to the next round. A task
    cancelled after its release but before it resumes makes the next round hand out a
    negative index and never fill. Property: cancellation (a released task's arrival stands).
    """

    def __init__(self, parties: int) -> None:
        _check_parties(parties)
        self.parties = parties
        self._cond = asyncio.Condition()
        self._arrived = 0  # arrivals in the filling round
        self._generation = 0

    async def wait(self) -> int:
        async with self._cond:
            index = self._arrived
            self._arrived += 1
            if self._arrived == self.parties:
                self._arrived = 0
                self._generation += 1
                self._cond.notify_all()
                return index
            generation = self._generation
            try:
                await self._cond.wait_for(lambda: self._generation != generation)
            except asyncio.CancelledError:
                self._arrived -= 1  # the bug: right while filling, wrong once released
                raise
            return index

    @property
    def n_waiting(self) -> int:
        return self._arrived

    @property
    def broken(self) -> bool:
        return False


class EntryCancelCountedBarrier(AsyncDrainingBarrier):
    """Bug: a newcomer cancelled while it is blocked on entry (the last round still drains)
    is counted out as if it had arrived: the draining round's count drops to zero early, the
    round is declared over while a released task is still inside, and the count goes
    negative when that task leaves. Property: cancellation (a blocked newcomer's cancellation
    changes nothing)."""

    async def _enter(self) -> None:
        try:
            await super()._enter()
        except asyncio.CancelledError:
            self._count -= 1  # the bug: it never arrived
            self._exit()
            raise


class ReleaseFlagAsyncBarrier:
    """Bug: a round is released by raising a flag, and the next round's first arrival lowers
    it. A released task that has not resumed when a fast task re-enters finds the flag down
    and sleeps again: it is lapped and never returns. Property: draining (every released
    task returns from the round that released it)."""

    def __init__(self, parties: int) -> None:
        _check_parties(parties)
        self.parties = parties
        self._cond = asyncio.Condition()
        self._count = 0
        self._released = False

    async def wait(self) -> int:
        async with self._cond:
            self._released = False  # the bug: the previous round may still be draining
            index = self._count
            self._count += 1
            if self._count == self.parties:
                self._count = 0
                self._released = True
                self._cond.notify_all()
                return index
            await self._cond.wait_for(lambda: self._released)
            return index

    @property
    def n_waiting(self) -> int:
        return self._count

    @property
    def broken(self) -> bool:
        return False


class ResetForgetsDrainersBarrier(AsyncDrainingBarrier):
    """Bug: ``reset()`` while a released round still drains reopens the barrier at once and
    forgets the tasks still inside: a released task that has not resumed finds the round
    filling again and sleeps on, and the next arrivals count from zero around it. Property:
    reset (released-but-not-resumed tasks get BrokenBarrierError, or return; never lapped)."""

    async def reset(self) -> None:
        if self._state != DRAINING:
            await super().reset()
            return
        async with self._cond:
            self._state, self._count = FILLING, 0  # the bug: drainers are still inside
            self._taken.clear()
            self._cond.notify_all()


ASYNC_WINDOW_BROKEN: dict[type, str] = {
    CancelAfterReleaseWithdrawsBarrier: "cancellation",
    EntryCancelCountedBarrier: "cancellation",
    ReleaseFlagAsyncBarrier: "draining",
    ResetForgetsDrainersBarrier: "reset",
}

__all__ = [
    "ASYNC_WINDOW_BROKEN",
    "CancelAfterReleaseWithdrawsBarrier",
    "EntryCancelCountedBarrier",
    "ReleaseFlagAsyncBarrier",
    "ResetForgetsDrainersBarrier",
]
