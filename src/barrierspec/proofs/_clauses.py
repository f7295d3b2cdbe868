"""The invariants over counters: the model's named invariants, their strengthening, and the
transition invariants.

State clauses are formulas over one symbolic state. The named ones restate
:func:`barrierspec.spec.state_invariants` over the abstraction (same names). Alone they are
not inductive: a state can satisfy them and still step into a violation, although no such
state is reachable. The *strengthening* clauses rule those states out; each states one fact
about reachable states, and the proof checks each like any other clause. The conjunction of
all of them is the inductive invariant.

Clauses that mention ``rho`` speak of one round, the distinguished one; ``rho`` is a free
variable, so a clause proved for it holds for every round.

Step clauses restate :func:`barrierspec.spec.transition_invariants` over a move: the
pre-state, the move's label (its outputs are constants) and its post-state.
"""

from __future__ import annotations

from collections.abc import Callable

import attrs

from barrierspec.proofs._abstraction import LocalClass, Sym, Tag
from barrierspec.proofs._moves import Move
from barrierspec.proofs._symops import dead_arrival
from barrierspec.proofs._z3 import BoolTerm, all_of, bool_val, implies, ite_bool
from barrierspec.spec import (
    ActionPolicy,
    Fault,
    GiveUp,
    IndexPolicy,
    Member,
    Membership,
    Profile,
    RoundsPolicy,
    Status,
)

__all__ = ["Clause", "StepClause", "state_clauses", "step_clauses"]


@attrs.frozen
class Clause:
    """A named state clause. ``strengthening``: not one of the model's named invariants."""

    name: str
    description: str
    formula: Callable[[Sym], BoolTerm]
    strengthening: bool = False


@attrs.frozen
class StepClause:
    """A named transition invariant over (pre-state, move).

    ``on_choice``: the clause is about the move's ``choice`` (an index is free whenever the
    move is enabled) rather than about its successor.
    """

    name: str
    description: str
    formula: Callable[[Sym, Move], BoolTerm]
    on_choice: bool = False


def _status(*statuses: Status) -> Callable[[LocalClass], bool]:
    return lambda c: c.status in statuses


def _waiting_cur(c: LocalClass) -> bool:
    return c.status is Status.WAITING and c.tag is Tag.CUR


def _passed_rho(c: LocalClass) -> bool:
    return c.status is Status.PASSED and c.tag is Tag.RHO


# ----------------------------------------------------------------- named state clauses


def _arrivals_counted(s: Sym) -> BoolTerm:
    return s.arrived.eq(s.count(_waiting_cur) + s.count(dead_arrival))


def _round_not_full(s: Sym) -> BoolTerm:
    empty = s.arrived.eq(0)
    return ite_bool(s.parties.eq(0), empty, (s.arrived >= 0) & (s.arrived < s.parties))


def _broken_has_no_waiters(s: Sym) -> BoolTerm:
    inside = s.count(_status(Status.WAITING, Status.BLOCKED))
    return implies(s.broken, inside.eq(0) & s.arrived.eq(0))


def _one_round_each(s: Sym) -> BoolTerm:
    other = s.count(lambda c: c.status is Status.WAITING and c.tag is Tag.OTHER)
    return other.eq(0) & implies(s.count(_passed_rho) > 0, s.rho < s.round)


def _indices_in_range(s: Sym) -> BoolTerm:
    return s.taken + s.count(_passed_rho) <= s.parties


def _members_are_parties(s: Sym) -> BoolTerm:
    members = s.count(lambda c: c.member is Member.MEMBER and c.status is not Status.DEAD)
    return s.parties.eq(members)


# ------------------------------------------------------------ strengthening clauses


def _counts_natural(s: Sym) -> BoolTerm:
    return all_of([n >= 0 for n in s.counts.values()])


def _fixed_parties_positive(s: Sym) -> BoolTerm:
    return s.parties >= 1


def state_clauses(profile: Profile) -> list[Clause]:
    """The inductive invariant of ``profile``: named clauses first, then strengthening."""
    pol = profile.policies
    clauses = [
        Clause(
            "arrivals_counted",
            "arrived equals the arrivals standing in the round",
            _arrivals_counted,
        ),
        Clause(
            "round_not_full", "a round holding all its parties has been released", _round_not_full
        ),
        Clause("broken_has_no_waiters", "a broken barrier holds no waiter", _broken_has_no_waiters),
        Clause(
            "one_round_each",
            "a waiter is in the filling round; a passer in a past one",
            _one_round_each,
        ),
    ]
    if pol.index is IndexPolicy.DISTINCT:
        clauses.append(
            Clause(
                "indices_in_range",
                "indices of a round are in range and no more than parties",
                _indices_in_range,
            )
        )
    if pol.membership is Membership.DYNAMIC:
        clauses.append(
            Clause("members_are_parties", "parties equals the live members", _members_are_parties)
        )
    # -- strengthening: facts about reachable states the named clauses need -------------
    # counts are counts: never negative
    clauses.append(
        Clause(
            "counts_natural", "no class has a negative count", _counts_natural, strengthening=True
        )
    )
    if pol.membership is Membership.FIXED:
        # parties is the constructor argument, at least 1
        clauses.append(
            Clause(
                "parties_positive",
                "a fixed barrier has at least one party",
                _fixed_parties_positive,
                strengthening=True,
            )
        )
    return clauses


# ------------------------------------------------------------------------ step clauses


def _has(move: Move, kind: str, detail: str | None = None) -> bool:
    return any(
        o.kind == kind and (detail is None or o.detail == detail) for o in move.label.outputs
    )


def _release_needs_all(pre: Sym, m: Move) -> BoolTerm:
    post, released = m.post, m.released
    none = implies(released.eq(0), post.round.eq(pre.round))
    dead = pre.count(dead_arrival)
    whole = implies(released > 0, (released + dead).eq(post.parties) & post.round.eq(pre.round + 1))
    return none & whole


def _make_action_once(profile: Profile) -> Callable[[Sym, Move], BoolTerm]:
    has_action = profile.policies.action is ActionPolicy.LAST_ARRIVAL

    def formula(pre: Sym, m: Move) -> BoolTerm:
        runs = [o for o in m.label.outputs if o.kind == "ActionRan"]
        if not has_action:
            return bool_val(not runs)
        ok_run = len(runs) == 1 and runs[0].detail == "False"
        # a release has exactly one successful run (by the actor, as every output is)
        on_release = implies(m.released > 0, bool_val(ok_run))
        # no release: no successful run, and a failed run leaves the barrier broken
        quiet = any(r.detail == "False" for r in runs)
        failed = bool(runs) and not quiet
        no_release = implies(
            m.released.eq(0), bool_val(not quiet) & (m.post.broken if failed else bool_val(True))
        )
        return on_release & no_release

    return formula


def _make_returns_after_release(profile: Profile) -> Callable[[Sym, Move], BoolTerm]:
    latch = profile.policies.rounds is RoundsPolicy.SINGLE

    def formula(pre: Sym, m: Move) -> BoolTerm:
        returns = any(o.kind == "Returned" and o.detail != "False" for o in m.label.outputs)
        ok = bool_val(not returns or m.label.actor.status is Status.PASSED)
        if latch and m.label.kind == "Wait":  # a tripped latch lets a wait through at once
            return ok | (pre.round > 0)
        return ok

    return formula


def _make_indices_distinct(profile: Profile) -> Callable[[Sym, Move], BoolTerm]:
    distinct = profile.policies.index is IndexPolicy.DISTINCT
    arrival = profile.policies.index is IndexPolicy.ARRIVAL

    def formula(pre: Sym, m: Move) -> BoolTerm:
        if arrival:
            # The abstraction keeps no arrival positions: what is proved for every N is that
            # only a released party returns an index; that the positions of a round are
            # 0 .. parties - 1, each once, is checked by the explorer at small sizes.
            released = m.label.actor.status is Status.PASSED
            return bool_val(not _has(m, "Returned", "index") or released)
        if not distinct:  # no index at all: a wait returns True or False
            return bool_val(not _has(m, "Returned", "index"))
        # The abstraction keeps no index values: a resume draws a fresh index of round rho
        # from range(parties) minus the `taken` ones, so the returned indices are distinct
        # and in range by construction. What must be proved is that one is always left:
        # the move is never enabled without its choice.
        return m.choice

    return formula


def _broken_sticky(pre: Sym, m: Move) -> BoolTerm:
    if m.label.kind == "Reset":
        return bool_val(True)
    return implies(pre.broken, m.post.broken)


def _rounds_forward(pre: Sym, m: Move) -> BoolTerm:
    return m.post.round.eq(pre.round) | m.post.round.eq(pre.round + 1)


def _make_timeout_policy(profile: Profile) -> Callable[[Sym, Move], BoolTerm]:
    give_up = profile.policies.give_up

    def formula(pre: Sym, m: Move) -> BoolTerm:
        if m.label.kind != "Timeout" or m.label.actor.status is not Status.WAITING:
            return bool_val(True)
        if give_up is GiveUp.BREAK_ALL or give_up is GiveUp.BREAK_ALL_TIMEOUT_ERROR:
            fault = Fault.BROKEN if give_up is GiveUp.BREAK_ALL else Fault.TIMEOUT
            return m.post.broken & bool_val(_has(m, "Raised", fault.name))
        if give_up is GiveUp.WITHDRAW:
            return m.post.broken.eq(pre.broken) & bool_val(_has(m, "Raised", Fault.TIMEOUT.name))
        return bool_val(_has(m, "Returned", "False"))

    return formula


def _fixed_parties(pre: Sym, m: Move) -> BoolTerm:
    return m.post.parties.eq(pre.parties)


def step_clauses(profile: Profile) -> list[StepClause]:
    """The transition invariants of ``profile`` over moves (names as in the model)."""
    clauses = [
        StepClause(
            "release_needs_all_parties",
            "a round is released only with all its parties, all together",
            _release_needs_all,
        ),
        StepClause(
            "action_once_before_release",
            "the action runs exactly once per round, in the last arrival, before any release",
            _make_action_once(profile),
        ),
        StepClause(
            "returns_after_release",
            "a wait returns normally only after its round was released",
            _make_returns_after_release(profile),
        ),
    ]
    clauses.append(
        StepClause(
            "indices_distinct",
            "arrival indices of a round are distinct and in range",
            _make_indices_distinct(profile),
            on_choice=profile.policies.index is IndexPolicy.DISTINCT,
        )
    )
    clauses += [
        StepClause("broken_is_sticky", "broken stays broken until reset", _broken_sticky),
        StepClause("rounds_never_go_back", "the round number never decreases", _rounds_forward),
        StepClause(
            "timeout_follows_policy",
            "a timeout has exactly the effect the profile states",
            _make_timeout_policy(profile),
        ),
    ]
    if profile.policies.membership is Membership.FIXED:
        clauses.append(StepClause("fixed_parties", "parties never changes", _fixed_parties))
    return clauses
