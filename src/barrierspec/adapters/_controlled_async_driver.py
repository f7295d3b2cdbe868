"""Driving an asyncio barrier on the controlled loop, one operation at a time, with a schedule.

:class:`ControlledAsyncioDriver` has the protocol of :class:`~barrierspec.adapters.AsyncioDriver`
(one task per operation, a virtual clock moved only by ``AdvanceOp``), but its loop is a
:class:`~barrierspec.adapters._controlled_loop.ControlledLoop`: after an operation is sent,
the ``chooser`` decides at every turn whose ready callback runs (default: non-preemptive),
until quiescence. And, as the controlled thread driver does, it can *hold* woken tasks:
``hold_next(plan)`` makes the next step leave the tasks it wakes (bit i of ``plan``: the
one woken i-th) with their wake-up ready but not run, reported in ``StepReport.held``. A held
task stays held through every later step until a ``ResumeOp`` of it (as the controlled thread
driver's holds); so the next operations -- newcomers' ``wait()`` (which may block on entry
behind the held one), ``reset()``, ``abort()``, a ``CancelOp`` of it or of a newcomer -- land
while it is released but not resumed. The participant of the operation itself is never
held, so a ``CancelOp`` lands at once (the model's cancellation is one event); an
``AdvanceOp`` holds nobody (a timeout lands at once too) and lets every held task resume,
once nobody else can run.

The loop runs on a pooled worker thread the driver holds while it is open, which executes
one step at a time; a step that does not come back within ``3 settle + 1`` real seconds (a
callback blocking the thread) is a hang, and the driver is unusable afterwards, as with the
observing driver. Watchdog findings are the observing driver's
(``_async_base.late_operations``), plus a step running more than ``MAX_TURNS`` turns (tasks
that never block) and an executor job that does not hand over within ``settle``.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import queue
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

from barrierspec.adapters._async_base import CLOSE_BOUND, AsyncDriverBase
from barrierspec.adapters._base import DriverError, describe
from barrierspec.adapters._controlled_loop import ControlledLoop, LoopEnd
from barrierspec.adapters._controlled_runtime import PooledWorker
from barrierspec.adapters._controlled_schedules import Schedule, non_preemptive
from barrierspec.adapters._ops import AdvanceOp, Hang, Op, StepReport
from barrierspec.adapters._target import Target

__all__ = ["ControlledAsyncioDriver"]

Chooser = Callable[[list[int]], int]
T = TypeVar("T")

_Call = tuple[Callable[[], Any], "concurrent.futures.Future[Any]"]
_STEP_BOUNDS = 3  # a step answers within this many settle periods (generous: a loaded machine
# can starve the loop's thread for seconds; only a callback that blocks it should be a hang)
MAX_TURNS = 50_000  # turns of one step before its tasks count as never blocking


class _LastRun:
    """The default chooser: non-preemptive (the participant that ran last goes on)."""

    def __init__(self) -> None:
        self.last: int | None = None

    def __call__(self, ready: list[int]) -> int:
        self.last = non_preemptive(ready, self.last)
        return self.last


@dataclass
class _Holds:
    """One step's holding state: its operation's participant (never held), the tasks held
    before that resume only when nobody else can run, the numbering of wake-ups."""

    mover: int
    deferred: set[int]
    woken: Iterator[int] = field(default_factory=lambda: iter(range(64)))


class ControlledAsyncioDriver(AsyncDriverBase):
    """Drives an asyncio-style barrier on a controlled loop (see the module docstring)."""

    driver_name = "controlled"
    holds = True

    def __init__(
        self,
        target: Target | str | object,
        parties: int,
        participants: int,
        *,
        action: bool = False,
        default_timeout: float | None = None,
        chooser: Chooser | None = None,
        **options: Any,
    ) -> None:
        super().__init__(
            target, parties, participants, action=action, default_timeout=default_timeout, **options
        )
        self.chooser: Chooser = chooser or _LastRun()
        if hasattr(self.chooser, "note"):
            self.chooser.note = self.ledger.note  # a drawn schedule describes its decisions
        self._calls: queue.SimpleQueue[_Call | None] = queue.SimpleQueue()
        self._held: set[int] = set()  # woken, kept from resuming until a ResumeOp (or Advance)
        self._decided: set[int] = set()  # woken ones whose hold was decided, not run since
        self._plan = 0  # the hold plan of the next step
        self._worker = PooledWorker.take()  # a pooled thread: a search opens thousands of drivers
        self._worker.run(self._serve)
        self.loop: ControlledLoop = self._call(ControlledLoop, self.settle)
        self.barrier = self._call(self._build, self.settle)

    def _serve(self) -> None:
        while (call := self._calls.get()) is not None:
            func, future = call
            try:
                future.set_result(func())
            except BaseException as exc:
                future.set_exception(exc)

    def _call(self, func: Callable[[], T], bound: float) -> T:
        """Run ``func`` on the loop's thread; DriverError if it does not return in time."""
        future: concurrent.futures.Future[T] = concurrent.futures.Future()
        self._calls.put((func, future))
        try:
            return future.result(timeout=bound)
        except concurrent.futures.TimeoutError:
            self._loop_stuck = True
            raise DriverError(
                f"the event loop did not answer within {bound:g} s: a task blocks its thread"
            ) from None

    def _build(self) -> Any:
        with self.loop.running():
            return self._make_barrier()

    # -- one step -----------------------------------------------------------------------------

    def schedule_next(self, schedule: Schedule) -> None:
        """From now on, make the scheduling decisions as ``schedule`` says (counted from
        here; its decisions are described in the log)."""
        chooser = schedule.chooser(self.participants)
        chooser.note = self.ledger.note
        self.chooser = chooser

    def hold_next(self, plan: int) -> None:
        """For the next operation only: bit i of ``plan`` set holds the participant woken
        i-th until a later step (see the module docstring)."""
        self._plan = plan

    def _run_step(self, op: Op, start: float) -> StepReport:
        plan, self._plan = self._plan, 0
        step: StepReport = self._call(
            lambda: self._step(op, plan), _STEP_BOUNDS * self.settle + 1.0
        )
        return step

    def _elapsed(self, start: float) -> float:
        """Not measured: this driver reads no real clock for its findings."""
        return 0.0

    def _step(self, op: Op, plan: int) -> StepReport:
        control = self._begin(op)
        if isinstance(op, AdvanceOp):
            # no holds: a timeout is the clock's event and lands at once, as a cancel does
            end = self._advance(op.seconds, 0, self._begin_holds(op))
        else:
            end = self._turns(plan, self._begin_holds(op))
        hang = self._end_finding(end, op) or self._findings(op, 0.0, self._held)
        return self._report(op, hang, control, self.held())

    def _begin_holds(self, op: Op) -> _Holds:
        """The holds of a new step: every held task stays held, except the participant of
        this step's operation (its ``ResumeOp`` or ``CancelOp``); an ``AdvanceOp`` lets every
        held task resume, once nobody else can run."""
        mover = getattr(op, "participant", -1)
        stay = set() if isinstance(op, AdvanceOp) else self._held - {mover}
        holds = _Holds(mover, self._held - stay - {mover})
        self._held = stay
        return holds

    def held(self) -> frozenset[int]:
        """The tasks the schedule holds (see :meth:`hold_next`)."""
        return frozenset(self._held & set(self._pending_ops()))

    def _turns(self, plan: int, holds: _Holds) -> LoopEnd:
        """Run to quiescence under the chooser, holding woken tasks as ``plan`` says."""

        def eligible(ready: list[int]) -> list[int]:
            for q in ready:
                if q != holds.mover and q in self._ops and q not in self._decided:
                    self._decided.add(q)
                    if plan >> next(holds.woken, 63) & 1 and not self._tasks[q].done():
                        self._held.add(q)
                        self.ledger.note(f"P{q} is woken but not resumed (held)")
            free = [q for q in ready if q not in self._held]
            fresh = [q for q in free if q not in holds.deferred]
            if fresh:
                return fresh  # tasks held before resume only when nobody else can run
            holds.deferred.clear()
            return free

        def chooser(ready: list[int]) -> int:
            chosen = self.chooser(ready)
            self._decided.discard(chosen)  # its next wake-up is a new one
            return chosen

        return self.loop.run_turns(
            chooser, bound=self.settle, max_turns=MAX_TURNS, fire_timers=False, eligible=eligible
        )

    def _advance(self, seconds: float, plan: int, holds: _Holds) -> LoopEnd:
        """Move the clock to each timer due within ``seconds`` in turn, running to
        quiescence after each, then to ``now + seconds``."""
        end = LoopEnd("quiescent", 0)
        for _ in self._clock_stops(seconds):
            end = self._turns(plan, holds)
            if end.why != "quiescent":
                return end
        return end

    def _end_finding(self, end: LoopEnd, op: Op) -> Hang | None:
        if end.why == "quiescent":
            return None
        busy = frozenset(self._pending_ops())
        message = (
            f"the event loop ran {end.turns} turns after {describe(op)}; tasks never block "
            "nor finish"
            if end.why == "turns"
            else f"an executor job did not hand its result over within {self.settle:g} s"
        )
        self._stuck.update(busy)
        return Hang(busy, 0.0, op, message, tuple(self.program))

    def recheck(self, grace: float) -> StepReport:
        """No second look is needed: quiescence is exact, so nothing changes while idle."""
        pending = frozenset(self._pending_ops())
        snapshot = self._snapshot(self.barrier)
        return StepReport(
            self.program[-1], {}, pending, frozenset(), (), (), snapshot, None, None, self.held()
        )

    # -- clean-up -----------------------------------------------------------------------------

    def _shutdown(self) -> None:
        """Abort the barrier, then cancel every task still pending; run them out (FIFO)."""
        with self.loop.running():
            aborting = self._abort_for_close()
            if aborting is not None:
                self._tasks[-1] = aborting
            for task in self._tasks.values():
                task.cancel()
        self.loop.run_turns(lambda ready: ready[0], bound=CLOSE_BOUND, max_turns=MAX_TURNS)

    def _close(self) -> None:
        if not self._loop_stuck:
            with contextlib.suppress(DriverError):
                self._call(self._shutdown, CLOSE_BOUND + 1.0)
        self._calls.put(None)
        if self._worker.done.wait(CLOSE_BOUND):
            self.loop.close()  # no thread runs it any more
            self._worker.give_back()
        else:
            self.leaked = (self._worker.name,)
