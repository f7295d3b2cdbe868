"""The strict CPython profiles: the reference barriers and the standard library pass them.

``threading-cpython``, ``multiprocessing-cpython`` and ``asyncio-cpython`` are the contract
profiles with CPython's choices where the documentation is silent (the index is the arrival
order; newcomers block while the last round drains; ``abort()`` breaks released parties that
have not resumed). The properties
run are the ones those choices touch (draining, abort, reset) and the index.
"""

from __future__ import annotations

import attrs
import pytest
from tests.broken.threading_style import CountdownIndexBarrier

from barrierspec.conformance import CheckSettings, check
from barrierspec.spec import PROFILES, AbortDrainers, IndexPolicy, Newcomer

STRICT = CheckSettings(
    seed=11,
    examples=60,
    budget=1.0,
    shrink_budget=3.0,
    generated=False,
    only=("arrival index", "draining", "abort", "reset"),
)


@pytest.mark.parametrize("contract", ["threading", "multiprocessing", "asyncio"])
def test_a_strict_profile_is_its_contract_with_cpythons_choices(contract: str) -> None:
    strict = PROFILES[f"{contract}-cpython"]
    base = PROFILES[contract]
    # asyncio keeps any distinct index: after a withdrawal CPython's has none to pin
    index = IndexPolicy.DISTINCT if contract == "asyncio" else IndexPolicy.ARRIVAL
    assert strict.policies == attrs.evolve(
        base.policies,
        index=index,
        newcomer=Newcomer.BLOCK,
        abort=AbortDrainers.BREAK,
    )
    assert strict.deviations == base.deviations


@pytest.mark.parametrize(
    ("target", "profile"),
    [
        ("barrierspec.reference:Barrier", "threading-cpython"),
        ("barrierspec.reference:AsyncBarrier", "asyncio-cpython"),
        ("threading", "threading-cpython"),
    ],
)
def test_the_reference_barriers_and_threading_pass_their_strict_profile(
    target: str, profile: str
) -> None:
    result = check(target, profile, settings_=STRICT)
    assert result.conformant, result.format()


def test_the_process_barrier_passes_the_strict_multiprocessing_profile() -> None:
    cfg = attrs.evolve(STRICT, only=("abort", "reset"), examples=20)
    result = check("barrierspec.reference:ProcessBarrier", "multiprocessing-cpython", settings_=cfg)
    assert result.conformant, result.format()


def test_asyncio_barrier_fails_its_strict_profile_only_by_its_recorded_deviation() -> None:
    result = check("asyncio", "asyncio-cpython", settings_=STRICT)
    (failure,) = result.failures
    assert failure.name == "arrival index", result.format()
    assert "known deviation gh-155233" in failure.note, result.format()


_INDEX = attrs.evolve(STRICT, only=("arrival index",), examples=40)


def test_a_barrier_numbering_arrivals_down_keeps_threading_and_breaks_threading_cpython() -> None:
    assert check(CountdownIndexBarrier, "threading", settings_=_INDEX).conformant
    result = check(CountdownIndexBarrier, "threading-cpython", settings_=_INDEX)
    (failure,) = result.failures
    assert failure.name == "arrival index", result.format()
    assert "where the arrival order gives" in result.format(), result.format()
