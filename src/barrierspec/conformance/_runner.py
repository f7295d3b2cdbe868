"""Run one program against a real barrier and the oracle, in lock-step.

The runner opens a fresh driver (a fresh barrier and fresh workers), turns each instruction
into a concrete operation, performs it, waits for the driver's quiescent report and feeds it
to the oracle. The first observation the model does not allow ends the run with a
:class:`Failure`; a hang reported by the driver's watchdog is such an observation. The driver
is always closed, whatever happens.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Protocol

import attrs

from barrierspec import adapters as ad
from barrierspec.adapters._controlled_runtime import Chooser
from barrierspec.adapters._controlled_schedules import Decision, Schedule
from barrierspec.conformance import _properties as props
from barrierspec.conformance._oracle import Mismatch, Oracle
from barrierspec.conformance._program import (
    AS_DECLARED,
    Construction,
    Instruction,
    Timing,
    concretise,
    construction_of,
)
from barrierspec.conformance._second_look import judge
from barrierspec.spec import Profile

__all__ = ["DriverLike", "Failure", "OpenDriver", "Run", "run_program"]


class DriverLike(Protocol):
    """What the runner needs from an adapter driver."""

    capabilities: ad.Capabilities

    def perform(self, op: ad.Op) -> ad.StepReport: ...

    def close(self) -> None: ...


class OpenDriver(Protocol):
    """Opens a fresh driver for (parties, participants); ``chooser`` makes the scheduling
    decisions of a controlled driver (observing drivers ignore it); ``construction`` says how
    the barrier is built."""

    def __call__(
        self,
        parties: int,
        participants: int,
        chooser: Chooser | None = None,
        construction: Construction = AS_DECLARED,
    ) -> DriverLike: ...


@attrs.frozen
class Failure:
    """The observation that broke the model, after ``steps`` (the last one is the culprit)."""

    mismatch: Mismatch
    steps: tuple[ad.StepReport, ...]


@attrs.frozen
class Run:
    """One executed program: its steps, and the failure if there was one."""

    parties: int
    participants: int
    steps: tuple[ad.StepReport, ...]
    failure: Failure | None
    schedule: Schedule = attrs.field(factory=Schedule)
    decisions: tuple[Decision, ...] = ()  # what the schedule decided (controlled runs)
    transitions: frozenset[int] = frozenset()  # model transitions seen (see _transition)
    construction: Construction = AS_DECLARED  # how the barrier was built
    inert: int | None = None  # where the program's first inert prefix ends (see _Inert)


def _transition(before: frozenset[object], op: ad.Op, after: frozenset[object]) -> int:
    """A model transition the run exercised, as a hash: the set of model states consistent
    with what was seen before ``op``, the operation, and the set after it."""
    return hash((before, type(op).__name__, getattr(op, "participant", None), after))


def _plan_hold(driver: DriverLike, pick: int) -> None:
    """A ``hold`` instruction: the next operation's step holds woken participants (bit i of
    ``pick + 1`` holds the one woken i-th); drivers without a schedule ignore it."""
    hold_next = getattr(driver, "hold_next", None)
    if hold_next is not None:
        hold_next(pick + 1)


class _Inert:
    """Finds the shortest prefix of a program that holds an instruction which changed
    nothing: one that stood for no operation (nobody could perform it), or a ``hold``
    whose step held nobody new (or that a later ``hold`` replaced). Every program extending
    that prefix runs exactly as the same program without the instruction, one shorter, so
    the small scope may skip them (:func:`~._search._small_scope`). ``first`` is the index
    of the prefix's last instruction (where the instruction was seen to change nothing)."""

    def __init__(self) -> None:
        self.first: int | None = None
        self._hold: int | None = None  # a hold waiting for its step
        self._held: frozenset[int] = frozenset()

    def _mark(self, index: int) -> None:
        if self.first is None:
            self.first = index

    def hold(self, index: int, steps: list[ad.StepReport]) -> None:
        """Instruction ``index`` is a hold (replacing a pending one, which is inert)."""
        if self._hold is not None:
            self._mark(index)
        self._hold, self._held = index, steps[-1].held if steps else frozenset()

    def skipped(self, index: int, kind: str) -> None:
        """Instruction ``index`` stood for no operation (or for the one its pick 0 stands
        for: the program with pick 0 there, enumerated before it, runs the same)."""
        if kind not in props.CONSTRUCTION:  # construction instructions build the barrier
            self._mark(index)

    def performed(self, index: int, step: ad.StepReport) -> None:
        """Instruction ``index`` ran: the pending hold held somebody new, or nobody."""
        if self._hold is not None and not step.held - self._held:
            self._mark(index)
        self._hold = None


def _aliased(ins: Instruction, op: ad.Op, oracle: Oracle, timing: Timing) -> bool:
    """Whether ``ins`` with a pick > 0 names the operation its pick 0 would name."""
    return ins.pick != 0 and op == concretise(attrs.evolve(ins, pick=0), oracle, timing)


def _resumes(steps: list[ad.StepReport]) -> ad.ResumeOp | None:
    """After the program, while its last step left parties held: the lowest one resumes
    (each a step), so what they meet when they go on is checked too."""
    if steps and steps[-1].held and steps[-1].hang is None:
        return ad.ResumeOp(min(steps[-1].held))
    return None


def run_program(
    open_driver: OpenDriver,
    profile: Profile,
    parties: int,
    participants: int,
    program: Sequence[Instruction],
    *,
    timing: Timing,
    real_clock: bool,
    observers: bool,
) -> Run:
    """Execute ``program``; stop at the first violation. Always closes the driver. (The
    schedule of a controlled run is the chooser ``open_driver`` gives the driver.)

    The barrier is built as the program's construction instructions say; once
    ``timing.max_rounds`` rounds have tripped, no more waits are sent.
    """
    built = construction_of(program, timing)
    try:
        driver = open_driver(parties, participants, construction=built)
    except ad.BarrierConstructionError as exc:  # a valid barrier that cannot be built
        refused = Mismatch(
            f"building the barrier with parties={parties} raised {exc.outcome.type_name}: "
            f"{exc.outcome.message}",
            "construction failed",
            f"parties={parties} is valid: the barrier is built",
        )
        return Run(parties, participants, (), Failure(refused, ()), construction=built)
    steps: list[ad.StepReport] = []

    seen_transitions: set[int] = set()
    inert = _Inert()

    def done(steps: list[ad.StepReport], failure: Failure | None) -> Run:
        transitions = frozenset(seen_transitions)
        return Run(
            parties,
            participants,
            tuple(steps),
            failure,
            transitions=transitions,
            construction=built,
            inert=inert.first,
        )

    try:
        caps = driver.capabilities
        if not observers:
            caps = dataclasses.replace(caps, has_n_waiting=False, has_broken=False)
        oracle = Oracle(profile, parties, participants, caps, real_clock, built.default_timeout)
        if caps.named:  # the model starts with `parties` members: create them
            for p in range(parties):
                joined = driver.perform(ad.JoinOp(p))
                if joined.hang is not None:
                    steps.append(joined)
                    hung = Mismatch(
                        f"hang: {joined.hang.message}",
                        "barrier(name) did not return",
                        "creating a member returns at once",
                    )
                    return done(steps, Failure(hung, tuple(steps)))

        def step(op: ad.Op) -> Failure | None:
            seen = driver.perform(op)
            if not observers:
                seen = dataclasses.replace(seen, snapshot=None)
            before = frozenset(oracle.states)
            seen, mismatch = judge(driver, oracle, seen, observers)
            steps.append(seen)
            if mismatch is not None:
                return Failure(mismatch, tuple(steps))
            seen_transitions.add(_transition(before, op, frozenset(oracle.states)))
            return None

        for index, ins in enumerate(program):
            if ins.kind == props.HOLD:
                inert.hold(index, steps)
                _plan_hold(driver, ins.pick)
                continue
            op = concretise(ins, oracle, timing)
            if op is None or _aliased(ins, op, oracle, timing):
                inert.skipped(index, ins.kind)
            if op is None:
                continue
            failure = step(op)
            inert.performed(index, steps[-1])
            if failure is not None:
                return done(steps, failure)
        for _ in range(participants):
            op = _resumes(steps)
            failure = step(op) if op is not None else None
            if failure is not None or op is None:
                return done(steps, failure)
        return done(steps, None)
    finally:
        driver.close()
