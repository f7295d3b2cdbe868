"""The step function: the rules interpreted over readable states.

``step(profile, state, event)`` returns every ``Successor(state, outputs)`` the profile's
contract allows. More than one successor means the contract is nondeterministic there (an
arrival index, a newcomer that may block or join, an undocumented reaction to a death). An
event that is not allowed in ``state`` raises :class:`InvalidOperationError` naming the rule.

The rules themselves are in :mod:`barrierspec.spec._rules`, written once against the domain
interface of :mod:`barrierspec.spec._domain`; :class:`Concrete` is the domain whose states are
:class:`~barrierspec.spec._state.State` values and whose conditions are evaluated.

The rounds are described in prose at the top of :mod:`barrierspec.spec._rules`.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator

import attrs

from barrierspec.errors import InvalidOperationError, UsageError
from barrierspec.spec import _rules
from barrierspec.spec._domain import Cond, LocalRule
from barrierspec.spec._policies import Membership, PartiesPolicy, Profile
from barrierspec.spec._state import Event, Local, Member, Notice, Observation, State, Status

__all__ = ["Concrete", "Successor", "initial_state", "settling", "step"]


@attrs.frozen
class Successor:
    """One allowed outcome of an event: the next state and what was observed."""

    state: State
    outputs: tuple[Observation, ...] = ()


def initial_state(profile: Profile, parties: int, participants: int) -> State:
    """The state before anyone calls the barrier.

    Fixed membership: ``parties`` is the barrier's constructor argument (0 only under
    ``PartiesPolicy.ZERO_ALLOWED``: a barrier that never trips). Dynamic membership: the
    first ``parties`` participants hold a member each (created before anyone waits, as The
    Grinder's guide recommends); the others may ``Join`` later.
    """
    least = 0 if profile.policies.parties is PartiesPolicy.ZERO_ALLOWED else 1
    if isinstance(parties, bool) or not isinstance(parties, int) or parties < least:
        raise UsageError(
            f"parties must be an int >= {least} under profile {profile.name!r} "
            f"(parties={profile.policies.parties.value}), got {parties!r}"
        )
    if isinstance(participants, bool) or not isinstance(participants, int) or participants < 1:
        raise UsageError(f"participants must be an int >= 1, got {participants!r}")
    if profile.policies.membership is Membership.FIXED:
        return State(locals=(Local(),) * participants, parties=parties)
    if parties > participants:
        raise UsageError(
            f"profile {profile.name!r} has dynamic membership: the {parties} initial members "
            f"must be held by the {participants} participants (parties <= participants)"
        )
    members = (Local(member=Member.MEMBER),) * parties
    others = (Local(),) * (participants - parties)
    return State(locals=members + others, parties=parties)


def settling(state: State) -> bool:
    """True while the last round drains or resets: someone released or woken has not left."""
    for loc in state.locals:
        if loc.status is Status.PASSED:
            return True
        if loc.status is Status.FAILING and not state.broken:
            return True
    return False


def step(profile: Profile, state: State, event: Event) -> list[Successor]:
    """Every successor the profile allows for ``event`` in ``state`` (see the module doc)."""
    p = event.p
    if not 0 <= p < len(state.locals):
        raise InvalidOperationError(
            f"{event}: there is no participant {p} (participants are 0..{len(state.locals) - 1})"
        )
    loc = state.locals[p]
    if loc.status is Status.DEAD and not isinstance(event, Notice):
        raise InvalidOperationError(f"{event}: participant {p} is dead")
    domain = Concrete(p)
    return [
        Successor(after, outputs)
        for after, outputs in _rules.successors(domain, profile, state, event, loc)
    ]


class Concrete:
    """The concrete domain: states are :class:`State` values, ``p`` is the actor.

    ``rounds`` and ``deaths`` are the exploration bounds ``Cond.ROUNDS_LEFT`` and
    ``Cond.DEATHS_LEFT`` read (``None``: unbounded).
    """

    __slots__ = ("deaths", "p", "rounds")

    def __init__(self, p: int, rounds: int | None = None, deaths: int | None = None) -> None:
        self.p = p
        self.rounds = rounds
        self.deaths = deaths

    def test(self, s: State, cond: Cond) -> bool:
        """Evaluate ``cond`` on ``s``."""
        if cond is Cond.BROKEN:
            return s.broken
        if cond is Cond.SETTLING:
            return settling(s)
        if cond is Cond.LAST:
            return s.arrived + 1 == s.parties
        if cond is Cond.FULL:
            return s.parties > 0 and s.arrived == s.parties
        if cond is Cond.TRIPPED:
            return s.round > 0
        if cond is Cond.ROUNDS_LEFT:
            return self.rounds is None or s.round < self.rounds
        dead = sum(1 for loc in s.locals if loc.status is Status.DEAD)
        return self.deaths is None or dead < self.deaths

    def each(self, s: State, rule: LocalRule, arg: Hashable) -> State:
        """Every participant rewritten by ``rule(arg, local)``."""
        return attrs.evolve(s, locals=tuple(rule(arg, loc) for loc in s.locals))

    def set_actor(self, s: State, loc: Local) -> State:
        """The actor's local replaced by ``loc``."""
        locs = list(s.locals)
        locs[self.p] = loc
        return attrs.evolve(s, locals=tuple(locs))

    def add(self, s: State, *, arrived: int = 0, parties: int = 0) -> State:
        """``arrived`` and ``parties`` shifted."""
        return attrs.evolve(s, arrived=s.arrived + arrived, parties=s.parties + parties)

    def clear(self, s: State, *, broken: bool) -> State:
        """Nobody counted in the filling round; ``broken`` set."""
        return attrs.evolve(s, arrived=0, broken=broken)

    def advance(self, s: State) -> State:
        """The round counter moves on; nobody is counted in the new round."""
        return attrs.evolve(s, round=s.round + 1, arrived=0)

    def filling_round(self, s: State) -> int:
        """The round counter."""
        return s.round

    def position(self, s: State) -> int:
        """The arrivals counted in the filling round."""
        return s.arrived

    def open_indices(self, s: State) -> State:
        """The filling round starts handing out indices (none taken yet)."""
        return attrs.evolve(s, taken=(*s.taken, (s.round, frozenset())))

    def prune(self, s: State) -> State:
        """Forget the indices of rounds that nobody drains any more."""
        draining = {loc.round for loc in s.locals if loc.status is Status.PASSED}
        taken = tuple(entry for entry in s.taken if entry[0] in draining)
        return s if taken == s.taken else attrs.evolve(s, taken=taken)

    def pick_index(self, s: State, loc: Local) -> Iterator[tuple[State, int]]:
        """Each index of ``range(parties)`` not yet returned in ``loc``'s round, taken."""
        used = dict(s.taken).get(loc.round, frozenset())
        for index in range(s.parties):
            if index in used:
                continue
            taken = tuple((r, ids | {index}) if r == loc.round else (r, ids) for r, ids in s.taken)
            yield attrs.evolve(s, taken=taken), index
