"""Outside check of the explorer: TLC's figures for tlaplus/Examples Barriers.tla.

TLC's published run (manifest.json, N=6) is 29,279 distinct of 104,515 generated states,
depth 93; TLC measured at N=7 and N=8 gives 125,445 / 513,521 and 536,319 / 2,476,393, and
with SYMMETRY 368 / 525 / 720 distinct states at N=6/7/8. N=8 unreduced (about 5 s) and N=9
are in benchmarks/explore_barriers_tla.py, not here.
"""

from __future__ import annotations

import pytest
from tests.spec.models.barriers_tla import BarriersTLA

from barrierspec.spec import explore


@pytest.mark.parametrize(
    ("n", "distinct", "generated", "depth"),
    [
        (6, 29_279, 104_515, 93),  # TLC, published
        (7, 125_445, 513_521, 109),  # TLC, measured (depth: ours)
    ],
)
def test_unreduced_counts_match_tlc(n: int, distinct: int, generated: int, depth: int) -> None:
    result = explore(BarriersTLA(n))
    assert result.ok, result.violation
    assert (result.states, result.generated, result.depth) == (distinct, generated, depth)
    assert result.invariants == ("TypeOK", "LockInv", "Inv", "FlushInv")
    assert result.transition_invariants == ("RefinesBarrier",)


@pytest.mark.parametrize(
    ("n", "canonical", "concrete", "depth"),
    [(6, 368, 29_279, 93), (7, 525, 125_445, 109), (8, 720, 536_319, 125)],
)
def test_symmetric_counts_match_tlc_and_orbits_add_up(
    n: int, canonical: int, concrete: int, depth: int
) -> None:
    result = explore(BarriersTLA(n), symmetry=True)
    assert result.ok, result.violation
    assert result.states == canonical
    assert result.concrete_states == concrete  # the unreduced count, from the orbits alone
    assert result.depth == depth  # the same depth as the unreduced search


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5])
def test_reduced_and_unreduced_searches_agree_on_small_n(n: int) -> None:
    system = BarriersTLA(n)
    plain, reduced = explore(system), explore(system, symmetry=True)
    assert plain.ok and reduced.ok
    assert reduced.concrete_states == plain.states
    assert reduced.depth == plain.depth
    assert reduced.states <= plain.states


def _check(system: BarriersTLA, name: str, state: tuple[int, ...]) -> str | None:
    invariant = next(i for i in system.invariants if i.name == name)
    return invariant.check(state)


def test_the_invariants_reject_bad_states() -> None:
    system = BarriersTLA(3)
    #          lock g1 g2 rdv  pcs
    good = (1, 0, 0, 0, 0, 0, 0)
    assert all(i.check(good) is None for i in system.invariants)
    assert _check(system, "TypeOK", (2, 0, 0, 0, 0, 0, 0)) == "lock is 2, not 0 or 1"
    two_inside = (0, 0, 0, 2, 3, 3, 0)
    assert _check(system, "LockInv", two_inside) == "processes [1, 2] are all inside the lock"
    both_open = (1, 1, 1, 1, 5, 11, 12)
    assert (_check(system, "Inv", both_open) or "").startswith("both gates are open")
    assert (_check(system, "Inv", (1, 0, 0, 1, 0, 0, 0)) or "").startswith("rdv does not count")
    assert (_check(system, "FlushInv", (1, 2, 0, 0, 6, 6, 6)) or "").startswith("gate_1=2 differs")


def test_the_refinement_check_rejects_a_step_that_moves_two_processes() -> None:
    system = BarriersTLA(3)
    refines = system.transition_invariants[0].check
    assert refines((1, 0, 0, 0, 0, 0, 0), "p1: a0", (1, 0, 0, 0, 1, 0, 0)) is None
    message = refines((1, 0, 0, 0, 0, 0, 0), "glitch", (1, 0, 0, 0, 1, 1, 0))
    assert message == "glitch is no step of Barrier.tla: processes [1, 2] moved"
