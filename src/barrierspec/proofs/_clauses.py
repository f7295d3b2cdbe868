"""The invariants over counters: the model's named invariants read over Z3 terms, their
strengthening, and the transition invariants.

State clauses are formulas over one symbolic state. The named ones are the one text of
:func:`barrierspec.spec.state_invariants` (:mod:`barrierspec.spec._invariants`) run in
:class:`SymInvariants`, the invariant domain whose terms are Z3 terms over the abstraction.
Alone they are not inductive: a state can satisfy them and still step into a violation,
although no such state is reachable. The *strengthening* clauses rule those states out; each
states one fact about reachable states that only the proof needs, and the proof checks each
like any other clause. The conjunction of all of them is the inductive invariant.

Formulas that speak of a round (``each_round``) speak of the distinguished one, ``rho``; it
is a free variable, so a clause proved for it holds for every round.

Step clauses are the one text of :func:`barrierspec.spec.transition_invariants` run in
:class:`SymSteps` over a move: the pre-state, the move's label (its outputs are constants,
about the actor) and its post-state.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs

from barrierspec.proofs._abstraction import Sym
from barrierspec.proofs._moves import Move, Out
from barrierspec.proofs._z3 import (
    BoolTerm,
    IntTerm,
    all_of,
    any_of,
    bool_val,
    implies,
    ite,
    ite_bool,
)
from barrierspec.spec import (
    Abort,
    ActionRan,
    Cancel,
    Die,
    Enter,
    Fault,
    Join,
    Membership,
    Notice,
    Observation,
    PartiesPolicy,
    Profile,
    Raised,
    Reset,
    Resume,
    Returned,
    Timeout,
    Wait,
)
from barrierspec.spec._invariant_domain import ACTOR, INDEX, Pred, StateSpec, StepSpec
from barrierspec.spec._invariants import state_specs, step_specs

__all__ = ["Clause", "StepClause", "SymInvariants", "SymSteps", "state_clauses", "step_clauses"]

_EVENTS = {
    cls.__name__: cls
    for cls in (Wait, Enter, Resume, Timeout, Cancel, Abort, Reset, Die, Notice, Join)
}


def _both_plain(a: object, b: object) -> bool:
    return not isinstance(a, (IntTerm, BoolTerm)) and not isinstance(b, (IntTerm, BoolTerm))


class SymInvariants:
    """The invariant domain over a symbolic state :class:`~barrierspec.proofs._abstraction.Sym`.

    Counts sum the class counts; the one round a formula may speak of is ``rho``, whose
    handed-out indices are the count ``taken`` (the abstraction keeps no index values, so
    none is ever out of range).
    """

    def parties(self, s: Sym) -> IntTerm:
        return s.parties

    def round(self, s: Sym) -> IntTerm:
        return s.round

    def arrived(self, s: Sym) -> IntTerm:
        return s.arrived

    def broken(self, s: Sym) -> BoolTerm:
        return s.broken

    def count(self, s: Sym, pred: Pred, rnd: Any = None) -> IntTerm:
        return s.count(pred)

    def each_round(self, s: Sym, body: Callable[[IntTerm], Any]) -> Any:
        return body(s.rho)

    def taken(self, s: Sym, rnd: Any) -> IntTerm:
        return s.taken

    def stray(self, s: Sym, rnd: Any) -> bool:
        return False

    @staticmethod
    def eq(a: Any, b: Any) -> Any:
        if _both_plain(a, b):
            return a == b
        return a.eq(b) if isinstance(a, (IntTerm, BoolTerm)) else b.eq(a)

    @staticmethod
    def all(*terms: Any) -> Any:
        rest = [t for t in terms if isinstance(t, BoolTerm)]
        if not all(t for t in terms if not isinstance(t, BoolTerm)):
            return False
        return all_of(rest) if rest else True

    @staticmethod
    def any(*terms: Any) -> Any:
        rest = [t for t in terms if isinstance(t, BoolTerm)]
        if any(t for t in terms if not isinstance(t, BoolTerm)):
            return True
        return any_of(rest) if rest else False

    @staticmethod
    def not_(a: Any) -> Any:
        return ~a if isinstance(a, BoolTerm) else not a

    @staticmethod
    def implies(a: Any, b: Any) -> Any:
        if _both_plain(a, b):
            return b or not a
        return implies(a, b)

    @staticmethod
    def ite(c: Any, a: Any, b: Any) -> Any:
        if isinstance(a, (bool, BoolTerm)):
            return ite_bool(c, a, b)
        return ite(c, a, b)


#: A symbolic step: the pre-state and the move.
SymStep = tuple[Sym, Move]


def _observation(out: Out) -> Observation:
    kind, _, who = out.kind.partition("@P")
    p = int(who) if who else ACTOR
    if kind == "ActionRan":
        return ActionRan(p, out.detail == "True")
    if kind == "Raised":
        return Raised(p, Fault[out.detail])
    values: dict[str, int | bool | None] = {"index": INDEX, "True": True, "None": None}
    return Returned(p, values.get(out.detail, False))


class SymSteps(SymInvariants):
    """The transition invariants over a move: the label is a constant, the states terms.

    ``read_choice`` records whether the formula asked whether a free index exists (the
    move's ``choice``): such a clause is about the choice, not about the successor.
    """

    def __init__(self) -> None:
        self.read_choice = False

    def pre(self, t: SymStep) -> Sym:
        return t[0]

    def post(self, t: SymStep) -> Sym:
        return t[1].post

    def event(self, t: SymStep) -> type:
        return _EVENTS[t[1].label.kind]

    def actor(self, t: SymStep) -> int:
        return ACTOR

    def outputs(self, t: SymStep) -> tuple[Observation, ...]:
        return tuple(_observation(o) for o in t[1].label.outputs)

    def released(self, t: SymStep) -> IntTerm:
        return t[1].released

    def was(self, t: SymStep, p: int, pred: Pred) -> bool:
        # every output of the model is the actor's; another's class is not known
        return p == ACTOR and pred(t[1].label.actor)

    def index_free(self, t: SymStep, out: Observation) -> BoolTerm:
        # a resume draws a fresh index of round rho from range(parties) minus the taken
        # ones, so returned indices are distinct and in range by construction; what must be
        # proved is that one is always left: the move is never enabled without its choice
        self.read_choice = True
        return t[1].choice


@attrs.frozen
class Clause:
    """A named state clause. ``strengthening``: not one of the model's named invariants."""

    name: str
    description: str
    formula: Callable[[Sym], BoolTerm]
    strengthening: bool = False


@attrs.frozen
class StepClause:
    """A named transition invariant over (pre-state, move): :meth:`formula` is the one
    text's formula read by :class:`SymSteps`; :meth:`on_choice`, whether it is about the
    move's ``choice`` (an index is free whenever the move is enabled) rather than about its
    successor."""

    spec: StepSpec

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def description(self) -> str:
        return self.spec.description

    def read(self, pre: Sym, m: Move) -> tuple[BoolTerm, bool]:
        """:meth:`formula` and :meth:`on_choice` of one move, from one reading."""
        domain = SymSteps()
        term = self.spec.formula(domain, (pre, m))
        return (term if isinstance(term, BoolTerm) else bool_val(bool(term))), domain.read_choice

    def formula(self, pre: Sym, m: Move) -> BoolTerm:
        return self.read(pre, m)[0]

    def on_choice(self, pre: Sym, m: Move) -> bool:
        return self.read(pre, m)[1]


def _named(spec: StateSpec) -> Callable[[Sym], BoolTerm]:
    def formula(s: Sym) -> BoolTerm:
        term = spec.formula(SymInvariants(), s)
        return term if isinstance(term, BoolTerm) else bool_val(bool(term))

    return formula


# ------------------------------------------------------------ strengthening clauses


def _counts_natural(s: Sym) -> BoolTerm:
    return all_of([n >= 0 for n in s.counts.values()])


def _fixed_parties_positive(s: Sym) -> BoolTerm:
    return s.parties >= 1


def state_clauses(profile: Profile) -> list[Clause]:
    """The inductive invariant of ``profile``: named clauses first, then strengthening."""
    clauses = [Clause(s.name, s.description, _named(s)) for s in state_specs(profile)]
    # -- strengthening: facts about reachable states the named clauses need -------------
    # counts are counts: never negative
    clauses.append(
        Clause(
            "counts_natural", "no class has a negative count", _counts_natural, strengthening=True
        )
    )
    zero = profile.policies.parties is PartiesPolicy.ZERO_ALLOWED
    if profile.policies.membership is Membership.FIXED and not zero:
        # parties is the constructor argument, at least 1 (0 too under ZERO_ALLOWED)
        clauses.append(
            Clause(
                "parties_positive",
                "a fixed barrier has at least one party",
                _fixed_parties_positive,
                strengthening=True,
            )
        )
    return clauses


def step_clauses(profile: Profile) -> list[StepClause]:
    """The transition invariants of ``profile`` over moves (names as in the model)."""
    return [StepClause(spec) for spec in step_specs(profile)]
