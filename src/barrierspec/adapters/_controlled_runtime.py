"""A controlled thread runtime: one participant runs at a time, on a virtual clock.

Participants are real threads, but each one runs only while the :class:`Scheduler` has
granted it the turn. Every operation on a controlled primitive (``_controlled_sync``) is a
*scheduling point*: the participant says what it waits for (a predicate, and optionally a
virtual deadline) and gives up the turn. A run (:meth:`Scheduler.run`) repeatedly picks one
*enabled* participant (its predicate holds, or its timer fired) and lets it run to its next
scheduling point; the pick is made by whoever gives up the turn, in its own thread, so a
participant picked again goes on without a thread switch and another one is woken on its
own real lock. When nobody is enabled, the earliest virtual timer fires (the clock jumps to
its deadline, instantly); when no timer is left the system is quiescent (the controller is
woken): every busy participant is blocked on a controlled primitive, which is a fact of the
runtime, not an inference from timing.

A participant woken from a wait may be *held* (:meth:`Scheduler.run_held`): left parked,
released but not resumed, through later runs until :meth:`Scheduler.release`.

A run in which no scheduling decision is made for ``bound`` real seconds has a participant
running code the runtime does not control (a real lock, a busy loop): :meth:`Scheduler.run`
reports it as overdue.
"""

from __future__ import annotations

import functools
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import ClassVar

from barrierspec.adapters._ops import LONG_TIMEOUT

__all__ = [
    "Failed",
    "Overdue",
    "Participants",
    "PooledWorker",
    "Scheduler",
    "SchedulerClosed",
    "VirtualClock",
    "end_idle_threads",
    "pooled_call",
]

Chooser = Callable[[list[int]], int]


def _lowest(candidates: list[int]) -> int:
    return min(candidates)


class SchedulerClosed(BaseException):
    """Raised in a participant parked at a scheduling point when the scheduler shuts down."""


class VirtualClock:
    """Seconds that move only when the scheduler fires a timer."""

    def __init__(self) -> None:
        self.now = 0.0


@dataclass
class _Slot:
    """One participant's scheduling state."""

    enabled: Callable[[], bool] | None = None  # None: not at a scheduling point (idle/running)
    deadline: float | None = None
    timed_out: bool = False
    busy: bool = False  # inside an operation
    wake: bool = False  # parked in a wait (condition, event, semaphore), not a lock acquire
    decided: bool = False  # the hold policy was asked about this wake-up
    arriving: bool = False  # begun, not yet parked at its first scheduling point


_UNDECIDED = -1  # no decision was made (not a participant, not None: "nobody, quiescent")


def _closed_gate() -> threading.Lock:
    gate = threading.Lock()
    gate.acquire()
    return gate


@dataclass(frozen=True)
class Overdue:
    """A participant kept the turn past the real-time bound (uncontrolled blocking)."""

    participant: int
    seconds: float


@dataclass
class Scheduler:
    """Grants the turn to one participant at a time (see the module docstring).

    The turn is a baton: whoever holds it (a participant at a scheduling point, or the
    controller starting a run) makes the next decision itself, under one mutex, and opens
    the gate of the participant chosen, or keeps running if it chose itself; the controller
    sleeps on its own gate until a decision finds nobody enabled. So a scheduling point at
    which the running participant goes on costs no thread switch, and a hand-over costs one.
    """

    participants: int
    chooser: Chooser = _lowest
    clock: VirtualClock = field(default_factory=VirtualClock)
    choices: int = 0  # scheduling decisions with more than one enabled participant

    def __post_init__(self) -> None:
        self._mu = threading.Lock()  # guards the slots, the turn and the decisions
        self._arrived = threading.Condition(self._mu)  # a participant parked from outside
        # a closed gate is a locked lock: its participant (or the controller: _home) sleeps
        # in acquire() until whoever decides opens it with release()
        self._gates = [_closed_gate() for _ in range(self.participants)]
        self._home = _closed_gate()
        self._turn: int | None = None  # the participant holding the baton (None: nobody)
        self._moves = 0  # decisions made: the controller's evidence of progress
        self._hold: Callable[[int], bool] | None = None  # the hold policy of the current run
        self._error: BaseException | None = None  # raised by a decision in a participant
        self._delegated = False  # a run's first decision is left to the last arrival
        self._slots = [_Slot() for _ in range(self.participants)]
        self._local = threading.local()
        self._closed = False
        self._held: set[int] = set()  # woken, kept parked until released (run_held)

    # -- participant side -------------------------------------------------------------------

    def current(self) -> int | None:
        """The participant the calling thread is, or None for any other thread."""
        value: int | None = getattr(self._local, "participant", None)
        return value

    def attach(self, participant: int) -> None:
        """Declare the calling thread to be ``participant``."""
        self._local.participant = participant

    def detach(self) -> None:
        """The calling thread is no longer a participant (its pooled thread moves on)."""
        self._local.participant = None

    def point(
        self, enabled: Callable[[], bool], deadline: float | None = None, *, wake: bool = False
    ) -> bool:
        """A scheduling point of the calling participant: hand back the turn and resume when
        ``enabled()`` holds (or the timer at virtual ``deadline`` fired) and the turn comes
        back to it. Returns True if resumed by the timer. Called by a participant that does
        not hold the turn (its first point), it parks until granted."""
        p = self.current()
        if p is None:
            raise RuntimeError("a controlled primitive was used outside a participant")
        with self._mu:
            if self._closed:
                raise SchedulerClosed
            slot = self._slots[p]
            slot.enabled, slot.deadline, slot.timed_out = enabled, deadline, False
            slot.wake, slot.decided = wake, False
            nxt: int | None = _UNDECIDED
            if self._turn != p:  # parking from outside a turn (begin, or the first point)
                slot.arriving = False
                self._arrived.notify_all()
                if self._delegated and not any(s.arriving for s in self._slots):
                    self._delegated = False  # a run waits for this arrival: decide for it
                    nxt = self._decide()
            else:
                nxt = self._decide()
            if nxt == p:
                return slot.timed_out
        if nxt != _UNDECIDED:
            self._hand_over(nxt)
        self._gates[p].acquire()
        if self._closed:
            raise SchedulerClosed
        return self._slots[p].timed_out

    def begin(self, participant: int) -> None:
        """Mark ``participant`` busy: its operation parks at a first scheduling point, which
        the next run waits for (controller)."""
        with self._mu:
            slot = self._slots[participant]
            slot.busy, slot.arriving, slot.enabled, slot.deadline = True, True, None, None

    def finish(self) -> None:
        """The calling participant's operation is over: give back the turn for good."""
        p = self.current()
        assert p is not None
        with self._mu:
            self._slots[p].busy = False
            self._slots[p].enabled = None
            nxt = self._decide() if self._turn == p and not self._closed else _UNDECIDED
        if nxt != _UNDECIDED:
            self._hand_over(nxt)

    # -- decisions (under the mutex, by whoever holds the baton) ------------------------------

    def _decide(self) -> int | None:
        """Choose who runs next (it now holds the turn), or None (quiescent: the controller).
        A decision that raises (a chooser's replay diverged) ends the run with that error."""
        try:
            nxt = self._choose()
        except BaseException as exc:  # re-raised by the controller's run_held
            self._error, nxt = exc, None
        self._moves += 1
        self._turn = nxt
        if nxt is not None:
            self._slots[nxt].enabled = None
        return nxt

    def _choose(self) -> int | None:
        while True:
            ready = [p for p, s in enumerate(self._slots) if self._ready(s)]
            if self._hold is not None:
                for p in ready:
                    slot = self._slots[p]
                    if slot.wake and not slot.decided:
                        slot.decided = True
                        if self._hold(p):
                            self._held.add(p)
            ready = [p for p in ready if p not in self._held]
            if ready:
                if len(ready) > 1:
                    self.choices += 1
                return self.chooser(ready)
            if not self._fire_timer():
                return None

    def _hand_over(self, nxt: int | None) -> None:
        (self._home if nxt is None else self._gates[nxt]).release()

    # -- controller side --------------------------------------------------------------------

    def wait_parked(self, participants: set[int], timeout: float) -> bool:
        """Wait at most ``timeout`` real seconds until every one of ``participants`` is parked
        at a scheduling point (so the next :meth:`run` sees them all); False if one is not."""
        with self._mu:
            return self._arrived.wait_for(
                lambda: all(self._slots[p].enabled is not None for p in participants), timeout
            )

    def shutdown(self) -> None:
        """Unwind every parked participant with SchedulerClosed; no turn is granted again."""
        with self._mu:
            self._closed = True
            self._arrived.notify_all()
            for gate in (*self._gates, self._home):
                if gate.locked():  # a sleeper wakes, a runner finds it open: both unwind
                    gate.release()

    @property
    def closed(self) -> bool:
        """Whether :meth:`shutdown` was called."""
        return self._closed

    def busy(self) -> set[int]:
        """Participants inside an operation."""
        with self._mu:
            return {p for p, s in enumerate(self._slots) if s.busy}

    def run(self, bound: float) -> Overdue | None:
        """Run participants until quiescence (see the module docstring)."""
        return self.run_held(bound)[0]

    def held(self) -> frozenset[int]:
        """The participants held: woken from a wait, kept parked until :meth:`release`."""
        with self._mu:
            return frozenset(self._held)

    def release(self, participant: int) -> None:
        """A held participant may be granted the turn again (from the next run on)."""
        with self._mu:
            self._held.discard(participant)

    def run_held(
        self, bound: float, hold: Callable[[int], bool] | None = None
    ) -> tuple[Overdue | None, frozenset[int]]:
        """Run participants until quiescence (see the module docstring); also the
        participants held when it ends. A participant woken from a wait for which ``hold(p)``
        says so is *held*: left parked (released but not resumed), through this run and
        every later one, until :meth:`release`; its timer does not fire meanwhile. A run in
        which no decision is made for ``bound`` real seconds ends with :class:`Overdue` (the
        participant holding the turn runs uncontrolled code); the scheduler is then closed
        to further turns."""
        with self._mu:
            self._hold, self._error = hold, None
            moves = self._moves
            if any(s.arriving for s in self._slots):
                self._delegated = True  # the last participant to park makes the decision
                nxt: int | None = _UNDECIDED
            else:
                nxt = self._decide()
        if nxt is not None:
            if nxt != _UNDECIDED:
                self._hand_over(nxt)
            while not self._home.acquire(timeout=bound):
                with self._mu:
                    if self._moves == moves:
                        return self._overdue(self._late(), bound)
                    moves = self._moves
        with self._mu:
            self._hold, error, self._error = None, self._error, None
            if error is not None:
                raise error
            return None, frozenset(self._held)

    def _late(self) -> int:
        """The participant a stalled run waits for: the turn's holder, or one not parked."""
        if self._turn is not None:
            return self._turn
        return next(p for p, s in enumerate(self._slots) if s.arriving)

    def _overdue(self, p: int, bound: float) -> tuple[Overdue, frozenset[int]]:
        self._closed = True  # the turn is lost to uncontrolled code: no decision is trusted
        return Overdue(p, bound), frozenset(self._held)

    @staticmethod
    def _ready(slot: _Slot) -> bool:
        return slot.enabled is not None and (slot.timed_out or slot.enabled())

    def _fire_timer(self) -> bool:
        timed = [
            (s.deadline, p)
            for p, s in enumerate(self._slots)
            if s.enabled is not None
            and s.deadline is not None
            and s.deadline < LONG_TIMEOUT  # a long timeout never expires within a run
            and not s.timed_out
            and p not in self._held
        ]
        if not timed:
            return False
        when, p = min(timed)
        self.clock.now = max(self.clock.now, when)
        self._slots[p].timed_out = True
        return True


class PooledWorker:
    """A pooled daemon thread that runs one job at a time (see :class:`Participants`)."""

    _idle: ClassVar[list[PooledWorker]] = []
    _pool_lock: ClassVar[threading.Lock] = threading.Lock()
    _made: ClassVar[int] = 0

    def __init__(self) -> None:
        PooledWorker._made += 1
        self._jobs: queue.SimpleQueue[Callable[[], None] | None] = queue.SimpleQueue()
        self.done = threading.Event()
        self.name = f"barrierspec-participant-{PooledWorker._made}"
        threading.Thread(target=self._loop, name=self.name, daemon=True).start()

    @classmethod
    def take(cls) -> PooledWorker:
        """An idle worker from the pool, or a new one."""
        with cls._pool_lock:
            if cls._idle:
                return cls._idle.pop()
        return cls()

    def run(self, job: Callable[[], None]) -> None:
        """Start ``job`` on this worker; :attr:`done` is set when it ends."""
        self.done.clear()
        self._jobs.put(job)

    def give_back(self) -> None:
        """Return a worker whose job ended to the pool."""
        with PooledWorker._pool_lock:
            PooledWorker._idle.append(self)

    def end(self) -> None:
        """Let an idle worker's thread end."""
        self._jobs.put(None)

    def _loop(self) -> None:
        while (job := self._jobs.get()) is not None:
            try:
                job()
            finally:
                self.done.set()


def pooled_call(func: Callable[[], object], timeout: float) -> tuple[bool, object]:
    """Call ``func`` on a pooled worker thread: (True, its result, or the exception it
    raised), or (False, None) if it did not finish within ``timeout`` seconds (the worker is
    then abandoned where it blocks, never reused, and its thread ends if the call returns)."""
    box: list[object] = []

    def job() -> None:
        try:
            box.append(func())
        except BaseException as exc:  # handed back to the caller, who classifies it
            box.append(Failed(exc))

    worker = PooledWorker.take()
    worker.run(job)
    if not worker.done.wait(timeout):
        worker.end()  # abandoned: its thread ends once the call returns, if it ever does
        return False, None
    worker.give_back()
    return True, box[0]


@dataclass(frozen=True)
class Failed:
    """An exception a pooled call raised."""

    exc: BaseException


def end_idle_threads() -> int:
    """End every pooled participant thread that is idle (a check calls this when it is
    done, so nothing it started outlives it); returns how many were ended."""
    with PooledWorker._pool_lock:
        idle, PooledWorker._idle = PooledWorker._idle, []
    for worker in idle:
        worker.end()
    return len(idle)


class Participants:
    """One thread per participant of ``sched``, each running ``body(p)`` as that participant
    until the scheduler shuts down. With ``park``, every participant is parked at a first
    scheduling point before this returns (so the first run starts them all); else a body
    waits for its work itself and enters a turn through :meth:`Scheduler.begin`. Both
    controlled front ends (the driver and the program runner) run their participants here.

    The threads are pooled daemon workers: a participant whose body ended returns its
    thread to the pool at :meth:`close`, so a search running thousands of programs does not
    start thousands of threads. A body still running at close (stuck in uncontrolled code)
    keeps its thread, which is reported and never reused.
    """

    def __init__(
        self,
        sched: Scheduler,
        body: Callable[[int], None],
        *,
        name: str,
        park: bool,
        bound: float,
    ) -> None:
        self._sched = sched
        self._body = body
        self._park = park
        self._name = name
        self._workers = [PooledWorker.take() for _ in range(sched.participants)]
        for p, worker in enumerate(self._workers):
            worker.run(functools.partial(self._run, p))
        if park and not sched.wait_parked(set(range(sched.participants)), bound):
            self.close(bound)
            raise RuntimeError(f"participants did not reach their first turn within {bound} s")

    def _run(self, p: int) -> None:
        self._sched.attach(p)
        try:
            if self._park:
                self._sched.point(lambda: True)  # parked until the first turn
            self._body(p)
        except SchedulerClosed:
            return
        finally:
            self._sched.detach()

    def close(self, bound: float) -> tuple[str, ...]:
        """Unwind every parked participant (SchedulerClosed) and wait for each body to end
        within ``bound`` seconds; the names of the participants still running (stuck in
        uncontrolled code)."""
        self._sched.shutdown()
        stuck = []
        for p, worker in enumerate(self._workers):
            if worker.done.wait(bound):
                worker.give_back()
            else:
                stuck.append(f"{self._name}{p} ({worker.name})")
        return tuple(stuck)
