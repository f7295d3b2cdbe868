"""An asyncio barrier: a drop-in for :class:`asyncio.Barrier`, with an action and timeouts.

State machine
-------------
CPython's design (``Lib/asyncio/locks.py``), phases as in ``_rounds.py``: ``filling`` ->
(``acting`` while the action runs) -> ``draining`` -> ``filling``, or ``resetting`` /
``broken``. ``count`` counts every task inside ``wait()``. Where the documentation is silent
the barrier makes CPython's choices:

* the arrival index is the arrival order in the round: the first arrival gets 0;
* a newcomer that calls ``wait()`` while the last round drains (or a reset round empties)
  blocks until every party of that round has left, then joins the next round at index 0;
* a released (draining) task checks the barrier when it *resumes*: if ``reset()`` or
  ``abort()`` came first, it raises ``BrokenBarrierError`` although its round tripped; a
  task that already resumed keeps its index. Blocked newcomers survive ``reset()`` (they
  join the next round) but not ``abort()``.

No lock is needed: every transition runs between two suspension points. Each filling task
awaits a private future, resolved by whoever ends the phase. A newcomer without a timeout
that finds the barrier draining (or acting) queues with its future, and the task that ends
the drain *admits* the queue in order: up to ``parties - 1`` newcomers get their indices in
the new round and their futures become its waiters, so they suspend once, not once to be let
in and again in the round; any others are woken to enter by themselves (the first trips the
round). A newcomer with a timeout awaits a gate resolved when the barrier fills again or
breaks, then enters by itself.

The extras, beyond ``asyncio.Barrier``: an ``action`` (sync or async), a per-call
``timeout``, validation, and **distinct indices under cancellation**: a cancelled or
timed-out filling task gives its index back to a per-round pool, and the next arrival takes
the smallest free one, so a round that trips hands out ``range(parties)``, each once
(``asyncio.Barrier`` reissues its count and gives two tasks the same index, gh-155233).

Cancellation, by phase (``task.cancel()``, ``asyncio.timeout``, ``asyncio.wait_for``):

* filling: the task withdraws (``n_waiting`` - 1, its index goes back to the pool); the
  barrier is not broken and the others keep waiting. ``CancelledError`` propagates.
* released but not yet resumed: the task gets ``CancelledError`` instead of its index; the
  round stands for everyone else (as in asyncio).
* blocked as a newcomer: nothing changes; ``CancelledError``.
* waiting while an action runs (the round is full): the arrival stands, the round completes
  for the others; the task gets ``CancelledError``.
* the last arrival while it awaits an async action: the action did not complete, so the
  round breaks as for a failing action (the others get ``BrokenBarrierError``).
"""

from __future__ import annotations

import asyncio
import heapq
import inspect
from collections import deque
from collections.abc import Callable
from types import TracebackType
from typing import Any

from barrierspec.errors import BrokenBarrierError, InvalidOperationError
from barrierspec.reference._rounds import ACTING as _ACTING
from barrierspec.reference._rounds import BROKEN as _BROKEN
from barrierspec.reference._rounds import DRAINING as _DRAINING
from barrierspec.reference._rounds import FILLING as _FILLING
from barrierspec.reference._rounds import RESETTING as _RESETTING
from barrierspec.reference._rounds import PhaseObservers
from barrierspec.reference._validate import check_action, check_parties, check_timeout

__all__ = ["AsyncBarrier", "Barrier"]


class _Pool:
    """The arrival indices of one filling round and the futures of its waiting tasks."""

    __slots__ = ("free", "issued", "waiters")

    def __init__(self) -> None:
        self.issued = 0  # indices ever issued in this round
        self.free: list[int] = []  # heap of indices given back by withdrawn tasks
        self.waiters: dict[int, asyncio.Future[None]] = {}

    def take(self) -> int:
        """The smallest index not held by a task of this round."""
        if self.free:
            return heapq.heappop(self.free)
        index = self.issued
        self.issued = index + 1
        return index

    def wake(self) -> None:
        """Resolve every pending future (the phase has ended; each task reads the outcome)."""
        for fut in self.waiters.values():
            if not fut.done():
                fut.set_result(None)


class _Queued:
    """A newcomer queued while the barrier drains: its future, and its place once admitted."""

    __slots__ = ("fut", "index", "pool")

    def __init__(self, fut: asyncio.Future[None]) -> None:
        self.fut = fut
        self.pool: _Pool | None = None  # the round it was admitted into
        self.index = -1


class Barrier(PhaseObservers):
    """A barrier for a fixed number of asyncio tasks; a drop-in for :class:`asyncio.Barrier`.

    ``await wait()`` suspends until ``parties`` tasks have called it, then all resume and
    each returns its arrival index: the first arrival of a round gets 0, and the indices of
    a round are distinct and in ``range(parties)``, even when waiters are cancelled.
    ``async with barrier as index`` waits on entry. ``round`` counts the rounds that have
    tripped. A task that calls ``wait()`` while the previous round drains blocks until
    that round has left (CPython's choice; see the module docstring).

    ``action`` (optional): a callable run once per round by the last arrival before anyone
    is released; if it returns an awaitable, that is awaited. If it raises, the last
    arrival gets the exception, the others :class:`~barrierspec.errors.BrokenBarrierError`,
    and the barrier is broken. An async action may ``await barrier.reset()`` (every party
    of the round, the last arrival included, gets ``BrokenBarrierError``; the barrier fills
    again once they have left) or ``await barrier.abort()``; it must not wait on the
    barrier (:class:`~barrierspec.errors.InvalidOperationError`).

    ``wait(timeout)``: a filling or blocked task still waiting after ``timeout`` seconds
    withdraws and raises :class:`TimeoutError`; the barrier is not broken (the asyncio
    contract for a task that gives up). Cancellation never breaks the barrier, except for
    the last arrival awaiting an action.

    ``reset()``: waiting tasks, and released tasks that have not resumed yet, get
    ``BrokenBarrierError``; the barrier is filling again once they have left (at once if
    nobody is inside), which also repairs a broken barrier. ``abort()``: every task
    inside, every blocked newcomer and every later ``wait()`` gets ``BrokenBarrierError``
    until ``reset()``. ``BrokenBarrierError`` is an :class:`asyncio.BrokenBarrierError`
    (and a :class:`threading.BrokenBarrierError`). The barrier binds to the event loop of
    the first ``wait()`` that suspends.

    Its name is ``Barrier`` and its home :mod:`barrierspec.aio` (``barrierspec.aio.Barrier``,
    as ``asyncio.Barrier``); ``barrierspec.reference.AsyncBarrier`` is the same class. The
    interpreter's own messages name it as they name asyncio's (``object Barrier can't be
    used in 'await' expression``), and ``repr`` and pickle use that importable name.
    """

    __module__ = "barrierspec.aio"

    def __init__(self, parties: int, action: Callable[[], Any] | None = None) -> None:
        self._parties = check_parties(parties)
        self._action = check_action(action)
        self._state = _FILLING
        self._count = 0
        self._pool = _Pool()
        self._blocked: list[asyncio.Future[None]] = []  # newcomers with a timeout
        self._queued: deque[_Queued] = deque()  # newcomers without one, to be admitted
        self._admitting: asyncio.Handle | None = None  # the admission callback, scheduled
        self._reason = ""
        self._actor: asyncio.Task[Any] | None = None
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

    def __repr__(self) -> str:
        """asyncio's format: ``<... object at 0x.. [filling, waiters:2/5]>``."""
        if self._state is _BROKEN:
            extra = "broken"
        else:
            phase = _FILLING if self._state is _ACTING else self._state
            extra = f"{phase}, waiters:{self.n_waiting}/{self._parties}"
        return f"<{self._public_name()} object at {id(self):#x} [{extra}]>"

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

        Raises ``BrokenBarrierError`` if the barrier is broken, or is reset or aborted
        before this task resumes; ``TimeoutError`` if ``timeout`` seconds pass while it
        fills or blocks (the task withdraws; the barrier stays intact).
        """
        limit = None if timeout is None else check_timeout(timeout)
        while self._state is not _FILLING:
            state = self._state
            if (
                limit is not None
                or state is _BROKEN
                or (state is _ACTING and self._actor is asyncio.current_task())
            ):
                limit = await self._block(self._get_loop(), limit)
                break
            index = await self._queue(self._get_loop())
            if index >= 0:
                return index
        pool = self._pool
        index = heapq.heappop(pool.free) if pool.free else pool.take()
        count = self._count = self._count + 1
        if count == self._parties:
            if self._action is None:  # the common case of _trip, without a coroutine
                self._rounds += 1
                self._end_round(_DRAINING, "")
                self._exit()
                return index
            return await self._trip(index)
        loop = self._loop
        if loop is None or loop is not asyncio.get_running_loop():
            loop = self._get_loop()
        fut: asyncio.Future[None] = loop.create_future()
        pool.waiters[index] = fut
        if self._admitting is not None:  # queued newcomers arrive after this task
            self._admitting.cancel()
            self._admit()  # (if they fill the round, fut is done: no suspension)
        timer = None if limit is None else loop.call_later(limit, self._expire, pool, index, limit)
        try:
            await fut
        except asyncio.CancelledError:
            if fut.done() and not fut.cancelled():
                self._exit()  # released (or broken) before it resumed
            else:
                self._withdraw(pool, index)
            raise
        finally:
            if timer is not None:
                timer.cancel()
        return self._resumed(index)

    def _resumed(self, index: int) -> int:
        """A released or broken task resumes: its outcome is the barrier's phase now
        (CPython's drainer rule); then it leaves."""
        state = self._state
        count = self._count - 1
        if count or (state is not _DRAINING and state is not _RESETTING):
            self._count = count  # the common case of _exit(), inlined: nothing to refill
        else:
            self._exit()
        if state is _DRAINING:
            return index
        raise BrokenBarrierError(self._reason)

    async def _queue(self, loop: asyncio.AbstractEventLoop) -> int:
        """Draining or acting, no timeout: queue and suspend until admitted and the round
        ends (return the index, or raise), or woken without a place (return -1: enter)."""
        cell = _Queued(loop.create_future())
        self._queued.append(cell)
        try:
            await cell.fut
        except asyncio.CancelledError:
            if cell.pool is None:  # still queued: nothing changes
                if cell in self._queued:
                    self._queued.remove(cell)
            elif cell.fut.done() and not cell.fut.cancelled():
                self._exit()  # admitted, and released (or broken) before it resumed
            else:
                self._withdraw(cell.pool, cell.index)  # admitted, still filling
            raise
        return -1 if cell.pool is None else self._resumed(cell.index)

    async def _block(self, loop: asyncio.AbstractEventLoop, limit: float | None) -> float | None:
        """Wait until the barrier is filling; return the time left of ``limit``.

        Raises ``BrokenBarrierError`` if it is (or becomes) broken, ``TimeoutError`` when
        ``limit`` expires first.
        """
        deadline = None if limit is None else loop.time() + limit
        while self._state is not _FILLING:
            if self._state is _BROKEN:
                raise BrokenBarrierError(f"barrier is broken ({self._reason}); call reset()")
            if self._actor is not None and self._actor is asyncio.current_task():
                raise InvalidOperationError(
                    "wait() called from the barrier's own action: it would wait for itself"
                )
            gate: asyncio.Future[None] = loop.create_future()
            self._blocked.append(gate)
            try:
                if deadline is None:
                    await gate
                else:
                    await asyncio.wait_for(gate, max(0.0, deadline - loop.time()))
            finally:
                if gate in self._blocked:
                    self._blocked.remove(gate)
        return None if deadline is None else max(0.0, deadline - loop.time())

    def _withdraw(self, pool: _Pool, index: int) -> None:
        """A waiting task leaves before its round ends; in filling its index goes back."""
        if pool.waiters.pop(index, None) is None:
            return
        if pool is not self._pool:  # cancelled, but its round ended before it resumed
            self._exit()  # its arrival stood: it leaves like a released task
            return
        self._count -= 1
        if self._state is _FILLING:
            heapq.heappush(pool.free, index)
            assert self._count == pool.issued - len(pool.free) == len(pool.waiters)

    def _expire(self, pool: _Pool, index: int, limit: float) -> None:
        """Timer of a filling task: withdraw it unless the round is full or over."""
        fut = pool.waiters.get(index)
        if fut is not None and not fut.done() and self._state is _FILLING:
            self._withdraw(pool, index)
            fut.set_exception(
                TimeoutError(f"barrier wait timed out after {limit:g} s; the party withdrew")
            )

    def _exit(self) -> None:
        """A task leaves ``wait()``; the last to leave a drained or reset round refills."""
        self._count -= 1
        if self._count == 0 and (self._state is _DRAINING or self._state is _RESETTING):
            self._refill()
        assert self._count >= 0

    def _refill(self) -> None:
        """Nobody is inside: fill again. The gated newcomers are woken to enter by
        themselves; the queued ones are admitted by a callback that runs where their tasks
        would have run had they been woken (so, as in asyncio, the task that ended the drain
        goes on first: a ``reset()`` or ``wait()`` of its own comes before their arrivals)."""
        self._state = _FILLING
        self._pool = _Pool()
        if self._queued and self._admitting is None and self._loop is not None:
            self._admitting = self._loop.call_soon(self._admit)
        self._wake(self._blocked)
        self._blocked = []

    def _admit(self) -> None:
        """Queued newcomers join the filling round in order, keeping their futures as its
        waiters. Without an action the round they fill trips here (its last arrival is
        released with the others); with one, at most ``parties - 1`` are admitted and the
        next is woken to enter by itself and run it. Any others enter by themselves."""
        self._admitting = None
        if self._state is not _FILLING:
            return  # a round filled meanwhile: they stay queued for the next refill
        pool, queued = self._pool, self._queued
        room = self._parties - (self._action is not None)
        while queued and self._count < room:
            cell = queued.popleft()
            if cell.fut.cancelled():
                continue  # its task is leaving
            cell.pool, cell.index = pool, pool.take()
            pool.waiters[cell.index] = cell.fut
            self._count += 1
        if self._count == self._parties:
            self._rounds += 1
            self._end_round(_DRAINING, "")  # every arrival leaves as it resumes
        self._wake([cell.fut for cell in queued])
        queued.clear()

    def _wake_blocked(self) -> None:
        """The barrier broke: wake every newcomer (queued or gated); each finds it broken."""
        self._wake([cell.fut for cell in self._queued] + self._blocked)
        self._queued.clear()
        self._blocked = []

    @staticmethod
    def _wake(futures: list[asyncio.Future[None]]) -> None:
        for fut in futures:
            if not fut.done():
                fut.set_result(None)

    async def _trip(self, index: int) -> int:
        """Last arrival: run (and await) the action, then release the round."""
        assert self._count == self._parties, "a round trips only when every party arrived"
        action = self._action
        if action is not None:
            self._state = _ACTING
            self._actor = asyncio.current_task()
            try:
                result = action()
                if inspect.isawaitable(result):
                    await result
            except BaseException as exc:
                if self._state is _ACTING:
                    self._end_round(_BROKEN, f"the action raised {exc!r}")
                self._exit()
                raise
            finally:
                self._actor = None
            if self._state is not _ACTING:  # the action reset or aborted the barrier
                self._exit()
                raise BrokenBarrierError(self._reason)
        self._rounds += 1
        self._end_round(_DRAINING, "")
        self._exit()
        return index

    def _end_round(self, state: str, reason: str) -> None:
        """The filling (or acting) round ends in ``state``: wake its tasks."""
        self._state = state
        if reason:
            self._reason = reason
        pool, self._pool = self._pool, _Pool()
        pool.wake()
        if state is _BROKEN:
            self._wake_blocked()

    # ------------------------------------------------------------ reset and abort
    async def reset(self) -> None:
        """Return the barrier to filling (at once if no task is inside).

        Waiting tasks, and released tasks that have not resumed, get ``BrokenBarrierError``;
        blocked newcomers stay blocked and join the next round; a broken barrier is
        repaired. Never suspends.
        """
        state = self._state
        if self._count == 0:
            self._refill()
        elif state is _BROKEN:
            self._state = _RESETTING  # its tasks still raise with the reason they were given
        elif state is not _RESETTING:
            self._end_round(_RESETTING, "the barrier was reset")

    async def abort(self) -> None:
        """Break the barrier: tasks inside, blocked newcomers and every later ``wait()`` get
        ``BrokenBarrierError`` until ``reset()``. Idempotent; never suspends."""
        if self._state is not _BROKEN:
            self._end_round(_BROKEN, "the barrier was aborted")


AsyncBarrier = Barrier  # the name it has in barrierspec.reference, beside the thread Barrier
