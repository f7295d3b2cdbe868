"""The named-barrier driver: join, wait with and without timeout, cancel from the controller."""

from __future__ import annotations

import pytest
from adapter_helpers import view

from barrierspec.adapters import (
    CancelOp,
    JoinOp,
    NamedThreadDriver,
    OpReturned,
    WaitOp,
    resolve_target,
)
from barrierspec.errors import UsageError

REGISTRY = "tests.broken.correct:NamedBarriers"


def test_members_trip_when_every_live_member_waits_and_cancel_releases_the_rest() -> None:
    target = resolve_target(REGISTRY)
    assert target.kind == "named" and target.capabilities.named
    with NamedThreadDriver(target, 0, 3) as driver:
        for p in range(3):
            assert view(driver.perform(JoinOp(p))) == {p: None}
        driver.perform(WaitOp(0))
        assert driver.perform(WaitOp(1)).blocked == {0, 1}
        step = driver.perform(CancelOp(2))  # the last non-waiting member leaves
        assert step.control == OpReturned(None)
        assert view(step) == {0: True, 1: True}
        assert view(driver.perform(WaitOp(2))) == {2: "cancelled_barrier"}


def test_a_timed_out_member_returns_false() -> None:
    with NamedThreadDriver(REGISTRY, 0, 2) as driver:
        driver.perform(JoinOp(0))
        driver.perform(JoinOp(1))
        assert view(driver.perform(WaitOp(0, timeout=0.05))) == {0: False}


def test_waiting_before_joining_is_a_usage_error() -> None:
    with NamedThreadDriver(REGISTRY, 0, 2) as driver:
        with pytest.raises(UsageError, match="participant 1 has no member yet: JoinOp first"):
            driver.perform(WaitOp(1))
        driver.perform(JoinOp(1))
        # a second JoinOp replaces the member: the checker decides when that is right
        assert driver.perform(JoinOp(1)).returned == {1: OpReturned(None)}
