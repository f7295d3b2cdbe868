"""The named safety invariants of the barrier model, written once.

One concern per invariant. State invariants hold in every reachable state; transition
invariants hold for every step ``pre --Transition(event, outputs)--> post``. Each is one
formula against the invariant domain (:mod:`barrierspec.spec._invariant_domain`), read by
every interpretation: concretely here (:func:`state_invariants`, what the readable explorer
checks), on compiled tuples by generated code (the compiled and counting searches), on counts
(:mod:`barrierspec.spec._count_domain`) and over Z3 terms (the proofs, which show the state
invariants, strengthened where needed, hold for every number of parties). The conformance
oracle relies on the same model, so a barrier that conforms inherits them.

``state_specs(profile)`` / ``step_specs(profile)`` are the one list; the interpretations take
the formulas from there, so a changed formula or a spec added for a variant profile is one
edit.
"""

from __future__ import annotations

from typing import Any

from barrierspec.spec._classes import LocalClass, Tag
from barrierspec.spec._invariant_domain import (
    Concrete,
    ConcreteStep,
    Pred,
    StateSpec,
    StepSpec,
)
from barrierspec.spec._policies import (
    ActionPolicy,
    GiveUp,
    IndexPolicy,
    Membership,
    PartiesPolicy,
    Profile,
    Reentry,
    RoundsPolicy,
)
from barrierspec.spec._state import (
    ActionRan,
    Enter,
    Fault,
    Member,
    Raised,
    Reset,
    Returned,
    State,
    Status,
    Timeout,
    Wait,
)
from barrierspec.spec._system import Invariant, TransitionInvariant

__all__ = ["state_invariants", "state_specs", "step_specs", "transition_invariants"]

D = Any  # a domain: InvariantDomain or StepDomain (any interpretation)


def _is(status: Status, tag: Tag | None = None) -> Pred:
    name = status.name.lower() + ("" if tag is None else f" ({tag.name.lower()})")
    return Pred(name, lambda c: c.status is status and (tag is None or c.tag is tag))


def _any(name: str, *preds: Pred) -> Pred:
    return Pred(name, lambda c: any(p(c) for p in preds))


def _dead_arrival(c: LocalClass) -> bool:
    return c.status is Status.DEAD and c.arrived


def _live_member(c: LocalClass) -> bool:
    return c.member is Member.MEMBER and c.status is not Status.DEAD


WAITING_HERE = Pred("waiting in the filling round", _is(Status.WAITING, Tag.CUR).holds)
WAITING_ELSEWHERE = Pred("waiting in another round", _is(Status.WAITING, Tag.OTHER).holds)
DEAD_ARRIVAL = Pred("dead with their arrival standing", _dead_arrival)
INSIDE = _any("waiting or blocked", _is(Status.WAITING), _is(Status.BLOCKED))
PASSED_THERE = Pred("passed", _is(Status.PASSED, Tag.RHO).holds)
PASSED = _is(Status.PASSED)
WAITING = _is(Status.WAITING)
LIVE_MEMBER = Pred("live members", _live_member)


# ----------------------------------------------------------------------- state invariants


def arrivals_counted(d: D, s: Any) -> Any:
    return d.eq(d.arrived(s), d.count(s, WAITING_HERE) + d.count(s, DEAD_ARRIVAL))


def _round_not_full(zero_allowed: bool) -> Any:
    def round_not_full(d: D, s: Any) -> Any:
        # nobody passes a round before all its parties arrived: a full round must have
        # tripped. A barrier of no parties never trips: under PartiesPolicy.ZERO_ALLOWED its
        # arrivals pile up; otherwise (no member left of a dynamic barrier) nobody arrives.
        arrived, parties = d.arrived(s), d.parties(s)
        empty = arrived >= 0 if zero_allowed else d.eq(arrived, 0)
        return d.ite(d.eq(parties, 0), empty, d.all(arrived >= 0, arrived < parties))

    return round_not_full


def broken_has_no_waiters(d: D, s: Any) -> Any:
    return d.implies(d.broken(s), d.all(d.eq(d.count(s, INSIDE), 0), d.eq(d.arrived(s), 0)))


def one_round_each(d: D, s: Any) -> Any:
    def past(r: Any) -> Any:
        return d.implies(d.count(s, PASSED_THERE, r) > 0, r < d.round(s))

    return d.all(d.eq(d.count(s, WAITING_ELSEWHERE), 0), d.each_round(s, past))


def indices_in_range(d: D, s: Any) -> Any:
    def bounded(r: Any) -> Any:
        handed = d.taken(s, r) + d.count(s, PASSED_THERE, r)
        return d.all(d.not_(d.stray(s, r)), handed <= d.parties(s))

    return d.each_round(s, bounded)


def members_are_parties(d: D, s: Any) -> Any:
    return d.eq(d.count(s, LIVE_MEMBER), d.parties(s))


def state_specs(profile: Profile) -> list[StateSpec]:
    """The state invariants that apply to ``profile``: the one list."""
    specs = [
        StateSpec(
            "arrivals_counted",
            "arrived equals the arrivals standing in the round",
            arrivals_counted,
        ),
        StateSpec(
            "round_not_full",
            "a round holding all its parties has been released",
            _round_not_full(profile.policies.parties is PartiesPolicy.ZERO_ALLOWED),
        ),
        StateSpec(
            "broken_has_no_waiters", "a broken barrier holds no waiter", broken_has_no_waiters
        ),
        StateSpec(
            "one_round_each",
            "a waiter is in the filling round; a passer in a past one",
            one_round_each,
        ),
    ]
    if profile.policies.index is IndexPolicy.DISTINCT:
        specs.append(
            StateSpec(
                "indices_in_range",
                "indices of a round are in range and no more than parties",
                indices_in_range,
            )
        )
    if profile.policies.membership is Membership.DYNAMIC:
        specs.append(
            StateSpec("members_are_parties", "parties equals the live members", members_are_parties)
        )
    return specs


# ------------------------------------------------------------------ transition invariants


def release_needs_all(d: D, t: Any) -> Any:
    pre, post, released = d.pre(t), d.post(t), d.released(t)
    none = d.implies(d.eq(released, 0), d.eq(d.round(post), d.round(pre)))
    whole = d.implies(
        released > 0,
        d.all(
            d.eq(released + d.count(pre, DEAD_ARRIVAL), d.parties(post)),
            d.eq(d.round(post), d.round(pre) + 1),
        ),
    )
    return d.all(none, whole)


def _action_once(has_action: bool, reentry: bool) -> Any:
    def action_once(d: D, t: Any) -> Any:
        outputs = d.outputs(t)
        runs = [o for o in outputs if isinstance(o, ActionRan)]
        if not has_action:
            return not runs
        by_arrival = d.event(t) in (Wait, Enter)
        good = [o for o in runs if not o.raised]
        # a release: exactly one run, successful, in the last arrival when one arrived
        one = len(runs) == 1 and bool(good) and (not by_arrival or good[0].p == d.actor(t))
        # no release: no successful run (but one that called abort()/reset() back, which its
        # party leaves with BrokenBarrierError), and a failed run leaves the barrier broken
        called_back = reentry and len(good) == 1 and Raised(good[0].p, Fault.BROKEN) in outputs
        failed = bool(runs) and not good
        quiet = d.all(not good or called_back, d.broken(d.post(t)) if failed else True)
        released = d.released(t)
        return d.all(d.implies(released > 0, one), d.implies(d.eq(released, 0), quiet))

    return action_once


def _returns_after_release(latch: bool) -> Any:
    def returns_after_release(d: D, t: Any) -> Any:
        returns = [o for o in d.outputs(t) if isinstance(o, Returned) and o.value is not False]
        released = d.all(*(d.was(t, o.p, PASSED) for o in returns))
        if latch and d.event(t) is Wait:  # a latch that has tripped lets a wait through at once
            return d.any(d.round(d.pre(t)) > 0, released)
        return released

    return returns_after_release


def _indices_distinct(index: IndexPolicy) -> Any:
    indexed = index in (IndexPolicy.DISTINCT, IndexPolicy.ARRIVAL)

    def indices_distinct(d: D, t: Any) -> Any:
        indices = [o for o in d.outputs(t) if isinstance(o, Returned) and _is_index(o.value)]
        if not indexed:  # no index at all: a wait returns True, False or None
            return not indices
        if index is IndexPolicy.ARRIVAL:
            # an arrival position is free of its round (no indices are handed out), and
            # only a released party returns one (the proofs' abstraction keeps no positions)
            return d.all(*(d.all(d.index_free(t, o), d.was(t, o.p, PASSED)) for o in indices))
        return d.all(*(d.index_free(t, o) for o in indices))

    return indices_distinct


def _is_index(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def broken_sticky(d: D, t: Any) -> Any:
    if d.event(t) is Reset:
        return True
    return d.implies(d.broken(d.pre(t)), d.broken(d.post(t)))


def rounds_forward(d: D, t: Any) -> Any:
    before, after = d.round(d.pre(t)), d.round(d.post(t))
    return d.any(d.eq(after, before), d.eq(after, before + 1))


def _timeout_policy(give_up: GiveUp) -> Any:
    def timeout_policy(d: D, t: Any) -> Any:
        if d.event(t) is not Timeout:
            return True
        p, outputs, pre, post = d.actor(t), d.outputs(t), d.pre(t), d.post(t)
        if give_up in (GiveUp.BREAK_ALL, GiveUp.BREAK_ALL_TIMEOUT_ERROR):
            fault = Fault.BROKEN if give_up is GiveUp.BREAK_ALL else Fault.TIMEOUT
            effect = d.all(d.broken(post), Raised(p, fault) in outputs)
        elif give_up is GiveUp.WITHDRAW:
            effect = d.all(d.eq(d.broken(post), d.broken(pre)), Raised(p, Fault.TIMEOUT) in outputs)
        else:
            effect = Returned(p, False) in outputs
        return d.implies(d.was(t, p, WAITING), effect)

    return timeout_policy


def fixed_parties(d: D, t: Any) -> Any:
    return d.eq(d.parties(d.post(t)), d.parties(d.pre(t)))


def step_specs(profile: Profile) -> list[StepSpec]:
    """The transition invariants that apply to ``profile``: the one list."""
    pol = profile.policies
    specs = [
        StepSpec(
            "release_needs_all_parties",
            "a round is released only with all its parties, all together",
            release_needs_all,
        ),
        StepSpec(
            "action_once_before_release",
            "the action runs exactly once per round, in the last arrival, before any release",
            _action_once(
                pol.action is ActionPolicy.LAST_ARRIVAL, pol.reentry is Reentry.BREAKS_ROUND
            ),
        ),
        StepSpec(
            "returns_after_release",
            "a wait returns normally only after its round was released",
            _returns_after_release(pol.rounds is RoundsPolicy.SINGLE),
        ),
        StepSpec(
            "indices_distinct",
            "arrival indices of a round are distinct and in range",
            _indices_distinct(pol.index),
        ),
        StepSpec("broken_is_sticky", "broken stays broken until reset", broken_sticky),
        StepSpec("rounds_never_go_back", "the round number never decreases", rounds_forward),
        StepSpec(
            "timeout_follows_policy",
            "a timeout has exactly the effect the profile states",
            _timeout_policy(pol.give_up),
        ),
    ]
    if pol.membership is Membership.FIXED:
        specs.append(StepSpec("fixed_parties", "parties never changes", fixed_parties))
    return specs


# ------------------------------------------------------------ the concrete interpretation


def _state_check(spec: StateSpec) -> Any:
    formula, fast = spec.formula, Concrete()

    def check(s: State) -> str | None:
        if formula(fast, s):
            return None
        slow = Concrete(record=True)
        formula(slow, s)
        return slow.message(spec.name, spec.description)

    return check


def _step_check(spec: StepSpec) -> Any:
    formula, fast = spec.formula, ConcreteStep()

    def check(pre: State, t: object, post: State) -> str | None:
        step = (pre, t, post)
        if formula(fast, step):
            return None
        slow = ConcreteStep(record=True)
        formula(slow, step)
        return f"{slow.message(spec.name, spec.description)} after {t}"

    return check


def state_invariants(profile: Profile) -> list[Invariant[State]]:
    """The state invariants that apply to ``profile``, checked on readable states."""
    return [Invariant(s.name, s.description, _state_check(s)) for s in state_specs(profile)]


def transition_invariants(profile: Profile) -> list[TransitionInvariant[State]]:
    """The transition invariants that apply to ``profile``, checked on readable steps."""
    return [TransitionInvariant(s.name, s.description, _step_check(s)) for s in step_specs(profile)]
