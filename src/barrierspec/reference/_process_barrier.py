"""A process barrier: a drop-in for :class:`multiprocessing.Barrier` that survives deaths.

State machine
-------------
The phases are those of the thread barrier (``filling``, ``acting``, ``broken``), kept in
shared memory (``_process_shared.py``). What differs is how parties sleep and how deaths are found:

* a party registers its pid in a free *slot* and sleeps on the slot's own semaphore, in
  slices of ``POLL`` seconds. Between slices it checks (under the lock) whether its round
  ended, whether its timeout expired (then it breaks the round, as in threading), and
  whether another member of the round, or the process running the action, has died
  (then it breaks the round, naming the dead pid): ``_process_stalls.py``;
* the last arrival checks that every member is alive before it runs the action or
  releases the round; a dead member breaks the round instead, so a death *while waiting*
  always breaks the round, whichever party notices first;
* the last arrival runs the action outside the lock (``acting``): ``reset()`` and
  ``abort()`` from the action or from any process break the round, as in the thread
  barrier;
* the parties of an ended round *drain*: they hold their slots until they have read their
  outcome; a newcomer queues in a slot of its own until the last of them leaves (or is
  found dead), as CPython's newcomers wait while its barrier drains. The leaver that frees
  the last slot admits the queue in arrival order (up to ``parties - 1``, each given its
  index, sleeping on as a member) and wakes any others to enter by themselves, so a
  newcomer sleeps once per round (``_process_shared.py``).

There is no ``Condition``: the releaser writes one outcome word per member under the lock and
posts one semaphore per member once it has released the lock, and nobody waits for
acknowledgements, so a dead sleeper cannot block anyone (gh-123899). A token only prompts its
sleeper to read its words; a sleeper that finds no outcome sleeps on (``_process_shared.py``).
A death before arriving is not a fault of the barrier: the survivors wait for the missing
party like any other, until their timeout breaks the round.
"""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Callable
from multiprocessing.context import BaseContext, get_spawning_popen
from typing import Any

from barrierspec.errors import BrokenBarrierError, InvalidOperationError
from barrierspec.reference._liveness import first_dead, own_pid
from barrierspec.reference._process_shared import (
    ABORTED,
    ABORTS,
    ACTING,
    ACTION_FAILED,
    ACTOR,
    BROKEN,
    CODE,
    COMPLETED,
    COUNT,
    DIED,
    FILLING,
    NEWCOMERS,
    PHASE,
    POISONED,
    POLL,
    RELEASED,
    RESET,
    RETRY,
    ROUND,
    TIMED_OUT,
    SharedState,
    place_of,
)
from barrierspec.reference._process_stalls import next_slice, stalled
from barrierspec.reference._validate import check_action, check_parties, check_timeout

__all__ = ["MAX_PROCESS_PARTIES", "ProcessBarrier"]

MAX_PROCESS_PARTIES = 512
"""Each party needs two slots, each with its own semaphore (2 * 512 semaphores at most)."""

_NEWCOMER_PAUSE = 0.0005  # poll period of a newcomer blocked behind an action (rare)


class ProcessBarrier:
    """A barrier for a fixed number of processes; a drop-in for :class:`multiprocessing.Barrier`.

    Semantics as :class:`~barrierspec.reference.Barrier` (arrival order as index, the
    action run once by the last arrival before release, a timeout that breaks the barrier,
    ``reset`` and ``abort`` that are safe from the action) across processes, with CPython's
    choices where the documentation is silent: a newcomer blocks while parties of the last
    round (released, reset or broken) have not left ``wait()`` yet, and a released party that
    has not left when ``abort()`` is called gets ``BrokenBarrierError`` (``reset()`` alone
    lets it return its index). A drainer found dead stops counting, so it cannot keep
    newcomers out. A newcomer's timeout runs while it is blocked; expiring there breaks the
    barrier as any timeout does. It raises :class:`threading.BrokenBarrierError` (the
    project's subclass), and
    adds death handling:

    * a participant killed **while waiting**: the round breaks; every survivor of it gets
      ``BrokenBarrierError("participant process <pid> died while waiting at the barrier")``
      within ``POLL`` (0.05 s) of its next liveness check, or at once if it is the last
      arrival; the barrier stays broken until ``reset()``;
    * killed **while running the action**: the same, "died while running the action";
    * killed **before arriving**: nothing to detect; the survivors wait, as for a slow
      party, until their timeout breaks the round;
    * killed **inside the barrier's critical section** (a few microseconds under its lock):
      the barrier is poisoned; every later call raises ``BrokenBarrierError`` and ``reset()``
      cannot repair it;
    * killed **just after ending a round** (between releasing the lock and posting the
      wake-ups): the outcome is written; the parties it had not woken read it at their next
      liveness check (within ``POLL``).

    A timeout is never exceeded by more than the scheduling of one poll slice. ``parties``
    is at most :data:`MAX_PROCESS_PARTIES`. Sharing: like ``multiprocessing`` primitives,
    only by inheritance when a process starts (an argument of ``Process``, or a global under
    fork); pickling it otherwise raises :class:`~barrierspec.errors.InvalidOperationError`.
    Under spawn and forkserver the action must be picklable. ``ctx`` selects the
    multiprocessing context (default: ``multiprocessing.get_context()``).
    """

    __module__ = "barrierspec.reference"

    def __init__(
        self,
        parties: int,
        action: Callable[[], Any] | None = None,
        timeout: float | None = None,
        *,
        ctx: BaseContext | None = None,
    ) -> None:
        self._parties = check_parties(parties, limit=MAX_PROCESS_PARTIES)
        self._action = check_action(action)
        self._timeout = check_timeout(timeout)
        self._shared = SharedState(self._parties, ctx or multiprocessing.get_context())

    def __getstate__(self) -> dict[str, Any]:
        if get_spawning_popen() is None:
            raise InvalidOperationError(
                "ProcessBarrier objects can only be shared with a child process by"
                " inheritance (pass it to Process(args=...) or use a global under fork),"
                " not pickled or sent through a queue or pipe"
            )
        return dict(self.__dict__)

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)

    # ------------------------------------------------------------------ waiting
    def wait(self, timeout: float | None = None) -> int:
        """Block until the round fills; return this process's arrival index.

        ``timeout=None`` means the constructor's default. Raises ``BrokenBarrierError`` if
        the barrier is or becomes broken while this party is in a filling round: timeout,
        failing action, ``abort()``, ``reset()``, or a member process that died (named in
        the message). The last arrival re-raises the action's own exception.
        """
        limit = self._timeout if timeout is None else check_timeout(timeout)
        deadline = None if limit is None else time.monotonic() + limit
        sh = self._shared
        mem = sh.mem
        pid = own_pid()
        slot = -1
        while True:
            slot, queued = self._enter(pid, deadline, slot)  # returns holding the lock
            if not queued:
                entry = sh.join((slot,), (pid,))
                if mem[COUNT] == self._parties:
                    return self._trip(slot, entry)
            sh.release()
            sem = sh.sems[slot]
            while True:
                if sem.acquire(True, POLL if deadline is None else next_slice(deadline)):
                    entry = mem[sh.entries + slot]
                    code = sh.outcome_code(slot, entry)
                    if code:
                        return self._leave(slot, entry, code)
                    if entry == RETRY:
                        break  # woken to enter by itself, in its slot
                elif stalled(sh, slot, deadline):
                    entry = mem[sh.entries + slot]
                    if entry != RETRY:
                        return self._leave(slot, entry, sh.outcome_code(slot, entry))
                    break

    def _enter(self, pid: int, deadline: float | None, held: int) -> tuple[int, bool]:
        """Take the lock and a slot in a filling round (``held``, the slot this party holds
        when it was woken to enter by itself, else a free one); return ``(slot, queued)``
        with the lock held, ``queued`` if parties of the last round have not all left (the
        newcomer sleeps until admitted). Raises, its slot freed, if broken or too late."""
        sh = self._shared
        mem = sh.mem
        while True:
            sh.acquire()
            phase = mem[PHASE]
            if phase == FILLING:
                slot = held if held >= 0 else sh.free_slot()
                if slot >= 0:
                    return slot, not mem[COUNT] and sh.queue_behind_drain(slot, pid)
            elif phase in (BROKEN, POISONED):
                reason = sh.reason(mem[CODE])
                self._give_up(held)
                raise BrokenBarrierError(f"barrier is broken ({reason}); call reset()")
            elif mem[ACTOR] == pid:
                self._give_up(held)
                raise InvalidOperationError(
                    "wait() called from the barrier's own action: it would wait for itself"
                )
            if deadline is not None and time.monotonic() >= deadline:
                if phase == FILLING:
                    sh.end_round(TIMED_OUT)
                self._give_up(held)
                raise BrokenBarrierError("a wait timed out before it could join a round")
            sh.release()
            time.sleep(_NEWCOMER_PAUSE)  # an action runs (or every slot is held)

    def _give_up(self, held: int) -> None:
        """Lock held: leave ``wait()`` before joining a round; free ``held``, release."""
        sh = self._shared
        if held >= 0:
            sh.mem[sh.newcomers + held] = 0
        sh.release()

    def _leave(self, slot: int, entry: int, code: int) -> int:
        """Given this party's outcome ``code``, free its slot, return the index or raise.

        A released party that has not left when ``abort()`` is called gets
        ``BrokenBarrierError`` (CPython's choice: its drainers see the broken state).
        """
        sh = self._shared
        mem = sh.mem
        assert code > 0, "a party leaves once its round ended (its outcome is written)"
        if code == RELEASED:
            if mem[sh.stamps + slot] == mem[ABORTS]:
                sh.vacate(slot)
                return place_of(entry)[0]
            code = ABORTED  # linearised after the abort, which it read
        message = sh.reason(code)  # read before the slot is freed (a new round may end)
        sh.vacate(slot)
        raise BrokenBarrierError(message)

    def _trip(self, slot: int, entry: int) -> int:
        """Last arrival, lock held: check liveness, run the action, release the round."""
        sh = self._shared
        mem = sh.mem
        index, my_round = place_of(entry)
        dead = first_dead([mem[sh.pids + s] for s in sh.round_members() if s != slot])
        if dead is not None:
            sh.end_round(DIED, dead)
            sh.release()
            sh.take_token(slot)
            return self._leave(slot, entry, DIED)
        action = self._action
        if action is not None:
            mem[PHASE] = ACTING
            mem[ACTOR] = own_pid()
            sh.release()
            try:
                action()
            except BaseException:
                sh.acquire()
                if not sh.ended(slot, my_round):
                    sh.end_round(ACTION_FAILED, own_pid())
                sh.release()
                sh.take_token(slot)
                sh.vacate(slot)
                raise
            sh.acquire()
            mem[ACTOR] = 0
            code = sh.outcome_code(slot, entry)
            if code:  # reset/abort/death during the action
                sh.release()
                sh.take_token(slot)
                return self._leave(slot, entry, code)
        assert mem[NEWCOMERS] == 0, "newcomers queue only behind a drain"
        sh.end_round(RELEASED, skip=slot)
        mem[sh.pids + slot] = 0  # the last arrival leaves at once (no newcomer can be waiting)
        sh.release()
        return index

    # ------------------------------------------------------------ reset and abort
    def reset(self) -> None:
        """Return the barrier to an empty, filling round.

        Parties of the current round get ``BrokenBarrierError``; a broken barrier is
        repaired (not a poisoned one: see the class docstring).
        """
        sh = self._shared
        mem = sh.mem
        sh.acquire()
        try:
            phase = mem[PHASE]
            if phase == POISONED or (phase == FILLING and mem[COUNT] == 0):
                return
            if phase != BROKEN:
                sh.end_round(RESET)
            mem[ROUND] += 1
            mem[PHASE] = FILLING
            assert mem[COUNT] == 0
        finally:
            sh.release()

    def abort(self) -> None:
        """Break the barrier for the current and every later caller until ``reset()``."""
        sh = self._shared
        sh.acquire()
        try:
            sh.mem[ABORTS] += 1  # breaks the released parties that have not left yet
            if sh.mem[PHASE] in (FILLING, ACTING):
                sh.end_round(ABORTED)
            assert sh.mem[PHASE] in (BROKEN, POISONED)
        finally:
            sh.release()

    # ---------------------------------------------------------------- observers
    @property
    def parties(self) -> int:
        """The number of processes required to trip the barrier."""
        return self._parties

    @property
    def n_waiting(self) -> int:
        """Parties in the current round (``parties`` while the action runs); 0 if broken."""
        mem = self._shared.mem
        return mem[COUNT] if mem[PHASE] in (FILLING, ACTING) else 0

    @property
    def broken(self) -> bool:
        """True if the barrier is broken (until ``reset()``) or poisoned."""
        return self._shared.mem[PHASE] in (BROKEN, POISONED)

    @property
    def round(self) -> int:
        """The number of rounds that have tripped so far."""
        return self._shared.mem[COMPLETED]

    def __repr__(self) -> str:
        """threading's format: ``<... at 0x..: waiters=2/5>`` or ``<... at 0x..: broken>``."""
        cls = f"{type(self).__module__}.{type(self).__qualname__}"
        if self.broken:
            return f"<{cls} at {id(self):#x}: broken>"
        return f"<{cls} at {id(self):#x}: waiters={self.n_waiting}/{self._parties}>"
