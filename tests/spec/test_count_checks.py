"""The fused checks fail exactly when a named invariant does, and the explorer names it.

Compared on every reachable state and transition at small bounds and on randomly corrupted
ones (where the named checks do fail), for every profile: the fused check returns the first
failing named check's message, or ``None`` when every named check passes.
"""

from __future__ import annotations

import random

import pytest
from tests.spec.test_compiled_invariants import _corrupt, _labels, _reachable

from barrierspec.spec import PROFILES, Bounds, ExplorationStatus, explore
from barrierspec.spec._compiled_codes import CompiledState
from barrierspec.spec._compiled_invariants import FusedChecks
from barrierspec.spec._compiled_labels import WAIT, Label
from barrierspec.spec._compiled_system import CompiledBarrierSystem
from barrierspec.spec._count_system import CountingBarrierSystem
from barrierspec.spec._system import FUSED, Invariant

SAMPLES = 3000


def _first(messages: list[str | None]) -> str | None:
    return next((m for m in messages if m is not None), None)


@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_the_fused_state_check_is_the_named_ones(profile: str) -> None:
    system = CompiledBarrierSystem(PROFILES[profile], 2, 3, Bounds(rounds=1))
    fused = FusedChecks(system).state
    rng = random.Random(f"fused-states-{profile}")
    states = sorted({post for _, _, post in _reachable(system)})
    failed = 0
    for i in range(SAMPLES):
        state = states[i % len(states)]
        if i % 4:
            state = _corrupt(rng, system, state)
        want = _first([inv.check(state) for inv in system.invariants])
        assert fused(state) == want, system.decode(state).describe()
        failed += want is not None
    assert failed > SAMPLES // 10


@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_the_fused_transition_check_is_the_named_ones(profile: str) -> None:
    system = CompiledBarrierSystem(PROFILES[profile], 2, 3, Bounds(rounds=1))
    fused = FusedChecks(system).transition
    rng = random.Random(f"fused-steps-{profile}")
    steps = _reachable(system)
    labels: list[Label] = _labels(system)
    failed = 0
    for i in range(SAMPLES * 2):
        pre, label, post = steps[rng.randrange(len(steps))]
        if i % 4 == 1:
            post = _corrupt(rng, system, post)
        elif i % 4 == 2:
            label = rng.choice(labels)
        elif i % 4 == 3:
            pre = _corrupt(rng, system, pre)
        want = _first([inv.check(pre, label, post) for inv in system.transition_invariants])
        assert fused(pre, label, post) == want, str(label)
        failed += want is not None
    assert failed > SAMPLES // 10


def test_an_unknown_invariant_turns_the_filter_off() -> None:
    system = CompiledBarrierSystem(PROFILES["threading"], 2, 2, Bounds(rounds=1))
    never = Invariant("never", "fails everywhere", lambda s: "always wrong")
    system._state_invs = [*system.invariants, never]
    assert FusedChecks(system).state(system.initial_states()[0]) == "always wrong"


def test_the_explorer_names_the_invariant_a_fused_check_caught() -> None:
    system = CountingBarrierSystem(PROFILES["asyncio"], 2, 3, Bounds(rounds=1))
    fused = system.fused_checks()
    assert fused is not None
    assert [name for name, _ in fused.state_checks()] == [FUSED]
    assert [name for name, _ in fused.transition_checks()] == [FUSED]
    successors = system.successors

    def uncounted(state: CompiledState) -> list[tuple[Label, CompiledState]]:
        """Broken: an arrival that does not trip is not counted."""
        out = []
        for label, post in successors(state):
            if label.kind == WAIT and post[0] == state[0] and post[1] == state[1] + 1:
                post = (post[0], state[1], *post[2:])
            out.append((label, post))
        return out

    system.successors = uncounted
    result = explore(system, symmetry=True)
    assert result.status is ExplorationStatus.VIOLATION
    assert result.violation is not None
    last = result.violation.trace[-1].state
    assert result.violation.name == "arrivals_counted"
    assert result.violation.message == system.invariants[0].check(last)
    assert result.invariants[0] == "arrivals_counted"
