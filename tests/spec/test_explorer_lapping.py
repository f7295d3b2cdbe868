"""The explorer rejects the one-chamber barrier, with a shortest trace that really replays."""

from __future__ import annotations

import itertools

import pytest
from tests.spec.models.one_chamber import OneChamberBarrier, State

from barrierspec.spec import TraceStep, ViolationKind, explore

# Shortest counterexample lengths, measured and confirmed by _brute_force_distance: one round
# for everybody (the last arrival opens the gate), then the fast process passes, runs round
# the loop (a0 a1 a2 a3 a5) and passes again: 18 steps at N=2, 5 more per extra process.
SHORTEST = {2: 18, 3: 23, 4: 28}


def _brute_force_distance(system: OneChamberBarrier) -> int:
    """Length of a shortest path to a lapping state, by a separate plain BFS over all states.

    Independent of the explorer: no early stop, no parent pointers; violating states are
    reached but not expanded (beyond them the relative pass counters would grow forever).
    """
    (start,) = system.initial_states()
    distance: dict[State, int] = {start: 0}
    frontier = [start]
    while frontier:
        following = []
        for state in frontier:
            if system.no_lapping(state) is not None:
                continue
            for _, post in system.successors(state):
                if post not in distance:
                    distance[post] = distance[state] + 1
                    following.append(post)
        frontier = following
    return min(d for s, d in distance.items() if system.no_lapping(s) is not None)


def _assert_replays(system: OneChamberBarrier, trace: tuple[TraceStep, ...]) -> None:
    assert trace[0].state in list(system.initial_states())
    for before, after in itertools.pairwise(trace):
        assert (after.label, after.state) in system.successors(before.state)


@pytest.mark.parametrize("n", [2, 3, 4])
def test_the_lapping_bug_is_found_with_a_shortest_trace(n: int) -> None:
    system = OneChamberBarrier(n)
    result = explore(system)
    violation = result.violation
    assert violation is not None and violation.kind is ViolationKind.INVARIANT
    assert violation.name == "NoLapping"
    assert len(violation.trace) - 1 == SHORTEST[n] == _brute_force_distance(system)
    _assert_replays(system, violation.trace)
    assert system.no_lapping(violation.trace[-1].state) == violation.message
    assert all(system.no_lapping(step.state) is None for step in violation.trace[:-1])


@pytest.mark.parametrize("n", [2, 3, 4])
def test_symmetry_finds_the_same_bug_as_a_concrete_execution(n: int) -> None:
    system = OneChamberBarrier(n)
    result = explore(system, symmetry=True)
    violation = result.violation
    assert violation is not None and violation.name == "NoLapping"
    assert len(violation.trace) - 1 == SHORTEST[n]
    # a real execution from the real initial state, not a walk over sorted states
    _assert_replays(system, violation.trace)
    assert system.no_lapping(violation.trace[-1].state) == violation.message
    assert result.states < explore(system).states


def test_the_trace_is_readable_step_by_step() -> None:
    violation = explore(OneChamberBarrier(2)).violation
    assert violation is not None
    labels = [str(step.label) for step in violation.trace[1:]]
    # p2 arrives last and opens the gate; then p1 passes, goes round and passes again,
    # while p2 never passes the gate (a6)
    opened = labels.index("p2: a4")
    fast = [label for label in labels[opened:] if label.startswith("p1")]
    assert fast == ["p1: a6", "p1: a0", "p1: a1", "p1: a2", "p1: a3", "p1: a5", "p1: a6"]
    assert "p2: a6" not in labels
    assert violation.message == "process 1 passed the gate 2 times more than process 2"
