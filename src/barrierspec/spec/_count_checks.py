"""Fused invariant checks: one call per state and one per transition for every invariant.

The explorer checks each named invariant with its own Python call (six state invariants,
seven or eight transition invariants), which took 58% of a checked run. :class:`FusedChecks`
gives it one state check and one transition check instead. Each is a *filter* in front of the
named compiled checks of :mod:`barrierspec.spec._compiled_invariants`: a few inline tests,
each of which implies that a group of invariants holds, and the named checks run (in their
order) only for what the tests cannot clear. So a fused check fails exactly when a named one
does, and the explorer names the first failing invariant by running the named checks on that
one state or transition (see ``explore``); the messages are the named checks' own.

What clears a transition ``pre --label--> post`` without a call, and why:

* only the actor's local changed (the other participants' locals are the same tuples) and it
  did not move into ``PASSED``, the round did not change, no action ran: then nobody was
  released, so ``release_needs_all_parties`` and ``action_once_before_release`` hold;
* the barrier did not stop being broken (or the event is a reset): ``broken_is_sticky``;
* the round did not change: ``rounds_never_go_back``;
* not a timeout: ``timeout_follows_policy`` holds vacuously;
* parties did not change (fixed membership): ``fixed_parties``;
* no value returned: ``returns_after_release`` and ``indices_distinct`` hold vacuously (when
  a value is returned, just those two run).

A state is cleared by the counts its invariants compare (arrivals standing in the round,
waiters, live members), computed once per ``(round, locals)`` pair and remembered, since the
same multiset of locals recurs with different shared state.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from barrierspec.spec._compiled_codes import BLOCKED, DEAD, PASSED, WAITING, CompiledState
from barrierspec.spec._compiled_labels import RESET, TIMEOUT, Label
from barrierspec.spec._policies import IndexPolicy, Membership
from barrierspec.spec._state import Member
from barrierspec.spec._system import FUSED, Invariant, TransitionInvariant

if TYPE_CHECKING:
    from barrierspec.spec._compiled_system import CompiledBarrierSystem

__all__ = ["FusedChecks"]

StateCheck = Callable[[CompiledState], str | None]
StepCheck = Callable[[CompiledState, Any, CompiledState], str | None]

_MEMBER = int(Member.MEMBER)
# The invariants the filters below know; a system with any other falls back to named checks.
_STATE_NAMES = frozenset(
    {
        "arrivals_counted",
        "round_not_full",
        "broken_has_no_waiters",
        "one_round_each",
        "indices_in_range",
        "members_are_parties",
    }
)
_STEP_NAMES = frozenset(
    {
        "release_needs_all_parties",
        "action_once_before_release",
        "returns_after_release",
        "indices_distinct",
        "broken_is_sticky",
        "rounds_never_go_back",
        "timeout_follows_policy",
        "fixed_parties",
    }
)
_FACTS_CACHE = 1 << 18  # (round, locals) pairs whose counts are remembered


def _first(checks: Sequence[Invariant[CompiledState]]) -> StateCheck:
    named = tuple(inv.check for inv in checks)

    def first(s: CompiledState) -> str | None:
        for check in named:
            message = check(s)
            if message is not None:
                return message
        return None

    return first


def _first_step(checks: Sequence[TransitionInvariant[CompiledState]]) -> StepCheck:
    named = tuple(inv.check for inv in checks)

    def first(pre: CompiledState, t: Any, post: CompiledState) -> str | None:
        for check in named:
            message = check(pre, t, post)
            if message is not None:
                return message
        return None

    return first


class FusedChecks:
    """The fused state and transition checks of a compiled (or counting) barrier system."""

    def __init__(self, system: CompiledBarrierSystem) -> None:
        self.state = self._make_state_check(system)
        self.transition = self._make_step_check(system)

    @staticmethod
    def _make_state_check(system: CompiledBarrierSystem) -> StateCheck:
        codes = system.codes
        status, local_round, member = codes.status, codes.round, codes.member
        pol = system.profile.policies
        dynamic = pol.membership is Membership.DYNAMIC
        invs = {inv.name: inv.check for inv in system.invariants}
        every = _first(system.invariants)
        if not set(invs) <= _STATE_NAMES:
            return every
        in_range = invs.get("indices_in_range") if pol.index is IndexPolicy.DISTINCT else None
        facts: dict[tuple[int, tuple[int, ...]], tuple[int, bool, bool, int]] = {}

        def compute(rnd: int, locs: tuple[int, ...]) -> tuple[int, bool, bool, int]:
            counted, misplaced, waits, members = 0, False, False, 0
            for c in locs:
                s = status[c]
                if s == WAITING:
                    waits = True
                    if local_round[c] == rnd:
                        counted += 1
                    else:
                        misplaced = True
                elif s == PASSED:
                    misplaced = misplaced or local_round[c] >= rnd
                elif s == BLOCKED:
                    waits = True
                elif s == DEAD:
                    counted += codes.arrived[c]
                    continue
                if member[c] == _MEMBER:
                    members += 1
            if len(facts) >= _FACTS_CACHE:
                facts.clear()
            result = (counted, misplaced, waits, members)
            facts[rnd, locs] = result
            return result

        def state(s: CompiledState) -> str | None:
            rnd, arrived, broken, parties, taken, locs = s
            known = facts.get((rnd, locs))
            counted, misplaced, waits, members = known or compute(rnd, locs)
            if (
                counted != arrived
                or (arrived != 0 if parties == 0 else not 0 <= arrived < parties)
                or (broken and (arrived or waits))
                or misplaced
                or (dynamic and members != parties)
            ):
                return every(s)
            if taken and in_range is not None:
                return in_range(s)
            return None

        return state

    @staticmethod
    def _make_step_check(system: CompiledBarrierSystem) -> StepCheck:
        passed = [s == PASSED for s in system.codes.status]
        fixed = system.profile.policies.membership is Membership.FIXED
        by_name = {inv.name: inv for inv in system.transition_invariants}
        every = _first_step(system.transition_invariants)
        if not set(by_name) <= _STEP_NAMES:
            return every
        on_returns = _first_step(
            [by_name[n] for n in ("returns_after_release", "indices_distinct") if n in by_name]
        )

        def transition(pre: CompiledState, t: Label, post: CompiledState) -> str | None:
            before, after, p = pre[5], post[5], t.p
            if (
                post[0] != pre[0]
                or t.runs
                or t.kind == TIMEOUT
                or (fixed and pre[3] != post[3])
                or (pre[2] and not post[2] and t.kind != RESET)
                or (passed[after[p]] and not passed[before[p]])
                or before[:p] != after[:p]
                or before[p + 1 :] != after[p + 1 :]
            ):
                return every(pre, t, post)
            if t.returns:
                return on_returns(pre, t, post)
            return None

        return transition

    def state_checks(self) -> tuple[tuple[str, StateCheck], ...]:
        """The explorer's state checks: the fused one."""
        return ((FUSED, self.state),)

    def transition_checks(self) -> tuple[tuple[str, StepCheck], ...]:
        """The explorer's transition checks: the fused one."""
        return ((FUSED, self.transition),)
