"""The symbolic domain: the rules interpreted over Z3 counter states.

:class:`SymDomain` implements :class:`~barrierspec.spec._domain.Domain` for one acting class of
participants. A domain state (:class:`SymState`) is a :class:`~barrierspec.proofs._abstraction.Sym`
(terms for the shared fields and one count per class) with the actor's current class, the
number of participants the step has released so far, and the choice the step needs (a free
index). The operations:

* ``test`` asks the :class:`~barrierspec.spec._domain.Forcing` of the current run for the
  outcome of the condition's term, and records ``(term, outcome)`` in the path condition;
* ``each`` applies the per-participant rule to a representative local of every class (see
  *round tags* below) and moves each count to the class of the result (:func:`remap`);
* the round tags: a class keeps a tag instead of a round. Locals are built with
  representative rounds (:data:`ROUNDS`); a waiter of the filling round is ``CUR``; a party
  released *now*, in the filling round, is ``RHO`` where ``rho == round`` and ``NOT_RHO``
  elsewhere, so ``each`` merges both outcomes with :func:`choose`;
* the choice of a free index: a passer of round ``rho`` takes one of the ``parties - taken``
  indices left (``choice``: one is left); a passer of another round keeps no index count.

The facts the conditions need per class (who makes the barrier settle, who keeps round
``rho``'s indices) are computed by the concrete domain on a state of one participant, so no
rule is restated here.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Hashable, Iterator

import attrs

from barrierspec.proofs._abstraction import LocalClass, Sym, Tag
from barrierspec.proofs._z3 import (
    BoolTerm,
    IntTerm,
    bool_val,
    int_val,
    ite,
    ite_bool,
    total,
)
from barrierspec.spec import Local, State, Status
from barrierspec.spec._classes import classify_local, local_of
from barrierspec.spec._domain import Cond, Forcing, LocalRule
from barrierspec.spec._step import Concrete

__all__ = ["INDEX", "ROUNDS", "SymDomain", "SymState", "choose", "dead_arrival", "remap"]

#: Representative rounds of the tags: locals handed to the rules carry these numbers.
ROUNDS = {Tag.CUR: 1000, Tag.OTHER: 1001, Tag.RHO: 500, Tag.NOT_RHO: 600}
_TAG_OF_PASSED = {ROUNDS[Tag.RHO]: Tag.RHO, ROUNDS[Tag.NOT_RHO]: Tag.NOT_RHO}
#: The value of an index the symbolic domain hands out (any free one).
INDEX = -1


def dead_arrival(c: LocalClass) -> bool:
    """A dead participant whose arrival still stands."""
    return c.status is Status.DEAD and c.arrived


def to_local(c: LocalClass) -> Local:
    """A local of class ``c``, its tag as a representative round."""
    rnd = 0
    if c.tag is not Tag.NONE:
        rnd = ROUNDS[c.tag]
    elif dead_arrival(c):
        rnd = ROUNDS[Tag.CUR]
    return local_of(c, rnd)


def to_class(loc: Local, released: Tag = Tag.NONE) -> LocalClass:
    """The class of ``loc``; ``released`` is the tag of a party passed in the filling round."""
    tag = Tag.NONE
    if loc.status is Status.WAITING:
        tag = Tag.CUR if loc.round == ROUNDS[Tag.CUR] else Tag.OTHER
    elif loc.status is Status.PASSED:
        tag = _TAG_OF_PASSED.get(loc.round, released)
        if tag is Tag.NONE:
            raise ValueError(f"{loc}: a party released in the filling round needs its tag")
    return classify_local(loc, tag)


@functools.cache
def _facts(c: LocalClass) -> tuple[bool, bool, bool]:
    """(settles when open, settles when broken, keeps round rho's indices), per the concrete
    domain on a state of one participant of class ``c``."""
    alone = State(locals=(to_local(c),), parties=1)
    concrete = Concrete(0)
    opened = concrete.test(alone, Cond.SETTLING)
    broken = concrete.test(attrs.evolve(alone, broken=True), Cond.SETTLING)
    rho = ROUNDS[Tag.RHO]
    kept = concrete.prune(attrs.evolve(alone, taken=((rho, frozenset()),))).taken
    return opened, broken, bool(kept)


def _shift(s: Sym, cls: LocalClass, by: int) -> Sym:
    counts = dict(s.counts)
    counts[cls] = s.n(cls) + by
    return attrs.evolve(s, counts=counts)


def remap(s: Sym, f: Callable[[LocalClass], LocalClass]) -> Sym:
    """Every participant of class ``c`` is now of class ``f(c)``."""
    groups: dict[LocalClass, list[IntTerm]] = {}
    for c, n in s.counts.items():
        groups.setdefault(f(c), []).append(n)
    counts = {c: ns[0] if len(ns) == 1 else total(ns) for c, ns in groups.items()}
    return attrs.evolve(s, counts=counts)


def choose(cond: BoolTerm, a: Sym, b: Sym) -> Sym:
    """``a`` where ``cond`` holds, else ``b`` (field by field)."""
    counts = {c: ite(cond, a.n(c), b.n(c)) for c in {*a.counts, *b.counts}}
    return Sym(
        parties=ite(cond, a.parties, b.parties),
        round=ite(cond, a.round, b.round),
        arrived=ite(cond, a.arrived, b.arrived),
        broken=ite_bool(cond, a.broken, b.broken),
        rho=ite(cond, a.rho, b.rho),
        taken=ite(cond, a.taken, b.taken),
        counts=counts,
    )


@attrs.frozen(eq=False)
class SymState:
    """A state of the symbolic domain (see the module docstring)."""

    sym: Sym
    actor: LocalClass | None  # None once a rewrite of everyone made it ambiguous
    released: IntTerm
    choice: BoolTerm | None = None


class SymDomain:
    """The symbolic domain of one run; ``path`` collects the run's decisions.

    ``early``: ``Cond.LAST`` sees one party fewer (the broken ``early_trip`` variant).
    """

    def __init__(self, forcing: Forcing) -> None:
        self.forcing = forcing
        self.steps: list[tuple[str, BoolTerm]] = []  # (decision, its term), in order
        self.early = False

    def condition(self, s: SymState, cond: Cond) -> BoolTerm | None:
        """The term of ``cond`` on ``s`` (None: true in the unbounded environment)."""
        sym = s.sym
        if cond is Cond.BROKEN:
            return sym.broken
        if cond is Cond.SETTLING:
            opened = sym.count(lambda c: _facts(c)[0])
            broken = sym.count(lambda c: _facts(c)[1])
            return (broken > 0) | ((opened > 0) & ~sym.broken)
        if cond is Cond.LAST:
            return (sym.arrived + 1).eq(sym.parties - 1 if self.early else sym.parties)
        if cond is Cond.FULL:
            return (sym.parties > 0) & sym.arrived.eq(sym.parties)
        if cond is Cond.TRIPPED:
            return sym.round > 0
        return None  # ROUNDS_LEFT, DEATHS_LEFT: the proofs' environment has no bounds

    def test(self, s: SymState, cond: Cond) -> bool:
        term = self.condition(s, cond)
        if term is None:
            return True
        outcome, new = self.forcing.decide(term.raw.get_id())
        if new:
            self.steps.append((_DECISION[cond][outcome], term if outcome else ~term))
        return outcome

    def each(self, s: SymState, rule: LocalRule, arg: Hashable) -> SymState:
        sym = s.sym
        results = {c: rule(arg, to_local(c)) for c in sym.counts}
        released = total(
            n
            for c, n in sym.counts.items()
            if results[c].status is Status.PASSED and c.status is not Status.PASSED
        )
        if all(
            r.status is not Status.PASSED or r.round in _TAG_OF_PASSED for r in results.values()
        ):
            post = remap(sym, lambda c: to_class(results[c]))
            actor = None if s.actor is None else to_class(results[s.actor])
        else:  # released in the filling round: rho is that round or another one
            here = sym.rho.eq(sym.round)
            into_rho = remap(sym, lambda c: to_class(results[c], Tag.RHO))
            elsewhere = remap(sym, lambda c: to_class(results[c], Tag.NOT_RHO))
            post, actor = choose(here, into_rho, elsewhere), None
        return attrs.evolve(s, sym=post, actor=actor, released=s.released + released)

    def set_actor(self, s: SymState, loc: Local) -> SymState:
        if s.actor is None:
            raise ValueError("the actor's class is unknown after a rewrite of everyone")
        new = to_class(loc)
        return attrs.evolve(s, sym=_shift(_shift(s.sym, s.actor, -1), new, +1), actor=new)

    def add(self, s: SymState, *, arrived: int = 0, parties: int = 0) -> SymState:
        sym = attrs.evolve(s.sym, arrived=s.sym.arrived + arrived, parties=s.sym.parties + parties)
        return attrs.evolve(s, sym=sym)

    def clear(self, s: SymState, *, broken: bool) -> SymState:
        sym = attrs.evolve(s.sym, arrived=int_val(0), broken=bool_val(broken))
        return attrs.evolve(s, sym=sym)

    def advance(self, s: SymState) -> SymState:
        # the filling round changes: a participant still waiting now waits in another round
        sym = remap(
            attrs.evolve(s.sym, round=s.sym.round + 1, arrived=int_val(0)),
            lambda c: attrs.evolve(c, tag=Tag.OTHER) if c.status is Status.WAITING else c,
        )
        actor = s.actor
        if actor is not None and actor.status is Status.WAITING:
            actor = attrs.evolve(actor, tag=Tag.OTHER)
        return attrs.evolve(s, sym=sym, actor=actor)

    def filling_round(self, s: SymState) -> int:
        return ROUNDS[Tag.CUR]

    def position(self, s: SymState) -> int:
        return 0  # positions are abstracted away: the abstraction keeps no index values

    def open_indices(self, s: SymState) -> SymState:
        sym = s.sym
        return attrs.evolve(
            s, sym=attrs.evolve(sym, taken=ite(sym.rho.eq(sym.round), 0, sym.taken))
        )

    def prune(self, s: SymState) -> SymState:
        sym = s.sym
        keeping = sym.count(lambda c: _facts(c)[2])
        return attrs.evolve(s, sym=attrs.evolve(sym, taken=ite(keeping.eq(0), 0, sym.taken)))

    def pick_index(self, s: SymState, loc: Local) -> Iterator[tuple[SymState, int]]:
        sym = s.sym
        if to_class(loc).tag is Tag.RHO:
            picked = attrs.evolve(sym, taken=sym.taken + 1)
            yield attrs.evolve(s, sym=picked, choice=sym.taken < sym.parties), INDEX
        else:
            yield s, INDEX


_DECISION = {
    Cond.BROKEN: {True: "broken", False: "not broken"},
    Cond.SETTLING: {True: "draining", False: "not draining"},
    Cond.LAST: {True: "last arrival", False: "not last"},
    Cond.FULL: {True: "round complete", False: "round not complete"},
    Cond.TRIPPED: {True: "tripped", False: "not tripped"},
}
