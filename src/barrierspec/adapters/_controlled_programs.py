"""Concurrent programs under the controlled runtime: every participant runs its own script.

:class:`~barrierspec.adapters.ControlledThreadDriver` sends one operation at a time and runs
to quiescence before the next, so a released party always returns before anyone acts again.
:func:`run_program` instead starts every participant on its whole *script* (a list of
operations) at once and lets the chooser interleave them at every scheduling point. So a
party released (or woken) inside ``wait()`` can be held there while others re-enter, read
``n_waiting`` or call ``abort()``/``reset()``: the windows where the subtle bugs live.

The action installed with ``action=True`` is a scheduling point too (it "takes time"): it
logs ``action-start``, hands over the turn, then logs ``action-end`` -- as the driver's
action does. Both front ends run on the one runtime: the same
:class:`~barrierspec.adapters._controlled_runtime.Scheduler`, the same
:class:`~barrierspec.adapters._controlled_runtime.Participants` threads, the same controlled
view of the target (``controlled_class``) and the same choosers and schedules.

The log is a tuple of events ``(kind, participant, value)`` in the order they happened
(one participant runs at a time, so the order is exact): ``call`` (value: the operation),
``return`` (value: what it returned), ``raise`` (value: the exception's class name),
``action-start``, ``action-end``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from barrierspec.adapters._controlled_runtime import (
    Chooser,
    Participants,
    Scheduler,
    SchedulerClosed,
)
from barrierspec.adapters._controlled_schedules import non_preemptive, preemptions
from barrierspec.adapters._controlled_sync import Primitives
from barrierspec.adapters._controlled_view import controlled_class

__all__ = ["OPERATIONS", "ProgramRun", "describe", "run_program"]

Event = tuple[str, int, object]

OPERATIONS = ("wait", "abort", "reset", "n_waiting", "broken")
"""The operations a script may hold; ``("wait", timeout)`` is a timed wait."""

_JOIN_BOUND = 1.0


@dataclass(frozen=True)
class ProgramRun:
    """One run of a program: its log, who got each turn, and how it ended.

    ``unfinished`` lists the participants that did not reach the end of their script (each
    blocked on a controlled primitive at quiescence, or the overdue one); ``overdue`` is the
    participant that kept its turn past the real-time bound (uncontrolled code), if any.
    """

    log: tuple[Event, ...]
    turns: tuple[int, ...]
    decisions: tuple[int, ...]
    unfinished: frozenset[int]
    overdue: int | None
    virtual_time: float
    preemptions: int

    def events(self, kind: str) -> list[Event]:
        """The events of one kind, in order."""
        return [e for e in self.log if e[0] == kind]


class _Recorder:
    """Wraps a chooser: records who got each turn, and each decision (runnable, last, chosen)."""

    def __init__(self, inner: Chooser | None) -> None:
        self.inner = inner
        self.turns: list[int] = []
        self.decisions: list[tuple[tuple[int, ...], int | None, int]] = []

    def __call__(self, runnable: list[int]) -> int:
        last = self.turns[-1] if self.turns else None
        chosen = non_preemptive(runnable, last) if self.inner is None else self.inner(runnable)
        if len(runnable) > 1:
            self.decisions.append((tuple(runnable), last, chosen))
        self.turns.append(chosen)
        return chosen


def _check_scripts(scripts: Sequence[Sequence[object]]) -> None:
    for p, script in enumerate(scripts):
        for op in script:
            name = op[0] if isinstance(op, tuple) else op
            if name not in OPERATIONS:
                raise ValueError(f"participant {p}: unknown operation {op!r} (use {OPERATIONS})")


class _Program:
    """The shared state of one run: the barrier, the log, the participants' threads."""

    def __init__(self, sched: Scheduler, barrier_of: Callable[[Any], Any], action: bool) -> None:
        self.sched = sched
        self.log: list[Event] = []
        self.finished: set[int] = set()
        self.closed = False  # the run is over: unwinding participants must not act or log
        self.barrier = barrier_of(self._action if action else None)

    def _action(self) -> None:
        p = self.sched.current()
        who = -1 if p is None else p
        self.log.append(("action-start", who, None))
        if p is not None:
            self.sched.point(lambda: True)  # the action takes time: others may run meanwhile
        self.log.append(("action-end", who, None))

    def perform(self, p: int, op: object) -> None:
        """Run one operation of participant ``p``, logging its call and outcome."""
        self.log.append(("call", p, op))
        name, args = (op[0], op[1:]) if isinstance(op, tuple) else (op, ())
        try:
            value = getattr(self.barrier, str(name))
            value = value(*args) if callable(value) else value
        except SchedulerClosed:
            raise
        except BaseException as exc:
            if self.closed:  # e.g. a release failing while SchedulerClosed unwinds a wait
                raise SchedulerClosed from exc
            self.log.append(("raise", p, type(exc).__name__))
            return
        self.log.append(("return", p, value))

    def body(self, p: int, script: Sequence[object]) -> None:
        """Participant ``p`` runs its whole script (a SchedulerClosed unwinds it)."""
        for op in script:
            self.perform(p, op)
        self.finished.add(p)
        self.sched.finish()


def run_program(
    factory: object,
    parties: int,
    scripts: Sequence[Sequence[object]],
    chooser: Chooser | None = None,
    *,
    action: bool = False,
    bound: float = 2.0,
) -> ProgramRun:
    """Run ``scripts`` (one per participant) against a fresh controlled ``factory(parties)``.

    ``chooser`` decides every turn (default: non-preemptive); ``bound`` is the real-time
    limit on one turn.
    """
    _check_scripts(scripts)
    recorder = _Recorder(chooser)
    sched = Scheduler(len(scripts), recorder)
    cls: Any = controlled_class(factory, Primitives(sched))
    program = _Program(
        sched, lambda act: cls(parties) if act is None else cls(parties, act), action
    )
    team = Participants(
        sched,
        lambda p: program.body(p, scripts[p]),
        name="barrierspec-prog",
        park=True,
        bound=bound,
    )
    try:
        overdue = sched.run(bound)
    finally:
        # the outcome is complete now (nobody runs at quiescence); then unwind everyone
        log, finished, program.closed = tuple(program.log), set(program.finished), True
        team.close(_JOIN_BOUND)
    return ProgramRun(
        log,
        tuple(recorder.turns),
        tuple(c for _r, _l, c in recorder.decisions),
        frozenset(range(len(scripts))) - finished,
        None if overdue is None else overdue.participant,
        sched.clock.now,
        preemptions(recorder.decisions),
    )


_WORDS = {
    "call": "P{p} calls {v}",
    "return": "P{p} returns {v!r}",
    "raise": "P{p} raises {v}",
    "action-start": "the action starts (in P{p})",
    "action-end": "the action ends (in P{p})",
}


def describe(run: ProgramRun) -> list[str]:
    """The run's log as numbered steps in words (``"3. P2 calls n_waiting"``)."""
    steps = [
        f"{i}. " + _WORDS[kind].format(p=p, v=value)
        for i, (kind, p, value) in enumerate(run.log, 1)
    ]
    steps += [f"P{p} never finishes its script (blocked)" for p in sorted(run.unfinished)]
    return steps
