"""The domain interface: what the rules may ask of a state, and how they change one.

The rules of the barrier (:mod:`barrierspec.spec._rules`, the event handlers, and
:func:`barrierspec.spec._enabled.actor_events`, the environment) are written once, against
this interface, from the point of view of one acting participant (*the actor*, whose local
state the rules receive as a plain :class:`~barrierspec.spec._state.Local`). Every
interpretation of the model is a :class:`Domain`: a value type ``S`` for "a state of the
barrier" and the operations below on it. The rules never look inside ``S``.

Interpretations (one class each):

* **concrete** (:class:`barrierspec.spec._step.Concrete`): ``S`` is a
  :class:`~barrierspec.spec._state.State`; conditions are evaluated. This is the readable
  :func:`~barrierspec.spec.step` and :func:`~barrierspec.spec.enabled`.
* **compiled** (:mod:`barrierspec.spec._compiled_step`): ``S`` is a record of Python
  expressions over a tuple state; the rules are run once per (actor code, round) at build
  time with every outcome of each condition forced in turn (:func:`forced_runs`), and the
  recorded tests, rewrites and successors become the source of one generated function.
* **symbolic** (:mod:`barrierspec.proofs._moves`): ``S`` is a Z3 counter state; the rules
  are run with forced outcomes, each path giving one move guarded by its path condition.
* **counting** (``barrierspec.spec._count*``): ``S`` holds how many participants are in
  each local state.

The operations, and the two places where the domains really differ:

``test(s, cond)``
    The only way a rule reads shared state: one of the named :class:`Cond` conditions. A
    concrete domain evaluates it; a symbolic one asks :class:`Forcing` for the outcome of the
    current run and records it in the path condition.
``each(s, rule, arg)``
    Rewrites *every* participant (the actor included) by ``rule(arg, local)``, a pure
    function of one local (``broken_local``, ``reset_local``, ``released_local``). ``rule``
    must be a module-level function and ``arg`` hashable: the compiled domain tabulates the
    rule per local code, the symbolic ones apply it per class of participants.
``set_actor(s, local)``
    Rewrites the actor only.
``add(s, arrived=, parties=)``, ``clear(s, broken)``, ``advance(s)``
    The shared counters: shift ``arrived`` / ``parties``; ``arrived = 0`` and ``broken`` set
    (a break or a reset); the round counter moves on (``arrived = 0``).
``filling_round(s)`` -- *round tags*
    The round a participant joins when it arrives now, as an ``int`` for building locals
    (``Local(status=WAITING, round=d.filling_round(s))``). Concrete: the round counter.
    Symbolic domains return a representative number and map rounds back to tags (the
    filling round, the distinguished round ``rho``, another round) when they read a local.
``position(s)`` -- *the arrival position*
    How many arrivals the filling round counts now (``arrived``): the index of a party that
    arrives now under ``IndexPolicy.ARRIVAL``, as an ``int`` for building locals. Concrete
    and counting: ``arrived``. Compiled: one branch per value (``arrived == k``). Symbolic:
    0, positions are abstracted away (the proofs keep no index values).
``open_indices(s)``, ``prune(s)``, ``pick_index(s, local)`` -- *the choice of a free index*
    Round ``filling_round`` starts handing out indices; rounds that nobody drains forget
    theirs; ``pick_index`` yields ``(s', index)`` for each index of ``local``'s round still
    free (a domain that cannot enumerate them yields guarded or abstract choices).

How to add a policy value (say ``IndexPolicy.ARRIVAL``, which added ``position``):

1. add the member to its enum in :mod:`barrierspec.spec._policies` (and its row in
   ``docs/semantics.md``);
2. branch on it in the one rule that reads the axis in :mod:`barrierspec.spec._rules` (or in
   :func:`~barrierspec.spec._enabled.actor_events` for what the environment may do), using
   only the operations above. Policies are constants while the rules run, so a plain
   ``if pol.axis is Axis.VALUE`` costs nothing in any domain;
3. if the new behaviour needs a new question about shared state, add a :class:`Cond` and
   its meaning in each domain's ``test`` (one line each); if it needs a new kind of shared
   change, add an operation here and in each domain.

Nothing else changes: the compiled search, the proofs and the counting search are built by
running the rules.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Hashable, Iterator
from typing import Any, Protocol, TypeVar

from barrierspec.spec._state import Local

__all__ = ["Cond", "Domain", "Forcing", "LocalRule", "S", "forced_runs"]

S = TypeVar("S")

#: A per-participant rule: ``rule(arg, local) -> local`` (module-level, ``arg`` hashable).
LocalRule = Callable[[Any, Local], Local]


class Cond(enum.Enum):
    """The questions the rules ask about shared state (see each domain's ``test``)."""

    BROKEN = "the barrier is broken"
    SETTLING = "someone released or woken has not left (the last round drains or resets)"
    LAST = "one more arrival completes the round (arrived + 1 == parties)"
    FULL = "every remaining party has arrived (parties > 0 and arrived == parties)"
    TRIPPED = "a round has completed (round > 0)"
    ROUNDS_LEFT = "the exploration bound allows another wait (round < bounds.rounds)"
    DEATHS_LEFT = "the exploration bound allows another death"


class Domain(Protocol[S]):
    """An interpretation of the rules (see the module docstring for each operation)."""

    def test(self, s: S, cond: Cond) -> bool: ...

    def each(self, s: S, rule: LocalRule, arg: Hashable) -> S: ...

    def set_actor(self, s: S, loc: Local) -> S: ...

    def add(self, s: S, *, arrived: int = 0, parties: int = 0) -> S: ...

    def clear(self, s: S, *, broken: bool) -> S: ...

    def advance(self, s: S) -> S: ...

    def filling_round(self, s: S) -> int: ...

    def position(self, s: S) -> int: ...

    def open_indices(self, s: S) -> S: ...

    def prune(self, s: S) -> S: ...

    def pick_index(self, s: S, loc: Local) -> Iterator[tuple[S, int]]: ...


class Forcing:
    """The outcomes of the conditions of one run, forced from a prefix, then ``True``.

    A symbolic domain calls :meth:`decide` from ``test``; ``key`` identifies the question
    (the same question asked twice in one run gets the same answer and no new decision).
    """

    def __init__(self, prefix: list[bool]) -> None:
        self.prefix = prefix
        self.made: list[bool] = []
        self._memo: dict[Hashable, bool] = {}

    def decide(self, key: Hashable) -> tuple[bool, bool]:
        """``(outcome, new)``: ``new`` is False when ``key`` was decided before in this run."""
        known = self._memo.get(key)
        if known is not None:
            return known, False
        i = len(self.made)
        outcome = self.prefix[i] if i < len(self.prefix) else True
        self.made.append(outcome)
        self._memo[key] = outcome
        return outcome, True


def forced_runs(run: Callable[[Forcing], None], limit: int = 4096) -> int:
    """Call ``run`` once per path: every combination of outcomes the rules can reach.

    Depth first: the first run answers ``True`` to every condition, each next one flips the
    last ``True`` that has not been flipped yet. Returns the number of runs.
    """
    prefix: list[bool] = []
    runs = 0
    while True:
        forcing = Forcing(prefix)
        run(forcing)
        runs += 1
        if runs > limit:
            raise RuntimeError(f"the rules took more than {limit} paths: a condition loops")
        made = forcing.made
        while made and not made[-1]:
            made.pop()
        if not made:
            return runs
        made[-1] = False
        prefix = made
