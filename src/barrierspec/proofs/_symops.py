"""Operations on symbolic abstract states: the building blocks of the moves.

Each function is the counter version of something the Python step does to a state:
:func:`relocate` moves one participant from one class to another (``_with``), :func:`remap`
rewrites every participant at once (the loops of ``_trip``, ``_break``, ``reset``),
:func:`prune` is ``_prune`` for the distinguished round, :func:`choose` merges two outcomes
under a condition (a trip releases into round ``rho`` or into another round).
"""

from __future__ import annotations

from collections.abc import Callable

import attrs

from barrierspec.proofs._abstraction import LocalClass, Sym, Tag
from barrierspec.proofs._z3 import BoolTerm, IntTerm, ite, ite_bool, total
from barrierspec.spec import Fault, Status

__all__ = [
    "DEAD",
    "DEAD_ARRIVAL",
    "choose",
    "dead_arrival",
    "failing",
    "idle",
    "prune",
    "relocate",
    "remap",
    "settling",
    "shift",
    "waiting",
]


def settling(s: Sym) -> BoolTerm:
    """Someone released or woken has not left yet (:func:`barrierspec.spec._step.settling`)."""
    passed = s.count(lambda c: c.status is Status.PASSED)
    failing = s.count(lambda c: c.status is Status.FAILING)
    return (passed > 0) | ((failing > 0) & ~s.broken)


def _counts(s: Sym, counts: dict[LocalClass, IntTerm]) -> Sym:
    return attrs.evolve(s, counts=counts)


def shift(s: Sym, cls: LocalClass, by: int) -> Sym:
    counts = dict(s.counts)
    counts[cls] = s.n(cls) + by
    return _counts(s, counts)


def relocate(s: Sym, src: LocalClass, dst: LocalClass) -> Sym:
    """One participant of class ``src`` is now of class ``dst``."""
    return shift(shift(s, src, -1), dst, +1)


def remap(s: Sym, f: Callable[[LocalClass], LocalClass]) -> Sym:
    """Every participant of class ``c`` is now of class ``f(c)``."""
    groups: dict[LocalClass, list[IntTerm]] = {}
    for c, n in s.counts.items():
        groups.setdefault(f(c), []).append(n)
    counts = {c: ns[0] if len(ns) == 1 else total(ns) for c, ns in groups.items()}
    return _counts(s, counts)


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


def prune(s: Sym) -> Sym:
    """Round ``rho`` forgets its indices once nobody of it drains (``_prune``)."""
    passed_rho = s.count(lambda c: c.status is Status.PASSED and c.tag is Tag.RHO)
    return attrs.evolve(s, taken=ite(passed_rho.eq(0), 0, s.taken))


def idle(c: LocalClass) -> LocalClass:
    return LocalClass(member=c.member)


def failing(c: LocalClass, fault: Fault) -> LocalClass:
    return LocalClass(status=Status.FAILING, fault=fault, member=c.member)


DEAD = LocalClass(status=Status.DEAD)

# A dead participant whose arrival still stands in the filling round (``Death.ANY``).
DEAD_ARRIVAL = LocalClass(status=Status.DEAD, arrived=True)


def waiting(c: LocalClass) -> bool:
    return c.status is Status.WAITING


def dead_arrival(c: LocalClass) -> bool:
    return c.status is Status.DEAD and c.arrived
