"""What the two asyncio drivers share: one task per operation, on a loop with a virtual clock.

:class:`~barrierspec.adapters.AsyncioDriver` (its loop runs ready callbacks first in, first
out) and :class:`~barrierspec.adapters.ControlledAsyncioDriver` (a chooser picks whose ready
callback runs, and tasks may be held) differ only in how one step runs the loop until it is
quiescent (:meth:`AsyncDriverBase._run_step`), on which thread, and in how they close. The
rest is written here once: each participant's task, latest operation, virtual deadline and
cancellation; starting an operation as a task in a context carrying the participant's id; a
controller's cancel; moving the clock from timer to timer; the watchdog findings
(``late_operations``); the step report, and the report of a loop that stopped answering.
"""

from __future__ import annotations

import abc
import asyncio
import contextlib
import contextvars
import inspect
import time
from collections.abc import Iterator
from typing import Any

from barrierspec.adapters._async_loop import VirtualClockLoop
from barrierspec.adapters._base import Driver, DriverError, build_barrier, describe
from barrierspec.adapters._ledger import PARTICIPANT, Ledger, RecordingAction
from barrierspec.adapters._ops import (
    AbortOp,
    AdvanceOp,
    CancelOp,
    Hang,
    Op,
    OpOutcome,
    OpReturned,
    ResumeOp,
    StepReport,
    WaitOp,
    outcome_of,
)
from barrierspec.adapters._target import Target
from barrierspec.errors import UsageError

__all__ = ["CLOSE_BOUND", "AsyncDriverBase", "late_operations", "run_async_op"]

CLOSE_BOUND = 1.0  # real seconds closing may take before the loop's thread is left behind


class AsyncDriverBase(Driver):
    """The asyncio drivers' common part (see the module docstring)."""

    kind = "asyncio"
    loop: VirtualClockLoop

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
        self.barrier: Any = None
        self._tasks: dict[int, Any] = {}  # each participant's latest task
        self._ops: dict[int, Op] = {}  # the latest operation sent to each participant
        self._deadlines: dict[int, float] = {}  # virtual deadline of each timed wait
        self._cancelled: set[int] = set()  # participants whose pending task was cancelled
        self._loop_stuck = False

    def _make_barrier(self) -> Any:
        """Build the barrier (called on the loop, so it may bind to it)."""
        barrier = build_barrier(
            self.target, self.parties, action=self.action, timeout=self.default_timeout
        )
        if self.action is not None:
            self.action.barrier = barrier
        return barrier

    # -- one step -----------------------------------------------------------------------------

    @abc.abstractmethod
    def _run_step(self, op: Op, start: float) -> StepReport:
        """Run one step on the loop's thread and report it; DriverError if the loop does not
        answer within the driver's bound (``start``: real time the step began)."""

    def _elapsed(self, start: float) -> float:
        """Real seconds since ``start``, as hang findings report them."""
        return round(time.monotonic() - start, 3)

    def _validate(self, op: Op) -> None:
        if self._loop_stuck:
            raise DriverError("the event loop is stuck since an earlier hang; close the driver")
        super()._validate(op)
        if isinstance(op, CancelOp) and op.participant not in self._busy:
            raise UsageError(
                f"participant {op.participant} has no pending operation to cancel: {op!r}"
            )

    def _perform(self, op: Op) -> StepReport:
        start = time.monotonic()
        try:
            step = self._run_step(op, start)
        except DriverError as exc:
            return self._unanswered(op, exc, self._elapsed(start))
        self._busy = self._pending_ops()
        return step

    def _unanswered(self, op: Op, exc: DriverError, seconds: float) -> StepReport:
        """The report of a step after which the loop stopped answering (a task blocks its
        thread): everyone pending, and the operation's participant, are stuck."""
        stuck = frozenset(self._busy) | {getattr(op, "participant", -1)} - {-1}
        self._stuck.update(stuck)
        message = f"the event loop stopped answering after {describe(op)}: {exc}"
        hang = Hang(frozenset(stuck), seconds, op, message, tuple(self.program))
        return StepReport(op, {}, frozenset(stuck), frozenset(), (), (f"hang: {exc}",), None, hang)

    def _pending_ops(self) -> dict[int, Op]:
        return {p: op for p, op in self._ops.items() if not self._tasks[p].done()}

    def _begin(self, op: Op) -> OpOutcome | None:
        """Start the step's operation on the loop: move nothing yet for an ``AdvanceOp``,
        cancel the participant's task for a ``CancelOp`` (its outcome is the step's
        ``control``), let a held task go on for a ``ResumeOp``, else launch a task."""
        if isinstance(op, AdvanceOp):
            self.ledger.note(f"advance {op.seconds:g} s")
        elif isinstance(op, CancelOp):
            self.ledger.note(f"control cancel p{op.participant}")
            self._cancelled.add(op.participant)
            return OpReturned(self._tasks[op.participant].cancel())
        elif isinstance(op, ResumeOp):
            self.ledger.note(f"P{op.participant} resumes")
        else:
            self._launch(op)
        return None

    def _launch(self, op: Op) -> None:
        """Participant ``p``'s operation as a task, in a context carrying ``p``'s id."""
        p = op.participant  # type: ignore[union-attr]
        self.ledger.note(f"send p{p} {describe(op)}")
        timeout = self.effective_timeout(op)
        if timeout is not None:
            self._deadlines[p] = self.loop.time() + timeout
        else:
            self._deadlines.pop(p, None)
        self._cancelled.discard(p)
        self._ops[p] = op
        context = contextvars.copy_context()
        context.run(PARTICIPANT.set, p)
        coro = run_async_op(self.barrier, self.action, self.ledger, p, op, timeout)
        self._tasks[p] = self.loop.create_task(coro, context=context)

    def _clock_stops(self, seconds: float) -> Iterator[None]:
        """Move the virtual clock to each timer due within ``seconds`` in turn, then to
        ``now + seconds``; yields after each move, for the caller to settle the loop."""
        target = self.loop.time() + seconds
        while (when := self.loop.next_timer()) is not None and when <= target:
            self.loop.set_time(when)
            yield
        self.loop.set_time(target)
        yield

    def _findings(self, op: Op, seconds: float, exempt: set[int] | None = None) -> Hang | None:
        """The watchdog finding after a step: the pending operations (but ``exempt``) that
        should have ended by now, not reported before."""
        pending = {p: o for p, o in self._pending_ops().items() if p not in (exempt or set())}
        late = late_operations(self, pending, self._cancelled, self._deadlines)
        fresh = {p: m for p, m in late.items() if p not in self._stuck}
        if not fresh:
            return None
        self._stuck.update(fresh)
        message = "; ".join(fresh[p] for p in sorted(fresh))
        self.ledger.note(f"hang: {message}")
        return Hang(frozenset(fresh), seconds, op, message, tuple(self.program))

    def _report(
        self,
        op: Op,
        hang: Hang | None,
        control: OpOutcome | None,
        held: frozenset[int] = frozenset(),
    ) -> StepReport:
        """What the step saw: returns, actions and log since the last report, who is still
        pending (blocked), the observers, the finding, ``control``, the held tasks."""
        returned, actions, log = self.ledger.drain()
        self._stuck.difference_update(returned)
        pending = frozenset(self._pending_ops())
        snapshot = self._snapshot(self.barrier)
        return StepReport(
            op, returned, pending, frozenset(), actions, log, snapshot, hang, control, held
        )

    # -- clean-up -----------------------------------------------------------------------------

    def _abort_for_close(self) -> asyncio.Future[Any] | None:
        """Abort the barrier before its tasks are cancelled (on the loop); an ``abort()``
        that returns an awaitable is returned as a future to cancel with them."""
        if not self.capabilities.has_abort:
            return None
        with contextlib.suppress(Exception):
            value = self.barrier.abort()
            if inspect.isawaitable(value):
                return asyncio.ensure_future(value, loop=self.loop)
        return None


async def run_async_op(
    barrier: Any,
    action: RecordingAction | None,
    ledger: Ledger,
    p: int,
    op: Op,
    timeout: float | None,
) -> None:
    """Run participant ``p``'s operation ``op`` in the current task; record its outcome.

    A timed wait runs under ``asyncio.timeout`` (the loop's clock), or, with ``op.own``,
    passes its timeout to the barrier's own ``wait(timeout)``; ``abort()``/``reset()`` are
    awaited when they return an awaitable; every exception, CancelledError included, is an
    outcome.
    """
    PARTICIPANT.set(p)
    tag = 0
    if isinstance(op, WaitOp) and action is not None:
        tag = action.wait_started(p, op.action_raises, action_calls=op.action_calls)
    try:
        if isinstance(op, WaitOp):
            if op.own and op.timeout is not None:
                value = await barrier.wait(op.timeout)
            elif timeout is None:
                value = await barrier.wait()
            else:
                async with asyncio.timeout(timeout):
                    value = await barrier.wait()
        else:
            value = (barrier.abort if isinstance(op, AbortOp) else barrier.reset)()
            if inspect.isawaitable(value):
                value = await value
        outcome: OpOutcome = OpReturned(value)
    except BaseException as exc:  # CancelledError included: it is an outcome here
        outcome = outcome_of(exc)
    if isinstance(op, WaitOp) and action is not None:
        action.wait_returned(tag, outcome)
    ledger.finished(p, outcome)


def late_operations(
    driver: Driver,
    pending: dict[int, Op],
    cancelled: set[int],
    deadlines: dict[int, float],
) -> dict[int, str]:
    """The pending operations that should have ended by now (virtual time), and why: an
    abort()/reset() waiting at all, a wait whose task was cancelled, a wait past its
    timeout."""
    loop: VirtualClockLoop = driver.loop  # type: ignore[attr-defined]
    now = loop.time()
    late: dict[int, str] = {}
    for p, op in pending.items():
        if not isinstance(op, WaitOp):
            late[p] = (
                f"participant {p} blocked in {describe(op)}, which must "
                "return without waiting for other participants"
            )
        elif p in cancelled:
            late[p] = f"participant {p} still blocked in {describe(op)} after cancel"
        elif p in deadlines and deadlines[p] <= now:
            timeout = driver.effective_timeout(op)
            late[p] = (
                f"participant {p} still blocked {now - deadlines[p]:g} s "
                f"(virtual) after its {timeout:g} s timeout"
            )
    return late
