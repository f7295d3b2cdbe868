"""Driving a barrier from threads: one daemon thread per participant.

Each participant thread runs the operations sent to its inbox one at a time, with a
:class:`~barrierspec.adapters._probe.Probe` installed as its profile hook. After sending an
operation the controller polls until the system is quiescent:

* every participant is idle, or *looks blocked* (see ``_probe``) with an unchanged event
  count over ``quiet_polls`` consecutive polls, ``poll`` seconds apart (each poll waits on the
  ledger's "an operation finished" event, so finishing operations are seen at once);
* a participant inside a wait with a real-clock timeout (its own, or the barrier's default)
  is never taken as blocked: the controller waits until that wait returns.

Watchdog: a timed wait still inside the barrier ``settle`` seconds after its timeout, or an
untimed operation still running (not blocked) ``settle`` seconds after it was sent, is a
:class:`~barrierspec.adapters.Hang`; so is an ``abort()``/``reset()``/join that is blocked at
quiescence (they must not block). Hung participants are marked stuck: later steps list them
as blocked, and :meth:`close` aborts the barrier to free them; daemon threads that stay stuck
are listed in ``leaked``.
"""

from __future__ import annotations

import queue
import sys
import threading
import time
from typing import Any

from barrierspec.adapters._base import Driver, build_barrier, call_bounded, describe
from barrierspec.adapters._ledger import PARTICIPANT, Ledger, RecordingAction
from barrierspec.adapters._ops import (
    Abort,
    Cancel,
    Hang,
    Op,
    Outcome,
    Returned,
    Step,
    Wait,
    outcome_of,
)
from barrierspec.adapters._probe import Observation, Probe
from barrierspec.adapters._target import Target

__all__ = ["ThreadDriver", "ThreadEngine"]

_CLOSE_BOUND = 1.0  # seconds close() gives abort() and then the threads to finish


class _Worker:
    """One participant thread: runs the operations sent to it, one at a time."""

    def __init__(self, index: int, engine: ThreadEngine) -> None:
        self.index = index
        self.probe = Probe()
        self.inbox: queue.SimpleQueue[Op | None] = queue.SimpleQueue()
        self.current: Op | None = None  # set by the controller, cleared by the worker
        self._engine = engine
        self.thread = threading.Thread(
            target=self._run, name=f"barrierspec-p{index}", daemon=True
        )

    def _run(self) -> None:
        PARTICIPANT.set(self.index)
        self.probe.install()
        try:
            while (op := self.inbox.get()) is not None:
                outcome = self._engine.execute(self.index, op)
                self._engine.ledger.finished(self.index, outcome)
                self.current = None
                self._engine.ledger.changed.set()
        finally:
            sys.setprofile(None)


class ThreadEngine(Driver):
    """Participant threads, quiescence and watchdog; subclasses say how to run an operation."""

    def __init__(self, target: Target | str | object, parties: int, participants: int,
                 **options: Any) -> None:
        super().__init__(target, parties, participants, **options)
        self.ledger = Ledger()
        self._workers = [_Worker(i, self) for i in range(participants)]

    def _start_workers(self) -> None:
        for worker in self._workers:
            worker.thread.start()

    def execute(self, participant: int, op: Op) -> Outcome:
        """Run ``op`` in the calling participant thread; never raises."""
        raise NotImplementedError

    def _control(self, op: Op) -> Outcome | None:
        """Run a controller-side operation (Cancel); None if it did not finish in time."""
        raise AssertionError(f"no controller-side operations here: {op!r}")  # pragma: no cover

    def _barrier_for_snapshot(self) -> object | None:
        return None

    # -- one step -----------------------------------------------------------------------------

    def _perform(self, op: Op) -> Step:
        control: Outcome | None = None
        if isinstance(op, Cancel):
            self.ledger.note(f"control cancel p{op.participant}")
            control = self._control(op)
        else:
            worker = self._workers[op.participant]  # type: ignore[union-attr]
            worker.current = op
            self.ledger.note(f"send p{worker.index} {describe(op)}")
            worker.inbox.put(op)
        hang = self._settle(op)
        return self._step(op, hang, control)

    def _busy_now(self) -> dict[int, Op]:
        return {w.index: op for w in self._workers if (op := w.current) is not None}

    def _settle(self, op: Op) -> Hang | None:
        start = time.monotonic()
        last_key: tuple[tuple[int, int], ...] | None = None
        stable = 0
        while True:
            self.ledger.changed.clear()
            busy = {p: o for p, o in self._busy_now().items() if p not in self._stuck}
            timed = {p: t for p, o in busy.items() if (t := self.effective_timeout(o)) is not None}
            seen = {p: self._workers[p].probe.observe() for p in busy if p not in timed}
            if not timed and all(o.blocked for o in seen.values()):
                key = tuple(sorted((p, o.events) for p, o in seen.items()))
                stable = stable + 1 if key == last_key else 0
                last_key = key
                if stable >= self.quiet_polls:
                    return self._blocked_non_waits(op, busy, seen, start)
            else:
                last_key, stable = None, 0
                hang = self._overdue(op, start, busy, timed, seen)
                if hang is not None:
                    return hang
            self.ledger.changed.wait(self.poll)

    def _overdue(self, op: Op, start: float, busy: dict[int, Op], timed: dict[int, float],
                 seen: dict[int, Observation]) -> Hang | None:
        elapsed = time.monotonic() - start
        late: dict[int, str] = {}
        for p, t in timed.items():
            if elapsed > t + self.settle:
                late[p] = (f"participant {p} still blocked {elapsed - t:.1f} s after its "
                           f"{t:g} s timeout in {describe(busy[p])}")
        bound = self.settle + max(timed.values(), default=0.0)
        for p, o in seen.items():
            if not o.blocked and elapsed > bound:
                late[p] = (f"participant {p} still running ({o.where}) {elapsed:.1f} s after "
                           f"{describe(busy[p])} was sent, neither returning nor blocked")
        return self._hang(op, late, elapsed) if late else None

    def _blocked_non_waits(self, op: Op, busy: dict[int, Op], seen: dict[int, Observation],
                           start: float) -> Hang | None:
        late = {p: (f"participant {p} blocked in {describe(o)} ({seen[p].where}), "
                    "which must return without waiting for other participants")
                for p, o in busy.items() if not isinstance(o, Wait)}
        return self._hang(op, late, time.monotonic() - start) if late else None

    def _hang(self, op: Op, late: dict[int, str], elapsed: float) -> Hang:
        self._stuck.update(late)
        message = "; ".join(late[p] for p in sorted(late))
        self.ledger.note(f"hang: {message}")
        return Hang(frozenset(late), round(elapsed, 3), op, message, tuple(self.program))

    def _step(self, op: Op, hang: Hang | None, control: Outcome | None) -> Step:
        returned, actions, log = self.ledger.drain()
        self._stuck.difference_update(returned)
        busy = self._busy_now()
        self._busy = busy
        barrier = self._barrier_for_snapshot()
        return Step(
            op=op, returned=returned, blocked=frozenset(busy), dead=frozenset(self._dead),
            actions=actions, log=log,
            snapshot=self._snapshot(barrier) if barrier is not None else None,
            hang=hang, control=control,
        )

    # -- clean-up -----------------------------------------------------------------------------

    def _release_all(self) -> None:
        """Free participants stuck in the barrier before the threads are told to stop."""

    def _close(self) -> None:
        self._release_all()
        for worker in self._workers:
            worker.inbox.put(None)
        deadline = time.monotonic() + _CLOSE_BOUND
        for worker in self._workers:
            if worker.thread.is_alive():
                worker.thread.join(max(0.0, deadline - time.monotonic()))
        self.leaked = tuple(w.thread.name for w in self._workers if w.thread.is_alive())


class ThreadDriver(ThreadEngine):
    """Drives a threading-style barrier (``wait(timeout) -> index``) from threads."""

    kind = "thread"

    def __init__(self, target: Target | str | object, parties: int, participants: int, *,
                 action: bool = False, default_timeout: float | None = None,
                 **options: Any) -> None:
        super().__init__(target, parties, participants, action=action,
                         default_timeout=default_timeout, **options)
        self.action = RecordingAction(self.ledger) if action else None
        self.barrier: Any = build_barrier(
            self.target, parties, action=self.action, timeout=default_timeout
        )
        if self.action is not None:
            self.action.barrier = self.barrier
        self._start_workers()

    def execute(self, participant: int, op: Op) -> Outcome:
        tag = 0
        if isinstance(op, Wait) and self.action is not None:
            tag = self.action.wait_started(participant, op.action_raises)
        try:
            if isinstance(op, Wait):
                value = self.barrier.wait() if op.timeout is None else self.barrier.wait(op.timeout)
            elif isinstance(op, Abort):
                value = self.barrier.abort()
            else:
                value = self.barrier.reset()
            outcome: Outcome = Returned(value)
        except BaseException as exc:
            outcome = outcome_of(exc)
        if isinstance(op, Wait) and self.action is not None:
            self.action.wait_returned(tag, outcome)
        return outcome

    def _barrier_for_snapshot(self) -> object | None:
        barrier: object = self.barrier
        return barrier

    def _release_all(self) -> None:
        if self.capabilities.has_abort:
            call_bounded(self.barrier.abort, _CLOSE_BOUND)
