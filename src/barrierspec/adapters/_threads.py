"""Driving a barrier from threads: one daemon thread per participant.

Each participant thread runs the operations sent to its inbox one at a time, with a
:class:`~barrierspec.adapters._probe.Probe` installed as its profile hook; quiescence and the
watchdog are those of :mod:`barrierspec.adapters._quiesce`. :meth:`ThreadDriver.close`
aborts the barrier to free stuck participants; daemon threads that stay stuck anyway (a
barrier whose abort does not wake them) are listed in ``leaked``.
"""

from __future__ import annotations

import abc
import queue
import sys
import threading
import time
from typing import Any

from barrierspec.adapters._base import build_barrier, call_bounded, describe
from barrierspec.adapters._blocking_reads import observe_participant
from barrierspec.adapters._ledger import PARTICIPANT, RecordingAction
from barrierspec.adapters._ops import (
    AbortOp,
    CancelOp,
    Hang,
    Op,
    OpOutcome,
    OpReturned,
    StepReport,
    WaitOp,
    outcome_of,
)
from barrierspec.adapters._probe import Observation, Probe
from barrierspec.adapters._quiesce import PollingDriver
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
        self.sent = 0  # operations put in the inbox (controller)
        self.started = 0  # operations taken out of the inbox (worker)
        self._engine = engine
        self.thread = threading.Thread(target=self._run, name=f"barrierspec-p{index}", daemon=True)

    def _run(self) -> None:
        PARTICIPANT.set(self.index)
        self.probe.install()
        try:
            while (op := self.inbox.get()) is not None:
                self.started += 1
                outcome = self._engine.execute(self.index, op)
                self._engine.ledger.finished(self.index, outcome)
                self.current = None
                self._engine.ledger.changed.set()
        finally:
            sys.setprofile(None)


class ThreadEngine(PollingDriver):
    """Participant threads, quiescence and watchdog; subclasses say how to run an operation."""

    def __init__(
        self, target: Target | str | object, parties: int, participants: int, **options: Any
    ) -> None:
        super().__init__(target, parties, participants, **options)
        self._workers = [_Worker(i, self) for i in range(participants)]

    def _start_workers(self) -> None:
        for worker in self._workers:
            worker.thread.start()

    @abc.abstractmethod
    def execute(self, participant: int, op: Op) -> OpOutcome:
        """Run ``op`` in the calling participant thread; never raises."""

    def _control(self, op: Op) -> OpOutcome | None:
        """Run a controller-side operation (CancelOp); None if it did not finish in time."""
        raise AssertionError(f"no controller-side operations here: {op!r}")  # pragma: no cover

    def _barrier_for_snapshot(self) -> object | None:
        return None

    # -- one step -----------------------------------------------------------------------------

    def _perform(self, op: Op) -> StepReport:
        control: OpOutcome | None = None
        if isinstance(op, CancelOp):
            self.ledger.note(f"control cancel p{op.participant}")
            control = self._control(op)
        else:
            worker = self._workers[op.participant]  # type: ignore[union-attr]
            worker.current = op
            self.ledger.note(f"send p{worker.index} {describe(op)}")
            worker.sent += 1
            worker.inbox.put(op)
        hang = self._settle(op)
        return self._step(op, hang, control)

    def _busy_now(self) -> dict[int, Op]:
        return {w.index: op for w in self._workers if (op := w.current) is not None}

    def _observe(self, participant: int) -> Observation:
        worker = self._workers[participant]
        if worker.started != worker.sent:  # still in inbox.get(), which looks blocked
            return Observation(-1, False, "operation not picked up yet")
        return observe_participant(worker.probe)

    def _await_change(self, timeout: float) -> None:
        self.ledger.changed.wait(timeout)
        self.ledger.changed.clear()

    def recheck(self, grace: float) -> StepReport:
        """A second look after a suspicious step: wait up to ``grace`` seconds for the busy
        participants to return (a participant that only *looked* blocked, e.g. one not
        scheduled yet on a loaded machine), and report what happened since the last step."""
        op = self.program[-1]
        deadline = time.monotonic() + grace
        while self._busy_now() and (left := deadline - time.monotonic()) > 0:
            self._await_change(min(left, 0.05))
        return self._step(op, None, None)

    def _step(self, op: Op, hang: Hang | None, control: OpOutcome | None) -> StepReport:
        returned, actions, log = self.ledger.drain()
        self._stuck.difference_update(returned)
        busy = self._busy_now()
        self._busy = busy
        barrier = self._barrier_for_snapshot()
        return StepReport(
            op=op,
            returned=returned,
            blocked=frozenset(busy),
            dead=frozenset(self._dead),
            actions=actions,
            log=log,
            snapshot=self._snapshot(barrier) if barrier is not None else None,
            hang=hang,
            control=control,
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

    def __init__(
        self,
        target: Target | str | object,
        parties: int,
        participants: int,
        *,
        action: bool = False,
        default_timeout: float | None = None,
        **options: Any,
    ) -> None:
        super().__init__(
            target, parties, participants, action=action, default_timeout=default_timeout, **options
        )
        self.action = RecordingAction(self.ledger) if action else None
        self.barrier: Any = build_barrier(
            self.target, parties, action=self.action, timeout=default_timeout
        )
        if self.action is not None:
            self.action.barrier = self.barrier
        self._start_workers()

    def execute(self, participant: int, op: Op) -> OpOutcome:
        return run_thread_op(self.barrier, self.action, participant, op)

    def _barrier_for_snapshot(self) -> object | None:
        barrier: object = self.barrier
        return barrier

    def _release_all(self) -> None:
        if self.capabilities.has_abort:
            call_bounded(self.barrier.abort, _CLOSE_BOUND)


def run_thread_op(
    barrier: Any,
    action: RecordingAction | None,
    participant: int,
    op: Op,
    passthrough: tuple[type[BaseException], ...] = (),
) -> OpOutcome:
    """Perform ``op`` on a threading-style barrier and return its outcome.

    A wait is bracketed by the recording action's start and return, so the ledger knows who
    ran the action and when the wait ended; any exception becomes the outcome, except the
    ``passthrough`` classes (a driver's own shutdown signal), which propagate.
    """
    tag = 0
    if isinstance(op, WaitOp) and action is not None:
        tag = action.wait_started(participant, op.action_raises, op.action_takes, op.action_calls)
    try:
        if isinstance(op, WaitOp):
            value = barrier.wait() if op.timeout is None else barrier.wait(op.timeout)
        elif isinstance(op, AbortOp):
            value = barrier.abort()
        else:
            value = barrier.reset()
        outcome: OpOutcome = OpReturned(value)
    except passthrough:
        raise
    except BaseException as exc:
        outcome = outcome_of(exc)
    if isinstance(op, WaitOp) and action is not None:
        action.wait_returned(tag, outcome)
    return outcome
