"""The compiled system is the readable model: same states, same transitions, same labels.

Every state reachable at small bounds, for every profile and every ``Bounds`` switch, is
encoded, decoded, and expanded by both systems; the compiled successors, decoded, must be
exactly the readable model's ``(Transition, State)`` pairs, as multisets. Canonical forms,
orbit sizes and the deadlock helpers must agree too.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import pytest

from barrierspec.spec import PROFILES, BarrierSystem, Bounds, CompiledBarrierSystem, State

# (parties, participants, bounds); rounds=1 keeps the larger ones quick
CONFIGS = [
    (1, 1, Bounds(rounds=3)),
    (1, 2, Bounds(rounds=2)),
    (2, 2, Bounds(rounds=2)),
    (2, 3, Bounds(rounds=1)),
    (3, 3, Bounds(rounds=1)),
    (2, 2, Bounds(rounds=0)),
    (2, 2, Bounds(rounds=2, deaths=2)),
    (2, 2, Bounds(rounds=2, timeouts=False)),
    (2, 2, Bounds(rounds=2, action_failures=False)),
    (2, 2, Bounds(rounds=2, abort_reset=False)),
    (2, 2, Bounds(rounds=2, cancels=False)),
    (2, 2, Bounds(rounds=2, deaths=0)),
    (1, 2, Bounds(rounds=2, joins=False)),
]


def _reachable(system: BarrierSystem) -> Iterator[tuple[State, list[tuple[object, State]]]]:
    """Every reachable state with its successors, breadth-first."""
    frontier = system.initial_states()
    seen = set(frontier)
    while frontier:
        following = []
        for state in frontier:
            successors = list(system.successors(state))
            yield state, successors
            for _, post in successors:
                if post not in seen:
                    seen.add(post)
                    following.append(post)
        frontier = following


def _systems(
    profile: str, parties: int, participants: int, bounds: Bounds
) -> tuple[BarrierSystem, CompiledBarrierSystem]:
    prof = PROFILES[profile]
    readable = BarrierSystem(prof, parties, participants, bounds)
    return readable, CompiledBarrierSystem(prof, parties, participants, bounds)


@pytest.mark.parametrize("profile", sorted(PROFILES))
@pytest.mark.parametrize(("parties", "participants", "bounds"), CONFIGS)
def test_compiled_successors_are_the_models(
    profile: str, parties: int, participants: int, bounds: Bounds
) -> None:
    readable, compiled = _systems(profile, parties, participants, bounds)
    assert compiled.name == readable.name
    assert [compiled.decode(s) for s in compiled.initial_states()] == readable.initial_states()
    for state, successors in _reachable(readable):
        code = compiled.encode(state)
        assert compiled.decode(code) == state
        want = Counter(successors)
        got = Counter(
            (label.transition, compiled.decode(post)) for label, post in compiled.successors(code)
        )
        assert got == want, state.describe()
        assert compiled.canonical(code) == compiled.encode(readable.canonical(state))
        assert compiled.orbit_size(code) == readable.orbit_size(state)
        assert compiled.stuck(code) == readable.stuck(state)
        assert compiled.documented_hang(code) == readable.documented_hang(state)
        assert compiled.describe(code) == state.describe()
