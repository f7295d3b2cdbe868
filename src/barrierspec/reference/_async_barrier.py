"""An asyncio barrier: a drop-in for :class:`asyncio.Barrier`, with an action and timeouts.

State machine
-------------
As in the thread barrier (``_thread_barrier.py``), the barrier holds a current *round*:
``filling`` -> (``acting`` while an async action is awaited) -> ``released``, or ``broken``.
Each filling party awaits a private future; the releaser installs a fresh round and then
resolves the futures, so a released task that comes straight back joins the next round at
once and no lock is needed (every transition runs between two suspension points).

Arrival indices come from a per-round pool: the next never-issued index, or the smallest
index given back by a party that withdrew. A cancelled or timed-out filling party gives its
index back, so the indices of a round that trips are exactly ``range(parties)``, each once.
``asyncio.Barrier`` reissues the *count* instead and hands out duplicates (gh-155233).

Cancellation, by phase (``task.cancel()``, ``asyncio.timeout``, ``asyncio.wait_for``):

* filling: the party withdraws (``n_waiting`` - 1, its index goes back to the pool); the
  barrier is not broken and the others keep waiting. ``CancelledError`` propagates.
* released but not yet resumed: the round stands for everyone else; the cancelled task gets
  ``CancelledError`` instead of its index (as in asyncio).
* blocked as a newcomer while an action runs: nothing changes; ``CancelledError``.
* waiting while an action runs (the round is full): the party's arrival stands, the round
  completes for the others; the task gets ``CancelledError``.
* the last arrival while it awaits an async action: the action did not complete, so the
  round breaks as for a failing action (the others get ``BrokenBarrierError``).

``wait(timeout)`` behaves like cancellation by ``asyncio.wait_for``: a filling party that
gives up withdraws and gets :class:`TimeoutError`; the barrier is not broken.
"""

from __future__ import annotations

import asyncio
import heapq
import inspect
from collections.abc import Callable
from types import TracebackType
from typing import Any

from barrierspec.errors import BrokenBarrierError, InvalidOperationError
from barrierspec.reference._rounds import ACTING as _ACTING
from barrierspec.reference._rounds import BROKEN as _BROKEN
from barrierspec.reference._rounds import FILLING as _FILLING
from barrierspec.reference._rounds import RELEASED as _RELEASED
from barrierspec.reference._rounds import RoundObservers
from barrierspec.reference._validate import check_action, check_parties, check_timeout

__all__ = ["AsyncBarrier"]


class _Round:
    """One generation: issued indices, pending futures, and how it ended."""

    __slots__ = ("actor", "blocked", "count", "free", "issued", "phase", "reason", "waiters")

    def __init__(self) -> None:
        self.phase = _FILLING
        self.count = 0  # arrivals that stand
        self.issued = 0  # indices ever issued in this round
        self.free: list[int] = []  # heap of indices given back by withdrawn parties
        self.waiters: dict[int, asyncio.Future[None]] = {}
        self.blocked: list[asyncio.Future[None]] = []
        self.reason = ""
        self.actor: asyncio.Task[Any] | None = None

    def resolve(self, error: BaseException | None) -> None:
        """Wake every pending party of this round (and blocked newcomers)."""
        for fut in self.waiters.values():
            if not fut.done():
                if error is None:
                    fut.set_result(None)
                else:
                    fut.set_exception(error)
        for fut in self.blocked:
            if not fut.done():
                fut.set_result(None)


class AsyncBarrier(RoundObservers[_Round]):
    """A barrier for a fixed number of asyncio tasks; a drop-in for :class:`asyncio.Barrier`.

    ``await wait()`` suspends until ``parties`` tasks have called it, then all resume and
    each returns a distinct arrival index in ``range(parties)`` (the first arrival of a
    round gets 0), even when waiters are cancelled. ``async with barrier as index`` waits
    on entry. ``round`` counts the rounds that have tripped.

    ``action`` (optional): a callable run once per round by the last arrival before anyone
    is released; if it returns an awaitable, that is awaited. If it raises, the last
    arrival gets the exception, the others ``BrokenBarrierError``, and the barrier is
    broken. An async action may ``await barrier.reset()`` (the round breaks, every party of
    it gets ``BrokenBarrierError``, the barrier fills again) or ``await barrier.abort()``
    (the round breaks and the barrier stays broken); it must not wait on the barrier.

    ``wait(timeout)``: a filling party that is still waiting after ``timeout`` seconds
    withdraws and raises :class:`TimeoutError`; the barrier is not broken (the asyncio
    contract for a party that gives up). Cancellation: see the module docstring; it never
    breaks the barrier except for the last arrival awaiting an action.

    ``reset()`` breaks the current round (its parties get ``BrokenBarrierError``) and
    repairs a broken barrier; ``abort()`` breaks it until ``reset()``. Parties already
    released always get their index. The barrier binds to the event loop of the first
    ``wait()`` that suspends.
    """

    def __init__(
        self,
        parties: int,
        action: Callable[[], Any] | None = None,
    ) -> None:
        self._parties = check_parties(parties)
        self._action = check_action(action)
        self._round = _Round()
        self._rounds = 0
        self._loop: asyncio.AbstractEventLoop | None = None

    async def __aenter__(self) -> int:
        return await self.wait()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None

    def _get_loop(self) -> asyncio.AbstractEventLoop:
        loop = asyncio.get_running_loop()
        if self._loop is None:
            self._loop = loop
        elif self._loop is not loop:
            raise RuntimeError(f"{self!r} is bound to a different event loop")
        return loop

    # ------------------------------------------------------------------ waiting
    async def wait(self, timeout: float | None = None) -> int:
        """Suspend until the round fills; return this task's arrival index.

        Raises ``BrokenBarrierError`` if the barrier is or becomes broken while this task is
        in a filling round, ``TimeoutError`` if ``timeout`` seconds pass first (the task
        withdraws; the barrier stays intact).
        """
        limit = check_timeout(timeout)
        rnd = self._round
        loop = None
        if rnd.phase is not _FILLING:
            loop = self._get_loop()
            deadline = None if limit is None else loop.time() + limit
            rnd = await self._enter_slow(loop, deadline)
            if deadline is not None:
                limit = max(0.0, deadline - loop.time())
        if rnd.free:
            index = heapq.heappop(rnd.free)
        else:
            index = rnd.issued
            rnd.issued = index + 1
        rnd.count += 1
        if rnd.count == self._parties:
            return await self._trip(rnd, index)
        loop = loop or self._get_loop()
        fut: asyncio.Future[None] = loop.create_future()
        rnd.waiters[index] = fut
        timer = None if limit is None else loop.call_later(limit, self._expire, rnd, index, limit)
        try:
            await fut
        except asyncio.CancelledError:
            if not fut.done() or fut.cancelled():
                self._withdraw(rnd, index)
            raise
        finally:
            if timer is not None:
                timer.cancel()
        return index

    async def _enter_slow(self, loop: asyncio.AbstractEventLoop, deadline: float | None) -> _Round:
        """Wait until the current round is filling; raise if the barrier is broken."""
        rnd = self._round
        while rnd.phase is not _FILLING:
            if rnd.phase is _BROKEN:
                raise BrokenBarrierError(f"barrier is broken ({rnd.reason}); call reset()")
            if rnd.actor is asyncio.current_task():
                raise InvalidOperationError(
                    "wait() called from the barrier's own action: it would wait for itself"
                )
            gate: asyncio.Future[None] = loop.create_future()
            rnd.blocked.append(gate)
            try:
                if deadline is None:
                    await gate
                else:
                    await asyncio.wait_for(gate, max(0.0, deadline - loop.time()))
            finally:
                if gate in rnd.blocked:
                    rnd.blocked.remove(gate)
            rnd = self._round
        return rnd

    def _withdraw(self, rnd: _Round, index: int) -> None:
        """A filling party leaves: give its index back. No-op once the round is full."""
        if rnd.phase is _FILLING and rnd.waiters.pop(index, None) is not None:
            rnd.count -= 1
            heapq.heappush(rnd.free, index)
            assert rnd.count == rnd.issued - len(rnd.free) == len(rnd.waiters)

    def _expire(self, rnd: _Round, index: int, limit: float) -> None:
        fut = rnd.waiters.get(index)
        if fut is not None and not fut.done() and rnd.phase is _FILLING:
            self._withdraw(rnd, index)
            fut.set_exception(
                TimeoutError(f"barrier wait timed out after {limit:g} s; the party withdrew")
            )

    async def _trip(self, rnd: _Round, index: int) -> int:
        """Last arrival: run (and await) the action, then release the round."""
        action = self._action
        if action is not None:
            rnd.phase = _ACTING
            rnd.actor = asyncio.current_task()
            try:
                result = action()
                if inspect.isawaitable(result):
                    await result
            except BaseException as exc:
                if rnd.phase is _ACTING:
                    self._break(rnd, f"the action raised {exc!r}")
                raise
            if rnd.phase is not _ACTING:
                raise BrokenBarrierError(rnd.reason)
        assert rnd.count == self._parties
        rnd.phase = _RELEASED
        self._round = _Round()
        self._rounds += 1
        rnd.resolve(None)
        return index

    def _break(self, rnd: _Round, reason: str) -> None:
        assert rnd is self._round and rnd.phase in (_FILLING, _ACTING)
        rnd.phase = _BROKEN
        rnd.reason = reason
        rnd.resolve(BrokenBarrierError(reason))

    # ------------------------------------------------------------ reset and abort
    async def reset(self) -> None:
        """Return the barrier to an empty, filling round.

        Parties of the current round get ``BrokenBarrierError``; a broken barrier is
        repaired. Released parties are unaffected. Never suspends.
        """
        rnd = self._round
        if rnd.phase is _FILLING and rnd.count == 0:
            return
        if rnd.phase is not _BROKEN:
            self._break(rnd, "the barrier was reset")
        self._round = _Round()

    async def abort(self) -> None:
        """Break the barrier: current parties and every later ``wait()`` get
        ``BrokenBarrierError`` until ``reset()``. Idempotent; never suspends."""
        if self._round.phase is not _BROKEN:
            self._break(self._round, "the barrier was aborted")
