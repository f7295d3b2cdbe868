"""The shared memory of a :class:`~barrierspec.reference.ProcessBarrier`.

One array of 64-bit ints in a ``multiprocessing.heap`` arena, one lock, and one semaphore per
*slot*. Layout::

    header   ROUND COMPLETED COUNT PHASE CODE CULPRIT OWNER HINT ACTOR NEWCOMERS ABORTS
    members  parties entries: the slot of the k-th arrival of the current round
    pids     nslots entries: pid of the party holding the slot (0 = free)
    outcome  nslots entries: (round + 1) * 8 + code, written before the slot's semaphore
             is posted (0: no outcome yet)
    stamps   nslots entries: ABORTS when the slot's round ended (an abort after it, before
             the party left, breaks a released party, as in CPython)

A party takes a free slot when it arrives, sleeps on that slot's semaphore, reads the
outcome, and frees the slot (a plain store). Because each sleeper has its own semaphore and
its own outcome word, a party that is slow to wake can never take a token or read an outcome
meant for another round. While parties of an ended round still hold slots (they *drain*),
a newcomer does not join the next round: it counts itself in
NEWCOMERS and sleeps on the ``gate`` semaphore, which the last party to leave posts
(CPython's choice). ``2 * parties`` slots are kept, though at most ``parties`` are held.

Invariants (under the lock): a slot listed in ``members[:COUNT]`` has a non-zero pid; its
outcome belongs to an earlier round until the round ends; every member's semaphore is posted
exactly once per round, by whoever ends the round, after its outcome is written.
"""

from __future__ import annotations

import os
from multiprocessing import heap
from multiprocessing.context import BaseContext
from multiprocessing.synchronize import Lock, Semaphore

from barrierspec.errors import BrokenBarrierError
from barrierspec.reference._liveness import first_dead

__all__ = ["SharedState"]

# header words
ROUND, COMPLETED, COUNT, PHASE, CODE, CULPRIT, OWNER, HINT, ACTOR = range(9)
NEWCOMERS, ABORTS = range(9, 11)
HEADER = 11

# phases
FILLING, ACTING, BROKEN, POISONED = 0, 1, 2, 3

# outcome codes (low three bits of an outcome word)
RELEASED, ABORTED, TIMED_OUT, ACTION_FAILED, DIED, DIED_ACTING, RESET = range(1, 8)

POLL = 0.05  # seconds between liveness checks of a stalled wait or lock acquisition

_REASONS = {
    ABORTED: "the barrier was aborted",
    TIMED_OUT: "a wait timed out",
    ACTION_FAILED: "the action raised in process {pid}",
    DIED: "participant process {pid} died while waiting at the barrier",
    DIED_ACTING: "participant process {pid} died while running the action",
    RESET: "the barrier was reset",
}


class SharedState:
    """Shared words, lock and slot semaphores; every method but ``acquire`` needs the lock."""

    def __init__(self, parties: int, ctx: BaseContext) -> None:
        self.parties = parties
        self.nslots = 2 * parties
        self.wrapper = heap.BufferWrapper(8 * (HEADER + parties + 3 * self.nslots))
        self.lock: Lock = ctx.Lock()
        self.sems: list[Semaphore] = [ctx.Semaphore(0) for _ in range(self.nslots)]
        self.gate: Semaphore = ctx.Semaphore(0)  # newcomers sleep here while a round drains
        self._attach()
        for i in range(len(self.mem)):
            self.mem[i] = 0

    def _attach(self) -> None:
        self.mem = memoryview(self.wrapper.create_memoryview()).cast("B").cast("q")
        self.members = HEADER
        self.pids = HEADER + self.parties
        self.outcome = self.pids + self.nslots
        self.stamps = self.outcome + self.nslots

    def __getstate__(self) -> tuple[object, ...]:
        return (self.parties, self.wrapper, self.lock, self.sems, self.gate)

    def __setstate__(self, state: tuple[object, ...]) -> None:
        parties, self.wrapper, self.lock, self.sems, self.gate = state  # type: ignore[assignment]
        self.parties = parties  # type: ignore[assignment]
        self.nslots = 2 * self.parties
        self._attach()

    # ------------------------------------------------------------------ the lock
    def acquire(self) -> None:
        """Take the lock. If its holder has died, poison the barrier and raise."""
        mem = self.mem
        while not self.lock.acquire(True, POLL):
            holder = mem[OWNER]
            if mem[PHASE] == POISONED or (holder and first_dead([holder]) == holder):
                mem[PHASE] = POISONED
                raise BrokenBarrierError(
                    f"process {holder} died holding the barrier's lock; the barrier cannot"
                    " be repaired: create a new one"
                )
        mem[OWNER] = os.getpid()

    def release(self) -> None:
        self.mem[OWNER] = 0
        self.lock.release()

    # ------------------------------------------------------------------- slots
    def round_members(self) -> list[int]:
        """Slots of the current round's arrivals, in arrival order."""
        base = self.members
        return [self.mem[base + k] for k in range(self.mem[COUNT])]

    def free_slot(self) -> int:
        """A free slot (reclaiming one whose holder died after its round ended), or -1."""
        mem, pids, n = self.mem, self.pids, self.nslots
        start = mem[HINT]
        for i in range(n):
            slot = (start + i) % n
            if mem[pids + slot] == 0:
                mem[HINT] = slot + 1
                return slot
        current = set(self.round_members())
        for slot in range(n):
            pid = mem[pids + slot]
            if slot not in current and first_dead([pid]) == pid:
                self.sems[slot].acquire(False)  # the token its dead holder never took
                mem[pids + slot] = 0
                return slot
        return -1

    def draining(self, reap: bool = False) -> bool:
        """Lock held, no arrival yet: do parties of an ended round still hold slots?

        With ``reap`` (a newcomer that has slept a whole slice), holders found dead are
        dropped from their slots first, so a party that dies on its way out cannot keep
        newcomers out for ever.
        """
        mem, pids = self.mem, self.pids
        held = [slot for slot in range(self.nslots) if mem[pids + slot]]
        for slot in held if reap else ():
            pid = mem[pids + slot]
            if first_dead([pid]) == pid:
                self.sems[slot].acquire(False)  # the token its dead holder may never have taken
                mem[pids + slot] = 0
        return any(mem[pids + slot] for slot in held)

    def vacate(self, slot: int) -> None:
        """A party leaves ``slot`` (no lock: one store); if newcomers sleep, wake them once
        no slot is held. A newcomer that misses this wake-up rechecks within ``POLL``."""
        mem = self.mem
        mem[self.pids + slot] = 0
        if mem[NEWCOMERS]:
            self.acquire()
            try:
                if mem[NEWCOMERS] and not mem[COUNT] and not self.draining(reap=True):
                    for _ in range(mem[NEWCOMERS]):
                        self.gate.release()
                    mem[NEWCOMERS] = 0
            finally:
                self.release()

    def end_round(self, code: int, culprit: int = 0, skip: int = -1) -> None:
        """Write ``code`` as the outcome of every member of the current round (but ``skip``)
        and post their semaphores. A round that is not released leaves the barrier broken."""
        mem = self.mem
        word = (mem[ROUND] + 1) * 8 + code
        members = self.round_members()
        mem[COUNT] = 0
        if code == RELEASED:
            mem[ROUND] += 1
            mem[COMPLETED] += 1
            mem[PHASE] = FILLING
        else:  # the reason is complete before anyone can wake and read it
            mem[PHASE] = BROKEN
            mem[CODE] = code
            mem[CULPRIT] = culprit
        for slot in members:
            if slot != skip:
                mem[self.outcome + slot] = word
                mem[self.stamps + slot] = mem[ABORTS]
                self.sems[slot].release()
        assert mem[COUNT] == 0

    def ended(self, slot: int, round_no: int) -> bool:
        """Has the outcome of round ``round_no`` been written to ``slot``?"""
        return self.mem[self.outcome + slot] // 8 == round_no + 1

    def reason(self, code: int) -> str:
        """Why a round ended with ``code`` (for ``BrokenBarrierError`` messages)."""
        if self.mem[PHASE] == POISONED:
            return "a process died holding the barrier's lock; create a new barrier"
        return _REASONS[code].format(pid=self.mem[CULPRIT])
