"""The vocabulary shared by every driver: operations, outcomes and step reports.

A checker talks to a real barrier through a driver, one operation at a time. Each operation
names the participant (a thread, task or process owned by the driver) that performs it, or is
performed by the controller itself (``CancelOp``, ``KillOp``, ``AdvanceOp``, ``ResumeOp``).
After each operation the driver waits until the system is quiescent and answers with a
:class:`StepReport`: which participants finished an operation and how (:class:`OpReturned`
or :class:`OpRaised`), which are blocked inside the barrier, which are dead, which runs of
the barrier's action it saw, and a watchdog finding (:class:`Hang`) when something stayed
blocked longer than its bound allows.

Everything here is a frozen dataclass made of plain values, so steps compare by value, print
readably and cross process boundaries by pickling.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, field
from typing import Literal, TypeAlias

from barrierspec.errors import CancelledBarrierError, InvalidOperationError

__all__ = [
    "AbortOp",
    "ActionFailure",
    "ActionRun",
    "AdvanceOp",
    "CancelOp",
    "Capabilities",
    "Hang",
    "JoinOp",
    "KillOp",
    "Op",
    "OpOutcome",
    "OpRaised",
    "OpReturned",
    "OutcomeKind",
    "ResetOp",
    "ResumeOp",
    "Snapshot",
    "StepReport",
    "WaitOp",
    "outcome_of",
]

LONG_TIMEOUT = 1_000_000.0
"""A timeout this long (seconds) cannot expire during a run: a wait with it counts as untimed."""


def firing_timeout(timeout: float | None, default: float | None) -> float | None:
    """The timeout of a wait that can expire during a run, or None.

    CPython's precedence: the wait's own ``timeout`` wins; ``None`` means the barrier's
    constructor default (``threading.Barrier.wait``: "if timeout is None: timeout =
    self._timeout"). A timeout of :data:`LONG_TIMEOUT` or more never expires within a run.
    """
    effective = default if timeout is None else timeout
    if effective is None or effective >= LONG_TIMEOUT:
        return None
    return effective


class ActionFailure(Exception):  # noqa: N818 -- the name the issue fixes
    """Raised by the driver's barrier action when the last arrival's WaitOp asked for it."""


@dataclass(frozen=True)
class WaitOp:
    """The participant waits at the barrier.

    threads/processes: ``barrier.wait(timeout)`` (``wait()`` when ``timeout`` is None);
    asyncio: ``await barrier.wait()`` inside ``asyncio.timeout(timeout)`` on the virtual clock,
    or with ``own``, ``await barrier.wait(timeout)``: the barrier's own timeout parameter (its
    mapped timeout method, such as aiologic's ``with_(timeout)``);
    named barriers: ``member.wait(timeout) -> bool``. With ``action_raises``, the action raises
    :class:`ActionFailure` if it runs during this wait in this participant; with
    ``action_calls`` (``"abort"`` or ``"reset"``) it calls that method of its own barrier
    instead, and returns (for asyncio it returns the call's awaitable, for the barrier to
    await as an async action). ``action_takes``:
    seconds the action takes if it runs in this participant (the controlled thread driver
    sleeps that long on its virtual clock inside the action, so others' timers may fire
    while it runs; the other drivers give the action no duration).
    """

    participant: int
    timeout: float | None = None
    action_raises: bool = False
    action_takes: float = 0.0
    own: bool = False
    action_calls: str | None = None


@dataclass(frozen=True)
class AbortOp:
    """An idle participant calls ``barrier.abort()`` (awaited for asyncio)."""

    participant: int


@dataclass(frozen=True)
class ResetOp:
    """An idle participant calls ``barrier.reset()`` (awaited for asyncio)."""

    participant: int


@dataclass(frozen=True)
class CancelOp:
    """The controller cancels the participant: its pending asyncio task, or ``member.cancel()``."""

    participant: int


@dataclass(frozen=True)
class KillOp:
    """The controller sends SIGKILL to the participant's process and reaps it."""

    participant: int


@dataclass(frozen=True)
class AdvanceOp:
    """The controller moves the asyncio virtual clock forward, firing every timer due."""

    seconds: float


@dataclass(frozen=True)
class JoinOp:
    """Named barriers: the participant creates its member with ``registry.barrier(name)``."""

    participant: int


@dataclass(frozen=True)
class ResumeOp:
    """Controlled drivers: the controller lets a *held* participant go on -- one a schedule
    kept from resuming after it was woken inside its operation (released, or woken by an
    abort or reset). Until then it stays inside, whatever else happens (see
    :attr:`StepReport.held`)."""

    participant: int


Op: TypeAlias = WaitOp | AbortOp | ResetOp | CancelOp | KillOp | AdvanceOp | JoinOp | ResumeOp

OutcomeKind: TypeAlias = Literal[
    "broken", "action", "timeout", "cancelled", "cancelled_barrier", "invalid", "other"
]


@dataclass(frozen=True)
class OpReturned:
    """The operation returned ``value`` (an arrival index, a bool, or None)."""

    value: object


@dataclass(frozen=True)
class OpRaised:
    """The operation raised; ``kind`` classifies the exception (see :func:`outcome_of`)."""

    kind: OutcomeKind
    type_name: str
    message: str


OpOutcome: TypeAlias = OpReturned | OpRaised


_BROKEN_NAMES = frozenset({"BrokenBarrierError"})
_CANCELLED_NAMES = frozenset({"CancelledBarrierError", "CancelledBarrierException"})


def _kind_of(exc: BaseException) -> OutcomeKind:
    names = {cls.__name__ for cls in type(exc).__mro__}
    if isinstance(exc, ActionFailure):
        return "action"
    if isinstance(exc, threading.BrokenBarrierError | asyncio.BrokenBarrierError):
        return "broken"
    if names & _BROKEN_NAMES:
        return "broken"
    if isinstance(exc, CancelledBarrierError) or names & _CANCELLED_NAMES:
        return "cancelled_barrier"
    if isinstance(exc, asyncio.CancelledError):
        return "cancelled"
    if isinstance(exc, TimeoutError):
        return "timeout"
    if isinstance(exc, InvalidOperationError | ValueError | TypeError | OverflowError):
        return "invalid"
    return "other"


def outcome_of(exc: BaseException) -> OpRaised:
    """Classify an exception raised by a barrier operation.

    ``broken``: any BrokenBarrierError (threading, asyncio, barrierspec, or a class of that
    name or with a base of that name); ``action``: :class:`ActionFailure`; ``timeout``:
    TimeoutError; ``cancelled``: asyncio.CancelledError; ``cancelled_barrier``:
    CancelledBarrierError, or a class named (or with a base named) CancelledBarrierError or
    CancelledBarrierException (a named-barrier library's own);
    ``invalid``: InvalidOperationError, ValueError, TypeError, OverflowError; else ``other``.
    """
    cls = type(exc)
    return OpRaised(_kind_of(exc), f"{cls.__module__}.{cls.__qualname__}", str(exc))


@dataclass(frozen=True)
class ActionRun:
    """One run of the barrier's action.

    ``returned_before`` counts the waits that returned normally before the action started,
    among the waits sent after the previous action run started (the action's round); a
    barrier that runs its action before releasing anyone reports 0.
    """

    participant: int
    raised: bool
    n_waiting: int | None
    returned_before: int


@dataclass(frozen=True)
class Snapshot:
    """Observers read by the controller after quiescence; None where not readable."""

    n_waiting: int | None
    broken: bool | None
    parties: int | None


@dataclass(frozen=True)
class Hang:
    """A watchdog finding: ``participants`` stayed blocked past their bound.

    ``op`` is the operation after which the hang was seen and ``program`` every operation
    performed so far, in order (the program that caused the hang).
    """

    participants: frozenset[int]
    seconds: float
    op: Op
    message: str
    program: tuple[Op, ...]


@dataclass(frozen=True)
class StepReport:
    """What the driver saw between sending ``op`` and quiescence.

    ``returned`` maps each participant whose operation finished during this step to its
    outcome; ``blocked`` holds the participants still inside an operation (including any a
    hang left stuck), ``dead`` the participants whose process is gone. ``control`` is the
    outcome of a controller-side call (``CancelOp`` of a named member), else None.
    """

    op: Op
    returned: dict[int, OpOutcome]
    blocked: frozenset[int]
    dead: frozenset[int]
    actions: tuple[ActionRun, ...]
    log: tuple[str, ...]
    snapshot: Snapshot | None
    hang: Hang | None
    control: OpOutcome | None = field(default=None)
    held: frozenset[int] = field(default=frozenset())  # woken, not resumed (controlled runs)


@dataclass(frozen=True)
class Capabilities:
    """What a target supports; the checker applies only the properties these allow."""

    has_action: bool = False
    has_timeout: bool = False
    own_timeout: bool = False  # asyncio: wait() takes a timeout of its own (or one is mapped)
    has_abort: bool = False
    has_reset: bool = False
    has_n_waiting: bool = False
    has_broken: bool = False
    has_cancel: bool = False
    has_kill: bool = False
    named: bool = False
