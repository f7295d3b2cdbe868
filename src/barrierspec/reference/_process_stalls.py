"""What a :class:`~barrierspec.reference.ProcessBarrier` sleeper does when a poll slice expires.

A party sleeps on its slot's semaphore in slices of ``POLL`` seconds (``next_slice``). A slice
that expires without a token is the one moment a sleeper looks after the others and after its
own deadline, under the lock (``stalled``):

* a member whose round has not ended ends it if its own filling wait timed out
  (``TIMED_OUT``), or if a member, or the process running the action, has died (``DIED``,
  ``DIED_ACTING``, naming the dead pid): ``round_stalled``;
* a queued newcomer that timed out leaves the queue and breaks the barrier, as any timeout
  does; one whose drain is over (a leaver missed it, or a drainer died) admits the queue
  itself: ``queue_stalled``;
* a party whose outcome (or RETRY) is already written leaves: its token may still be on its
  way (it is posted after the lock is released) and is taken if it is there; a late one
  only wakes the slot's next sleeper once for nothing (``_process_shared.py``).

Nothing here runs on the path of a wait that is woken in time.
"""

from __future__ import annotations

import time

from barrierspec.errors import BrokenBarrierError
from barrierspec.reference._liveness import first_dead
from barrierspec.reference._process_shared import (
    ACTING,
    ACTOR,
    DIED,
    DIED_ACTING,
    FILLING,
    PHASE,
    POLL,
    QUEUED,
    RETRY,
    TIMED_OUT,
    SharedState,
)

__all__ = ["next_slice", "stalled"]


def next_slice(deadline: float) -> float:
    """The next sleep: a liveness-check slice, shortened to the deadline."""
    return min(POLL, max(0.0, deadline - time.monotonic()))


def stalled(sh: SharedState, slot: int, deadline: float | None) -> bool:
    """A slice of the party in ``slot`` expired: end its round (or its wait in the queue) if
    it must end. True once the party's wait is over (its outcome, or RETRY, is written; a
    token posted for it is taken if it is there)."""
    mem = sh.mem
    sh.acquire()
    try:
        entry = mem[sh.entries + slot]
        if entry == QUEUED:
            over = queue_stalled(sh, slot, deadline)
        elif entry == RETRY:
            over = True
        else:
            over = sh.outcome_code(slot, entry) > 0 or round_stalled(sh, deadline)
    finally:
        sh.release()
    if over:
        sh.take_token(slot)  # posted by whoever ended the round, unless it is late
    return over


def round_stalled(sh: SharedState, deadline: float | None) -> bool:
    """Lock held, the round has not ended: end it if a filling wait timed out or a member
    died. True if it ended the round."""
    mem = sh.mem
    if mem[PHASE] == FILLING and deadline is not None and time.monotonic() >= deadline:
        sh.end_round(TIMED_OUT)
        return True
    dead = first_dead([mem[sh.pids + s] for s in sh.round_members()])
    if dead is None:
        return False
    acting = mem[PHASE] == ACTING and dead == mem[ACTOR]
    sh.end_round(DIED_ACTING if acting else DIED, dead)
    return True


def queue_stalled(sh: SharedState, slot: int, deadline: float | None) -> bool:
    """Lock held, ``slot`` queued: on a timeout leave and break the barrier; if the drain is
    over (a leaver missed the queue, or a drainer died) admit the queue. True if woken to
    enter by itself."""
    mem = sh.mem
    if deadline is not None and time.monotonic() >= deadline:
        sh.dequeue(slot)
        mem[sh.newcomers + slot] = 0
        sh.end_round(TIMED_OUT)
        raise BrokenBarrierError("a wait timed out before it could join a round")
    sh.admit_if_drained()
    return mem[sh.entries + slot] == RETRY
