"""Correct barriers of different designs, which the conformance suite must accept.

* :class:`DrainingBarrier` -- threading.Barrier's contract with CPython's design: the phases
  filling, draining, resetting and broken; a newcomer blocks while the previous round drains.
  Its steps are small methods so that ``threading_style`` can seed one bug per subclass.
* :class:`RoundBarrier` -- the same contract with a fresh round object per round: a newcomer
  joins the next round at once, even while the previous one drains (the contract is silent
  there, so both designs conform).
* :class:`AsyncDrainingBarrier` -- asyncio.Barrier's contract; unlike CPython (gh-155233) a
  cancelled waiter gives its index back, so indices stay distinct within a round.
* :class:`NamedBarriers` -- a Grinder-style registry of named, dynamic-membership barriers.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable

from barrierspec.errors import CancelledBarrierError, InvalidOperationError

FILLING, DRAINING, RESETTING, BROKEN = "filling", "draining", "resetting", "broken"


def _check_parties(parties: int) -> None:
    if not isinstance(parties, int) or parties < 1:
        raise ValueError(f"parties must be an int >= 1, got {parties!r}")


class DrainingBarrier:
    """threading.Barrier's semantics, CPython's four-phase design (see the module docstring)."""

    def __init__(
        self, parties: int, action: Callable[[], object] | None = None, timeout: float | None = None
    ) -> None:
        self._validate(parties)
        self._parties = parties
        self._action = action
        self._timeout = timeout
        self._cond = threading.Condition(threading.Lock())
        self._state = FILLING
        self._count = 0  # parties inside wait(), released-but-not-left included
        self._rounds = 0

    def _validate(self, parties: int) -> None:
        _check_parties(parties)

    def wait(self, timeout: float | None = None) -> int:
        """Block until ``parties`` threads wait; return this thread's arrival index."""
        if timeout is None:
            timeout = self._timeout
        with self._cond:
            self._enter()
            index = self._arrive()
            try:
                if self._release_ready():
                    self._trip()
                else:
                    self._wait_for_release(timeout)
                return index
            finally:
                self._count -= 1
                self._exit()

    def _enter(self) -> None:
        """Wait out a draining or resetting round; refuse a broken barrier."""
        while self._state in (DRAINING, RESETTING):
            self._cond.wait()
        if self._state == BROKEN:
            raise threading.BrokenBarrierError

    def _arrive(self) -> int:
        """Count this arrival; its index is the number of parties already inside."""
        index = self._count
        self._count += 1
        return index

    def _release_ready(self) -> bool:
        return self._count == self._parties

    def _trip(self) -> None:
        """Run the action, then release the round (or break it if the action raised)."""
        try:
            self._run_action()
        except BaseException:
            self._break()
            raise
        self._state = DRAINING
        self._rounds += 1
        self._wake_all()

    def _run_action(self) -> None:
        if self._action is not None:
            self._action()

    def _wake_all(self) -> None:
        self._cond.notify_all()

    def _wait_for_release(self, timeout: float | None) -> None:
        if not self._cond.wait_for(lambda: self._state != FILLING, timeout):
            self._on_timeout()
        if self._state in (BROKEN, RESETTING):
            raise threading.BrokenBarrierError

    def _on_timeout(self) -> None:
        self._break()
        raise threading.BrokenBarrierError

    def _break(self) -> None:
        self._state = BROKEN
        self._cond.notify_all()

    def _exit(self) -> None:
        """The last party out of a released or reset round opens the next round."""
        if self._count == 0 and self._state in (DRAINING, RESETTING):
            self._state = FILLING
            self._cond.notify_all()

    def reset(self) -> None:
        """Break the current waiters (BrokenBarrierError), then start afresh; repairs broken."""
        with self._cond:
            if self._count > 0:
                if self._state in (FILLING, BROKEN):
                    self._state = RESETTING
            else:
                self._state = FILLING
            self._cond.notify_all()

    def abort(self) -> None:
        """Break the barrier for current and future callers until reset()."""
        with self._cond:
            self._break()

    @property
    def parties(self) -> int:
        return self._parties

    @property
    def n_waiting(self) -> int:
        return self._count if self._state == FILLING else 0

    @property
    def broken(self) -> bool:
        return self._state == BROKEN


class _Round:
    """One round of a RoundBarrier: its arrivals and how it ended."""

    def __init__(self) -> None:
        self.arrived = 0
        self.released = False
        self.broken = False


class RoundBarrier:
    """threading.Barrier's contract with a fresh round object per round (no draining phase)."""

    def __init__(
        self, parties: int, action: Callable[[], object] | None = None, timeout: float | None = None
    ) -> None:
        _check_parties(parties)
        self._parties = parties
        self._action = action
        self._timeout = timeout
        self._cond = threading.Condition()
        self._round = _Round()
        self._broken = False

    def wait(self, timeout: float | None = None) -> int:
        """Block until ``parties`` threads wait; return this thread's arrival index."""
        if timeout is None:
            timeout = self._timeout
        with self._cond:
            if self._broken:
                raise threading.BrokenBarrierError
            current = self._round
            index = current.arrived
            current.arrived += 1
            if current.arrived == self._parties:
                try:
                    if self._action is not None:
                        self._action()
                except BaseException:
                    self._break_locked()
                    raise
                current.released = True
                self._round = _Round()
                self._cond.notify_all()
                return index
            done = self._cond.wait_for(lambda: current.released or current.broken, timeout)
            if not done:
                self._break_locked()
            if current.broken:
                raise threading.BrokenBarrierError
            return index

    def _break_locked(self) -> None:
        self._broken = True
        self._round.broken = True
        self._cond.notify_all()

    def abort(self) -> None:
        """Break the barrier for current and future callers until reset()."""
        with self._cond:
            self._break_locked()

    def reset(self) -> None:
        """Break the current waiters, then start a fresh round; repairs a broken barrier."""
        with self._cond:
            self._round.broken = True
            self._round = _Round()
            self._broken = False
            self._cond.notify_all()

    @property
    def parties(self) -> int:
        return self._parties

    @property
    def n_waiting(self) -> int:
        return 0 if self._broken else self._round.arrived

    @property
    def broken(self) -> bool:
        return self._broken


class AsyncDrainingBarrier:
    """asyncio.Barrier's semantics; a cancelled waiter gives its index and its slot back."""

    def __init__(self, parties: int) -> None:
        _check_parties(parties)
        self._parties = parties
        self._cond = asyncio.Condition()
        self._state = FILLING
        self._count = 0
        self._taken: set[int] = set()  # indices handed out in the current round

    async def wait(self) -> int:
        """Wait until ``parties`` tasks wait; return this task's arrival index.

        Cancelled while filling: the arrival is withdrawn (index and slot given back), the
        barrier is not broken. Cancelled after release: CancelledError instead of the index.
        """
        async with self._cond:
            await self._enter()
            index = self._arrive()
            try:
                if self._count == self._parties:
                    self._state = DRAINING
                    self._wake_all()
                else:
                    await self._wait_for_release()
                return index
            except asyncio.CancelledError:
                if self._state == FILLING:
                    self._withdraw(index)
                raise
            finally:
                self._count -= 1
                self._exit()

    async def _enter(self) -> None:
        await self._cond.wait_for(lambda: self._state not in (DRAINING, RESETTING))
        if self._state == BROKEN:
            raise asyncio.BrokenBarrierError("Barrier aborted")

    def _arrive(self) -> int:
        index = min(set(range(self._parties + 1)) - self._taken)
        self._taken.add(index)
        self._count += 1
        return index

    def _withdraw(self, index: int) -> None:
        """A waiter cancelled while filling gives its index back (its count goes in exit)."""
        self._taken.discard(index)

    def _wake_all(self) -> None:
        self._cond.notify_all()

    async def _wait_for_release(self) -> None:
        await self._cond.wait_for(lambda: self._state != FILLING)
        if self._state in (BROKEN, RESETTING):
            raise asyncio.BrokenBarrierError("Abort or reset of barrier")

    def _exit(self) -> None:
        if self._count == 0:
            if self._state in (DRAINING, RESETTING):
                self._state = FILLING
            if self._state == FILLING:
                self._taken.clear()
            self._cond.notify_all()

    def _break(self) -> None:
        self._state = BROKEN
        self._cond.notify_all()

    async def reset(self) -> None:
        """Break the current waiters, then start afresh; repairs a broken barrier."""
        async with self._cond:
            if self._count > 0:
                if self._state != RESETTING:
                    self._state = RESETTING
            else:
                self._state = FILLING
                self._taken.clear()
            self._cond.notify_all()

    async def abort(self) -> None:
        """Break the barrier for current and future callers until reset()."""
        async with self._cond:
            self._break()

    @property
    def parties(self) -> int:
        return self._parties

    @property
    def n_waiting(self) -> int:
        return self._count if self._state == FILLING else 0

    @property
    def broken(self) -> bool:
        return self._state == BROKEN


class _Group:
    def __init__(self) -> None:
        self.members = 0
        self.waiting: set[NamedBarrier] = set()
        self.generation = 0


class NamedBarrier:
    """One member of a named barrier; made by :meth:`NamedBarriers.barrier`."""

    def __init__(self, registry: NamedBarriers, group: _Group) -> None:
        self._registry = registry
        self._group = group
        self._cancelled = False
        self._waiting = False

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until every live member of the name waits: True; False if ``timeout``
        elapsed first (the member is then cancelled). CancelledBarrierError if cancelled."""
        cond = self._registry._cond
        with cond:
            if self._cancelled:
                raise CancelledBarrierError("Barrier is cancelled")
            if self._waiting:
                raise InvalidOperationError("another thread waits on this member")
            group = self._group
            generation = group.generation
            self._waiting = True
            group.waiting.add(self)
            self._registry._check_release(group)
            deadline = None if timeout is None else time.monotonic() + timeout
            try:
                while group.generation == generation:
                    if self._cancelled:
                        raise CancelledBarrierError("Cancelled while waiting")
                    remaining = None if deadline is None else deadline - time.monotonic()
                    if remaining is not None and remaining <= 0:
                        self._cancel_locked()
                        return False
                    cond.wait(remaining)
                return True
            finally:
                self._waiting = False

    def cancel(self) -> None:
        """Withdraw this member (idempotent); may release the others."""
        with self._registry._cond:
            self._cancel_locked()

    def _cancel_locked(self) -> None:
        if self._cancelled:
            return
        self._cancelled = True
        self._group.waiting.discard(self)
        self._group.members -= 1
        self._registry._check_release(self._group)
        self._registry._cond.notify_all()


class NamedBarriers:
    """A registry of named barriers: N live members of a name trip when all N wait."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._groups: dict[str, _Group] = {}

    def barrier(self, name: str) -> NamedBarrier:
        """A new member of the barrier called ``name``."""
        with self._cond:
            group = self._groups.get(name)
            if group is None or group.members == 0:
                group = self._groups[name] = _Group()
            group.members += 1
            return NamedBarrier(self, group)

    def _check_release(self, group: _Group) -> None:
        if group.members > 0 and len(group.waiting) == group.members:
            group.generation += 1
            group.waiting.clear()
            self._cond.notify_all()
