"""Every profile's model, explored exhaustively at small bounds: pinned counts, no violation.

The pinned numbers are the model's fingerprint: any change to the semantics changes them, so
a change to the model must update them knowingly (and docs/semantics.md with them).
"""

from __future__ import annotations

import pytest

from barrierspec.spec import PROFILES, BarrierSystem, Bounds, ExplorationStatus, explore

# profile, parties, participants -> (distinct states, transitions, depth) at rounds=2
PINNED = {
    ("threading", 2, 2): (120, 416, 10),
    ("threading", 2, 3): (1761, 8655, 11),
    ("threading", 3, 3): (1586, 7872, 14),
    ("multiprocessing", 2, 2): (208, 860, 11),
    ("multiprocessing", 2, 3): (3360, 19890, 12),
    ("asyncio", 2, 2): (150, 756, 10),
    ("asyncio", 3, 3): (1666, 12684, 14),
    ("grinder", 2, 2): (102, 484, 9),
    ("grinder", 2, 3): (831, 5741, 12),
    ("grinder", 3, 3): (729, 5079, 13),
    # strict CPython profiles: fewer states (newcomers block; abort breaks the drainers);
    # threading/multiprocessing: the index is the arrival position, kept by each counted
    # party (no taken-index sets), so their counts differ from the contract's shape
    ("threading-cpython", 2, 2): (78, 264, 10),
    ("threading-cpython", 2, 3): (378, 1809, 11),
    ("threading-cpython", 3, 3): (564, 2358, 14),
    ("multiprocessing-cpython", 2, 2): (138, 548, 11),
    ("multiprocessing-cpython", 2, 3): (759, 4323, 12),
    ("asyncio-cpython", 2, 2): (110, 550, 10),
    ("asyncio-cpython", 3, 3): (844, 6216, 14),
}


@pytest.mark.parametrize(("profile", "parties", "participants"), sorted(PINNED))
def test_profile_explores_clean_with_pinned_counts(
    profile: str, parties: int, participants: int
) -> None:
    system = BarrierSystem(PROFILES[profile], parties, participants, Bounds(rounds=2))
    result = explore(system)
    assert result.status is ExplorationStatus.OK, result.violation
    got = (result.states, result.transitions, result.depth)
    assert got == PINNED[(profile, parties, participants)]


@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_symmetry_agrees_with_the_full_search(profile: str) -> None:
    # grinder with parties == participants: every participant starts with a member, so the
    # initial state is symmetric and orbit sizes count exactly the concrete states
    parties = 3 if profile == "grinder" else 2
    system = BarrierSystem(PROFILES[profile], parties, 3, Bounds(rounds=2))
    full = explore(system)
    reduced = explore(system, symmetry=True)
    assert reduced.status is full.status
    assert reduced.states < full.states
    assert reduced.concrete_states == full.states
