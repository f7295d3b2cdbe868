"""The counting domain: the rules of :mod:`barrierspec.spec._rules` run over counts.

A :class:`Counts` state is the shared state of the barrier and, for each local state, *how
many* participants are in it; under fixed membership with distinct indices, each draining
round holds *how many* indices it has handed out (they are interchangeable: the only rule
that touches them picks any free one). :class:`Counting` is the
:class:`~barrierspec.spec._domain.Domain` over such states, for one acting participant:

* ``test`` reads the counts (``SETTLING``: someone is released, or woken on a usable
  barrier; ``DEATHS_LEFT``: fewer dead participants than the bound) or the shared fields;
* ``each`` rewrites every local state and merges the counts of locals that become equal;
* ``set_actor`` moves one participant from the actor's current local state to another;
* ``pick_index`` (*the choice of a free index*): with counted indices, one choice -- the
  next index, ``k`` when ``k`` were handed out and ``k < parties`` -- standing for every
  free one; under dynamic membership the index sets are kept and each free index is a
  choice, as in the concrete domain;
* ``filling_round`` (*the round tags*): the round counter, as concretely.

:func:`counted_successors` runs the environment rules
(:func:`~barrierspec.spec._enabled.actor_events`) and the event handlers once per distinct
local state with a participant in it: the events of one participant in a local state stand
for those of all of them. Outputs name the actor as participant 0, and a returned index is
the representative one. This is the counting interpretation of the one text of the rules;
``tests/spec/test_count_domain.py`` shows it reaches the same counting states, by the same
transitions, as :class:`~barrierspec.spec._count_system.CountingBarrierSystem` (the compiled
interpretation run once per distinct local state), which the explorer uses for speed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Hashable, Iterator

import attrs

from barrierspec.spec import _rules
from barrierspec.spec._domain import Cond, LocalRule
from barrierspec.spec._enabled import Bounds, actor_events
from barrierspec.spec._invariant_domain import Pred, Reading, named_rounds
from barrierspec.spec._invariants import state_specs
from barrierspec.spec._policies import IndexPolicy, Membership, Profile
from barrierspec.spec._state import Local, Observation, State, Status, Transition

__all__ = [
    "Counting",
    "Counts",
    "CountsDomain",
    "count_violation",
    "counted",
    "counted_successors",
    "listing",
]

#: ``(round, handed out)``: a count of indices, or the index set when they are not counted.
Taken = tuple[tuple[int, int | frozenset[int]], ...]


@attrs.frozen
class Counts:
    """A barrier state up to renaming participants (and indices, where counted)."""

    counts: tuple[tuple[Local, int], ...]  # (local, participants in it), sorted by local
    parties: int
    round: int = 0
    arrived: int = 0
    broken: bool = False
    taken: Taken = ()


def _bag(pairs: Counter[Local]) -> tuple[tuple[Local, int], ...]:
    return tuple(sorted((loc, n) for loc, n in pairs.items() if n))


def counted(state: State, *, indices: bool) -> Counts:
    """The counting state of a concrete one (``indices``: count the indices too)."""
    taken: Taken = tuple((r, len(ids) if indices else ids) for r, ids in state.taken)
    return Counts(
        _bag(Counter(state.locals)),
        state.parties,
        state.round,
        state.arrived,
        state.broken,
        taken,
    )


def listing(state: Counts) -> State:
    """A concrete state of the class ``state`` stands for: the locals in order, and each
    round's counted indices as the lowest ones (``{0..k-1}``)."""
    locs = tuple(loc for loc, n in state.counts for _ in range(n))
    taken = tuple(
        (r, ids if isinstance(ids, frozenset) else frozenset(range(ids))) for r, ids in state.taken
    )
    return State(locs, state.parties, state.round, state.arrived, state.broken, taken)


class CountsDomain(Reading):
    """The state invariants evaluated on a :class:`Counts` state (the invariant domain of
    :mod:`barrierspec.spec._invariant_domain` over counts): a count sums the participants of
    each local state; a round's counted indices are the lowest ones, never out of range."""

    def count(self, s: Counts, pred: Pred, rnd: int | None = None) -> int:
        return self._count(s.counts, s.round, pred, rnd)

    def each_round(self, s: Counts, body: Callable[[int], bool]) -> bool:
        passers = (loc for loc, _ in s.counts)
        return all(body(r) for r in named_rounds(passers, (r for r, _ in s.taken)))

    def taken(self, s: Counts, rnd: int) -> int:
        ids = dict(s.taken).get(rnd, 0)
        n = ids if isinstance(ids, int) else len(ids)
        return self.reads.note(f"indices handed out in round {rnd}", n)

    def stray(self, s: Counts, rnd: int) -> bool:
        ids = dict(s.taken).get(rnd, 0)
        bad = [] if isinstance(ids, int) else sorted(i for i in ids if not 0 <= i < s.parties)
        self.reads.note(f"indices of round {rnd} outside range(parties)", bad)
        return bool(bad)


def count_violation(profile: Profile, state: Counts) -> tuple[str, str] | None:
    """``(name, message)`` of the first state invariant of ``profile`` that fails on the
    class ``state``, or ``None``: the one text of the invariants read over counts."""
    for spec in state_specs(profile):
        if not spec.formula(CountsDomain(), state):
            domain = CountsDomain(record=True)
            spec.formula(domain, state)
            return spec.name, domain.message(spec.name, spec.description)
    return None


# a domain state: the counting state and the actor's current local
_S = tuple[Counts, Local]


class Counting:
    """The counting domain for one actor (see the module docstring); ``rounds`` and
    ``deaths`` are the exploration bounds, ``indices`` whether indices are counted."""

    __slots__ = ("deaths", "indices", "rounds")

    def __init__(self, *, rounds: int, deaths: int, indices: bool) -> None:
        self.rounds = rounds
        self.deaths = deaths
        self.indices = indices

    def test(self, s: _S, cond: Cond) -> bool:
        """Evaluate ``cond`` on the counts and shared fields."""
        c = s[0]
        if cond is Cond.BROKEN:
            return c.broken
        if cond is Cond.SETTLING:
            return any(
                loc.status is Status.PASSED or (loc.status is Status.FAILING and not c.broken)
                for loc, _ in c.counts
            )
        if cond is Cond.LAST:
            return c.arrived + 1 == c.parties
        if cond is Cond.FULL:
            return c.parties > 0 and c.arrived == c.parties
        if cond is Cond.TRIPPED:
            return c.round > 0
        if cond is Cond.ROUNDS_LEFT:
            return c.round < self.rounds
        dead = sum(n for loc, n in c.counts if loc.status is Status.DEAD)
        return dead < self.deaths

    def each(self, s: _S, rule: LocalRule, arg: Hashable) -> _S:
        """Every local rewritten by ``rule(arg, local)``; equal results merge their counts."""
        bag: Counter[Local] = Counter()
        for loc, n in s[0].counts:
            bag[rule(arg, loc)] += n
        return attrs.evolve(s[0], counts=_bag(bag)), rule(arg, s[1])

    def set_actor(self, s: _S, loc: Local) -> _S:
        """One participant moves from the actor's local to ``loc``."""
        bag = Counter(dict(s[0].counts))
        bag[s[1]] -= 1
        bag[loc] += 1
        return attrs.evolve(s[0], counts=_bag(bag)), loc

    def add(self, s: _S, *, arrived: int = 0, parties: int = 0) -> _S:
        """``arrived`` and ``parties`` shifted."""
        c = s[0]
        return attrs.evolve(c, arrived=c.arrived + arrived, parties=c.parties + parties), s[1]

    def clear(self, s: _S, *, broken: bool) -> _S:
        """Nobody counted in the filling round; ``broken`` set."""
        return attrs.evolve(s[0], arrived=0, broken=broken), s[1]

    def advance(self, s: _S) -> _S:
        """The round counter moves on; nobody is counted in the new round."""
        return attrs.evolve(s[0], round=s[0].round + 1, arrived=0), s[1]

    def filling_round(self, s: _S) -> int:
        """The round counter."""
        return s[0].round

    def position(self, s: _S) -> int:
        """The arrivals counted in the filling round."""
        return s[0].arrived

    def open_indices(self, s: _S) -> _S:
        """The filling round starts handing out indices (none yet)."""
        c = s[0]
        none: int | frozenset[int] = 0 if self.indices else frozenset()
        return attrs.evolve(c, taken=(*c.taken, (c.round, none))), s[1]

    def prune(self, s: _S) -> _S:
        """Forget the indices of rounds that nobody drains any more."""
        c = s[0]
        draining = {loc.round for loc, _ in c.counts if loc.status is Status.PASSED}
        taken = tuple(entry for entry in c.taken if entry[0] in draining)
        return (c, s[1]) if taken == c.taken else (attrs.evolve(c, taken=taken), s[1])

    def pick_index(self, s: _S, loc: Local) -> Iterator[tuple[_S, int]]:
        """The next index of ``loc``'s round (counted), or each free one (index sets)."""
        c = s[0]
        entry = dict(c.taken).get(loc.round)
        used = entry if entry is not None else (0 if self.indices else frozenset())
        if isinstance(used, int):
            if used < c.parties:
                yield self._taking(s, loc.round, used + 1), used
            return
        for index in range(c.parties):
            if index not in used:
                yield self._taking(s, loc.round, used | {index}), index

    @staticmethod
    def _taking(s: _S, r: int, now: int | frozenset[int]) -> _S:
        c = s[0]
        taken = tuple((rr, now if rr == r else ids) for rr, ids in c.taken)
        return attrs.evolve(c, taken=taken), s[1]


def counted_successors(
    profile: Profile, bounds: Bounds, state: Counts
) -> list[tuple[Transition, Counts]]:
    """Every ``(transition, next counting state)`` from ``state``: the rules run once per
    distinct local state with a participant in it (the actor is participant 0)."""
    pol = profile.policies
    indices = pol.index is IndexPolicy.DISTINCT and pol.membership is Membership.FIXED
    domain = Counting(rounds=bounds.rounds, deaths=bounds.deaths, indices=indices)
    out: list[tuple[Transition, Counts]] = []
    for loc, _ in state.counts:
        s: _S = (state, loc)
        for event in actor_events(domain, profile, bounds, s, 0, loc):
            outputs: tuple[Observation, ...]
            for (after, _actor), outputs in _rules.successors(domain, profile, s, event, loc):
                out.append((Transition(event, outputs), after))
    return out
