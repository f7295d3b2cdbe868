"""A thread barrier: a faster, validating drop-in for :class:`threading.Barrier`.

State machine
-------------
The barrier holds one *current round*. A round is in one of four phases:

* ``filling``: parties arrive; arrival ``k`` (0-based) gets index ``k`` and sleeps on a
  private lock appended to the round's ``sleepers``.
* ``acting``: the last arrival runs the action, *without* holding the barrier's lock, so an
  action may call :meth:`Barrier.reset` or :meth:`Barrier.abort` (CPython deadlocks there).
  Newcomers block until the action ends and then join the next round.
* ``released``: the round tripped. The releaser installs a fresh ``filling`` round *before*
  waking the sleepers, so a released party that comes straight back joins the next round at
  once (Java's ``CyclicBarrier`` generation design; CPython instead blocks newcomers until the
  whole round has left). A released round is final: a later ``reset()`` or ``abort()`` does
  not touch its parties, each of which returns its index.
* ``broken``: by a timeout, a failing action, ``abort()``, or ``reset()`` with parties inside.
  Every sleeper wakes and raises :class:`~barrierspec.errors.BrokenBarrierError`. A broken
  current round makes the barrier broken (newcomers raise at once) until ``reset()``
  installs a fresh round.

Only the thread that moves a round out of ``filling``/``acting`` (under the lock) wakes its
sleepers, so each private lock is released exactly once. A woken party reads the outcome
from its round object without re-taking the barrier's lock: one lock hand-off per arrival
instead of CPython's three (Condition wait, re-acquire, exit bookkeeping).
"""

from __future__ import annotations

import threading
from _thread import LockType, allocate_lock
from collections.abc import Callable
from typing import Any

from barrierspec.errors import BrokenBarrierError, InvalidOperationError
from barrierspec.reference._rounds import ACTING as _ACTING
from barrierspec.reference._rounds import BROKEN as _BROKEN
from barrierspec.reference._rounds import FILLING as _FILLING
from barrierspec.reference._rounds import RELEASED as _RELEASED
from barrierspec.reference._rounds import RoundObservers
from barrierspec.reference._validate import check_action, check_parties, check_timeout

__all__ = ["Barrier"]


class _Round:
    """One generation: its arrivals, its sleepers, and how it ended."""

    __slots__ = ("actor", "blocked", "count", "phase", "reason", "sleepers")

    def __init__(self) -> None:
        self.count = 0
        self.phase = _FILLING
        self.sleepers: list[LockType] = []
        self.blocked: list[LockType] = []  # newcomers waiting for the action to end
        self.reason = ""
        self.actor = 0  # thread ident running the action


def _wake(locks: list[LockType]) -> None:
    for lock in locks:
        lock.release()


class Barrier(RoundObservers[_Round]):
    """A barrier for a fixed number of threads; a drop-in for :class:`threading.Barrier`.

    ``wait()`` blocks until ``parties`` threads have called it, then all return. Each call
    returns its *arrival index*: the first arrival of a round gets 0, and the indices of a
    round are distinct and in ``range(parties)``. The barrier is reusable: ``round`` counts
    the rounds that have tripped.

    The action (optional, any callable) is run exactly once per round by the last arrival
    before anyone is released. If it raises, the last arrival gets that exception, every
    other party gets :class:`~barrierspec.errors.BrokenBarrierError` and the barrier is
    broken. The action may call ``reset()`` (the round is broken: every party of it, the
    last arrival included, gets ``BrokenBarrierError``; the barrier is filling again) or
    ``abort()`` (the round is broken and the barrier stays broken). It must not call
    ``wait()`` (:class:`~barrierspec.errors.InvalidOperationError`).

    Timeout: ``wait(timeout)`` (or the constructor's default) bounds the wait of a party in a
    filling round. When it expires the barrier breaks, as in :mod:`threading`: every party
    gets ``BrokenBarrierError``. It does not apply once the round is full (the action is
    running): the party then waits for the action's outcome. A newcomer that arrives while
    an action runs blocks until it ends, then waits in the next round with its full timeout.

    Arguments are validated: ``parties`` an ``int >= 1`` (there is no upper bound; a
    barrier that never gets enough threads simply never trips), timeouts ``None`` or a finite
    number ``>= 0`` (huge values are clamped to :data:`threading.TIMEOUT_MAX`), ``action``
    ``None`` or callable; anything else raises :class:`~barrierspec.errors.UsageError`.
    """

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
        self._round = _Round()
        self._rounds = 0

    # ------------------------------------------------------------------ waiting
    def wait(self, timeout: float | None = None) -> int:
        """Block until the round fills; return this thread's arrival index.

        ``timeout=None`` means the constructor's default. Raises ``BrokenBarrierError`` if
        the barrier is or becomes broken (timeout, failing action, ``abort()``, ``reset()``)
        while this thread is in a filling round; the last arrival re-raises the action's
        own exception.
        """
        limit = self._timeout if timeout is None else check_timeout(timeout)
        lock = self._lock
        lock.acquire()
        rnd = self._round
        if rnd.phase is not _FILLING:
            rnd = self._enter_slow(rnd)
        index = rnd.count
        rnd.count = index + 1
        if index + 1 == self._parties:
            return self._trip(rnd, index)
        sleeper = allocate_lock()
        sleeper.acquire()
        rnd.sleepers.append(sleeper)
        lock.release()
        if limit is None:
            sleeper.acquire()
        elif not sleeper.acquire(True, limit):
            self._timed_out(rnd, sleeper, limit)
        if rnd.phase is _RELEASED:
            return index
        raise BrokenBarrierError(rnd.reason)

    def _enter_slow(self, rnd: _Round) -> _Round:
        """Called with the lock held on a round that is not filling; return a filling one.

        Raises (lock released) if the barrier is broken. Blocks, unbounded, while an action
        runs.
        """
        lock = self._lock
        while rnd.phase is not _FILLING:
            if rnd.phase is _BROKEN:
                lock.release()
                raise BrokenBarrierError(f"barrier is broken ({rnd.reason}); call reset()")
            if rnd.actor == threading.get_ident():
                lock.release()
                raise InvalidOperationError(
                    "wait() called from the barrier's own action: it would wait for itself"
                )
            gate = allocate_lock()
            gate.acquire()
            rnd.blocked.append(gate)
            lock.release()
            gate.acquire()
            lock.acquire()
            rnd = self._round
        return rnd

    def _trip(self, rnd: _Round, index: int) -> int:
        """Last arrival (lock held): run the action, then release the round."""
        lock = self._lock
        action = self._action
        if action is None:
            woken = self._release(rnd)
            lock.release()
            _wake(woken)
            return index
        rnd.phase = _ACTING
        rnd.actor = threading.get_ident()
        lock.release()
        try:
            action()
        except BaseException as exc:
            with lock:
                woken = (
                    self._break(rnd, f"the action raised {exc!r}") if (rnd.phase is _ACTING) else []
                )
            _wake(woken)
            raise
        with lock:
            woken = self._release(rnd) if rnd.phase is _ACTING else []
        _wake(woken)
        if rnd.phase is _RELEASED:
            return index
        raise BrokenBarrierError(rnd.reason)

    def _timed_out(self, rnd: _Round, sleeper: LockType, limit: float) -> None:
        """A filling party's wait expired: break its round unless it already ended."""
        with self._lock:
            phase = rnd.phase
            woken = (
                self._break(rnd, f"a wait timed out after {limit:g} s")
                if (phase is _FILLING)
                else []
            )
        _wake(woken)
        if phase is _ACTING:
            sleeper.acquire()  # the round is full: wait for the action's outcome

    # ---------------------------------------------------------- transitions (lock held)
    def _release(self, rnd: _Round) -> list[LockType]:
        """The round trips: install a fresh round, return the locks to wake."""
        assert rnd.count == self._parties, "a round trips only when every party arrived"
        rnd.phase = _RELEASED
        self._round = _Round()
        self._rounds += 1
        return rnd.sleepers + rnd.blocked

    def _break(self, rnd: _Round, reason: str) -> list[LockType]:
        """Break ``rnd`` (the current round, filling or acting); return the locks to wake."""
        assert rnd is self._round and rnd.phase in (_FILLING, _ACTING)
        rnd.phase = _BROKEN
        rnd.reason = reason
        return rnd.sleepers + rnd.blocked

    # ------------------------------------------------------------ reset and abort
    def reset(self) -> None:
        """Return the barrier to an empty, filling round.

        Parties of the current round (filling, or waiting for the action) get
        ``BrokenBarrierError``; a broken barrier is repaired. Released parties are unaffected.
        """
        woken: list[LockType] = []
        with self._lock:
            rnd = self._round
            if rnd.phase is _FILLING and rnd.count == 0:
                return
            if rnd.phase is not _BROKEN:
                woken = self._break(rnd, "the barrier was reset")
            self._round = _Round()
            assert self._round.count == 0 and self._round.phase is _FILLING
        _wake(woken)

    def abort(self) -> None:
        """Break the barrier: current parties and every later ``wait()`` get
        ``BrokenBarrierError`` until ``reset()``. Idempotent."""
        with self._lock:
            rnd = self._round
            woken = self._break(rnd, "the barrier was aborted") if rnd.phase is not _BROKEN else []
            assert self._round.phase is _BROKEN
        _wake(woken)
