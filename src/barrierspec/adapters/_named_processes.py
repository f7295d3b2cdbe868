"""Driving named barriers from processes: one process, one registry, one member per participant.

The participants of a distributed named barrier (a Redis-backed registry) live in different
processes, as The Grinder's workers do on different hosts. Each participant process builds
its own registry from the target's factory (a zero-argument, picklable callable under
``spawn``) and runs :func:`~barrierspec.adapters._named_child.named_participant_main`; the
controller builds one more registry of its own, used only to read the observers.

Operations, one at a time:

* ``JoinOp(p)``, ``WaitOp(p, timeout)``: sent to the participant's main thread (``barrier(name)``,
  ``member.wait(timeout) -> bool``);
* ``CancelOp(p)``: ``member.cancel()`` called *in p's process from its control thread*, so a
  cancel reaches a member blocked in ``wait`` through the public API ("cancel from any
  thread"), whatever the backend; its outcome is the step's ``control`` (a cancel that does
  not return within ``settle`` seconds is reported as a TimeoutError there);
* ``KillOp(p)``: a real SIGKILL, then the controller waits, by reading ``members(name)`` from
  the server, until the dead member is withdrawn (its lease expired) -- the model withdraws
  a dead member at once, a lease-based backend within one lease -- bounded by
  ``withdraw_bound`` seconds (default: ``settle`` plus the registry's ``lease``).

Quiescence and the watchdog are those of :mod:`barrierspec.adapters._quiesce`; a busy
participant is observed through a probe round trip, and a wait counts as blocked only while
its thread is in a server-side blocking read (:mod:`._blocking_reads`). After quiescence the
step's snapshot reads ``waiting(name)`` as ``n_waiting`` and ``members(name)`` as ``parties``
(``broken`` is None: named barriers do not break).

Every driver uses a fresh barrier name (``name=`` overrides it), so leftovers of a previous run
-- members of killed processes whose leases have not expired yet -- never count. ``close()``
cancels the members of blocked participants from their control threads, tells every idle
process to close its registry and exit, SIGKILLs and reaps whatever is still alive (a
participant whose wait is stuck at once), and closes the
controller's registry: no process is left behind.
"""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
import multiprocessing
import multiprocessing.connection
import os
import signal
import time
import uuid
import warnings
from multiprocessing.connection import Connection
from typing import Any, Literal

from barrierspec.adapters._base import DriverError, build_barrier, call_bounded
from barrierspec.adapters._named_child import named_participant_main
from barrierspec.adapters._ops import (
    CancelOp,
    JoinOp,
    KillOp,
    Op,
    OpOutcome,
    OpRaised,
    OpReturned,
    Snapshot,
    StepReport,
    WaitOp,
)
from barrierspec.adapters._pipes import PipeDriver
from barrierspec.adapters._probe import Observation
from barrierspec.adapters._target import Target, resolve_target
from barrierspec.errors import UsageError

__all__ = ["NamedProcessDriver"]

_KINDS = frozenset({"named", "named-process"})  # target kinds this driver accepts
_CLOSE_BOUND = 2.0
_PROBE_BOUND = 0.5
_LOCAL_QUIET = 0.02  # seconds a wait must look blocked on a local lock before it counts
_SERVER_SIDE = "in a server-side "
_names = itertools.count()


def _named_target(target: Target | str | object) -> Target:
    """``target`` as a Target of kind ``named`` (``named-process`` targets included)."""
    resolved = resolve_target(target)
    kind: str = resolved.kind
    if kind not in _KINDS:
        raise UsageError(
            f"NamedProcessDriver drives named-barrier registries; target {resolved.name!r} "
            f"is a {kind} target"
        )
    return resolved if kind == "named" else dataclasses.replace(resolved, kind="named")


class NamedProcessDriver(PipeDriver):
    """Drives a process-shared named-barrier registry from one process per participant.

    ``parties`` is ignored (membership is dynamic). ``start_method``: ``fork`` (fast) or
    ``spawn`` (the factory must then be picklable). See the module docstring.
    """

    kind = "named"

    def __init__(
        self,
        target: Target | str | object,
        parties: int,
        participants: int,
        *,
        name: str | None = None,
        start_method: Literal["fork", "spawn", "forkserver"] | None = None,
        start_timeout: float = 30.0,
        withdraw_bound: float | None = None,
        **options: Any,
    ) -> None:
        super().__init__(_named_target(target), parties, participants, **options)
        start_method = start_method or self.target.start_method or "fork"  # type: ignore[assignment]
        try:
            self.ctx: Any = multiprocessing.get_context(start_method)
        except ValueError as exc:
            raise UsageError(
                f"start_method must be 'fork', 'spawn' or 'forkserver', got {start_method!r}"
            ) from exc
        self.start_method = start_method
        self.name = name or f"barrierspec-{os.getpid()}-{next(_names)}-{uuid.uuid4().hex[:8]}"
        self.registry: Any = build_barrier(self.target, parties)  # the controller's: observers
        observers = all(callable(getattr(self.registry, a, None)) for a in ("members", "waiting"))
        self.capabilities = dataclasses.replace(
            self.capabilities, named=True, has_kill=True, has_n_waiting=observers
        )
        lease = getattr(self.registry, "lease", None)
        extra = float(lease) if isinstance(lease, int | float) else 0.0
        self.withdraw_bound = withdraw_bound if withdraw_bound is not None else self.settle + extra
        self._procs: list[Any] = []
        self._conns: list[Connection] = []
        self._ctls: list[Connection] = []
        self._seq = 0
        self._sent = [0] * participants  # operations sent to each participant
        self._live: dict[int, bool] = {}  # participant -> holds a member still counted
        self._first_seen: dict[int, tuple[int, float]] = {}  # p -> (events, since) when blocked
        if observers:  # connect (and import lazily loaded modules) once, before forking
            call_bounded(lambda: self.registry.waiting(self.name), self.settle)
        try:
            self._start(start_timeout)
        except BaseException:
            self._kill_all()
            call_bounded(self._close_registry, _CLOSE_BOUND)
            raise

    def _start(self, start_timeout: float) -> None:
        for i in range(self.participants):
            conn, child_conn = self.ctx.Pipe()
            ctl, child_ctl = self.ctx.Pipe()
            proc = self.ctx.Process(
                target=named_participant_main,
                name=f"barrierspec-p{i}",
                daemon=True,
                args=(i, self.target.factory, self.name, child_conn, child_ctl),
            )
            with warnings.catch_warnings():
                # 3.12+ warns when forking a multi-threaded process; the child only runs
                # named_participant_main, which builds its own registry.
                warnings.filterwarnings("ignore", category=DeprecationWarning)
                proc.start()
            child_conn.close()
            child_ctl.close()
            self._procs.append(proc)
            self._conns.append(conn)
            self._ctls.append(ctl)
        deadline = time.monotonic() + start_timeout
        for i, conn in enumerate(self._conns):
            message: Any = None
            if conn.poll(max(0.0, deadline - time.monotonic())):
                try:
                    message = conn.recv()
                except EOFError:
                    message = None
            if message != ("ready", i):
                detail = (
                    message[1]
                    if isinstance(message, tuple) and message[0] == "failed"
                    else f"exit code {self._procs[i].exitcode}"
                )
                raise DriverError(
                    f"participant process {i} did not start within {start_timeout:g} s "
                    f"(start method {self.start_method!r}): {detail}; under 'spawn' the "
                    "registry factory must be picklable"
                )

    def _validate(self, op: Op) -> None:
        super()._validate(op)
        if isinstance(op, WaitOp | CancelOp) and op.participant not in self._live:
            raise UsageError(
                f"participant {op.participant} has no member yet: JoinOp first ({op!r})"
            )
        if isinstance(op, JoinOp) and self._live.get(op.participant, False):
            raise UsageError(
                f"participant {op.participant} already holds a live member; cancel it first"
            )

    # -- observation --------------------------------------------------------------------------

    def _ask(self, p: int, kind: str, bound: float) -> tuple[Any, ...] | None:
        """Send ``(kind, seq)`` on p's control pipe; its answer, or None (none in time)."""
        conn = self._ctls[p]
        self._seq += 1
        seq = self._seq
        try:
            conn.send((kind, seq))
            deadline = time.monotonic() + bound
            while conn.poll(max(0.0, deadline - time.monotonic())):
                answer: tuple[Any, ...] = conn.recv()
                if answer[:2] == (kind, seq):  # older answers (after a timeout) are dropped
                    return answer[2:]
        except (EOFError, OSError):
            self._collect(0.0)
        return None

    def _busy_now(self) -> dict[int, Op]:
        return dict(self._busy)

    def _observe(self, participant: int) -> Observation:
        """One probe of a busy participant, with two refinements for processes:

        * a JoinOp is never taken as blocked (a registry must not make it wait for others): if
          it does not return, the watchdog reports it ``settle`` seconds after it was sent;
        * a wait blocked anywhere but in a server-side read (a local lock, a pipe) counts only
          once the same observation has lasted ``_LOCAL_QUIET`` seconds: on a loaded machine
          a participant can wait for a lock whose holder the OS has not run for a few ms.
        """
        answer = self._ask(participant, "probe", _PROBE_BOUND)
        if participant in self._dead:
            return Observation(-1, True, "process gone")
        if answer is None:
            return Observation(-1, False, "probe unanswered")
        started, events, blocked, where = answer
        if started != self._sent[participant]:  # still in recv() of the op: looks blocked
            return Observation(-1, False, "operation not picked up yet")
        if not blocked or where.startswith(_SERVER_SIDE):
            self._first_seen.pop(participant, None)
            return Observation(events, blocked, where)
        if isinstance(self._busy.get(participant), JoinOp):
            return Observation(events, False, f"joining ({where})")
        now = time.monotonic()
        seen_events, since = self._first_seen.get(participant, (events, now))
        if seen_events != events:
            since = now
        self._first_seen[participant] = (events, since)
        if now - since < _LOCAL_QUIET:
            return Observation(events, False, f"{where} (not yet quiet)")
        return Observation(events, True, where)

    def _receive(self, p: int, message: tuple[Any, ...]) -> None:
        if message[0] != "done":
            return
        _, outcome, live = message
        op = self._busy.pop(p, None)
        if live is None:  # the member cannot say: infer from the operation's outcome
            live = isinstance(outcome, OpReturned) and (
                isinstance(op, JoinOp) or outcome.value is True
            )
        self._live[p] = bool(live)
        self.ledger.finished(p, outcome)

    def _died(self, p: int, how: str) -> None:
        if p in self._dead:
            return
        proc = self._procs[p]
        proc.join(_CLOSE_BOUND)
        self._dead.add(p)
        self._busy.pop(p, None)
        self._stuck.discard(p)
        self.ledger.note(f"{how} p{p} (exit code {proc.exitcode})")

    def _members(self) -> int | None:
        """``members(name)`` read by the controller (None if unreadable or too slow)."""
        if not self.capabilities.has_n_waiting:
            return None
        outcome = call_bounded(lambda: int(self.registry.members(self.name)), 2.0)
        return outcome.value if isinstance(outcome, OpReturned) else None  # type: ignore[return-value]

    def _read_snapshot(self) -> Snapshot | None:
        if not self.capabilities.has_n_waiting:
            return None

        def read() -> Snapshot:
            waiting = int(self.registry.waiting(self.name))
            return Snapshot(waiting, None, int(self.registry.members(self.name)))

        outcome = call_bounded(read, min(self.settle, 2.0))
        if isinstance(outcome, OpReturned) and isinstance(outcome.value, Snapshot):
            return outcome.value
        return None

    # -- one step -----------------------------------------------------------------------------

    def _perform(self, op: Op) -> StepReport:
        p: int = op.participant  # type: ignore[union-attr]
        control: OpOutcome | None = None
        if isinstance(op, KillOp):
            self._kill(p)
        elif isinstance(op, CancelOp):
            control = self._cancel(p)
        else:
            self._send(p, op)
        return self._report(op, self._settle(op), control)

    def _cancel(self, p: int) -> OpOutcome:
        self.ledger.note(f"control cancel p{p}")
        answer = self._ask(p, "cancel", self.settle)
        if answer is None:
            return OpRaised(
                "other",
                "TimeoutError",
                f"member.cancel() in participant {p}'s process did not return "
                f"within {self.settle:g} s",
            )
        outcome, live = answer
        self._live[p] = bool(live)  # None: a cancelled member is not counted any more
        result: OpOutcome = outcome
        return result

    def _kill(self, p: int) -> None:
        held = self._live.get(p, False)
        before = self._members() if held else None
        self.ledger.note(f"control kill p{p}")
        os.kill(self._procs[p].pid, signal.SIGKILL)
        self._died(p, "killed")
        self._live[p] = False
        if before is None:
            return
        start = time.monotonic()
        pause = 0.005
        while True:
            now = self._members()
            if now is not None and now < before:
                self.ledger.note(f"p{p}'s member withdrawn after {time.monotonic() - start:.2f} s")
                return
            if time.monotonic() - start > self.withdraw_bound:
                self.ledger.note(
                    f"p{p}'s member still counted {self.withdraw_bound:g} s after "
                    "its process was killed"
                )
                return
            self._collect(pause)  # a bounded pause that also takes in survivors' returns
            pause = min(0.05, pause * 2)

    # -- clean-up -----------------------------------------------------------------------------

    def _close(self) -> None:
        for p in list(self._busy):  # free blocked waiters through their own control threads
            if p not in self._stuck and p not in self._dead:
                self._ask(p, "cancel", _CLOSE_BOUND / 2)
        deadline = time.monotonic() + _CLOSE_BOUND / 2
        while set(self._busy) - self._stuck and time.monotonic() < deadline:
            self._collect(max(0.0, deadline - time.monotonic()))
        idle = [p for p in range(self.participants) if p not in self._dead | set(self._busy)]
        for p in idle:  # still-busy participants cannot read their pipes: killed below
            for conn in (self._conns[p], self._ctls[p]):
                with contextlib.suppress(OSError):
                    conn.send(None)
        deadline = time.monotonic() + _CLOSE_BOUND
        for p in idle:
            self._procs[p].join(max(0.0, deadline - time.monotonic()))
        self._kill_all()
        call_bounded(self._close_registry, _CLOSE_BOUND)

    def _close_registry(self) -> None:
        close = getattr(self.registry, "close", None)
        if callable(close):
            close()

    def _kill_all(self) -> None:
        for proc in self._procs:
            if proc.is_alive():
                proc.kill()
            proc.join(_CLOSE_BOUND)
        for conn in (*self._conns, *self._ctls):
            conn.close()
        self.leaked = tuple(proc.name for proc in self._procs if proc.is_alive())
        for proc in self._procs:
            if not proc.is_alive():
                proc.close()
