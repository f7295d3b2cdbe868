"""Deliberately broken variants of the barrier model: the explorer must reject each one with
its shortest counterexample, naming the invariant it breaks.

Each variant wraps the real step function and changes one rule. The shortest-trace claim is
checked independently: a breadth-first search over the same system without early stop finds
no violating transition at a smaller depth.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

import attrs
import pytest

from barrierspec.spec import (
    PROFILES,
    ActionRan,
    BarrierSystem,
    Bounds,
    Event,
    ExplorationStatus,
    Fault,
    Profile,
    Raised,
    Resume,
    State,
    Status,
    Successor,
    Timeout,
    Wait,
    explore,
    step,
)

Step = Callable[[Profile, State, Event], list[Successor]]


def action_by_every_party(profile: Profile, state: State, event: Event) -> list[Successor]:
    """Bug: every party runs the action when it resumes, not only the last arrival."""
    succs = step(profile, state, event)
    if isinstance(event, Resume) and state.locals[event.p].status is Status.PASSED:
        return [attrs.evolve(s, outputs=(ActionRan(event.p, False), *s.outputs)) for s in succs]
    return succs


def timeout_does_not_break(profile: Profile, state: State, event: Event) -> list[Successor]:
    """Bug: under the threading profile a timeout only withdraws its waiter."""
    if isinstance(event, Timeout) and state.locals[event.p].status is Status.WAITING:
        locs = list(state.locals)
        locs[event.p] = attrs.evolve(locs[event.p], status=Status.IDLE, round=0, timed=False)
        after = attrs.evolve(state, locals=tuple(locs), arrived=state.arrived - 1)
        return [Successor(after, (Raised(event.p, Fault.BROKEN),))]
    return step(profile, state, event)


def early_release(profile: Profile, state: State, event: Event) -> list[Successor]:
    """Bug: the round trips one arrival early (a fast party laps the others)."""
    if isinstance(event, Wait) and state.parties > 1 and not state.broken:
        bumped = attrs.evolve(state, arrived=state.arrived + 1)
        if bumped.arrived + 1 == state.parties:
            return step(profile, bumped, event)
    return step(profile, state, event)


def forgets_broken(profile: Profile, state: State, event: Event) -> list[Successor]:
    """Bug: the barrier stops being broken as soon as the last woken waiter has left."""
    succs = step(profile, state, event)
    if not isinstance(event, Resume):
        return succs
    out = []
    for s in succs:
        nobody = all(loc.status in (Status.IDLE, Status.DEAD) for loc in s.state.locals)
        out.append(attrs.evolve(s, state=attrs.evolve(s.state, broken=False)) if nobody else s)
    return out


CASES: list[tuple[str, Step, str]] = [
    ("threading", action_by_every_party, "action_once_before_release"),
    ("threading", timeout_does_not_break, "timeout_follows_policy"),
    ("threading", early_release, "release_needs_all_parties"),
    ("asyncio", early_release, "release_needs_all_parties"),
    ("threading", forgets_broken, "broken_is_sticky"),
]


def _first_violation_depth(system: BarrierSystem) -> int:
    """Independent BFS: the depth of the first transition breaking any invariant."""
    start = system.initial_states()[0]
    depth = {start: 0}
    queue = deque([start])
    while queue:
        state = queue.popleft()
        for inv in system.invariants:
            if inv.check(state) is not None:
                return depth[state]
        for label, nxt in system.successors(state):
            for tinv in system.transition_invariants:
                if tinv.check(state, label, nxt) is not None:
                    return depth[state] + 1
            if nxt not in depth:
                depth[nxt] = depth[state] + 1
                queue.append(nxt)
    raise AssertionError("no violation at all")


@pytest.mark.parametrize(
    ("profile", "variant", "invariant"), CASES, ids=[f"{p}-{v.__name__}" for p, v, _ in CASES]
)
def test_broken_model_is_rejected_with_a_shortest_counterexample(
    profile: str, variant: Step, invariant: str
) -> None:
    system = BarrierSystem(PROFILES[profile], 2, 3, Bounds(rounds=2), step_function=variant)
    result = explore(system)
    assert result.status is ExplorationStatus.VIOLATION
    violation = result.violation
    assert violation is not None and violation.name == invariant, violation
    steps = len(violation.trace) - 1  # the trace starts with the initial state
    assert steps == _first_violation_depth(system)
    assert steps <= 6


def test_the_real_model_passes_the_same_bounds() -> None:
    for profile in ("threading", "asyncio"):
        result = explore(BarrierSystem(PROFILES[profile], 2, 3, Bounds(rounds=2)))
        assert result.status is ExplorationStatus.OK
