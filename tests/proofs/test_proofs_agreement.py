"""The Z3 encoding is the model: same successors and outputs on every reachable state."""

from __future__ import annotations

import pytest

from barrierspec.proofs import check_agreement, early_trip, timeout_gives_up
from barrierspec.spec import GiveUp, get_profile

# (profile, parties, participants): every profile at 2-3 parties and 2-4 participants, with
# the largest configurations where they stay quick (the benchmark runs all of them)
CONFIGS = [
    (name, parties, participants)
    for name in ("threading", "multiprocessing", "asyncio", "grinder")
    for parties, participants in ((2, 2), (2, 3), (3, 3), (2, 4))
] + [("threading", 3, 2), ("grinder", 3, 4)]


@pytest.mark.parametrize(("name", "parties", "participants"), CONFIGS)
def test_the_moves_agree_exactly_with_the_step_function(
    name: str, parties: int, participants: int
) -> None:
    result = check_agreement(get_profile(name), parties, participants, rounds=2)
    assert result.states > 10 and result.transitions > result.states
    assert result.ok, "\n".join(result.mismatches)


def test_an_encoding_that_trips_early_disagrees_with_the_model() -> None:
    variant, _ = early_trip()
    result = check_agreement(get_profile("threading"), 2, 3, variant=variant)
    assert not result.ok
    assert "only Z3:" in result.mismatches[0] and "only Python:" in result.mismatches[0]


def test_a_model_whose_timeout_withdraws_disagrees_with_the_threading_encoding() -> None:
    _, withdrawing = timeout_gives_up(get_profile("threading"), GiveUp.WITHDRAW)
    result = check_agreement(get_profile("threading"), 2, 2, step_function=withdrawing)
    assert not result.ok
    assert any("Timeout" in m for m in result.mismatches)


@pytest.mark.parametrize("name", ["threading", "grinder"])
def test_each_broken_variant_agrees_with_its_python_mirror(name: str) -> None:
    # the broken models used by the proof tests are the same broken model on both sides
    variant, broken_step = early_trip()
    result = check_agreement(get_profile(name), 2, 3, variant=variant, step_function=broken_step)
    assert result.ok, "\n".join(result.mismatches)
