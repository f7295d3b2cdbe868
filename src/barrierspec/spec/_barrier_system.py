"""A profile's barrier model as a :class:`TransitionSystem` for the explorer.

Participants are interchangeable (nothing in the shared state names one), so the canonical
form of a state sorts the participants' local states; a canonical state stands for as many
concrete states as there are distinct orderings of its locals (``orbit_size``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from math import factorial

import attrs

from barrierspec.spec._enabled import Bounds, enabled
from barrierspec.spec._invariants import state_invariants, transition_invariants
from barrierspec.spec._policies import Profile
from barrierspec.spec._state import Event, State, Status, Transition
from barrierspec.spec._step import Successor, initial_state, step
from barrierspec.spec._system import Invariant, TransitionInvariant

__all__ = ["BarrierSystem", "StepFunction"]

StepFunction = Callable[[Profile, State, Event], list[Successor]]


@attrs.frozen
class BarrierSystem:
    """The model of ``profile`` with ``parties`` and ``participants``, within ``bounds``.

    ``step_function`` defaults to the model's :func:`step`; tests substitute deliberately
    broken variants to show the explorer rejects them.
    """

    profile: Profile
    parties: int
    participants: int
    bounds: Bounds = attrs.field(factory=Bounds)
    step_function: StepFunction = step
    _state_invs: list[Invariant[State]] = attrs.field(init=False)
    _transition_invs: list[TransitionInvariant[State]] = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        initial_state(self.profile, self.parties, self.participants)  # validates arguments
        object.__setattr__(self, "_state_invs", state_invariants(self.profile))
        object.__setattr__(self, "_transition_invs", transition_invariants(self.profile))

    @property
    def name(self) -> str:
        """``profile(parties=P, participants=N, rounds=R)``."""
        return (
            f"{self.profile.name}(parties={self.parties}, participants={self.participants}, "
            f"rounds={self.bounds.rounds})"
        )

    def initial_states(self) -> list[State]:
        """The one initial state: everybody idle."""
        return [initial_state(self.profile, self.parties, self.participants)]

    def successors(self, state: State) -> Iterator[tuple[object, State]]:
        """Every ``(Transition, next state)`` enabled in ``state``."""
        profile = self.profile
        do = self.step_function
        for event in enabled(profile, state, self.bounds):
            for succ in do(profile, state, event):
                yield Transition(event, succ.outputs), succ.state

    @property
    def invariants(self) -> Sequence[Invariant[State]]:
        """The profile's state invariants."""
        return self._state_invs

    @property
    def transition_invariants(self) -> Sequence[TransitionInvariant[State]]:
        """The profile's transition invariants."""
        return self._transition_invs

    def canonical(self, state: State) -> State:
        """The state with its participants sorted by local state."""
        ordered = tuple(sorted(state.locals))
        return state if ordered == state.locals else attrs.evolve(state, locals=ordered)

    def orbit_size(self, state: State) -> int:
        """How many concrete states ``state``'s canonical form stands for.

        Exact when the initial state is symmetric (every profile with fixed membership; the
        grinder profile when every participant starts with a member). Otherwise the sum of
        orbit sizes also counts states reachable only from permuted initial states; the
        verdicts stay sound because the transitions and invariants are symmetric.
        """
        size = factorial(len(state.locals))
        for count in Counter(state.locals).values():
            size //= factorial(count)
        return size

    def stuck(self, state: State) -> str | None:
        """Names the participants that wait forever, if any."""
        waiting = [
            f"P{i}"
            for i, loc in enumerate(state.locals)
            if loc.status in (Status.WAITING, Status.BLOCKED)
        ]
        if not waiting:
            return None
        return f"{', '.join(waiting)} wait forever: no event can release them"

    def documented_hang(self, state: State) -> str | None:
        """Why this stuck state is the contract, if it is (:meth:`Profile.hang_reason`)."""
        dead = any(loc.status is Status.DEAD for loc in state.locals)
        return self.profile.hang_reason(state.parties, dead)

    def describe(self, state: State) -> str:
        """One line per state for traces."""
        return state.describe()
