"""The participant side of the process driver (module level, so ``spawn`` can import it).

A participant process runs :func:`participant_main`: its main thread receives operations on
one pipe and answers each with ``("done", outcome)``; the barrier's action, when it runs in
this process, sends ``("action", ActionRun)`` on the same pipe first. A daemon thread answers
the controller's probes on a second pipe with an observation of the main thread (the same
:class:`~barrierspec.adapters._probe.Probe` as the thread driver uses), so the controller
can tell "blocked inside the barrier" from "still running" without sleeping.

The process exits when it receives None or its pipe closes (the controller died).
"""

from __future__ import annotations

import pickle
import sys
import threading
from multiprocessing.connection import Connection
from typing import Any

from barrierspec.adapters._ledger import read_n_waiting
from barrierspec.adapters._ops import (
    AbortOp,
    ActionFailure,
    ActionRun,
    Op,
    OpOutcome,
    OpReturned,
    WaitOp,
    outcome_of,
)
from barrierspec.adapters._probe import Probe

__all__ = ["ProcessAction", "participant_main"]


class _ChildState:
    """What the action needs to know about the participant running in this process."""

    index = -1
    barrier: Any = None
    conn: Connection | None = None
    raises = False
    calls: str | None = None  # the barrier's method the action calls back, if any
    started = 0  # operations received so far


_CHILD = _ChildState()


class ProcessAction:
    """The barrier action for process participants; picklable for ``spawn``.

    Rounds are those of :class:`~barrierspec.adapters._ledger.RecordingAction`, kept in a
    shared array ``[actions started, normal returns since]`` under a shared lock.
    """

    def __init__(self, lock: Any, counters: Any) -> None:
        self._lock = lock
        self._counters = counters

    def wait_started(self) -> int:
        """The round tag of a wait being sent."""
        with self._lock:
            return int(self._counters[0])

    def wait_returned(self, tag: int, outcome: OpOutcome) -> None:
        """Count a normal return of a wait whose round's action has not started yet."""
        with self._lock:
            if isinstance(outcome, OpReturned) and tag == self._counters[0]:
                self._counters[1] += 1

    def __call__(self) -> None:
        n_waiting = read_n_waiting(_CHILD.barrier)
        with self._lock:
            before = int(self._counters[1])
            self._counters[1] = 0
            self._counters[0] += 1
        raises = _CHILD.raises
        if _CHILD.conn is not None:
            _CHILD.conn.send(("action", ActionRun(_CHILD.index, raises, n_waiting, before)))
        if _CHILD.calls is not None:
            getattr(_CHILD.barrier, _CHILD.calls)()
        if raises:
            raise ActionFailure(f"the action raised on purpose in participant {_CHILD.index}")


def _picklable(outcome: OpOutcome) -> OpOutcome:
    try:
        pickle.dumps(outcome)
    except Exception:
        return OpReturned(repr(outcome.value)) if isinstance(outcome, OpReturned) else outcome
    return outcome


def _execute(op: Op, barrier: Any, action: ProcessAction | None) -> OpOutcome:
    tag = 0
    if isinstance(op, WaitOp):
        _CHILD.raises, _CHILD.calls = op.action_raises, op.action_calls
        if action is not None:
            tag = action.wait_started()
    try:
        if isinstance(op, WaitOp):
            value = barrier.wait() if op.timeout is None else barrier.wait(op.timeout)
        elif isinstance(op, AbortOp):
            value = barrier.abort()
        else:
            value = barrier.reset()
        outcome: OpOutcome = OpReturned(value)
    except BaseException as exc:
        outcome = outcome_of(exc)
    if isinstance(op, WaitOp) and action is not None:
        action.wait_returned(tag, outcome)
    return _picklable(outcome)


def _answer_probes(probe: Probe, conn: Connection) -> None:
    while True:
        try:
            seq = conn.recv()
        except (EOFError, OSError):
            return
        if seq is None:
            return
        started = _CHILD.started  # read before observing: a later op cannot look stale
        seen = probe.observe()
        conn.send((seq, started, seen.events, seen.blocked, seen.where))


def participant_main(
    index: int,
    barrier: Any,
    conn: Connection,
    probe_conn: Connection,
    action: ProcessAction | None,
) -> None:
    """Run the operations received on ``conn`` against ``barrier``, one at a time."""
    _CHILD.index, _CHILD.barrier, _CHILD.conn = index, barrier, conn
    probe = Probe()
    threading.Thread(
        target=_answer_probes, args=(probe, probe_conn), name="barrierspec-probe", daemon=True
    ).start()
    probe.install()
    conn.send(("ready", index))
    try:
        while True:
            try:
                op = conn.recv()
            except (EOFError, OSError):
                return
            if op is None:
                return
            _CHILD.started += 1
            conn.send(("done", _execute(op, barrier, action)))
    finally:
        sys.setprofile(None)
