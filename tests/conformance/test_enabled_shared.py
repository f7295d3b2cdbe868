"""The environment rules are one function: oracle, generated tests and programs follow it.

Which events can happen in a state is said once, by :func:`barrierspec.spec.enabled` (its
rules in ``spec/_enabled.py``). The oracle closes observations under the events nobody sends
(resumptions, entries, notices, timeouts); the generated tests and the drawn programs send the
others; all three take them from ``enabled``. A change of the rule (a monkeypatch here) or of
a profile's policies (a profile that is not built in) is therefore followed by all three, with
no second edit.
"""

from __future__ import annotations

from collections.abc import Iterator

import attrs
import pytest

from barrierspec.adapters import CancelOp, Capabilities, resolve_target
from barrierspec.conformance import Oracle
from barrierspec.conformance import _properties as props
from barrierspec.conformance._generated import PARTICIPANTS, PARTIES, operation_graph
from barrierspec.conformance._model_cache import ModelCache
from barrierspec.conformance._program import Instruction, Timing, concretise
from barrierspec.proofs._agreement import reachable_states
from barrierspec.spec import (
    PROFILES,
    BarrierSystem,
    Bounds,
    Cancel,
    Cancellation,
    Enter,
    GiveUp,
    Newcomer,
    Notice,
    Profile,
    Resume,
    State,
    Status,
    Timeout,
    Wait,
    _enabled,
    enabled,
)

SCHEDULED = (Resume, Enter, Notice, Timeout)

# asyncio's shape with threading's timeout rule for newcomers and blocking newcomers: a
# BLOCKED timed party has no timeout of its own (break-all), which no built-in profile
# combines with cancellation that withdraws.
CUSTOM = Profile(
    name="custom-enabling",
    summary="a test profile: newcomers block, a timeout breaks all, cancellation withdraws",
    policies=attrs.evolve(
        PROFILES["asyncio"].policies, newcomer=Newcomer.BLOCK, give_up=GiveUp.BREAK_ALL
    ),
)


def _caps(target: str) -> tuple[Capabilities, str]:
    resolved = resolve_target(target)
    return resolved.capabilities, resolved.kind


def _sent_kinds(profile: Profile, target: str) -> set[type]:
    caps, kind = _caps(target)
    oracle = Oracle(profile, PARTIES, PARTICIPANTS, caps, kind != "asyncio")
    _, edges = operation_graph(oracle, caps, kind)
    return {type(event) for (_, event) in edges if event is not None}


@pytest.mark.parametrize("profile", [*PROFILES.values(), CUSTOM], ids=lambda p: p.name)
def test_the_oracle_closes_under_exactly_the_scheduled_events_enabled_yields(
    profile: Profile,
) -> None:
    """On every reachable state (small bounds), built-in profiles and a custom one."""
    caps = Capabilities(has_timeout=True, has_cancel=True, has_kill=True, named=True)
    real = Oracle(profile, 2, 3, caps, real_clock=True)
    virtual = Oracle(profile, 2, 3, caps, real_clock=False)
    system = BarrierSystem(profile, 2, 3, Bounds(rounds=1))
    states = reachable_states(system)
    assert len(states) > 20
    for state in states:
        scheduled = [e for e in enabled(profile, state, Bounds()) if isinstance(e, SCHEDULED)]
        assert list(real._internal(state)) == scheduled, state.describe()
        untimed = [e for e in scheduled if not isinstance(e, Timeout)]
        assert list(virtual._internal(state)) == untimed, state.describe()
        timeouts = [e for e in scheduled if isinstance(e, Timeout)]
        assert list(virtual._timeouts_due(state)) == timeouts, state.describe()


def _blocked_timed(profile: Profile) -> State:
    """A reachable state in which a newcomer is BLOCKED with a timed wait."""
    system = BarrierSystem(profile, 2, 3, Bounds(rounds=2, abort_reset=False, cancels=False))
    for state in reachable_states(system):
        if any(loc.status is Status.BLOCKED and loc.timed for loc in state.locals):
            return state
    raise AssertionError(f"{profile.name}: no reachable blocked timed wait")


def test_a_custom_profiles_enabling_is_what_the_oracle_follows() -> None:
    """The same reachable state: the custom profile's blocked newcomer has no timeout of its
    own; with the built-in policy it has one. The oracle follows the profile, not a copy."""
    state = _blocked_timed(CUSTOM)
    blocked = next(
        p for p, loc in enumerate(state.locals) if loc.status is Status.BLOCKED and loc.timed
    )
    caps = Capabilities(has_timeout=True, has_cancel=True)
    custom = Oracle(CUSTOM, 2, 3, caps, real_clock=False)
    assert Timeout(blocked) not in list(custom._timeouts_due(state))
    withdraws = attrs.evolve(
        CUSTOM, policies=attrs.evolve(CUSTOM.policies, give_up=GiveUp.WITHDRAW)
    )
    other = Oracle(withdraws, 2, 3, caps, real_clock=False)
    assert Timeout(blocked) in list(other._timeouts_due(state))


def test_a_profile_without_cancellation_generates_no_cancel_though_the_target_can() -> None:
    assert Cancel in _sent_kinds(PROFILES["asyncio"], "asyncio")
    no_cancel = attrs.evolve(
        PROFILES["asyncio"],
        name="asyncio-no-cancel",
        policies=attrs.evolve(PROFILES["asyncio"].policies, cancellation=Cancellation.NONE),
    )
    assert _caps("asyncio")[0].has_cancel
    assert Cancel not in _sent_kinds(no_cancel, "asyncio")


@pytest.fixture(autouse=True)
def _fresh_model_answers() -> Iterator[None]:
    """The model's answers are remembered per process; tests here change a rule at run time."""
    ModelCache.forget()
    yield
    ModelCache.forget()


def _change_rule(monkeypatch: pytest.MonkeyPatch, kind: type) -> None:
    """From now on the environment rule never yields ``kind`` (remembered answers dropped)."""
    monkeypatch.setattr(_enabled, "actor_events", _without(kind, _enabled.actor_events))
    ModelCache.forget()


def _without(kind: type, original: object) -> object:
    """``actor_events`` less every event of ``kind``: a changed environment rule."""

    def changed(*args: object, **kwargs: object) -> object:
        return (e for e in original(*args, **kwargs) if not isinstance(e, kind))  # type: ignore[operator]

    return changed


def test_a_changed_rule_is_followed_by_the_generated_tests(monkeypatch: pytest.MonkeyPatch) -> None:
    assert {Wait, Cancel} <= _sent_kinds(PROFILES["asyncio"], "asyncio")
    _change_rule(monkeypatch, Cancel)
    kinds = _sent_kinds(PROFILES["asyncio"], "asyncio")
    assert Cancel not in kinds and Wait in kinds


def test_a_changed_rule_is_followed_by_the_oracle(monkeypatch: pytest.MonkeyPatch) -> None:
    """With no timeout enabled, a clock advance leaves a timed waiter waiting."""
    profile = PROFILES["asyncio"]
    caps = Capabilities(has_timeout=True, has_cancel=True)
    oracle = Oracle(profile, 2, 3, caps, real_clock=False)
    (waiting,) = oracle.settle(next(iter(oracle.states)), Wait(0, timeout=True))
    assert waiting.locals[0].status is Status.WAITING
    fired = oracle.settle(waiting, None)
    assert fired and all(s.locals[0].status is Status.IDLE for s in fired)
    _change_rule(monkeypatch, Timeout)
    changed = Oracle(profile, 2, 3, caps, real_clock=False)  # built after the rule changed
    assert changed.settle(waiting, None) == {waiting}


def _cancel_in_a_waiting_state(profile: Profile) -> object:
    """What a drawn ``cancel`` instruction becomes once P0 waits (asyncio capabilities)."""
    oracle = Oracle(profile, 2, 3, _caps("asyncio")[0], real_clock=False)
    oracle.states = oracle.settle(next(iter(oracle.states)), Wait(0))
    return concretise(Instruction(props.CANCEL), oracle, Timing(1.0))


def test_the_program_generator_follows_the_rule_and_the_profile(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert _cancel_in_a_waiting_state(PROFILES["asyncio"]) == CancelOp(0)
    no_cancel = attrs.evolve(
        PROFILES["asyncio"],
        name="asyncio-no-cancel",
        policies=attrs.evolve(PROFILES["asyncio"].policies, cancellation=Cancellation.NONE),
    )
    assert _cancel_in_a_waiting_state(no_cancel) is None
    _change_rule(monkeypatch, Cancel)
    assert _cancel_in_a_waiting_state(PROFILES["asyncio"]) is None
