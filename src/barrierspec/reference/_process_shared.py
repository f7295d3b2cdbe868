"""The shared memory of a :class:`~barrierspec.reference.ProcessBarrier`.

One array of 64-bit ints in a ``multiprocessing.heap`` arena, one lock, and one semaphore per
*slot*. Layout::

    header   ROUND COMPLETED COUNT PHASE CODE CULPRIT OWNER HINT ACTOR NEWCOMERS ABORTS TICKETS
    members  parties entries: the slot of the k-th arrival of the current round
    pids     nslots entries: pid of the arrival holding the slot (a member, or a drainer)
    outcome  nslots entries: ``outcome_word(round, code)``, written before the slot's
             semaphore is posted (0: no outcome yet)
    stamps   nslots entries: ABORTS when the slot's round ended (an abort after it, before
             the party left, breaks a released party, as in CPython)
    entries  nslots entries: the holder's place, ``entry_word(round, index)`` once it is in a
             round, QUEUED while it waits behind a draining round, RETRY once woken to enter
    newcomers nslots entries: pid of the newcomer holding the slot outside any round (queued
             or woken to enter); a slot is free when neither pids nor newcomers holds a pid
    tickets  nslots entries: the ticket of a queued newcomer (arrival order), else 0

A party takes a free slot when it arrives, sleeps on that slot's semaphore, reads the
outcome, and frees the slot (a plain store). Because each sleeper has its own semaphore and
its own outcome word, a party that is slow to wake can never take a token or read an outcome
meant for another round.

A token is a prompt to look, not the outcome itself: whoever ends a round (or wakes a queued
newcomer) writes the words under the lock and posts the semaphores just after releasing it,
so the parties it wakes do not find the lock still held (one sleep each, not two). A woken
party leaves only if its words say so (its round's outcome, or RETRY) and otherwise sleeps on:
a token can arrive late, after its party has left on a slice's own check (its round ended, or
the poster died between the release and the posts), and then wakes the slot's next sleeper
once for nothing.

While parties of an ended round still hold slots (they *drain*), a newcomer does not join the
next round (CPython's choice): it queues in its slot (a ticket, counted in NEWCOMERS) and
sleeps on the slot's semaphore. The drainer that frees the last held slot *admits* the queue:
in ticket order, up to ``parties - 1`` newcomers become arrivals of the new round with their
indices and go on sleeping, now as members (one sleep per round, not one to be let in and one
in the round); any others are woken to enter by themselves (the first trips the round and runs
the action). ``2 * parties`` slots are kept: at most ``parties - 1`` drainers and the queue.

Invariants (under the lock): a slot listed in ``members[:COUNT]`` has a non-zero pid; its
outcome belongs to an earlier round until the round ends; every member's semaphore is posted
once per round, by whoever ends the round, after its outcome is written and the lock released;
newcomers queue only behind a drain (NEWCOMERS > 0 implies filling with COUNT == 0).
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import compress
from multiprocessing import heap
from multiprocessing.context import BaseContext
from multiprocessing.synchronize import Lock, Semaphore

from barrierspec.errors import BrokenBarrierError
from barrierspec.reference._liveness import first_dead, own_pid

__all__ = ["SharedState"]

# header words
ROUND, COMPLETED, COUNT, PHASE, CODE, CULPRIT, OWNER, HINT, ACTOR = range(9)
NEWCOMERS, ABORTS, TICKETS = range(9, 12)
HEADER = 12

# entry words besides entry_word(round, index)
QUEUED, RETRY = 0, -1

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


# An entry word and an outcome word both carry the tag ``round + 1`` of their round (0 for
# none): entry = tag << 10 | index (index < MAX_PROCESS_PARTIES <= 1024), outcome = tag << 3 |
# code. QUEUED and RETRY carry no round (tags 0 and -1) and match no outcome.


def entry_word(round_no: int, index: int) -> int:
    """The entry of a party that is arrival ``index`` of round ``round_no``."""
    return (round_no + 1) << 10 | index


def place_of(entry: int) -> tuple[int, int]:
    """``(index, round)`` of an entry word made by :func:`entry_word`."""
    return entry & 1023, (entry >> 10) - 1


def outcome_word(round_no: int, code: int) -> int:
    """The outcome word of round ``round_no`` ended with ``code``."""
    return (round_no + 1) << 3 | code


class SharedState:
    """Shared words, lock and slot semaphores; every method but ``acquire`` needs the lock."""

    def __init__(self, parties: int, ctx: BaseContext) -> None:
        self.parties = parties
        self.nslots = 2 * parties
        self.wrapper = heap.BufferWrapper(8 * (HEADER + parties + 6 * self.nslots))
        self.lock: Lock = ctx.Lock()
        self.sems: list[Semaphore] = [ctx.Semaphore(0) for _ in range(self.nslots)]
        self._attach()
        for i in range(len(self.mem)):
            self.mem[i] = 0

    def _attach(self) -> None:
        self.mem = memoryview(self.wrapper.create_memoryview()).cast("B").cast("q")
        self.members = HEADER
        self.pids = HEADER + self.parties
        self.outcome = self.pids + self.nslots
        self.stamps = self.outcome + self.nslots
        self.entries = self.stamps + self.nslots
        self.newcomers = self.entries + self.nslots
        self.tickets = self.newcomers + self.nslots
        self.held = self.mem[self.pids : self.pids + self.nslots]  # every slot's pid word
        self.no_pids = bytes(8 * self.nslots)
        self.no_tickets = memoryview(self.no_pids).cast("q")
        self.posts: list[Semaphore] = []  # this process's tokens to post once it releases

    def __getstate__(self) -> tuple[object, ...]:
        return (self.parties, self.wrapper, self.lock, self.sems)

    def __setstate__(self, state: tuple[object, ...]) -> None:
        parties, self.wrapper, self.lock, self.sems = state  # type: ignore[assignment]
        self.parties = parties  # type: ignore[assignment]
        self.nslots = 2 * self.parties
        self._attach()

    # ------------------------------------------------------------------ the lock
    def acquire(self) -> None:
        """Take the lock. If its holder has died, poison the barrier and raise."""
        mem = self.mem
        lock = self.lock
        while not (lock.acquire(False) or lock.acquire(True, POLL)):
            holder = mem[OWNER]
            if mem[PHASE] == POISONED or (holder and first_dead([holder]) == holder):
                mem[PHASE] = POISONED
                raise BrokenBarrierError(
                    f"process {holder} died holding the barrier's lock; the barrier cannot"
                    " be repaired: create a new one"
                )
        mem[OWNER] = own_pid()

    def release(self) -> None:
        """Release the lock, then post the tokens of the parties woken while it was held."""
        self.mem[OWNER] = 0
        self.lock.release()
        posts = self.posts
        if posts:
            self.posts = []
            for sem in posts:
                sem.release()

    def take_token(self, slot: int) -> None:
        """Take a token posted to ``slot`` if one is there (one left behind, or arriving
        late, only wakes the slot's next sleeper once for nothing)."""
        self.sems[slot].acquire(False)

    # ------------------------------------------------------------------- slots
    def round_members(self) -> list[int]:
        """Slots of the current round's arrivals, in arrival order."""
        base = self.members
        return self.mem[base : base + self.mem[COUNT]].tolist()

    def join(self, slots: Sequence[int], pids: Sequence[int]) -> int:
        """``slots`` (held by ``pids``) are the next arrivals of the filling round, in this
        order; the entry of the last of them."""
        mem = self.mem
        index = mem[COUNT]
        entry = entry_word(mem[ROUND], index)  # the next one's is entry + 1
        for slot, pid in zip(slots, pids, strict=True):
            mem[self.members + index] = slot
            mem[self.pids + slot] = pid
            mem[self.newcomers + slot] = 0
            mem[self.entries + slot] = entry
            index += 1
            entry += 1
        mem[COUNT] = index
        return entry - 1

    def _holder(self, slot: int) -> int:
        return self.mem[self.pids + slot] or self.mem[self.newcomers + slot]

    def free_slot(self) -> int:
        """A free slot (reclaiming one whose holder died outside the round), or -1."""
        mem, n = self.mem, self.nslots
        start = mem[HINT] % n
        if not (mem[self.pids + start] or mem[self.newcomers + start]):  # the common case
            mem[HINT] = start + 1
            return start
        for i in range(n):
            slot = (start + i) % n
            if not self._holder(slot):
                mem[HINT] = slot + 1
                return slot
        current = set(self.round_members())
        for slot in range(n):
            pid = self._holder(slot)
            if slot not in current and first_dead([pid]) == pid:
                self.drop(slot)
                return slot
        return -1

    def drop(self, slot: int) -> None:
        """Free the slot of a holder found dead (outside the filling round)."""
        mem = self.mem
        self.take_token(slot)  # the token its dead holder may never have taken
        if mem[self.tickets + slot]:
            self.dequeue(slot)
        mem[self.pids + slot] = mem[self.newcomers + slot] = 0

    def drained(self) -> bool:
        """Every slot's pid is 0: no party of an ended round holds a slot (lock-free; the
        fast test of :meth:`draining`, without its reaping)."""
        return self.held.tobytes() == self.no_pids

    def draining(self, reap: bool = False) -> bool:
        """No arrival yet: do parties of an ended round still hold slots? (Newcomers hold
        theirs in ``newcomers``, not ``pids``.) Lock-free reads are allowed.

        With ``reap`` (lock held; a newcomer that has slept a whole slice, or the leaver
        that frees the last slot), holders found dead are dropped from their slots first,
        so a party that dies on its way out cannot keep newcomers out for ever.
        """
        if self.drained():
            return False
        for slot, pid in enumerate(self.held.tolist()) if reap else ():
            if pid and first_dead([pid]) == pid:
                self.drop(slot)
        return not self.drained()

    # -------------------------------------------------------- newcomers' queue
    def queue_behind_drain(self, slot: int, pid: int) -> bool:
        """Lock held, no arrival yet: queue ``slot`` (held by ``pid``) if parties of the last
        round still hold slots; True if queued.

        The newcomer counts itself in (it enqueues) before it looks again, so a drainer that
        frees the last slot (a plain store, then a read of NEWCOMERS) cannot miss a newcomer
        that saw its slot still held. If the drain is over, newcomers queued before it (that
        a leaver missed) are admitted first; the caller joins after them."""
        mem = self.mem
        if not self.drained():  # else nobody needs to see this newcomer
            ticket = mem[TICKETS] = mem[TICKETS] + 1  # enqueue: a ticket, counted in NEWCOMERS
            mem[self.tickets + slot] = ticket
            mem[self.entries + slot] = QUEUED
            mem[self.newcomers + slot] = pid
            mem[NEWCOMERS] += 1
            if not self.drained():
                return True
            self.dequeue(slot)
        if mem[NEWCOMERS]:
            self.admit()
        return False

    def dequeue(self, slot: int) -> None:
        """Lock held: ``slot`` leaves the queue (its newcomer still holds it)."""
        self.mem[self.tickets + slot] = 0
        self.mem[NEWCOMERS] -= 1

    def _take_queue(self) -> list[int]:
        """Lock held: empty the queue (every ticket at once); the slots it held, in ticket
        (arrival) order. Their newcomers still hold them."""
        mem, start, end = self.mem, self.tickets, self.tickets + self.nslots
        tickets = mem[start:end].tolist()
        queued = sorted(compress(range(self.nslots), tickets), key=tickets.__getitem__)
        mem[start:end] = self.no_tickets
        mem[NEWCOMERS] = 0
        return queued

    def admit(self) -> None:
        """Lock held, the drain is over (filling, no arrival, no slot held by a drainer): the
        live queued newcomers join the round in ticket order, up to ``parties - 1``, and go on
        sleeping as members; the others are woken to enter by themselves (the first of them
        trips the round)."""
        mem = self.mem
        assert mem[PHASE] == FILLING and mem[COUNT] == 0, "admission fills an empty round"
        queued = self._take_queue()
        pids = [mem[self.newcomers + slot] for slot in queued]
        dead: set[int] = set()
        live = pids
        while (pid := first_dead(live)) is not None:
            dead.add(pid)  # one poll for all of them, unless some died
            live = [p for p in pids if p not in dead]
        if dead:
            for slot, pid in zip(queued, pids, strict=True):
                if pid in dead:  # died before joining a round: not a member
                    self.drop(slot)
            queued = [slot for slot, pid in zip(queued, pids, strict=True) if pid not in dead]
            pids = [pid for pid in pids if pid not in dead]
        room = self.parties - 1  # the last arrival trips the round: it enters by itself
        self.join(queued[:room], pids[:room])
        for slot in queued[room:]:
            self.retry(slot)
        assert mem[NEWCOMERS] == 0

    def retry(self, slot: int) -> None:
        """Lock held: wake the newcomer in ``slot`` (not queued) to enter by itself (its token
        is posted once the lock is released)."""
        self.mem[self.entries + slot] = RETRY
        self.posts.append(self.sems[slot])

    def vacate(self, slot: int) -> None:
        """A party of an ended round leaves ``slot`` (no lock: one store). If newcomers are
        queued and no other drainer holds a slot, it admits them (rechecked under the lock).
        A newcomer that a leaver misses (it queued as the last slot was freed) admits itself
        within ``POLL``."""
        mem = self.mem
        mem[self.pids + slot] = 0
        if mem[NEWCOMERS] and self.drained():
            self.acquire()
            try:
                self.admit_if_drained()
            finally:
                self.release()

    def admit_if_drained(self) -> None:
        """Lock held: admit the queued newcomers if the drain is over."""
        mem = self.mem
        if mem[NEWCOMERS] and mem[PHASE] == FILLING and not self.draining(reap=True):
            self.admit()

    def end_round(self, code: int, culprit: int = 0, skip: int = -1) -> None:
        """Write ``code`` as the outcome of every member of the current round (but ``skip``);
        their semaphores are posted once the lock is released. A round that is not released
        leaves the barrier broken."""
        mem = self.mem
        word = outcome_word(mem[ROUND], code)
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
        outcome, stamps, aborts, sems = self.outcome, self.stamps, mem[ABORTS], self.sems
        posts = self.posts
        for slot in members:
            if slot != skip:
                mem[outcome + slot] = word
                mem[stamps + slot] = aborts
                posts.append(sems[slot])
        if code != RELEASED:  # queued newcomers enter by themselves and find it broken
            for slot in self._take_queue():
                self.retry(slot)
        assert mem[COUNT] == 0

    def ended(self, slot: int, round_no: int) -> bool:
        """Has the outcome of round ``round_no`` been written to ``slot``?"""
        return self.mem[self.outcome + slot] >> 3 == round_no + 1

    def outcome_code(self, slot: int, entry: int) -> int:
        """The code written to ``slot`` as the outcome of the round of ``entry`` (its holder's
        place); 0 while that round has not ended, or if ``entry`` is QUEUED or RETRY."""
        word = self.mem[self.outcome + slot]
        return word & 7 if word >> 3 == entry >> 10 else 0

    def reason(self, code: int) -> str:
        """Why a round ended with ``code`` (for ``BrokenBarrierError`` messages)."""
        if self.mem[PHASE] == POISONED:
            return "a process died holding the barrier's lock; create a new barrier"
        return _REASONS[code].format(pid=self.mem[CULPRIT])
