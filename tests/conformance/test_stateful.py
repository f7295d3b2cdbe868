"""The Hypothesis state machine: correct barriers pass, broken ones fail with a shrunk program."""

from __future__ import annotations

import multiprocessing
import re
import threading
import time

import pytest
from hypothesis import HealthCheck, Phase, settings
from tests.broken.asyncio_style import CancelStillCountedBarrier
from tests.broken.correct import AsyncDrainingBarrier, NamedBarriers, RoundBarrier
from tests.broken.threading_style import EarlyReleaseBarrier, TimeoutNoBreakBarrier

from barrierspec.adapters import resolve_target
from barrierspec.conformance import BarrierStateMachine, barrier_state_machine
from barrierspec.conformance import _properties as props


def _settings(examples: int) -> settings:
    return settings(
        max_examples=examples,
        stateful_step_count=15,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        phases=[Phase.generate, Phase.shrink],
    )


def _run(target: object, examples: int = 10) -> None:
    machine = barrier_state_machine(target, hypothesis_settings=_settings(examples))
    machine.TestCase("runTest").runTest()


def _threads_back_to(baseline: int, timeout: float = 10.0) -> bool:
    """Every participant thread and process the machine started has ended."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if threading.active_count() <= baseline and not multiprocessing.active_children():
            return True
        time.sleep(0.01)  # polling an observable count, not synchronising on time
    return False


@pytest.mark.parametrize(
    "target",
    [
        "threading",
        RoundBarrier,
        AsyncDrainingBarrier,
        NamedBarriers,
        "barrierspec.reference:ProcessBarrier",
    ],
    ids=[
        "threading.Barrier",
        "RoundBarrier",
        "AsyncDrainingBarrier",
        "NamedBarriers",
        "reference.ProcessBarrier",
    ],
)
def test_correct_barriers_pass(target: object) -> None:
    baseline = threading.active_count()
    _run(target)
    assert _threads_back_to(baseline), "teardown left participants running"


@pytest.mark.parametrize(
    ("target", "first_step"),
    [
        (TimeoutNoBreakBarrier, "P0 wait(timeout=0.05)"),
        (CancelStillCountedBarrier, "P0 wait(timeout=1)"),
        (EarlyReleaseBarrier, "P0 wait("),
    ],
    ids=["TimeoutNoBreakBarrier", "CancelStillCountedBarrier", "EarlyReleaseBarrier"],
)
def test_broken_barriers_fail_with_a_shrunk_program(target: type, first_step: str) -> None:
    baseline = threading.active_count()
    with pytest.raises(AssertionError) as info:
        _run(target, examples=60)
    message = str(info.value)
    steps = re.findall(r"^  (\d+)\. (.*)$", message, flags=re.MULTILINE)
    assert steps, message
    assert 1 <= len(steps) <= 2, f"not shrunk to a minimal program:\n{message}"
    assert steps[0][1].startswith(first_step), message
    assert "violation: " in message and "the model allows: " in message
    assert _threads_back_to(baseline), "teardown left participants running"


def test_the_rules_follow_the_capabilities() -> None:
    threads = barrier_state_machine("threading")
    no_abort = barrier_state_machine(resolve_target("threading", capabilities={"has_abort": False}))
    tasks = barrier_state_machine("asyncio")
    procs = barrier_state_machine("multiprocessing")
    kinds = {}
    for name, machine in [("t", threads), ("n", no_abort), ("a", tasks), ("p", procs)]:
        m = machine()
        try:
            kinds[name] = m.kinds
        finally:
            m.teardown()
    assert props.ABORT in kinds["t"] and props.ABORT not in kinds["n"]
    assert props.RAISE in kinds["t"] and props.CANCEL not in kinds["t"]
    assert props.CANCEL in kinds["a"] and props.ADVANCE in kinds["a"]
    assert props.RAISE not in kinds["a"]
    assert props.KILL in kinds["p"] and props.KILL not in kinds["t"]


def test_an_unconfigured_machine_says_how_to_build_one() -> None:
    with pytest.raises(TypeError, match=r"barrier_state_machine\(target\)"):
        BarrierStateMachine()


def test_bad_sizes_are_rejected() -> None:
    with pytest.raises(ValueError, match="parties=3, participants=2"):
        barrier_state_machine("threading", parties=3, participants=2)


def test_the_machine_names_its_target_and_profile() -> None:
    machine = barrier_state_machine("asyncio", "asyncio")
    assert machine.__name__ == "asyncioStateMachine"
    assert machine.profile is not None and machine.profile.name == "asyncio"
    assert machine.TestCase.settings.max_examples == 30
