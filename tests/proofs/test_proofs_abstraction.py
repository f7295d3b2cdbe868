"""The counter abstraction: round trips, the class universe, what it refuses."""

from __future__ import annotations

import pytest

from barrierspec.proofs import AbstractState
from barrierspec.proofs._abstraction import (
    AbstractionError,
    LocalClass,
    abstract,
    abstract_local,
    concretise,
)
from barrierspec.proofs._agreement import reachable_states
from barrierspec.proofs._model import proof_model
from barrierspec.spec import (
    BarrierSystem,
    Bounds,
    IndexPolicy,
    Local,
    State,
    Status,
    get_profile,
)


@pytest.mark.parametrize("name", ["threading", "asyncio", "multiprocessing", "grinder"])
def test_concretising_an_abstract_state_gives_it_back(name: str) -> None:
    profile = get_profile(name)
    distinct = profile.policies.index is IndexPolicy.DISTINCT
    states = reachable_states(BarrierSystem(profile, 2, 3, Bounds(rounds=3)))
    checked = 0
    for state in states:
        for rho in (-1, *range(state.round + 1)):
            a = abstract(state, rho)
            assert abstract(concretise(a, distinct), rho) == a, state.describe()
            checked += 1
    assert checked > len(states)


@pytest.mark.parametrize("name", ["threading", "asyncio", "multiprocessing", "grinder"])
def test_every_reachable_local_state_has_a_class_in_the_universe(name: str) -> None:
    profile = get_profile(name)
    universe = set(proof_model(profile).universe)
    for state in reachable_states(BarrierSystem(profile, 2, 3, Bounds(rounds=2))):
        for loc in state.locals:
            assert abstract_local(loc, state, 0) in universe, loc


def test_class_keys_are_unique_and_readable() -> None:
    universe = proof_model(get_profile("multiprocessing")).universe
    keys = [c.key for c in universe]
    assert len(set(keys)) == len(keys)
    assert "waiting.cur.timed.raises" in keys and "dead.arrived" in keys
    assert "passed.rho.doomed" in keys and "waiting.other" in keys


def test_rounds_are_relative_to_the_filling_round_and_rho() -> None:
    state = State(
        locals=(
            Local(Status.WAITING, round=5),
            Local(Status.PASSED, round=4),
            Local(Status.PASSED, round=3),
        ),
        parties=3,
        round=5,
        arrived=1,
        taken=((3, frozenset({0, 2})), (4, frozenset())),
    )
    a = abstract(state, rho=3)
    assert a.taken == 2
    keys = {c.key: n for c, n in a.counts}
    assert keys == {"waiting.cur": 1, "passed.rho": 1, "passed.not_rho": 1}
    assert abstract(state, rho=4).taken == 0


def test_a_negative_count_has_no_concrete_state() -> None:
    a = AbstractState(
        parties=2,
        round=0,
        arrived=0,
        broken=False,
        rho=0,
        taken=0,
        counts=frozenset({(LocalClass(), -1)}),
    )
    with pytest.raises(AbstractionError, match="idle has a negative count -1"):
        concretise(a, distinct_indices=True)


def test_a_round_on_a_status_without_one_is_refused() -> None:
    state = State(locals=(Local(Status.IDLE, round=2),), parties=1)
    with pytest.raises(AbstractionError, match="carries round 2"):
        abstract(state, 0)
