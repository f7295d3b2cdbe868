"""Programs: what a conformance run asks the participants to do, drawn before anyone starts.

A program is a list of :class:`Instruction` values -- an operation kind and a *pick* -- drawn
by Hypothesis in full before any worker starts, so timing never changes what is drawn. At
run time each instruction becomes a concrete adapter operation: the pick chooses among the
participants for which the operation makes sense at that point (``wait`` picks among the idle
ones, ``cancel`` among the waiting ones), so every drawn program is executable and shrinks
cleanly (smaller picks, fewer instructions). An instruction with no candidate is skipped.
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs
from hypothesis import strategies as st

from barrierspec import adapters as ad
from barrierspec.conformance import _properties as props
from barrierspec.conformance._oracle import Oracle
from barrierspec.spec import Member, Membership, Status

__all__ = ["Instruction", "Timing", "concretise", "instructions"]


@attrs.frozen
class Instruction:
    """One drawn step: an operation kind and which candidate participant performs it."""

    kind: str
    pick: int = 0

    def __str__(self) -> str:
        return f"{self.kind}#{self.pick}"


@attrs.frozen
class Timing:
    """Timeouts used by programs: ``timeout`` seconds per timed wait.

    Real-clock targets (threads, processes) use a small real timeout; asyncio targets use a
    virtual one that only ``Advance`` moves.
    """

    timeout: float


def instructions(
    prop: props.Property, kinds: Sequence[str]
) -> st.SearchStrategy[list[Instruction]]:
    """Programs for ``prop`` using only ``kinds`` (already filtered by capability).

    Swarm testing: each program first draws which of the optional kinds it may use (the
    property's key operations are always among them), so some programs are dense in cancels
    or resets and others nearly free of them; uniform mixes rarely reach the deep states
    where bugs hide.
    """
    keys = [k for k in kinds if k in prop.key_ops] or list(kinds[:1])
    others = [k for k in kinds if k not in keys]
    subsets: st.SearchStrategy[set[str]] = st.just(set())
    if others:
        subsets = st.sets(st.sampled_from(others), max_size=len(others))

    def program(chosen: set[str]) -> st.SearchStrategy[list[Instruction]]:
        usable = keys + sorted(chosen)
        step = st.builds(Instruction, st.sampled_from(usable), st.integers(0, 7))
        return st.lists(step, min_size=3, max_size=prop.max_ops)

    return subsets.flatmap(program)


def _member_ok(oracle: Oracle, p: int) -> bool:
    if oracle.profile.policies.membership is not Membership.DYNAMIC:
        return True
    return all(s.locals[p].member is not Member.NOT_MEMBER for s in oracle.states)


def _holds_member(oracle: Oracle, p: int) -> bool:
    return all(s.locals[p].member is Member.MEMBER for s in oracle.states)


def _alive(oracle: Oracle, p: int) -> bool:
    return all(s.locals[p].status is not Status.DEAD for s in oracle.states)


def concretise(ins: Instruction, oracle: Oracle, timing: Timing) -> ad.Op | None:
    """The adapter operation ``ins`` stands for now, or None if nobody can perform it."""
    everyone = range(oracle.participants)
    idle = [p for p in everyone if oracle.is_idle(p)]
    kind = ins.kind
    candidates: list[int]
    if kind in (props.WAIT, props.TIMED, props.RAISE):
        candidates = [p for p in idle if _member_ok(oracle, p)]
    elif kind in (props.ABORT, props.RESET):
        candidates = idle
    elif kind == props.CANCEL:
        if oracle.profile.policies.membership is Membership.DYNAMIC:
            candidates = [p for p in everyone if _holds_member(oracle, p)]
        else:
            candidates = [p for p in everyone if oracle.is_waiting(p)]
    elif kind == props.KILL:
        # one death per program (as the explorer's default bound), preferably of a waiter
        if any(not _alive(oracle, p) for p in everyone):
            return None
        candidates = [p for p in everyone if oracle.is_waiting(p)] or list(everyone)
    elif kind == props.JOIN:
        candidates = [p for p in idle if not _holds_member(oracle, p)]
    elif kind == props.ADVANCE:
        return ad.AdvanceOp(timing.timeout)
    else:
        raise ValueError(f"unknown instruction kind {kind!r}")
    if not candidates:
        return None
    p = candidates[ins.pick % len(candidates)]
    if kind == props.WAIT:
        return ad.WaitOp(p)
    if kind == props.TIMED:
        return ad.WaitOp(p, timeout=timing.timeout)
    if kind == props.RAISE:
        return ad.WaitOp(p, action_raises=True)
    op_class: dict[str, type] = {
        props.ABORT: ad.AbortOp,
        props.RESET: ad.ResetOp,
        props.CANCEL: ad.CancelOp,
        props.KILL: ad.KillOp,
        props.JOIN: ad.JoinOp,
    }
    op: ad.Op = op_class[kind](p)
    return op
