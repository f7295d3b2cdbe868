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


def _transition(before: frozenset[object], op: ad.Op, after: frozenset[object]) -> int:
    """A model transition the run exercised, as a hash: the set of model states consistent
    with what was seen before ``op``, the operation, and the set after it."""
    return hash((before, type(op).__name__, getattr(op, "participant", None), after))


RECHECK_GRACE = 0.5  # seconds a suspicious step gets for late returns


def _second_look(driver: DriverLike, seen: ad.StepReport, observers: bool) -> ad.StepReport:
    """``seen`` merged with what the driver sees after a grace period, if it can look again.

    A participant reported blocked may only have been descheduled; before a step that leaves
    someone blocked is called a violation, late returns get a bounded grace period. A real
    lost wake-up stays blocked through it.
    """
    recheck = getattr(driver, "recheck", None)
    if recheck is None:
        return seen
    later: ad.StepReport = recheck(RECHECK_GRACE)
    return dataclasses.replace(
        seen,
        returned={**seen.returned, **later.returned},
        blocked=later.blocked,
        dead=later.dead,
        actions=seen.actions + later.actions,
        log=seen.log + later.log,
        snapshot=later.snapshot if observers else None,
    )


def _plan_hold(driver: DriverLike, pick: int) -> None:
    """A ``hold`` instruction: the next operation's step holds woken participants (bit i of
    ``pick + 1`` holds the one woken i-th); drivers without a schedule ignore it."""
    hold_next = getattr(driver, "hold_next", None)
    if hold_next is not None:
        hold_next(pick + 1)


def _last(steps: list[ad.StepReport], real_clock: bool) -> ad.Op | None:
    """After the program: ``AdvanceOp(0)`` if its last step left tasks held on a virtual-clock
    (asyncio) driver, so that they resume and what they meet is checked too."""
    if steps and steps[-1].held and not real_clock:
        return ad.AdvanceOp(0.0)
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

    def done(steps: list[ad.StepReport], failure: Failure | None) -> Run:
        transitions = frozenset(seen_transitions)
        return Run(
            parties,
            participants,
            tuple(steps),
            failure,
            transitions=transitions,
            construction=built,
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
        for ins in [*program, None]:
            if ins is not None and ins.kind == props.HOLD:
                _plan_hold(driver, ins.pick)
                continue
            op = concretise(ins, oracle, timing) if ins is not None else _last(steps, real_clock)
            if op is None:
                continue
            seen = driver.perform(op)
            if not observers:
                seen = dataclasses.replace(seen, snapshot=None)
            steps.append(seen)
            before = frozenset(oracle.states)
            mismatch = oracle.observe(seen)
            if mismatch is not None and seen.hang is None and seen.blocked:
                seen = _second_look(driver, seen, observers)
                steps[-1] = seen
                mismatch = oracle.observe(seen)
            if mismatch is not None:
                return done(steps, Failure(mismatch, tuple(steps)))
            seen_transitions.add(_transition(before, op, frozenset(oracle.states)))
        return done(steps, None)
    finally:
        driver.close()
