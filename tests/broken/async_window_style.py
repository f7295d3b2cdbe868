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


class GenerationAsyncBarrier:
    """A correct asyncio barrier of another design than CPython's: a generation counter,
    bumped by the last arrival, releases a round; newcomers join the next round at once. A
    waiter cancelled while its round fills gives its index and its slot back."""

    def __init__(self, parties: int) -> None:
        _check_parties(parties)
        self.parties = parties
        self._cond = asyncio.Condition()
        self._arrived = 0  # arrivals in the filling round
        self._taken: set[int] = set()  # their indices
        self._generation = 0

    def _arrive(self) -> int:
        index = min(set(range(self.parties)) - self._taken)
        self._taken.add(index)
        self._arrived += 1
        return index

    def _withdraw(self, index: int) -> None:
        self._arrived -= 1
        self._taken.discard(index)

    def _trip(self) -> None:
        self._arrived = 0
        self._taken.clear()
        self._generation += 1
        self._cond.notify_all()

    async def wait(self) -> int:
        async with self._cond:
            index = self._arrive()
            if self._arrived == self.parties:
                self._trip()
                return index
            generation = self._generation
            try:
                await self._sleep(generation)
            except asyncio.CancelledError:
                self._cancelled(generation, index)
                raise
            return index

    async def _sleep(self, generation: int) -> None:
        await self._cond.wait_for(lambda: self._generation != generation)

    def _cancelled(self, generation: int, index: int) -> None:
        if generation == self._generation:  # still filling: withdraw
            self._withdraw(index)

    @property
    def n_waiting(self) -> int:
        return self._arrived

    @property
    def broken(self) -> bool:
        return False


class CancelAfterReleaseWithdrawsBarrier(GenerationAsyncBarrier):
    """Bug: a cancelled waiter always withdraws its arrival (count - 1, its index given back),
    even when its round was already released and the count belongs to the next round. A task
    cancelled after its release but before it resumes makes the next round lose an arrival
    (and free an index in use). Property: n_waiting (it reads -1 right after that cancel;
    the cancellation property's program for it is longer: the next round never fills).
    """

    def _cancelled(self, generation: int, index: int) -> None:
        self._withdraw(index)  # the bug: right while filling, wrong once released


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


class ReleaseFlagAsyncBarrier(GenerationAsyncBarrier):
    """Bug: waiters sleep until a release flag is up; the last arrival raises it, and the
    next round's first arrival lowers it. A released task that has not resumed when a fast
    task re-enters finds the flag down and sleeps again: it is lapped and never returns.
    Property: draining (every released task returns from the round that released it)."""

    def __init__(self, parties: int) -> None:
        super().__init__(parties)
        self._released = False

    def _arrive(self) -> int:
        self._released = False  # the bug: the previous round may still be draining
        return super()._arrive()

    def _trip(self) -> None:
        self._released = True
        super()._trip()

    async def _sleep(self, generation: int) -> None:
        await self._cond.wait_for(lambda: self._released)


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
    CancelAfterReleaseWithdrawsBarrier: "n_waiting",
    EntryCancelCountedBarrier: "cancellation",
    ReleaseFlagAsyncBarrier: "draining",
    ResetForgetsDrainersBarrier: "reset",
}

__all__ = [
    "ASYNC_WINDOW_BROKEN",
    "CancelAfterReleaseWithdrawsBarrier",
    "EntryCancelCountedBarrier",
    "GenerationAsyncBarrier",
    "ReleaseFlagAsyncBarrier",
    "ResetForgetsDrainersBarrier",
]
