"""Driving a process barrier: one process per participant, ``fork`` or ``spawn``.

The barrier is built in the controller with the target's context (the standard library's,
or the target package's own, such as billiard's: :meth:`Target.process_context`) and handed
to each participant process, started by that same context, at start; each runs
:func:`~barrierspec.adapters._child.participant_main`.
Quiescence and the watchdog are those of :mod:`barrierspec.adapters._quiesce`: a busy
participant is observed through a probe round trip to its process, and finishing operations,
action runs and deaths arrive on pipes and process sentinels, waited on with a bound.

The step log orders events as the controller received them; events of different processes
that happen close together may appear in either order (each process's own events keep theirs).

``KillOp(p)`` sends a real SIGKILL and reaps the process; the participant is then dead for the
rest of the run (a killed waiter of ``multiprocessing.Barrier`` stays counted, gh-123899).

:meth:`ProcessDriver.close` asks an idle live participant to abort the barrier (bounded: the
barrier's lock may be held forever by a hung process), tells every participant to exit, then
SIGKILLs and reaps whatever is still alive. It never leaves a process behind.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import time
import warnings
from multiprocessing.connection import Connection
from typing import Any, Literal

from barrierspec.adapters._base import DriverError, build_barrier
from barrierspec.adapters._child import ProcessAction, participant_main
from barrierspec.adapters._ops import (
    AbortOp,
    ActionRun,
    KillOp,
    Op,
    OpOutcome,
    Snapshot,
    StepReport,
)
from barrierspec.adapters._pipes import PipeDriver
from barrierspec.adapters._probe import Observation
from barrierspec.adapters._target import Target

__all__ = ["ProcessDriver"]

_CLOSE_BOUND = 1.0
_PROBE_BOUND = 0.5


class ProcessDriver(PipeDriver):
    """Drives a process-shared barrier (``multiprocessing.Barrier``-like) from processes."""

    kind = "process"

    def __init__(
        self,
        target: Target | str | object,
        parties: int,
        participants: int,
        *,
        action: bool = False,
        default_timeout: float | None = None,
        start_method: Literal["fork", "spawn", "forkserver"] | None = None,
        start_timeout: float = 30.0,
        **options: Any,
    ) -> None:
        super().__init__(
            target, parties, participants, action=action, default_timeout=default_timeout, **options
        )
        self.ctx: Any = self.target.process_context(start_method)
        self.start_method = self.ctx.get_start_method()
        self.action = (
            ProcessAction(self.ctx.Lock(), self.ctx.Array(ctypes.c_longlong, 2, lock=False))
            if action
            else None
        )
        self.barrier: Any = build_barrier(
            self.target, parties, action=self.action, timeout=default_timeout, ctx=self.ctx
        )
        self._procs: list[Any] = []
        self._conns: list[Connection] = []
        self._probes: list[Connection] = []
        self._probe_seq = 0
        self._sent = [0] * participants  # operations sent to each participant
        try:
            self._start(start_timeout)
        except BaseException:
            self._kill_all()
            raise

    def _start(self, start_timeout: float) -> None:
        for i in range(self.participants):
            conn, child_conn = self.ctx.Pipe()
            probe, child_probe = self.ctx.Pipe()
            proc = self.ctx.Process(
                target=participant_main,
                name=f"barrierspec-p{i}",
                daemon=True,
                args=(i, self.barrier, child_conn, child_probe, self.action),
            )
            with warnings.catch_warnings():
                # 3.12+ warns when forking a multi-threaded process; the child only runs
                # participant_main, which takes no lock the parent's threads could hold.
                warnings.filterwarnings("ignore", category=DeprecationWarning)
                proc.start()
            child_conn.close()
            child_probe.close()
            self._procs.append(proc)
            self._conns.append(conn)
            self._probes.append(probe)
        deadline = time.monotonic() + start_timeout
        for i, conn in enumerate(self._conns):
            if not conn.poll(max(0.0, deadline - time.monotonic())):
                raise DriverError(
                    f"participant process {i} did not start within {start_timeout:g} s "
                    f"(start method {self.start_method!r})"
                )
            try:
                message = conn.recv()
            except EOFError:
                message = None
            if message != ("ready", i):
                raise DriverError(
                    f"participant process {i} failed to start (exit code "
                    f"{self._procs[i].exitcode}); is the barrier picklable under "
                    f"{self.start_method!r}?"
                )

    # -- observation --------------------------------------------------------------------------

    def _busy_now(self) -> dict[int, Op]:
        return dict(self._busy)

    def _observe(self, participant: int) -> Observation:
        conn = self._probes[participant]
        self._probe_seq += 1
        seq = self._probe_seq
        try:
            conn.send(seq)
            deadline = time.monotonic() + _PROBE_BOUND
            while conn.poll(max(0.0, deadline - time.monotonic())):
                answer = conn.recv()
                if answer[0] == seq:
                    _, started, events, blocked, where = answer
                    if started != self._sent[participant]:  # still in recv(): looks blocked
                        return Observation(-1, False, "operation not picked up yet")
                    return Observation(events, blocked, where)
        except (EOFError, OSError):
            self._collect(0.0)
            return Observation(-1, True, "process gone")
        return Observation(-1, False, "probe unanswered")

    def _receive(self, p: int, message: tuple[str, Any]) -> None:
        kind, payload = message
        if kind == "action":
            run: ActionRun = payload
            self.ledger.ran(run)
        elif kind == "done":
            outcome: OpOutcome = payload
            self.ledger.finished(p, outcome)
            self._busy.pop(p, None)

    def _died(self, p: int, how: str) -> None:
        if p in self._dead:
            return
        proc = self._procs[p]
        proc.join(_CLOSE_BOUND)
        self._dead.add(p)
        self._busy.pop(p, None)
        self._stuck.discard(p)
        self.ledger.note(f"{how} p{p} (exit code {proc.exitcode})")

    # -- one step -----------------------------------------------------------------------------

    def _perform(self, op: Op) -> StepReport:
        p: int = op.participant  # type: ignore[union-attr]
        if isinstance(op, KillOp):
            self.ledger.note(f"control kill p{p}")
            os.kill(self._procs[p].pid, signal.SIGKILL)
            self._died(p, "killed")
        else:
            self._send(p, op)
        return self._report(op, self._settle(op))

    def _read_snapshot(self) -> Snapshot | None:
        return self._snapshot(self.barrier)

    def recheck(self, grace: float) -> StepReport:
        """A second look after a suspicious step: wait up to ``grace`` seconds for the busy
        participants to return (one that only *looked* blocked, e.g. a notifier waiting for a
        sleeper process the OS has not scheduled yet), and report what happened since."""
        op = self.program[-1]
        deadline = time.monotonic() + grace
        while self._busy and (left := deadline - time.monotonic()) > 0:
            self._collect(min(left, 0.05))
        return self._report(op, None)

    # -- clean-up -----------------------------------------------------------------------------

    def _close(self) -> None:
        live = [p for p in range(self.participants) if p not in self._dead]
        idle = [p for p in live if p not in self._busy]
        # after a hang or a death the barrier may be wedged (gh-123899): just kill
        graceful = not self._stuck and not self._dead
        if graceful and self.capabilities.has_abort and idle:
            graceful = self._abort_through(idle[0])
        if graceful:
            for p in live:
                try:
                    self._conns[p].send(None)
                    self._probes[p].send(None)
                except OSError:
                    pass
            deadline = time.monotonic() + _CLOSE_BOUND
            for p in live:
                self._procs[p].join(max(0.0, deadline - time.monotonic()))
        self._kill_all()

    def _abort_through(self, p: int) -> bool:
        """Have participant ``p`` abort the barrier; whether it returned within the bound."""
        try:
            self._conns[p].send(AbortOp(p))
        except OSError:
            return False
        self._busy[p] = AbortOp(p)
        self._sent[p] += 1
        deadline = time.monotonic() + _CLOSE_BOUND
        while p in self._busy and time.monotonic() < deadline:
            self._collect(max(0.0, deadline - time.monotonic()))
        return p not in self._busy

    def _kill_all(self) -> None:
        for proc in self._procs:
            if proc.is_alive() and proc.pid is not None:  # billiard's processes have no kill()
                with contextlib.suppress(ProcessLookupError):
                    os.kill(proc.pid, signal.SIGKILL)
            proc.join(_CLOSE_BOUND)
        for conn in (*self._conns, *self._probes):
            conn.close()
        self.leaked = tuple(proc.name for proc in self._procs if proc.is_alive())
        for proc in self._procs:
            if not proc.is_alive():
                proc.close()
