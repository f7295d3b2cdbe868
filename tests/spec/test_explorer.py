"""The explorer's semantics on tiny hand-drawn graphs: verdicts, counts, shortest traces."""

from __future__ import annotations

import attrs
import pytest
from tests.spec.models.graphs import GraphSystem, OrbitGraph, philosophers

from barrierspec.errors import UsageError
from barrierspec.spec import (
    ExplorationStatus,
    ExplorerError,
    TransitionInvariant,
    ViolationKind,
    explore,
)

# s0 -> a, b ; a -> c ; b -> c, d ; c -> s0 (a cycle) ; d has no successor (a normal end)
DIAMOND = {
    "s0": [("go a", "a"), ("go b", "b")],
    "a": [("a to c", "c")],
    "b": [("b to c", "c"), ("b to d", "d")],
    "c": [("back", "s0")],
}


def _labels(result_trace: object) -> list[object]:
    return [step.label for step in result_trace]  # type: ignore[attr-defined]


def test_counts_follow_tlc_conventions() -> None:
    result = explore(GraphSystem("diamond", DIAMOND))
    assert result.status is ExplorationStatus.OK and result.ok
    assert result.states == 5  # s0 a b c d
    assert result.transitions == 6  # every successor pair, duplicates included
    assert result.generated == 7  # plus the one initial state
    assert result.depth == 3  # levels {s0} {a b} {c d}
    assert result.invariants == ("Good",)
    assert result.transition_invariants == ("NoBadStep",)
    assert result.violation is None and result.documented_hangs == ()


def test_a_bad_state_gives_the_shortest_trace_with_real_labels() -> None:
    # c is reachable in 2 steps (via a, first in BFS order) and 3 (via s0 again): 2 wins
    result = explore(GraphSystem("diamond", DIAMOND, bad_states=frozenset({"c"})))
    violation = result.violation
    assert result.status is ExplorationStatus.VIOLATION and violation is not None
    assert violation.kind is ViolationKind.INVARIANT and violation.name == "Good"
    assert violation.message == "c is a bad state"
    assert [s.state for s in violation.trace] == ["s0", "a", "c"]
    assert _labels(violation.trace) == [None, "go a", "a to c"]
    assert [s.step for s in violation.trace] == [0, 1, 2]


def test_a_bad_initial_state_is_a_trace_of_length_zero() -> None:
    result = explore(GraphSystem("diamond", DIAMOND, bad_states=frozenset({"s0"})))
    assert result.violation is not None
    assert [s.state for s in result.violation.trace] == ["s0"]
    assert result.transitions == 0 and result.generated == 1


def test_a_forbidden_transition_names_its_label_even_when_another_edge_is_allowed() -> None:
    edges = {"s0": [("fine", "x"), ("sneaky", "x")], "x": []}
    result = explore(GraphSystem("two edges", edges, bad_labels=frozenset({"sneaky"})))
    violation = result.violation
    assert violation is not None and violation.kind is ViolationKind.TRANSITION_INVARIANT
    assert violation.name == "NoBadStep"
    assert _labels(violation.trace) == [None, "sneaky"]
    assert violation.message == "sneaky from s0 is forbidden"


def test_a_deadlock_is_reported_with_its_shortest_trace() -> None:
    result = explore(philosophers())
    violation = result.violation
    assert violation is not None and violation.kind is ViolationKind.DEADLOCK
    assert violation.name == "deadlock"
    assert [s.state for s in violation.trace] == ["-|-", "A|-", "A|B"]
    assert violation.message == "everybody waits forever in A|B"


def test_normal_ends_are_not_deadlocks_and_deadlock_checking_can_be_off() -> None:
    assert explore(GraphSystem("diamond", DIAMOND)).ok  # d is a normal end
    result = explore(philosophers(), check_deadlock=False)
    assert result.ok and not result.deadlock_checked
    assert result.states == 11


def test_a_documented_hang_is_recorded_once_and_the_search_goes_on() -> None:
    edges = {
        "s0": [("x", "h1"), ("y", "m")],
        "m": [("z", "h2"), ("w", "h3")],
    }
    hangs = {"h1": "gh-123899", "h2": "gh-123899", "h3": "gh-999"}
    result = explore(GraphSystem("hangs", edges, hangs=hangs))
    assert result.ok and result.states == 5
    by_name = {h.name: h for h in result.documented_hangs}
    assert list(by_name) == ["gh-123899", "gh-999"]
    assert [s.state for s in by_name["gh-123899"].trace] == ["s0", "h1"]  # the shortest one
    assert [s.state for s in by_name["gh-999"].trace] == ["s0", "m", "h3"]
    assert by_name["gh-999"].message == "everybody waits forever in h3"


def test_a_deadlock_later_in_the_same_level_beats_a_longer_violation() -> None:
    # level 1 = [a, b]; expanding a meets bad c (2 steps); b is a deadlock (1 step)
    edges = {"s0": [("to a", "a"), ("to b", "b")], "a": [("to c", "c")], "c": []}
    system = GraphSystem("mixed", edges, bad_states=frozenset({"c"}), blocked=frozenset({"b"}))
    violation = explore(system).violation
    assert violation is not None and violation.kind is ViolationKind.DEADLOCK
    assert [s.state for s in violation.trace] == ["s0", "b"]
    # without deadlock checking the invariant violation stands
    other = explore(system, check_deadlock=False).violation
    assert other is not None and other.kind is ViolationKind.INVARIANT


def test_max_states_stops_with_bound_reached_not_a_verdict() -> None:
    chain = {f"s{i}": [("next", f"s{i + 1}")] for i in range(100)}
    result = explore(GraphSystem("chain", chain), max_states=10)
    assert result.status is ExplorationStatus.BOUND_REACHED and not result.ok
    assert result.states == 10 and result.violation is None and result.max_states == 10
    assert explore(GraphSystem("chain", chain), max_states=1000).ok


@pytest.mark.parametrize("bad", [0, -5])
def test_max_states_below_one_is_a_usage_error(bad: int) -> None:
    with pytest.raises(UsageError, match=f"max_states must be at least 1.*got {bad}"):
        explore(GraphSystem("diamond", DIAMOND), max_states=bad)


def test_a_system_without_initial_states_is_rejected() -> None:
    with pytest.raises(ExplorerError, match="'empty' has no initial state"):
        explore(GraphSystem("empty", {}, initial=()))


def test_symmetry_search_counts_canonical_states_and_orbits() -> None:
    # l1 and l2 are mirror images; the canonical form of l2 is l1
    edges = {"s0": [("left", "l1"), ("right", "l2")], "l1": [("on", "e")], "l2": [("on", "e")]}
    system = OrbitGraph(
        "mirror", edges, canonical_map={"l2": "l1"}, orbits={"s0": 1, "l1": 2, "e": 1}
    )
    plain = explore(system)
    reduced = explore(system, symmetry=True)
    assert (plain.states, reduced.states) == (4, 3)
    assert reduced.concrete_states == plain.states and reduced.reduction_factor == 4 / 3
    assert plain.concrete_states is None and plain.reduction_factor is None
    no_orbits = GraphSystem("mirror", edges, canonical_map={"l2": "l1"})
    without_orbits = explore(no_orbits, symmetry=True)
    assert without_orbits.concrete_states is None


def test_a_canonical_form_that_is_no_symmetry_cannot_be_replayed() -> None:
    # the search expands canonical(s0) = t, whose successor is bad; s0 itself cannot get there
    edges = {"s0": [("ok", "fine")], "t": [("oops", "bad")]}
    system = GraphSystem(
        "not symmetric", edges, bad_states=frozenset({"bad"}), canonical_map={"s0": "t"}
    )
    with pytest.raises(ExplorerError, match=r"cannot replay step 1.*must be a symmetry"):
        explore(system, symmetry=True)


def test_progress_is_reported_with_growing_counts() -> None:
    chain = {f"s{i}": [("next", f"s{i + 1}")] for i in range(3000)}
    seen: list[tuple[int, int, int, float]] = []
    explore(
        GraphSystem("chain", chain),
        progress=lambda *args: seen.append(args),
        progress_interval=0.0,
    )
    assert len(seen) >= 5  # one report per batch of expanded states
    states = [s for s, _, _, _ in seen]
    assert states == sorted(states) and states[0] > 0
    assert all(depth >= 1 and seconds >= 0 for _, _, depth, seconds in seen)


@attrs.define
class _LabelFree(GraphSystem):
    """A graph without transition invariants that offers its successors without labels
    (``asked``: the states it was asked for, in order)."""

    asked: list[str] = attrs.field(factory=list)

    @property
    def transition_invariants(self) -> tuple[TransitionInvariant[str], ...]:
        return ()

    def successor_states(self, state: str) -> list[str]:
        self.asked.append(state)
        return [post for _, post in self.successors(state)]


def test_a_system_without_transition_checks_is_expanded_label_free() -> None:
    system = _LabelFree("diamond", DIAMOND)
    result = explore(system)
    assert result.ok and (result.states, result.transitions) == (5, 6)
    assert system.asked == ["s0", "a", "b", "c", "d"]  # each state expanded once, BFS order
    # the trace to a violation is rebuilt with the labels of successors
    bad = explore(_LabelFree("diamond", DIAMOND, bad_states=frozenset({"c"})))
    assert bad.violation is not None
    assert _labels(bad.violation.trace) == [None, "go a", "a to c"]
