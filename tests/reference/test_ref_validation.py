"""Bad input to every reference barrier: rejected with UsageError naming the value."""

from __future__ import annotations

import asyncio
import multiprocessing
import re

import pytest

from barrierspec.errors import UsageError
from barrierspec.reference import (
    MAX_PROCESS_PARTIES,
    AsyncBarrier,
    Barrier,
    NamedBarriers,
    ProcessBarrier,
)

FORK = multiprocessing.get_context("fork")
FACTORIES = {
    "thread": Barrier,
    "async": AsyncBarrier,
    "process": lambda parties, **kw: ProcessBarrier(parties, ctx=FORK, **kw),
}


@pytest.mark.parametrize("kind", sorted(FACTORIES))
@pytest.mark.parametrize("parties", [0, -1, 1.5, True, False, "3", None, 2.0])
def test_bad_parties(kind: str, parties: object) -> None:
    message = re.escape(f"parties must be an int >= 1, got {parties!r}")
    with pytest.raises(UsageError, match=message):
        FACTORIES[kind](parties)


def test_usage_error_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        Barrier(0)


def test_huge_parties_thread_and_async_accepted_process_capped() -> None:
    assert Barrier(10**30).parties == 10**30
    assert AsyncBarrier(10**30).parties == 10**30
    with pytest.raises(
        UsageError,
        match=re.escape(
            f"parties must be <= {MAX_PROCESS_PARTIES} for this barrier, got {10**30!r}"
        ),
    ):
        ProcessBarrier(10**30, ctx=FORK)


BAD_TIMEOUTS = [-1, -0.001, float("nan"), float("inf"), float("-inf"), True, "1", [1]]


@pytest.mark.parametrize("timeout", BAD_TIMEOUTS)
def test_bad_timeouts(timeout: object) -> None:
    message = re.escape(f"timeout must be None or a finite number >= 0, got {timeout!r}")
    with pytest.raises(UsageError, match=message):
        Barrier(2, timeout=timeout)  # type: ignore[arg-type]
    with pytest.raises(UsageError, match=message):
        Barrier(2).wait(timeout)  # type: ignore[arg-type]
    with pytest.raises(UsageError, match=message):
        ProcessBarrier(2, timeout=timeout, ctx=FORK)  # type: ignore[arg-type]
    with pytest.raises(UsageError, match=message):
        asyncio.run(AsyncBarrier(2).wait(timeout))  # type: ignore[arg-type]
    with pytest.raises(UsageError, match=message):
        NamedBarriers().barrier("x").wait(timeout)  # type: ignore[arg-type]


@pytest.mark.parametrize("kind", sorted(FACTORIES))
def test_action_not_callable(kind: str) -> None:
    with pytest.raises(UsageError, match=re.escape("action must be None or callable, got 0")):
        FACTORIES[kind](2, action=0)


@pytest.mark.parametrize("name", ["", None, 3])
def test_bad_names(name: object) -> None:
    with pytest.raises(
        UsageError, match=re.escape(f"a barrier name must be a non-empty str, got {name!r}")
    ):
        NamedBarriers().barrier(name)  # type: ignore[arg-type]
