"""The counter abstraction: a model state seen as counts of participants per local class.

Participants are interchangeable (no shared field names one), so a state is determined, up to
a permutation of participants, by *how many* participants are in each local state. The
abstraction keeps exactly that, with the rounds made relative so that no field grows with the
run:

* a ``WAITING`` participant is tagged ``CUR`` if it waits in the filling round, ``OTHER``
  otherwise (``one_round_each`` says ``OTHER`` is always empty; the proof checks it);
* a ``PASSED`` participant is tagged ``RHO`` if it passed the *distinguished round* ``rho``,
  ``NOT_RHO`` otherwise. ``rho`` is a free variable of the proof: a property of round ``rho``
  proved for an arbitrary ``rho`` holds for every round. The indices handed out in round
  ``rho`` are kept as a count, ``taken``; the indices of other rounds are not kept (their
  properties are the same properties for another value of ``rho``);
* a dead participant whose arrival stands keeps no round (it always stands in the filling
  round, and the step function never reads it).

Every other field of :class:`~barrierspec.spec.Local` is kept as it is. Shared fields
(``parties``, ``round``, ``arrived``, ``broken``) are kept as they are: integers and a bool,
unbounded. :func:`abstract` maps a concrete state (and a choice of ``rho``) to its
:class:`AbstractState`; :func:`concretise` goes back, choosing round numbers that realise the
tags, so that a Z3 counterexample can be replayed through the Python model.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping

import attrs

from barrierspec.proofs._z3 import BoolTerm, IntTerm, Value, bool_var, int_var, total
from barrierspec.spec import Local, State, Status
from barrierspec.spec._classes import LocalClass, Tag, classify_local, local_of

__all__ = [
    "SCALARS",
    "AbstractState",
    "AbstractionError",
    "LocalClass",
    "Sym",
    "Tag",
    "abstract",
    "abstract_local",
    "concretise",
    "environment",
]

# The shared fields, in the order they are shown.
SCALARS = ("parties", "round", "arrived", "broken", "rho", "taken")


class AbstractionError(ValueError):
    """A concrete state has a shape the abstraction does not represent."""


def abstract_local(loc: Local, state: State, rho: int) -> LocalClass:
    """The class of participant state ``loc`` within ``state``, for the distinguished ``rho``."""
    tag = Tag.NONE
    if loc.status is Status.WAITING:
        tag = Tag.CUR if loc.round == state.round else Tag.OTHER
    elif loc.status is Status.PASSED:
        tag = Tag.RHO if loc.round == rho else Tag.NOT_RHO
    elif loc.round != 0 and not (loc.status is Status.DEAD and loc.arrived):
        raise AbstractionError(f"{loc} carries round {loc.round} but its status has none")
    return classify_local(loc, tag)


@attrs.frozen
class AbstractState:
    """A state of the abstraction: shared fields and the non-zero class counts."""

    parties: int
    round: int
    arrived: int
    broken: bool
    rho: int
    taken: int
    counts: frozenset[tuple[LocalClass, int]]

    def count(self, cls: LocalClass) -> int:
        """How many participants are in class ``cls``."""
        return dict(self.counts).get(cls, 0)

    def describe(self) -> str:
        """``parties 2, round 1, ... | 2 x idle, 1 x passed.rho``."""
        head = ", ".join(f"{name} {getattr(self, name)}" for name in SCALARS)
        body = ", ".join(f"{n} x {cls.key}" for cls, n in sorted(self.counts, key=_order))
        return f"{head} | {body}"


def abstract(state: State, rho: int, tally: Mapping[Local, int] | None = None) -> AbstractState:
    """The abstraction of ``state`` with ``rho`` as the distinguished round.

    ``tally`` (``Counter(state.locals)``) may be passed when one state is abstracted for
    several values of ``rho``.
    """
    counts: dict[LocalClass, int] = {}
    for loc, n in (tally or Counter(state.locals)).items():
        cls = abstract_local(loc, state, rho)
        counts[cls] = counts.get(cls, 0) + n
    taken = 0
    for r, ids in state.taken:
        if r == rho:
            taken = len(ids)  # the last entry wins, as in dict(state.taken)
    return AbstractState(
        parties=state.parties,
        round=state.round,
        arrived=state.arrived,
        broken=state.broken,
        rho=rho,
        taken=taken,
        counts=frozenset(counts.items()),
    )


def _order(item: tuple[LocalClass, int]) -> str:
    return item[0].key


def concretise(a: AbstractState, distinct_indices: bool) -> State:
    """A concrete state whose abstraction (for ``a.rho``) is ``a``.

    Tags become rounds: ``CUR`` the filling round, ``OTHER`` the next one, ``RHO`` ``rho``,
    ``NOT_RHO`` the latest round before the filling one that is not ``rho``. Round ``rho``
    has handed out the indices ``0 .. taken-1``; the other draining round none.
    """
    other_past = a.round - 1 if a.round - 1 != a.rho else a.round - 2
    rounds = {Tag.CUR: a.round, Tag.OTHER: a.round + 1, Tag.RHO: a.rho, Tag.NOT_RHO: other_past}
    locs: list[Local] = []
    for cls, n in sorted(a.counts, key=_order):
        if n < 0:
            raise AbstractionError(f"class {cls.key} has a negative count {n}")
        if cls.tag is not Tag.NONE:
            rnd = rounds[cls.tag]
        else:
            rnd = a.round if cls.status is Status.DEAD and cls.arrived else 0
        locs.extend([local_of(cls, rnd)] * n)
    taken: list[tuple[int, frozenset[int]]] = []
    if distinct_indices:
        draining = {rounds[c.tag] for c, _ in a.counts if c.status is Status.PASSED}
        if a.taken:
            draining.add(a.rho)
        for rnd in sorted(draining):
            taken.append((rnd, frozenset(range(a.taken)) if rnd == a.rho else frozenset()))
    return State(
        locals=tuple(sorted(locs)),
        parties=a.parties,
        round=a.round,
        arrived=a.arrived,
        broken=a.broken,
        taken=tuple(taken),
    )


# ------------------------------------------------------------------------ symbolic states


@attrs.frozen(eq=False)
class Sym:
    """A symbolic abstract state: Z3 terms for the shared fields and the class counts.

    A class missing from ``counts`` has count 0. The pre-state of a proof holds variables; a
    post-state holds terms over the pre-state's variables.
    """

    parties: IntTerm
    round: IntTerm
    arrived: IntTerm
    broken: BoolTerm
    rho: IntTerm
    taken: IntTerm
    counts: Mapping[LocalClass, IntTerm]

    @classmethod
    def variables(cls, universe: tuple[LocalClass, ...], suffix: str = "") -> Sym:
        """Fresh variables for every field and every class of ``universe``."""
        return cls(
            parties=int_var("parties" + suffix),
            round=int_var("round" + suffix),
            arrived=int_var("arrived" + suffix),
            broken=bool_var("broken" + suffix),
            rho=int_var("rho" + suffix),
            taken=int_var("taken" + suffix),
            counts={c: int_var(f"n[{c.key}]{suffix}") for c in universe},
        )

    def n(self, cls: LocalClass) -> IntTerm:
        """The count of class ``cls``."""
        term = self.counts.get(cls)
        return term if term is not None else total(())

    def count(self, pred: Callable[[LocalClass], bool]) -> IntTerm:
        """The number of participants whose class satisfies ``pred``."""
        return total(n for c, n in self.counts.items() if pred(c))

    def fields(self) -> dict[str, IntTerm | BoolTerm]:
        """Every term by its variable name (scalars by name, counts as ``n[key]``)."""
        out: dict[str, IntTerm | BoolTerm] = {name: getattr(self, name) for name in SCALARS}
        out.update({f"n[{c.key}]": n for c, n in self.counts.items()})
        return out


def environment(a: AbstractState, universe: tuple[LocalClass, ...]) -> dict[str, Value]:
    """The values of :meth:`Sym.variables` (no suffix) that describe ``a``."""
    extra = [c for c, _ in a.counts if c not in universe]
    if extra:
        raise AbstractionError(f"classes outside the profile's abstraction: {extra}")
    env: dict[str, Value] = {name: getattr(a, name) for name in SCALARS}
    present = dict(a.counts)
    for c in universe:
        env[f"n[{c.key}]"] = present.get(c, 0)
    return env


def from_values(values: Mapping[str, Value], universe: tuple[LocalClass, ...]) -> AbstractState:
    """The abstract state named by a model's ``values`` (keys as in :meth:`Sym.fields`)."""
    counts = frozenset((c, int(values[f"n[{c.key}]"])) for c in universe if values[f"n[{c.key}]"])
    return AbstractState(
        parties=int(values["parties"]),
        round=int(values["round"]),
        arrived=int(values["arrived"]),
        broken=bool(values["broken"]),
        rho=int(values["rho"]),
        taken=int(values["taken"]),
        counts=counts,
    )


__all__ += ["from_values"]
