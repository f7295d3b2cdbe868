"""Driving a threading-style barrier under control: one participant runs at a time.

:class:`ControlledThreadDriver` builds the target through
:func:`~barrierspec.adapters._controlled_view.controlled_class`, so every lock, condition,
semaphore, event, clock read and sleep of the barrier is a controlled one, and runs each
participant in its own thread under a :class:`~barrierspec.adapters._controlled_runtime.Scheduler`.
After an operation is sent the scheduler runs participants until quiescence, which is exact:
every busy participant is blocked on a controlled primitive. Timed waits time out on the
virtual clock when nobody else can run -- instantly, with no real-clock wait. The action the
driver installs is a scheduling point too (it "takes time"), so a party of its round that
returns before the action ends is seen. ``chooser`` makes every decision (a
:class:`~barrierspec.adapters._controlled_schedules.Ranked` chooser also writes the
decisions that are not the default into the step's log, as "schedule: ..." lines).

Watchdog finding (:class:`~barrierspec.adapters.Hang`): an ``abort()``/``reset()`` blocked at
quiescence. A target that cannot be controlled raises
:class:`~barrierspec.adapters._controlled_view.Uncontrollable` at construction, and
:class:`~barrierspec.adapters._controlled_view.RunsUncontrolled` from :meth:`perform` when a
participant keeps the turn ``settle`` real seconds (it blocks on something the runtime does
not control, or loops); callers fall back to the observing
:class:`~barrierspec.adapters.ThreadDriver`.
"""

from __future__ import annotations

import dataclasses
import queue
import threading
from collections.abc import Callable
from typing import Any

from barrierspec.adapters._base import Driver, build_barrier, describe
from barrierspec.adapters._controlled_runtime import (
    Chooser,
    Participants,
    Scheduler,
    SchedulerClosed,
)
from barrierspec.adapters._controlled_schedules import Schedule
from barrierspec.adapters._controlled_sync import Primitives
from barrierspec.adapters._controlled_view import RunsUncontrolled, controlled_class
from barrierspec.adapters._ledger import PARTICIPANT, RecordingAction
from barrierspec.adapters._ops import (
    Hang,
    Op,
    OpOutcome,
    ResumeOp,
    StepReport,
    WaitOp,
)
from barrierspec.adapters._target import Target
from barrierspec.adapters._threads import run_thread_op

__all__ = ["ControlledThreadDriver"]

_CLOSE_BOUND = 1.0


@dataclasses.dataclass(frozen=True)
class _View:
    """A target's controlled class (as a Target) over rebindable primitives."""

    target: Target
    prims: Primitives


_VIEWS: dict[Target, list[_View]] = {}  # free views per target (as declared)
_VIEWS_LOCK = threading.Lock()


def _take_view(target: Target) -> _View:
    """A free controlled view of ``target``, or a new one: building the controlled class
    costs more than a short program, and a search opens thousands of
    drivers on one target. One driver at a time uses a view (it binds the view's
    primitives to its own scheduler) and gives it back at close unless a participant was
    left running in it."""
    if isinstance(target.factory, type):  # else controlled_class says why it cannot be
        with _VIEWS_LOCK:
            free = _VIEWS.get(target)
            if free:
                return free.pop()
    prims = Primitives()
    controlled = controlled_class(target.factory, prims)
    # the target as declared (its name, capabilities, interface map), built from the view
    return _View(dataclasses.replace(target, factory=controlled), prims)


def _give_back(target: Target, view: _View) -> None:
    with _VIEWS_LOCK:
        _VIEWS.setdefault(target, []).append(view)


class ControlledThreadDriver(Driver):
    """Drives a threading-style barrier with controlled primitives (module docstring)."""

    kind = "thread"
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
        self.scheduler = (
            Scheduler(participants) if chooser is None else Scheduler(participants, chooser)
        )
        self._view = _take_view(self.target)
        self._view.prims.bind(self.scheduler)
        built = self._view.target
        if getattr(chooser, "note", False) is None:  # a Ranked chooser: it describes choices
            chooser.note = self.ledger.note  # type: ignore[union-attr]
        self.action = RecordingAction(self.ledger) if action else None
        if self.action is not None:
            self.action.pause = self._action_takes_time
        self.barrier: Any = build_barrier(
            built, parties, action=self.action, timeout=default_timeout
        )
        if self.action is not None:
            self.action.barrier = self.barrier
        self._sent: dict[int, Op] = {}
        self._hold_plan = 0
        self._inboxes: list[queue.SimpleQueue[Op | None]] = [
            queue.SimpleQueue() for _ in range(participants)
        ]
        self._participants = Participants(
            self.scheduler, self._serve, name="barrierspec-c", park=False, bound=self.settle
        )

    def _action_takes_time(self, seconds: float) -> None:
        """The action is a scheduling point: while it runs, others may be given the turn;
        with ``seconds`` > 0 it sleeps that long on the virtual clock, so timers of others
        may fire before it ends (a drawn input: ``WaitOp.action_takes``)."""
        if self.scheduler.current() is None:
            return
        if seconds > 0:
            clock = self.scheduler.clock
            self.scheduler.point(lambda: False, clock.now + seconds)
        else:
            self.scheduler.point(lambda: True)

    def _serve(self, p: int) -> None:
        """Participant ``p``: perform each operation sent to it, one turn-granted run each."""
        PARTICIPANT.set(p)
        while (op := self._inboxes[p].get()) is not None:
            self.scheduler.point(lambda: True)  # the first turn of the operation
            outcome = self._execute(p, op)
            self.ledger.finished(p, outcome)
            self.scheduler.finish()

    def _execute(self, p: int, op: Op) -> OpOutcome:
        outcome = run_thread_op(self.barrier, self.action, p, op, passthrough=(SchedulerClosed,))
        if self.scheduler.closed:  # e.g. a release failing while SchedulerClosed unwinds a wait
            raise SchedulerClosed
        return outcome

    # -- one step -----------------------------------------------------------------------------

    def _perform(self, op: Op) -> StepReport:
        p = op.participant  # type: ignore[union-attr]
        if isinstance(op, ResumeOp):
            self.ledger.note(f"P{p} resumes")
            self.scheduler.release(p)
        else:
            self.ledger.note(f"send p{p} {describe(op)}")
            self._sent[p] = op
            self.scheduler.begin(p)
            self._inboxes[p].put(op)
        plan, self._hold_plan = self._hold_plan, 0
        overdue, held = self.scheduler.run_held(self.settle, self._holder(plan))
        if overdue is not None:
            self.ledger.note(f"overdue: participant {overdue.participant}")
            raise RunsUncontrolled(
                f"participant {overdue.participant} ran {overdue.seconds:g} s without reaching "
                f"a controlled primitive after {describe(op)} (it blocks on something "
                "uncontrolled, or loops)"
            )
        busy = self.scheduler.busy()
        hang = self._late(op, busy - held)
        returned, actions, log = self.ledger.drain()
        self._busy = {q: self._sent[q] for q in busy}
        snapshot = self._snapshot(self.barrier)
        return StepReport(
            op, returned, frozenset(busy), frozenset(), actions, log, snapshot, hang, None, held
        )

    def _holder(self, plan: int) -> Callable[[int], bool] | None:
        """The hold policy of one step: bit i of ``plan`` holds the participant woken i-th."""
        if not plan:
            return None
        woken = iter(range(64))

        def hold(q: int) -> bool:
            chosen = bool(plan >> next(woken, 63) & 1)
            if chosen:
                self.ledger.note(f"P{q} is woken but not resumed (held)")
            return chosen

        return hold

    def _late(self, op: Op, busy: set[int]) -> Hang | None:
        """The watchdog finding: a participant blocked in an operation that must not wait."""
        late = {
            q: f"participant {q} blocked in {describe(self._sent[q])}, which must return "
            "without waiting for other participants"
            for q in sorted(busy)
            if not isinstance(self._sent[q], WaitOp) and q not in self._stuck
        }
        if not late:
            return None
        self._stuck.update(late)
        message = "; ".join(late.values())
        self.ledger.note(f"hang: {message}")
        return Hang(frozenset(late), 0.0, op, message, tuple(self.program))

    def held(self) -> frozenset[int]:
        """The participants the schedule holds (see :meth:`hold_next`)."""
        return self.scheduler.held()

    def _barrier_for_snapshot(self) -> object | None:
        """The barrier whose observers are read (the controller may take its free locks)."""
        barrier: object = self.barrier
        return barrier

    def recheck(self, grace: float) -> StepReport:
        """No second look is needed: quiescence is exact, so nothing changes while idle."""
        busy = self.scheduler.busy()
        snapshot = self._snapshot(self.barrier)
        held = self.scheduler.held()
        return StepReport(
            self.program[-1], {}, frozenset(busy), frozenset(), (), (), snapshot, None, None, held
        )

    def schedule_next(self, schedule: Schedule) -> None:
        """From now on, make the scheduling decisions as ``schedule`` says (counted from
        here; its decisions are described in the log)."""
        chooser = schedule.chooser(self.participants)
        chooser.note = self.ledger.note
        self.scheduler.chooser = chooser

    def hold_next(self, plan: int) -> None:
        """For the next operation's step: bit i of ``plan`` set holds the participant woken
        i-th in it (from a condition, event or semaphore wait): it stays released but not
        resumed through every later step, until a ``ResumeOp`` of it."""
        self._hold_plan = plan

    # -- clean-up -----------------------------------------------------------------------------

    def _close(self) -> None:
        """Unwind every participant (parked ones raise SchedulerClosed) and join them."""
        for inbox in self._inboxes:
            inbox.put(None)
        self.leaked = self._participants.close(_CLOSE_BOUND)
        if not self.leaked:
            _give_back(self.target, self._view)
