"""The counting interpretation of a profile's model: participants and indices as counts.

Participants of a barrier are interchangeable: the rules never look at a participant's id,
only at its local state, so a state is determined, up to renaming the participants, by the
shared state and the *number of participants in each local state* (a multiset of locals).
The arrival indices a round hands out are interchangeable too under fixed membership: the
only rule that touches them picks *any* free index of ``range(parties)``, so what a round's
future depends on is *how many* indices it has handed out, not which ones.

:class:`CountingBarrierSystem` explores that quotient. Its states are compiled tuples
(:mod:`barrierspec.spec._compiled_codes`) in counting form:

* the locals are the multiset's sorted listing, so equal locals are adjacent and a run of
  ``k`` equal codes is "``k`` participants in this local state";
* each draining round's returned indices are the lowest ``k`` in range (``{0..k-1}``), an
  index outside ``range(parties)`` (which only a broken rule can hand out) kept as it is.

Successors are the compiled interpretation of the rules run once per *distinct* local state
(``make_successors(..., one_per_local=True)``): the events of one participant in a local state
stand for those of every participant in it. No rule is restated here. Each transition is
checked against the same named invariants as the compiled system, through one fused check per
state and one per transition
(:class:`~barrierspec.spec._compiled_invariants.FusedChecks`), as the compiled search does.

Exactness: the quotient map (``canonical``) is a symmetry of the transition relation and
every invariant is symmetric under it, so the counting search reaches exactly the quotients
of the concrete reachable states, with the same verdicts; ``orbit_size`` gives how many
concrete states each counting state stands for (participants' permutations times the index
sets of each round), so the concrete state count is reported exactly. Under dynamic
membership ``parties`` changes, ``range(parties)`` with it, and indices are not
interchangeable: the index sets are then kept as they are (only participants are counted).
A counterexample is concretised by replaying its counting path on concrete states
(:func:`~barrierspec.spec._trace.replay`), giving the numbered trace of real participant ids
and real indices that the other searches print.
"""

from __future__ import annotations

from math import comb, factorial

from barrierspec.spec._compiled_codes import CompiledState
from barrierspec.spec._compiled_step import make_successors
from barrierspec.spec._compiled_system import CompiledBarrierSystem
from barrierspec.spec._enabled import Bounds
from barrierspec.spec._policies import IndexPolicy, Membership, Profile

__all__ = ["CountingBarrierSystem", "counting_system"]


class CountingBarrierSystem(CompiledBarrierSystem):
    """The model of ``profile`` with ``parties`` and ``participants``, counted.

    Explore it with ``explore(system, symmetry=True)``: the search then runs on counting
    states (``canonical``), and its result carries the exact number of concrete states.
    ``checks=False`` leaves the invariants out (raw-speed benchmarks only).
    """

    def __init__(
        self,
        profile: Profile,
        parties: int,
        participants: int,
        bounds: Bounds | None = None,
        *,
        checks: bool = True,
    ) -> None:
        super().__init__(profile, parties, participants, bounds, checks=checks)
        self.successors = make_successors(
            profile, self.bounds, self.codes, self.taken, self.labels, one_per_local=True
        )
        pol = profile.policies
        self.counts_indices = (
            pol.index is IndexPolicy.DISTINCT and pol.membership is Membership.FIXED
        )
        self._taken_forms: dict[int, tuple[int, int]] = {0: (0, 1)}

    @property
    def name(self) -> str:
        """The compiled system's name, marked as counted."""
        return super().name + " counted"

    def canonical(self, state: CompiledState) -> CompiledState:
        """The counting form: locals sorted, each round's indices the lowest in range."""
        locs = state[5]
        ordered = tuple(sorted(locs))
        taken = state[4]
        if taken and self.counts_indices:
            form = self._taken_forms.get(taken)
            if form is None:
                form = self._taken_form(taken)
            taken = form[0]
        if ordered == locs and taken == state[4]:
            return state
        return (state[0], state[1], state[2], state[3], taken, ordered)

    def _taken_form(self, taken: int) -> tuple[int, int]:
        """``(counted taken, index orbit)`` of a taken int (cached: taken values recur)."""
        codec = self.taken
        in_range = (1 << self.parties) - 1
        counted, orbit, r, rest = 0, 1, 0, taken
        while rest:
            slot = rest & codec.full
            if slot & codec.present:
                ids = slot & (codec.present - 1)
                k = (ids & in_range).bit_count()
                slot = codec.present | (ids & ~in_range) | ((1 << k) - 1)
                orbit *= comb(self.parties, k)
                counted |= slot << (r * codec.width)
            rest >>= codec.width
            r += 1
        self._taken_forms[taken] = (counted, orbit)
        self._taken_forms.setdefault(counted, (counted, orbit))
        return counted, orbit

    def orbit_size(self, state: CompiledState) -> int:
        """How many concrete states the counting state ``state`` stands for."""
        size = factorial(len(state[5]))
        run = 1
        locs = state[5]
        for i in range(1, len(locs) + 1):
            if i < len(locs) and locs[i] == locs[i - 1]:
                run += 1
                continue
            size //= factorial(run)
            run = 1
        if self.counts_indices and state[4]:
            form = self._taken_forms.get(state[4]) or self._taken_form(state[4])
            size *= form[1]
        return size

    def counts(self, state: CompiledState) -> list[tuple[str, int]]:
        """The multiset of ``state``: ``(readable local, participants in it)``, in code order."""
        result: list[tuple[str, int]] = []
        for c in sorted(set(state[5])):
            result.append((self.codes.local(c).describe(), state[5].count(c)))
        return result


def counting_system(
    profile: Profile, parties: int, participants: int, bounds: Bounds | None = None
) -> CountingBarrierSystem:
    """The counting form of ``compiled_system(profile, parties, participants, bounds)``."""
    return CountingBarrierSystem(profile, parties, participants, bounds)
