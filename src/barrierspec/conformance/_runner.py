"""Run one program against a real barrier and the oracle, in lock-step.

The runner opens a fresh driver (a fresh barrier and fresh workers), turns each instruction
into a concrete operation, performs it, waits for the driver's quiescent report and feeds it
to the oracle. The first observation the model does not allow ends the run with a
:class:`Failure`; a hang reported by the driver's watchdog is such an observation. The driver
is always closed, whatever happens.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Protocol

import attrs

from barrierspec import adapters as ad
from barrierspec.conformance import _properties as props
from barrierspec.conformance._oracle import Mismatch, Oracle
from barrierspec.conformance._program import Instruction, Timing, concretise
from barrierspec.spec import Profile

__all__ = ["DriverLike", "Failure", "OpenDriver", "Run", "run_program"]


class DriverLike(Protocol):
    """What the runner needs from an adapter driver."""

    capabilities: ad.Capabilities

    def perform(self, op: ad.Op) -> ad.Step: ...

    def close(self) -> None: ...


OpenDriver = Callable[[int, int], DriverLike]  # (parties, participants) -> open driver


@attrs.frozen
class Failure:
    """The observation that broke the model, after ``steps`` (the last one is the culprit)."""

    mismatch: Mismatch
    steps: tuple[ad.Step, ...]


@attrs.frozen
class Run:
    """One executed program: its steps, and the failure if there was one."""

    parties: int
    participants: int
    steps: tuple[ad.Step, ...]
    failure: Failure | None


RECHECK_GRACE = 0.5  # seconds a suspicious step gets for late returns


def _second_look(driver: DriverLike, seen: ad.Step, observers: bool) -> ad.Step:
    """``seen`` merged with what the driver sees after a grace period, if it can look again.

    A participant reported blocked may only have been descheduled; before a step that leaves
    someone blocked is called a violation, late returns get a bounded grace period. A real
    lost wake-up stays blocked through it.
    """
    recheck = getattr(driver, "recheck", None)
    if recheck is None:
        return seen
    later: ad.Step = recheck(RECHECK_GRACE)
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
    """Execute ``program``; stop at the first violation. Always closes the driver."""
    try:
        driver = open_driver(parties, participants)
    except ad.BarrierConstructionError as exc:  # a valid barrier that cannot be built
        refused = Mismatch(
            f"building the barrier with parties={parties} raised {exc.outcome.type_name}: "
            f"{exc.outcome.message}",
            "construction failed",
            f"parties={parties} is valid: the barrier is built",
        )
        return Run(parties, participants, (), Failure(refused, ()))
    steps: list[ad.Step] = []
    try:
        caps = driver.capabilities
        if not observers:
            caps = dataclasses.replace(caps, has_n_waiting=False, has_broken=False)
        oracle = Oracle(profile, parties, participants, caps, real_clock)
        if caps.named:  # the model starts with `parties` members: create them
            for p in range(parties):
                joined = driver.perform(ad.Join(p))
                if joined.hang is not None:
                    steps.append(joined)
                    hung = Mismatch(
                        f"hang: {joined.hang.message}",
                        "barrier(name) did not return",
                        "creating a member returns at once",
                    )
                    return Run(parties, participants, tuple(steps), Failure(hung, tuple(steps)))
        for ins in program:
            if ins.kind == props.HOLD:
                _plan_hold(driver, ins.pick)
                continue
            op = concretise(ins, oracle, timing)
            if op is None:
                continue
            seen = driver.perform(op)
            if not observers:
                seen = dataclasses.replace(seen, snapshot=None)
            steps.append(seen)
            mismatch = oracle.observe(seen)
            if mismatch is not None and seen.hang is None and seen.blocked:
                seen = _second_look(driver, seen, observers)
                steps[-1] = seen
                mismatch = oracle.observe(seen)
            if mismatch is not None:
                return Run(parties, participants, tuple(steps), Failure(mismatch, tuple(steps)))
        return Run(parties, participants, tuple(steps), None)
    finally:
        driver.close()
