"""The invariant domain: what the invariants may ask of a state and of a step.

The named invariants (:mod:`barrierspec.spec._invariants`) are written once, as formulas
against this interface, in the style of the rules' :mod:`barrierspec.spec._domain`. Every
interpretation is an :class:`InvariantDomain` (states) or a :class:`StepDomain` (steps):
value types for "a state", "an integer" and "a truth value", and the operations below.

Interpretations (one class each):

* **concrete** (:class:`Concrete`, :class:`ConcreteStep` here): a
  :class:`~barrierspec.spec._state.State` and a ``(pre, Transition, post)`` triple; terms are
  Python values. This is :func:`~barrierspec.spec.state_invariants`.
* **counts** (:class:`~barrierspec.spec._count_domain.CountsDomain`): a
  :class:`~barrierspec.spec._count_domain.Counts` state (participants per local state;
  indices per round as a count or a set).
* **compiled** (:mod:`barrierspec.spec._compiled_invariants`): terms are Python source over
  a compiled tuple; the formulas run once per profile (and, for steps, once per label) and
  the source becomes one generated function, named checks and the explorer's fused check.
* **symbolic** (:mod:`barrierspec.proofs._clauses`): terms are Z3 terms over the counter
  abstraction; the label of a move is a constant.

The operations:

``parties(s)``, ``round(s)``, ``arrived(s)``, ``broken(s)``
    The shared fields.
``count(s, pred, rnd=None)``
    How many participants' :class:`~barrierspec.spec._classes.LocalClass` satisfies
    ``pred`` (a :class:`Pred`). A class tags a waiter ``CUR`` (in the filling round) or
    ``OTHER``, a passer ``RHO`` when it passed round ``rnd`` (the round :meth:`each_round`
    hands out), else ``NOT_RHO``.
``each_round(s, body)``, ``taken(s, rnd)``, ``stray(s, rnd)`` -- *the rounds*
    ``body(rnd)`` holds for every round (concrete domains: every round a passer or a handed
    out index names, the others being empty; symbolic: the free round ``rho``); how many
    indices round ``rnd`` handed out; whether one of them lies outside ``range(parties)``
    (the abstraction keeps no index values: never, by construction).
``eq``, ``all``, ``any``, ``not_``, ``implies``, ``ite``
    The connectives. Integers use the Python operators ``+ - < <= > >=`` (every integer
    type supports them); equality is ``eq`` so that ``==`` keeps its meaning.

A :class:`StepDomain` adds, for a step ``t``:

``pre(t)``, ``post(t)``
    The states before and after, read with the operations above.
``event(t)``, ``actor(t)``, ``outputs(t)`` -- constants in every domain
    The event's class (:class:`~barrierspec.spec._state.Wait`, ...), the acting participant
    and the outputs (:class:`~barrierspec.spec._state.ActionRan`, ``Raised``,
    ``Returned``); the symbolic domain names the actor :data:`ACTOR` and a returned index
    :data:`INDEX`. Python branches on them cost nothing.
``released(t)``
    How many participants the step moved into ``PASSED``.
``was(t, p, pred)``
    Participant ``p``'s class before the step satisfies ``pred``.
``index_free(t, out)``
    The index ``out`` returns was free: in ``range(parties)`` and not handed out before in
    the returner's round (symbolic: a free index of the round exists, the move's choice).

How to add an invariant: write its formula in :mod:`barrierspec.spec._invariants` with these
operations and list it in ``state_specs`` / ``step_specs``. If it needs a question none of
the operations asks, add the operation here and in each domain (a line or two each).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Protocol, TypeVar

import attrs

from barrierspec.spec._classes import LocalClass, class_of
from barrierspec.spec._state import Local, Observation, State, Status, Transition

__all__ = [
    "ACTOR",
    "INDEX",
    "Concrete",
    "ConcreteStep",
    "InvariantDomain",
    "Pred",
    "Reading",
    "StateSpec",
    "StepDomain",
    "StepSpec",
    "Values",
    "named_rounds",
]

#: The actor's participant number in the symbolic domain's outputs.
ACTOR = -1
#: A returned index in the symbolic domain's outputs (any free one).
INDEX = -1

V = TypeVar("V")


@attrs.frozen(eq=False)
class Pred:
    """A named question about one participant's class (named for messages)."""

    name: str
    holds: Callable[[LocalClass], bool]

    def __call__(self, c: LocalClass) -> bool:
        return self.holds(c)


class InvariantDomain(Protocol):
    """An interpretation of the state invariants (see the module docstring)."""

    def parties(self, s: Any) -> Any: ...

    def round(self, s: Any) -> Any: ...

    def arrived(self, s: Any) -> Any: ...

    def broken(self, s: Any) -> Any: ...

    def count(self, s: Any, pred: Pred, rnd: Any = None) -> Any: ...

    def each_round(self, s: Any, body: Callable[[Any], Any]) -> Any: ...

    def taken(self, s: Any, rnd: Any) -> Any: ...

    def stray(self, s: Any, rnd: Any) -> Any: ...

    def eq(self, a: Any, b: Any) -> Any: ...

    def all(self, *terms: Any) -> Any: ...

    def any(self, *terms: Any) -> Any: ...

    def not_(self, a: Any) -> Any: ...

    def implies(self, a: Any, b: Any) -> Any: ...

    def ite(self, c: Any, a: Any, b: Any) -> Any: ...


class StepDomain(InvariantDomain, Protocol):
    """An interpretation of the transition invariants over steps ``T`` of states ``S``."""

    def pre(self, t: Any) -> Any: ...

    def post(self, t: Any) -> Any: ...

    def event(self, t: Any) -> type: ...

    def actor(self, t: Any) -> int: ...

    def outputs(self, t: Any) -> tuple[Observation, ...]: ...

    def released(self, t: Any) -> Any: ...

    def was(self, t: Any, p: int, pred: Pred) -> Any: ...

    def index_free(self, t: Any, out: Observation) -> Any: ...


@attrs.frozen
class StateSpec:
    """A named state invariant: ``formula(domain, state)`` is its truth value."""

    name: str
    description: str
    formula: Callable[[Any, Any], Any]


@attrs.frozen
class StepSpec:
    """A named transition invariant: ``formula(domain, step)`` is its truth value."""

    name: str
    description: str
    formula: Callable[[Any, Any], Any]


class Values:
    """The connectives over Python values (the concrete domains' algebra)."""

    @staticmethod
    def eq(a: Any, b: Any) -> bool:
        return bool(a == b)

    @staticmethod
    def all(*terms: Any) -> bool:
        return all(terms)

    @staticmethod
    def any(*terms: Any) -> bool:
        return any(terms)

    @staticmethod
    def not_(a: Any) -> bool:
        return not a

    @staticmethod
    def implies(a: Any, b: Any) -> bool:
        return bool(b) or not a

    @staticmethod
    def ite(c: Any, a: Any, b: Any) -> Any:
        return a if c else b


class _Reads:
    """What a concrete evaluation read, for the message of a failed invariant."""

    def __init__(self, record: bool) -> None:
        self.on = record
        self.seen: dict[str, object] = {}

    def note(self, what: str, value: V) -> V:
        if self.on:
            self.seen.setdefault(what, value)
        return value

    def message(self, name: str, description: str) -> str:
        reads = "; ".join(f"{what} {value}" for what, value in self.seen.items())
        return f"{name}: not ({description}): {reads}"


class _Shared(Protocol):
    parties: int
    round: int
    arrived: int
    broken: bool


class Reading(Values):
    """What the concrete domains share: Python values, the shared fields read by name, and
    ``record`` (note every value read, field or count, for :meth:`message`)."""

    def __init__(self, *, record: bool = False) -> None:
        self.reads = _Reads(record)

    def parties(self, s: _Shared) -> int:
        return self.reads.note("parties", s.parties)

    def round(self, s: _Shared) -> int:
        return self.reads.note("round", s.round)

    def arrived(self, s: _Shared) -> int:
        return self.reads.note("arrived", s.arrived)

    def broken(self, s: _Shared) -> bool:
        return self.reads.note("broken", s.broken)

    def _count(
        self, pairs: Iterable[tuple[Local, int]], filling: int, pred: Pred, rnd: int | None
    ) -> int:
        n = sum(k for loc, k in pairs if pred(class_of(loc, filling, rnd)))
        where = f" of round {rnd}" if rnd is not None else ""
        return self.reads.note(f"participants {pred.name}{where}", n)

    def message(self, name: str, description: str) -> str:
        """What failed: the invariant and every value its formula read."""
        return self.reads.message(name, description)


class Concrete(Reading):
    """The state invariants evaluated on a :class:`~barrierspec.spec._state.State`."""

    def count(self, s: State, pred: Pred, rnd: int | None = None) -> int:
        return self._count(((loc, 1) for loc in s.locals), s.round, pred, rnd)

    def each_round(self, s: State, body: Callable[[int], bool]) -> bool:
        return all(body(r) for r in named_rounds(s.locals, (r for r, _ in s.taken)))

    def taken(self, s: State, rnd: int) -> int:
        ids = dict(s.taken).get(rnd, frozenset())
        return self.reads.note(f"indices handed out in round {rnd}", len(ids))

    def stray(self, s: State, rnd: int) -> bool:
        ids = dict(s.taken).get(rnd, frozenset())
        bad = sorted(i for i in ids if not 0 <= i < s.parties)
        self.reads.note(f"indices of round {rnd} outside range(parties)", bad)
        return bool(bad)


def named_rounds(locs: Iterable[Local], taken: Iterable[int]) -> list[int]:
    """The rounds a passer or a handed-out index names, in order."""
    return sorted({loc.round for loc in locs if loc.status is Status.PASSED} | set(taken))


#: A concrete step: the states before and after and the transition between them.
Step = tuple[State, Transition, State]


class ConcreteStep(Concrete):
    """The transition invariants evaluated on a concrete step ``(pre, transition, post)``."""

    def pre(self, t: Step) -> State:
        return t[0]

    def post(self, t: Step) -> State:
        return t[2]

    def event(self, t: Step) -> type:
        return type(t[1].event)

    def actor(self, t: Step) -> int:
        return t[1].event.p

    def outputs(self, t: Step) -> tuple[Observation, ...]:
        return t[1].outputs

    def released(self, t: Step) -> int:
        n = sum(
            1
            for a, b in zip(t[0].locals, t[2].locals, strict=True)
            if b.status is Status.PASSED and a.status is not Status.PASSED
        )
        return self.reads.note("participants released", n)

    def was(self, t: Step, p: int, pred: Pred) -> bool:
        pre = t[0]
        holds = pred(class_of(pre.locals[p], pre.round))
        return self.reads.note(f"P{p} was {pred.name}", holds)

    def index_free(self, t: Step, out: Observation) -> bool:
        pre, p, value = t[0], out.p, getattr(out, "value", None)
        rnd = pre.locals[p].round
        used = dict(pre.taken).get(rnd, frozenset())
        self.reads.note(f"P{p} returned index {value} in round {rnd}, taken", sorted(used))
        return isinstance(value, int) and value not in used and 0 <= value < pre.parties
