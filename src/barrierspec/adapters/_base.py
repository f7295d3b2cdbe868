"""The contract every driver keeps, and the parts they share.

A driver owns one barrier and ``participants`` workers (threads, tasks or processes). The
checker calls :meth:`Driver.perform` with one operation at a time; the driver sends it, waits
for quiescence (every participant idle, or blocked inside the barrier) by observation, and
returns a :class:`~barrierspec.adapters.StepReport`. :meth:`Driver.close` aborts the barrier and
ends every worker; it never blocks longer than its bounds and can be called any number of
times (also after a hang).

Rules of use, checked here and reported as :class:`~barrierspec.errors.UsageError`: the
participant exists and is alive; WaitOp/AbortOp/ResetOp/JoinOp go to an idle participant; the
operation is one the target supports (its :class:`~barrierspec.adapters.Capabilities`).
"""

from __future__ import annotations

import abc
from collections.abc import Callable
from dataclasses import replace
from types import TracebackType
from typing import Any, ClassVar

from barrierspec.adapters._controlled_runtime import Failed, pooled_call
from barrierspec.adapters._ledger import Ledger
from barrierspec.adapters._ops import (
    AbortOp,
    AdvanceOp,
    CancelOp,
    Capabilities,
    JoinOp,
    KillOp,
    Op,
    OpOutcome,
    OpRaised,
    OpReturned,
    ResetOp,
    ResumeOp,
    Snapshot,
    StepReport,
    WaitOp,
    firing_timeout,
    outcome_of,
)
from barrierspec.adapters._target import Target, TargetKind, resolve_target
from barrierspec.errors import BarrierSpecError, UsageError

__all__ = [
    "BarrierConstructionError",
    "Driver",
    "DriverError",
    "build_barrier",
    "call_bounded",
    "describe",
]


class DriverError(BarrierSpecError, RuntimeError):
    """A driver could not set up or operate its workers (e.g. a process failed to start)."""


def describe(op: Op) -> str:
    """A short readable form of an operation, as used in logs and messages."""
    if isinstance(op, WaitOp):
        args = "" if op.timeout is None else repr(op.timeout)
        args += ", own" if op.own else ""
        slow = f" [action takes {op.action_takes:g} s]" if op.action_takes else ""
        calls = f" [action calls {op.action_calls}()]" if op.action_calls else ""
        return f"wait({args})" + (" [action raises]" if op.action_raises else "") + calls + slow
    return {
        AbortOp: "abort()",
        ResetOp: "reset()",
        CancelOp: "cancel",
        KillOp: "SIGKILL",
        JoinOp: "join",
        ResumeOp: "resume",
    }.get(type(op), repr(op))


class BarrierConstructionError(DriverError):
    """Building the barrier raised; ``outcome`` classifies the exception (e.g. ``invalid``)."""

    def __init__(self, message: str, outcome: OpRaised) -> None:
        super().__init__(message)
        self.outcome = outcome


def call_bounded(func: Callable[[], Any], timeout: float) -> OpOutcome | None:
    """Call ``func`` in a pooled daemon thread: its outcome, or None if it did not finish
    within ``timeout`` seconds (the thread is then abandoned, blocked where it is, and never
    reused)."""
    done, value = pooled_call(func, timeout)
    if not done:
        return None
    if isinstance(value, Failed):
        return outcome_of(value.exc)
    return OpReturned(value)


def build_barrier(target: Target, parties: int, **kwargs: Any) -> Any:
    """``target.build(parties, **kwargs)``; a failure becomes BarrierConstructionError."""
    try:
        return target.build(parties, **kwargs)
    except Exception as exc:
        raise BarrierConstructionError(
            f"building target {target.name!r} with parties={parties!r} raised "
            f"{type(exc).__name__}: {exc}",
            outcome_of(exc),
        ) from exc


class Driver(abc.ABC):
    """Base class of the drivers; see the module docstring for the protocol."""

    kind: ClassVar[TargetKind]
    holds: ClassVar[bool] = False  # a controlled driver: hold_next and ResumeOp

    def __init__(
        self,
        target: Target | str | object,
        parties: int,
        participants: int,
        *,
        action: bool = False,
        default_timeout: float | None = None,
        settle: float = 5.0,
        poll: float = 0.001,
        quiet_polls: int = 3,
    ) -> None:
        self.target = resolve_target(target)
        if self.target.kind != self.kind:
            raise UsageError(
                f"{type(self).__name__} drives {self.kind} targets; "
                f"target {self.target.name!r} is a {self.target.kind} target"
            )
        if participants < 1:
            raise UsageError(f"participants must be >= 1, got {participants!r}")
        caps = self.target.capabilities
        if action and not caps.has_action:
            raise UsageError(f"target {self.target.name!r} takes no action; use action=False")
        if default_timeout is not None and not caps.has_timeout:
            raise UsageError(f"target {self.target.name!r} takes no timeout")
        if settle <= 0 or poll <= 0 or quiet_polls < 1:
            raise UsageError(
                f"settle and poll must be > 0 and quiet_polls >= 1, got settle={settle!r}, "
                f"poll={poll!r}, quiet_polls={quiet_polls!r}"
            )
        self.capabilities: Capabilities = replace(caps, has_action=action)
        self.parties = parties
        self.participants = participants
        self.default_timeout = default_timeout
        self.settle = settle
        self.poll = poll
        self.quiet_polls = quiet_polls
        self.ledger = Ledger()
        self.program: list[Op] = []
        self.leaked: tuple[str, ...] = ()  # workers close() could not end (daemon threads)
        self._busy: dict[int, Op] = {}
        self._stuck: set[int] = set()
        self._dead: set[int] = set()
        self._closed = False

    # -- protocol ---------------------------------------------------------------------------

    def perform(self, op: Op) -> StepReport:
        """Send ``op``, wait for quiescence, and report what happened as a StepReport."""
        if self._closed:
            raise UsageError(f"{type(self).__name__} is closed; cannot perform {op!r}")
        self._validate(op)
        self.program.append(op)
        return self._perform(op)

    def close(self) -> None:
        """Abort the barrier and end every worker, within bounds; idempotent."""
        if not self._closed:
            self._closed = True
            self._close()

    def __enter__(self) -> Driver:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- for subclasses -----------------------------------------------------------------------

    @abc.abstractmethod
    def _perform(self, op: Op) -> StepReport: ...

    @abc.abstractmethod
    def _close(self) -> None: ...

    def effective_timeout(self, op: Op) -> float | None:
        """The real-clock bound of ``op``: a WaitOp's timeout, else the default timeout (None
        when neither can expire during a run: ``_ops.firing_timeout``)."""
        if not isinstance(op, WaitOp):
            return None
        return firing_timeout(op.timeout, self.default_timeout)

    def _validate(self, op: Op) -> None:
        caps = self.capabilities
        needs: dict[type, tuple[bool, str]] = {
            AbortOp: (caps.has_abort, "abort()"),
            ResetOp: (caps.has_reset, "reset()"),
            CancelOp: (caps.has_cancel, "cancellation"),
            KillOp: (caps.has_kill, "killing a participant"),
            JoinOp: (caps.named, "JoinOp (named barriers only)"),
            AdvanceOp: (self.kind == "asyncio", "AdvanceOp (asyncio's virtual clock only)"),
            ResumeOp: (self.holds, "ResumeOp (controlled drivers only)"),
        }
        supported, what = needs.get(type(op), (True, ""))
        if not supported:
            raise UsageError(f"target {self.target.name!r} does not support {what}: {op!r}")
        if isinstance(op, WaitOp):
            _check_wait(self, op)
        if isinstance(op, AdvanceOp):
            if op.seconds < 0:
                raise UsageError(f"AdvanceOp needs seconds >= 0, got {op.seconds!r}")
            return
        p = op.participant
        if not 0 <= p < self.participants:
            raise UsageError(f"participant must be in 0..{self.participants - 1}, got {p!r}")
        if p in self._dead:
            raise UsageError(f"participant {p} is dead (killed); cannot perform {op!r}")
        if p in self._stuck:
            raise UsageError(f"participant {p} is stuck after a hang; cannot perform {op!r}")
        if isinstance(op, WaitOp | AbortOp | ResetOp | JoinOp) and p in self._busy:
            raise UsageError(
                f"participant {p} is still inside {describe(self._busy[p])}; "
                f"only an idle participant can perform {op!r}"
            )
        if isinstance(op, ResumeOp) and p not in self.held():
            raise UsageError(f"participant {p} is not held, so it cannot resume: {op!r}")

    def held(self) -> frozenset[int]:
        """The participants a schedule holds (woken inside their operation, not resumed)
        until a :class:`ResumeOp` lets them go on; none for an observing driver."""
        return frozenset()

    def _snapshot(self, barrier: object) -> Snapshot | None:
        """n_waiting, broken and parties read in a bounded call (None if that call hangs)."""
        caps = self.capabilities

        def read() -> Snapshot:
            n = getattr(barrier, "n_waiting", None) if caps.has_n_waiting else None
            broken = getattr(barrier, "broken", None) if caps.has_broken else None
            parties = getattr(barrier, "parties", None)
            return Snapshot(
                n if isinstance(n, int) else None,
                broken if isinstance(broken, bool) else None,
                parties if isinstance(parties, int) else None,
            )

        outcome = call_bounded(read, min(self.settle, 1.0))
        if isinstance(outcome, OpReturned) and isinstance(outcome.value, Snapshot):
            return outcome.value
        return None


ACTION_CALLS = ("abort", "reset")  # what WaitOp.action_calls may name


def _check_wait(driver: Driver, op: WaitOp) -> None:
    """The arguments of a wait that ``driver`` can perform."""
    caps, name = driver.capabilities, driver.target.name
    if op.timeout is not None and not caps.has_timeout:
        raise UsageError(f"target {name!r} takes no timeout: {op!r}")
    if op.own and not caps.own_timeout:
        raise UsageError(
            f"target {name!r} has no timeout of its own (map one with --map timeout=METHOD): {op!r}"
        )
    conduct = [f for f in ("action_raises", "action_calls", "action_takes") if getattr(op, f)]
    if conduct and not caps.has_action:
        raise UsageError(f"{conduct[0]} needs a driver built with action=True: {op!r}")
    if op.action_calls is not None:
        _check_calls(driver, op)
    if op.action_takes < 0:
        raise UsageError(f"action_takes must be >= 0 seconds, got {op.action_takes!r}")


def _check_calls(driver: Driver, op: WaitOp) -> None:
    """A wait whose action calls back names a method the barrier has, and does not raise."""
    caps = driver.capabilities
    if op.action_calls not in ACTION_CALLS:
        raise UsageError(f"action_calls must be one of {ACTION_CALLS}, got {op.action_calls!r}")
    if op.action_raises:
        raise UsageError(f"an action either raises or calls back, not both: {op!r}")
    has = caps.has_abort if op.action_calls == "abort" else caps.has_reset
    if not has:
        raise UsageError(f"target {driver.target.name!r} has no {op.action_calls}(): {op!r}")
