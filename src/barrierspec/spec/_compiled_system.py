"""A profile's barrier model compiled to tuple states, for fast exhaustive search.

:class:`CompiledBarrierSystem` is the same transition system as
:class:`~barrierspec.spec._barrier_system.BarrierSystem` -- same states (up to encoding),
same transitions and labels, same named invariants, same canonical forms and orbit sizes --
with the per-state work done on plain tuples (:mod:`barrierspec.spec._compiled_codes`) by a
successor function generated from the rules (:mod:`barrierspec.spec._compiled_step`) instead
of attrs objects. ``decode`` and ``encode`` translate between the two, and the tests require
the compiled successors to decode to exactly the readable ones on every reachable state at
small bounds (a regression test of the two interpretations of one text).

Labels are :class:`~barrierspec.spec._compiled_labels.Label` objects that render as the
readable ``Transition``; ``describe`` decodes, so traces and reports read the same with
either system.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from math import factorial

from barrierspec.spec._compiled_codes import (
    BLOCKED,
    DEAD,
    WAITING,
    CompiledState,
    LocalCodes,
    TakenCodec,
    decode_state,
    encode_state,
)
from barrierspec.spec._compiled_invariants import CompiledChecks, FusedChecks
from barrierspec.spec._compiled_step import Labels, Successors, make_successors
from barrierspec.spec._enabled import Bounds
from barrierspec.spec._policies import IndexPolicy, Profile, Reentry
from barrierspec.spec._state import Call, State
from barrierspec.spec._step import initial_state
from barrierspec.spec._system import Invariant, TransitionInvariant

__all__ = ["CompiledBarrierSystem", "compiled_system"]


class CompiledBarrierSystem:
    """The model of ``profile`` with ``parties`` and ``participants`` within ``bounds``.

    A :class:`~barrierspec.spec._system.TransitionSystem` over
    :data:`~barrierspec.spec._compiled_codes.CompiledState` tuples. ``checks=False`` leaves
    the invariants out (for raw-speed benchmarks only). Raises :class:`UsageError` for the
    arguments :func:`~barrierspec.spec.initial_state` rejects.
    """

    successors: Successors

    def __init__(
        self,
        profile: Profile,
        parties: int,
        participants: int,
        bounds: Bounds | None = None,
        *,
        checks: bool = True,
    ) -> None:
        initial = initial_state(profile, parties, participants)  # validates the arguments
        self.profile = profile
        self.parties = parties
        self.participants = participants
        self.bounds = bounds if bounds is not None else Bounds()
        # A blocked newcomer can enter a round after the bound, and complete it with other
        # blocked ones: past `rounds`, each completed round needs a participant blocked
        # before, so no local ever holds a round beyond rounds + participants.
        max_round = self.bounds.rounds + participants + 1
        # an arrival position is below the parties the barrier can have
        arrival = profile.policies.index is IndexPolicy.ARRIVAL
        calls = len(Call) if profile.policies.reentry is Reentry.BREAKS_ROUND else 1
        self.codes = LocalCodes(max_round, max(parties, participants) if arrival else 1, calls)
        width = max(parties, participants) + 1  # indices 0..parties-1 plus the presence bit
        self.taken = TakenCodec(width, max_round)
        self.labels = Labels(participants)
        self.successors = make_successors(profile, self.bounds, self.codes, self.taken, self.labels)
        self._initial = self.encode(initial)
        self._state_invs: list[Invariant[CompiledState]] = []
        self._transition_invs: list[TransitionInvariant[CompiledState]] = []
        self.compiled_checks = CompiledChecks(profile, self.codes, self.taken, self.decode)
        if checks:
            self._state_invs = list(self.compiled_checks.invariants)
            self._transition_invs = list(self.compiled_checks.transition_invariants)

    @property
    def name(self) -> str:
        """``profile(parties=P, participants=N, rounds=R)``, as the readable system's."""
        return (
            f"{self.profile.name}(parties={self.parties}, participants={self.participants}, "
            f"rounds={self.bounds.rounds})"
        )

    def encode(self, state: State) -> CompiledState:
        """The compiled tuple of a readable state."""
        return encode_state(self.codes, self.taken, state)

    def decode(self, state: CompiledState) -> State:
        """The readable state of a compiled tuple."""
        return decode_state(self.codes, self.taken, state)

    def initial_states(self) -> list[CompiledState]:
        """The one initial state: everybody idle."""
        return [self._initial]

    @property
    def invariants(self) -> Sequence[Invariant[CompiledState]]:
        """The profile's state invariants (the readable ones' names and messages)."""
        return self._state_invs

    def fused_checks(self) -> FusedChecks | None:
        """One state check and one transition check standing for every invariant (built
        per exploration from the current invariants; ``None`` without invariants)."""
        if not self._state_invs and not self._transition_invs:
            return None
        return FusedChecks(self)

    @property
    def transition_invariants(self) -> Sequence[TransitionInvariant[CompiledState]]:
        """The profile's transition invariants (the readable ones' names and messages)."""
        return self._transition_invs

    def canonical(self, state: CompiledState) -> CompiledState:
        """The state with its participants sorted (codes sort as the readable locals do)."""
        locs = state[5]
        ordered = tuple(sorted(locs))
        if ordered == locs:
            return state
        return (state[0], state[1], state[2], state[3], state[4], ordered)

    def orbit_size(self, state: CompiledState) -> int:
        """How many concrete states ``state``'s canonical form stands for (see BarrierSystem)."""
        locs = state[5]
        size = factorial(len(locs))
        for count in Counter(locs).values():
            size //= factorial(count)
        return size

    def stuck(self, state: CompiledState) -> str | None:
        """Names the participants that wait forever, if any."""
        status = self.codes.status
        waiting = [f"P{i}" for i, c in enumerate(state[5]) if status[c] in (WAITING, BLOCKED)]
        if not waiting:
            return None
        return f"{', '.join(waiting)} wait forever: no event can release them"

    def documented_hang(self, state: CompiledState) -> str | None:
        """Why this stuck state is the contract, if it is (:meth:`Profile.hang_reason`)."""
        status = self.codes.status
        return self.profile.hang_reason(state[3], any(status[c] == DEAD for c in state[5]))

    def describe(self, state: CompiledState) -> str:
        """One line per state for traces (the readable state's rendering)."""
        return self.decode(state).describe()


def compiled_system(
    profile: Profile, parties: int, participants: int, bounds: Bounds | None = None
) -> CompiledBarrierSystem:
    """The compiled form of ``BarrierSystem(profile, parties, participants, bounds)``."""
    return CompiledBarrierSystem(profile, parties, participants, bounds)
