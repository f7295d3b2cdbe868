"""A thread barrier: a faster, validating drop-in for :class:`threading.Barrier`.

State machine
-------------
CPython's design (``Lib/threading.py``), phases as in ``_rounds.py``: ``filling`` ->
(``acting`` while the action runs) -> ``draining`` -> ``filling``, or ``resetting`` /
``broken``; ``count`` counts every thread inside ``wait()``. Where the documentation is
silent the barrier makes CPython's choices:

* the arrival index is the arrival order in the round: the first arrival gets 0;
* a newcomer that calls ``wait()`` while the last round drains (or a reset round empties)
  blocks, with no timeout, until every party of that round has left, then joins the next
  round at index 0;
* a released (draining) party *resumes* when it re-takes the barrier's lock: if
  ``abort()`` came first it raises ``BrokenBarrierError`` although its round tripped; a
  party that already resumed keeps its index. ``reset()`` while draining changes nothing.

What differs from CPython is the machinery, not the outcomes: each filling party sleeps on a
private lock that the thread ending the phase releases once (no ``Condition``: one lock
hand-off per arrival instead of its predicate loop, re-acquire and notify bookkeeping), and
the action runs *without* the barrier's lock, so an action may call :meth:`Barrier.reset`
or :meth:`Barrier.abort` (CPython deadlocks there). A party interrupted in its wait (a
``KeyboardInterrupt``) breaks the filling round instead of freeing its index for reuse.

A newcomer without a timeout that finds the barrier draining does not sleep twice (once to
be let in, once in its round): it queues on its own lock, and the party that ends the drain
admits queued newcomers in order, giving each its index, up to ``parties - 1``; it wakes
the next queued one to enter by itself (that one trips the round and runs the action), and
later ones stay queued for the round after. A newcomer with a timeout blocks on a gate and
re-enters itself, as in CPython. Either way it joins the next round, from index 0.
"""

from __future__ import annotations

import threading
from _thread import LockType, allocate_lock
from collections import deque
from collections.abc import Callable
from typing import Any

from barrierspec.errors import BrokenBarrierError, InvalidOperationError
from barrierspec.reference._rounds import ACTING as _ACTING
from barrierspec.reference._rounds import BROKEN as _BROKEN
from barrierspec.reference._rounds import DRAINING as _DRAINING
from barrierspec.reference._rounds import FILLING as _FILLING
from barrierspec.reference._rounds import RESETTING as _RESETTING
from barrierspec.reference._rounds import PhaseObservers
from barrierspec.reference._validate import check_action, check_parties, check_timeout

__all__ = ["Barrier"]


class _Queued:
    """A newcomer queued while the barrier drains: its lock, and its index once admitted."""

    __slots__ = ("index", "sleeper")

    def __init__(self) -> None:
        self.sleeper = allocate_lock()
        self.sleeper.acquire()
        self.index = -1  # set when admitted into a filling round


def _wake(locks: list[LockType]) -> None:
    for lock in locks:
        lock.release()


class Barrier(PhaseObservers):
    """A barrier for a fixed number of threads; a drop-in for :class:`threading.Barrier`.

    ``wait()`` blocks until ``parties`` threads have called it, then all return. Each call
    returns its *arrival index*: the first arrival of a round gets 0, and the indices of a
    round are distinct and in ``range(parties)``. The barrier is reusable: ``round`` counts
    the rounds that have tripped. A thread that calls ``wait()`` while the previous round
    is still leaving blocks until it has left (CPython's choice; see the module docstring).

    The action (optional, any callable) is run exactly once per round by the last arrival
    before anyone is released. If it raises, the last arrival gets that exception, every
    other party gets :class:`~barrierspec.errors.BrokenBarrierError` and the barrier is
    broken. The action may call ``reset()`` (every party of the round, the last arrival
    included, gets ``BrokenBarrierError``; the barrier fills again once they have left) or
    ``abort()`` (the barrier stays broken). It must not call ``wait()``
    (:class:`~barrierspec.errors.InvalidOperationError`).

    Timeout: ``wait(timeout)`` (or the constructor's default) bounds the wait of a party in a
    filling round. When it expires the barrier breaks, as in :mod:`threading`: every party
    gets ``BrokenBarrierError``. It does not apply once the round is full (the party waits
    for the action's outcome), nor, as in CPython, to a newcomer blocked behind a draining
    or acting round (it waits in the next round with its full timeout).

    ``BrokenBarrierError`` is a :class:`threading.BrokenBarrierError` (and an
    :class:`asyncio.BrokenBarrierError`). Arguments are validated: ``parties`` an
    ``int >= 1`` (no upper bound; a barrier that never gets enough threads simply never
    trips), timeouts ``None`` or a finite number ``>= 0`` (huge values are clamped to
    :data:`threading.TIMEOUT_MAX`), ``action`` ``None`` or callable. A wrong type raises
    :class:`~barrierspec.errors.ArgumentTypeError` (a :class:`TypeError`), a wrong value
    :class:`~barrierspec.errors.UsageError` (a :class:`ValueError`).

    Its home is the top of the package, ``barrierspec.Barrier`` (as ``threading.Barrier``;
    ``barrierspec.reference.Barrier`` is the same class), so ``repr`` reads
    ``<barrierspec.Barrier at 0x..: waiters=0/3>``, CPython's format with an importable name.
    """

    __module__ = "barrierspec"

    def __init__(
        self,
        parties: int,
        action: Callable[[], Any] | None = None,
        timeout: float | None = None,
    ) -> None:
        self._parties = check_parties(parties)
        self._action = check_action(action)
        self._timeout = check_timeout(timeout)
        self._lock = allocate_lock()
        self._state = _FILLING
        self._count = 0
        self._sleepers: list[LockType] = []  # filling parties of the current round
        self._blocked: list[LockType] = []  # newcomers with a timeout, to be let in
        self._queued: deque[_Queued] = deque()  # newcomers without one, to be admitted
        self._reason = ""
        self._actor = 0  # ident of the thread running the action
        self._rounds = 0

    def __repr__(self) -> str:
        """threading's format: ``<... at 0x..: waiters=2/5>`` or ``<... at 0x..: broken>``."""
        if self._state is _BROKEN:
            return f"<{self._public_name()} at {id(self):#x}: broken>"
        return f"<{self._public_name()} at {id(self):#x}: waiters={self.n_waiting}/{self._parties}>"

    # ------------------------------------------------------------------ waiting
    def wait(self, timeout: float | None = None) -> int:
        """Block until the round fills; return this thread's arrival index.

        ``timeout=None`` means the constructor's default. Raises ``BrokenBarrierError`` if
        the barrier is broken, or becomes broken (timeout, failing action, ``abort()``,
        ``reset()``) before this thread resumes; the last arrival re-raises the action's
        own exception.
        """
        limit = self._timeout if timeout is None else check_timeout(timeout)
        lock = self._lock
        lock.acquire()
        while self._state is not _FILLING:
            if limit is not None or self._state is _BROKEN or self._is_actor():
                self._block()
                break
            index = self._wait_queued()
            if index >= 0:
                return self._resume(index)
            lock.acquire()
        index = self._count
        self._count = index + 1
        if index + 1 == self._parties:
            return self._trip(index)
        sleeper = allocate_lock()
        sleeper.acquire()
        self._sleepers.append(sleeper)
        lock.release()
        try:
            if limit is None:
                sleeper.acquire()
            elif not sleeper.acquire(True, limit):
                self._timed_out(sleeper, f"a wait timed out after {limit:g} s")
        except BaseException as exc:  # interrupted (KeyboardInterrupt): never leave a slot
            self._interrupted(sleeper, exc)
            raise
        return self._resume(index)

    def _resume(self, index: int) -> int:
        """A released or broken party resumes: its outcome is the barrier's phase now
        (CPython's drainer rule); then it leaves."""
        lock = self._lock
        lock.acquire()
        state = self._state
        count = self._count - 1
        if count or (state is not _DRAINING and state is not _RESETTING):
            self._count = count  # the common case of _exit(), inlined: nothing to refill
            lock.release()
        else:
            woken = self._exit()
            lock.release()
            _wake(woken)
        if state is _DRAINING:
            return index
        raise BrokenBarrierError(self._reason)

    def _wait_queued(self) -> int:
        """Lock held (released on return): queue as a newcomer and sleep until admitted.

        Returns the index given at admission (the round has since ended), or -1 if woken
        without one (to enter by itself, or because the barrier broke)."""
        cell = _Queued()
        self._queued.append(cell)
        self._lock.release()
        try:
            cell.sleeper.acquire()
        except BaseException as exc:  # interrupted while queued or in its round
            with self._lock:
                if cell in self._queued:
                    self._queued.remove(cell)
                    cell.index = -1
            if cell.index >= 0:
                self._interrupted(cell.sleeper, exc)
            raise
        return cell.index

    def _is_actor(self) -> bool:
        """True if the calling thread is running the action (it must not wait)."""
        return self._actor == threading.get_ident()

    def _block(self) -> None:
        """Lock held: wait until the barrier fills. Raises (lock released) if broken."""
        lock = self._lock
        while self._state is not _FILLING:
            if self._state is _BROKEN:
                lock.release()
                raise BrokenBarrierError(f"barrier is broken ({self._reason}); call reset()")
            if self._state is _ACTING and self._actor == threading.get_ident():
                lock.release()
                raise InvalidOperationError(
                    "wait() called from the barrier's own action: it would wait for itself"
                )
            gate = allocate_lock()
            gate.acquire()
            self._blocked.append(gate)
            lock.release()
            gate.acquire()
            lock.acquire()

    def _trip(self, index: int) -> int:
        """Last arrival (lock held): run the action, then release the round."""
        lock = self._lock
        if self._action is None:
            woken = self._end_round(_DRAINING, "") + self._exit()
            lock.release()
            _wake(woken)
            return index
        self._state = _ACTING
        self._actor = threading.get_ident()
        lock.release()
        try:
            self._action()
        except BaseException as exc:
            with lock:
                self._actor = 0
                woken = (
                    self._end_round(_BROKEN, f"the action raised {exc!r}")
                    if self._state is _ACTING
                    else []
                )
                woken += self._exit()
            _wake(woken)
            raise
        with lock:
            self._actor = 0
            woken = self._end_round(_DRAINING, "") if self._state is _ACTING else []
            state = self._state
            woken += self._exit()
        _wake(woken)
        if state is _DRAINING:
            return index
        raise BrokenBarrierError(self._reason)

    def _timed_out(self, sleeper: LockType, reason: str) -> None:
        """A filling party's wait expired: break the round, unless it is full or over."""
        with self._lock:
            state = self._state
            woken = self._end_round(_BROKEN, reason) if state is _FILLING else []
        _wake(woken)
        if state is _ACTING:
            sleeper.acquire()  # the round is full: wait for the action's outcome

    def _interrupted(self, sleeper: LockType, exc: BaseException) -> None:
        """The wait was interrupted by ``exc``: break a filling round, then leave."""
        with self._lock:
            filling = self._state is _FILLING and sleeper in self._sleepers
            woken = (
                self._end_round(_BROKEN, f"a waiter was interrupted by {exc!r}") if filling else []
            )
            woken += self._exit()
        _wake(woken)

    # ---------------------------------------------------------- transitions (lock held)
    def _end_round(self, state: str, reason: str) -> list[LockType]:
        """The filling (or acting) round ends in ``state``; return the locks to wake."""
        assert state is not _DRAINING or self._count == self._parties, "trips only when full"
        self._state = state
        if state is _DRAINING:
            self._rounds += 1
        else:
            self._reason = reason
        woken, self._sleepers = self._sleepers, []
        if state is _BROKEN:
            woken += self._blocked
            self._blocked = []
            while self._queued:
                woken.append(self._queued.popleft().sleeper)
        return woken

    def _exit(self) -> list[LockType]:
        """A party leaves ``wait()``; the last to leave a drained or reset round refills.

        Returns the blocked newcomers to wake."""
        self._count -= 1
        assert self._count >= 0
        if self._count == 0 and (self._state is _DRAINING or self._state is _RESETTING):
            return self._refill()
        return []

    def _refill(self) -> list[LockType]:
        """Nobody is inside: fill again. Admit queued newcomers (up to ``parties - 1``),
        let the next one and the gated ones in by themselves; return the locks to wake."""
        self._state = _FILLING
        woken, self._blocked = self._blocked, []
        queued = self._queued
        while queued and self._count + 1 < self._parties:
            cell = queued.popleft()
            cell.index = self._count
            self._count += 1
            self._sleepers.append(cell.sleeper)
        if queued:
            woken.append(queued.popleft().sleeper)  # enters itself as the last arrival
        return woken

    # ------------------------------------------------------------ reset and abort
    def reset(self) -> None:
        """Return the barrier to filling (at once if no thread is inside).

        Parties of a filling round (or waiting for the action) get ``BrokenBarrierError``;
        newcomers block until they have left; a broken barrier is repaired. As in CPython,
        a draining round is not touched: its parties return their indices.
        """
        woken: list[LockType] = []
        with self._lock:
            state = self._state
            if self._count == 0:
                woken = self._refill()
            elif state is _FILLING or state is _ACTING:
                woken = self._end_round(_RESETTING, "the barrier was reset")
            elif state is _BROKEN:
                self._state = _RESETTING  # its parties still raise with their reason
        _wake(woken)

    def abort(self) -> None:
        """Break the barrier: parties inside (released ones that have not resumed included),
        blocked newcomers and every later ``wait()`` get ``BrokenBarrierError`` until
        ``reset()``. Idempotent."""
        with self._lock:
            woken = (
                self._end_round(_BROKEN, "the barrier was aborted")
                if self._state is not _BROKEN
                else []
            )
        _wake(woken)
