"""Resolving targets: stdlib names, module:attr, capability detection and declaration, and
the errors for everything that is not a barrier."""

from __future__ import annotations

import threading

import pytest

from barrierspec.adapters import (
    AsyncioDriver,
    BarrierConstructionError,
    ThreadDriver,
    make_driver,
    resolve_target,
    target_from,
)
from barrierspec.errors import UsageError


def test_stdlib_targets_have_their_kinds_and_capabilities() -> None:
    threading_t = resolve_target("threading")
    assert threading_t.kind == "thread" and threading_t.factory is threading.Barrier
    assert threading_t.capabilities.has_action and threading_t.capabilities.has_timeout
    assert not threading_t.capabilities.has_cancel
    asyncio_t = resolve_target("asyncio")
    assert asyncio_t.kind == "asyncio" and not asyncio_t.capabilities.has_action
    assert asyncio_t.capabilities.has_cancel
    mp_t = resolve_target("multiprocessing")
    assert mp_t.kind == "process" and mp_t.capabilities.has_kill and mp_t.accepts_ctx


@pytest.mark.parametrize(
    ("spec", "kind", "has_action"),
    [
        ("threading:Barrier", "thread", True),
        ("asyncio:Barrier", "asyncio", False),
        ("tests.broken.correct:DrainingBarrier", "thread", True),
        ("tests.broken.correct:AsyncDrainingBarrier", "asyncio", False),
        ("tests.broken.correct:NamedBarriers", "named", False),
        ("multiprocessing.synchronize:Barrier", "process", True),
    ],
)
def test_module_attr_targets_are_detected(spec: str, kind: str, has_action: bool) -> None:
    target = resolve_target(spec)
    assert (target.name, target.kind, target.capabilities.has_action) == (spec, kind, has_action)


def test_a_factory_function_is_inspected_through_a_sample() -> None:
    def factory(parties: int, action: object = None, timeout: float | None = None) -> object:
        return threading.Barrier(parties, action, timeout)  # type: ignore[arg-type]

    target = target_from(factory)
    assert target.kind == "thread" and target.capabilities.has_reset
    with make_driver(target, 2, 2) as driver:
        assert isinstance(driver, ThreadDriver)


def test_capabilities_can_be_declared() -> None:
    target = resolve_target("threading", capabilities={"has_reset": False})
    assert not target.capabilities.has_reset
    with pytest.raises(UsageError, match="unknown capability 'has_teleport'"):
        resolve_target("threading", capabilities={"has_teleport": True})


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("nonsense", "unknown target 'nonsense': use 'threading', 'asyncio', 'multiprocessing'"),
        ("no_such_module_xyz:Barrier", "module 'no_such_module_xyz' does not import"),
        ("threading:NoSuchBarrier", "'threading' has no attribute 'NoSuchBarrier'"),
        ("math:pi", "is not a barrier: 3.14"),
        ("threading:Lock", "is not a barrier"),
        ("threading:", "malformed target 'threading:'"),
    ],
)
def test_bad_targets_are_usage_errors(spec: str, message: str) -> None:
    with pytest.raises(UsageError, match=message.replace("(", r"\(")):
        resolve_target(spec)


def test_a_driver_refuses_a_target_of_another_kind() -> None:
    with pytest.raises(UsageError, match="ThreadDriver drives thread targets"):
        ThreadDriver("asyncio", 2, 2)
    with pytest.raises(UsageError, match="takes no action"):
        AsyncioDriver("asyncio", 2, 2, action=True)


def test_a_constructor_that_raises_is_reported_with_its_outcome() -> None:
    with pytest.raises(BarrierConstructionError, match="parties=0 raised ValueError") as info:
        ThreadDriver("tests.broken.correct:DrainingBarrier", 0, 1)
    assert info.value.outcome.kind == "invalid"
