"""Barriers.tla counted: TLC's figures from counts alone, and concrete counterexamples.

The counted model (processes per program point) must reach exactly TLC's symmetric state
counts, and its orbits must add up to TLC's unreduced counts; a broken variant of the
algorithm must be rejected with the violation the concrete search finds, at the same depth,
as a trace of real process ids.
"""

from __future__ import annotations

import pytest
from tests.spec.models.barriers_tla import PCS, BarriersTLA, State
from tests.spec.models.barriers_tla_counted import CountedBarriersTLA

from barrierspec.spec import ExplorationStatus, ViolationKind
from barrierspec.spec._explorer import explore


@pytest.mark.parametrize(
    ("n", "counted", "concrete", "depth"),
    [(6, 368, 29_279, 93), (7, 525, 125_445, 109), (8, 720, 536_319, 125)],
)
def test_counts_give_tlcs_figures(n: int, counted: int, concrete: int, depth: int) -> None:
    result = explore(CountedBarriersTLA(n), symmetry=True)
    assert result.ok, result.violation
    assert (result.states, result.concrete_states, result.depth) == (counted, concrete, depth)
    assert result.invariants == ("TypeOK", "LockInv", "Inv", "FlushInv")
    assert result.transition_invariants == ("RefinesBarrier",)


@pytest.mark.parametrize("n", [1, 2, 3, 4])
def test_counted_and_sorted_searches_agree(n: int) -> None:
    sorted_ = explore(BarriersTLA(n), symmetry=True)
    counted = explore(CountedBarriersTLA(n))
    assert counted.ok and sorted_.ok
    assert (counted.states, counted.depth) == (sorted_.states, sorted_.depth)


class _EarlyGate(BarriersTLA):
    """Broken: a4 opens chamber 1 for N - 1 processes only (one is left at a6)."""

    def successors(self, state: State) -> list[tuple[object, State]]:
        out = []
        for label, post in super().successors(state):
            if str(label).endswith(": a4"):
                post = (*post[:1], post[1] - 1, *post[2:])
            out.append((label, post))
        return out


class _SkipsGate2(BarriersTLA):
    """Broken: a11 releases the lock and goes back to a0, past gate_2 (a process leaves the
    barrier alone, a step RefinesBarrier rejects whatever the other processes do)."""

    def successors(self, state: State) -> list[tuple[object, State]]:
        out = []
        for label, post in super().successors(state):
            if str(label).endswith(": a11"):  # "p<i>: a11"
                mover = PCS + int(str(label)[1:].split(":")[0]) - 1
                post = (*post[:mover], 0, *post[mover + 1 :])
            out.append((label, post))
        return out


@pytest.mark.parametrize(
    ("broken", "kind"),
    [(_EarlyGate, ViolationKind.INVARIANT), (_SkipsGate2, ViolationKind.TRANSITION_INVARIANT)],
)
def test_a_broken_variant_is_rejected_with_a_concrete_trace(
    broken: type[BarriersTLA], kind: ViolationKind
) -> None:
    n = 3
    want = explore(broken(n))
    got = explore(CountedBarriersTLA(n, model=broken(n)), symmetry=True)
    assert want.status is got.status is ExplorationStatus.VIOLATION
    assert want.violation is not None and got.violation is not None
    assert (got.violation.kind, got.violation.name) == (want.violation.kind, want.violation.name)
    assert got.violation.kind is kind
    assert len(got.violation.trace) == len(want.violation.trace)
    model = broken(n)
    for before, after in zip(got.violation.trace, got.violation.trace[1:], strict=False):
        assert len(after.state) == PCS + n  # a pc per process: a concrete state
        assert (after.label, after.state) in model.successors(before.state)


def test_the_counted_refinement_rejects_a_step_of_two_processes() -> None:
    system = CountedBarriersTLA(3)
    refines = system.transition_invariants[0].check
    start = system.pack((1, 0, 0, 0, 3, *([0] * 12)))
    one = system.pack((1, 0, 0, 0, 2, 1, *([0] * 11)))
    two = system.pack((1, 0, 0, 0, 1, 2, *([0] * 11)))
    assert system.unpack(two) == (1, 0, 0, 0, 1, 2, *([0] * 11))
    assert refines(start, (0, 1), one) is None
    assert (refines(start, (1, 2), one) or "").startswith("a1 -> a2 is no step of one process")
    assert (refines(start, (0, 1), two) or "").startswith("a0 -> a1 is no step of one process")


@pytest.mark.parametrize("n", [1, 3, 5])
def test_successor_states_are_the_successors_without_labels(n: int) -> None:
    # the explorer expands with successor_states and rebuilds traces with successors
    system = CountedBarriersTLA(n)
    frontier = list(system.initial_states())
    seen = set(frontier)
    while frontier:
        state = frontier.pop()
        posts = [post for _, post in system.successors(state)]
        assert system.successor_states(state) == posts, system.describe(state)
        fresh = set(posts) - seen
        seen |= fresh
        frontier.extend(fresh)
    assert len(seen) == explore(CountedBarriersTLA(n)).states
