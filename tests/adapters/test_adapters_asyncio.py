"""The asyncio driver: virtual clock, exact quiescence, cancellation, watchdog, clean-up."""

from __future__ import annotations

import asyncio
import threading

import pytest
from adapter_helpers import driver_threads, view
from tests.broken.correct import AsyncDrainingBarrier

from barrierspec.adapters import AbortOp, AdvanceOp, AsyncioDriver, CancelOp, ResetOp, WaitOp
from barrierspec.errors import UsageError


def test_a_one_hour_timeout_fires_exactly_when_the_clock_passes_it() -> None:
    with AsyncioDriver("asyncio", 2, 2) as driver:
        assert driver.perform(WaitOp(0, timeout=3600)).blocked == {0}
        assert driver.perform(AdvanceOp(3599.5)).returned == {}
        step = driver.perform(AdvanceOp(0.5))
        assert view(step) == {0: "timeout"}
        assert driver.loop.time() == 3600.0
        # asyncio: a timeout is a cancellation; the barrier is not broken
        assert step.snapshot is not None and step.snapshot.broken is False
        assert step.snapshot.n_waiting == 0


def test_timers_fire_in_deadline_order_within_one_advance() -> None:
    with AsyncioDriver("asyncio", 3, 3) as driver:
        driver.perform(WaitOp(0, timeout=20))
        driver.perform(WaitOp(1, timeout=10))
        step = driver.perform(AdvanceOp(30))
        assert view(step) == {0: "timeout", 1: "timeout"}
        assert [line for line in step.log if line.startswith("return")] == [
            "return p1 OpRaised(kind='timeout', type_name='builtins.TimeoutError', message='')",
            "return p0 OpRaised(kind='timeout', type_name='builtins.TimeoutError', message='')",
        ]


def test_the_last_arrival_releases_everyone_with_distinct_indices() -> None:
    with AsyncioDriver("asyncio", 3, 3) as driver:
        driver.perform(WaitOp(0))
        assert driver.perform(WaitOp(1)).blocked == {0, 1}
        last = driver.perform(WaitOp(2))
        assert view(last) == {0: 0, 1: 1, 2: 2} and last.blocked == frozenset()


def test_cancelling_a_waiter_withdraws_it_and_stdlib_then_duplicates_an_index() -> None:
    # gh-155233: the suite must be able to see it, so the driver must show it.
    with AsyncioDriver("asyncio", 3, 4) as driver:
        driver.perform(WaitOp(0))
        driver.perform(WaitOp(1))
        step = driver.perform(CancelOp(0))
        assert view(step) == {0: "cancelled"} and step.blocked == {1}
        assert step.snapshot is not None and step.snapshot.n_waiting == 1
        driver.perform(WaitOp(2))
        assert view(driver.perform(WaitOp(3))) == {1: 1, 2: 1, 3: 2}


def test_a_correct_asyncio_style_barrier_keeps_indices_distinct_after_a_cancel() -> None:
    with AsyncioDriver(AsyncDrainingBarrier, 3, 4) as driver:
        driver.perform(WaitOp(0))
        driver.perform(WaitOp(1))
        driver.perform(CancelOp(0))
        driver.perform(WaitOp(2))
        assert view(driver.perform(WaitOp(3))) == {1: 1, 2: 0, 3: 2}


def test_reset_and_abort_are_awaited_in_a_participant_task() -> None:
    with AsyncioDriver("asyncio", 2, 3) as driver:
        driver.perform(WaitOp(0))
        assert view(driver.perform(ResetOp(1))) == {0: "broken", 1: None}
        step = driver.perform(AbortOp(2))
        assert view(step) == {2: None} and step.snapshot is not None and step.snapshot.broken
        with pytest.raises(UsageError, match="no pending operation to cancel"):
            driver.perform(CancelOp(1))


class SwallowsOneCancel:
    """A (bad) asyncio barrier whose wait ignores the first cancellation."""

    def __init__(self, parties: int) -> None:
        self.parties = parties

    async def wait(self) -> int:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            await asyncio.Event().wait()
        return 0


def test_a_wait_that_outlives_its_timeout_is_a_hang_finding() -> None:
    with AsyncioDriver(SwallowsOneCancel, 2, 2) as driver:
        driver.perform(WaitOp(0, timeout=1))
        step = driver.perform(AdvanceOp(1))
        assert step.hang is not None and step.hang.participants == {0}
        assert "still blocked 0 s (virtual) after its 1 s timeout" in step.hang.message
        assert step.hang.program == (WaitOp(0, timeout=1), AdvanceOp(1))
    assert driver.leaked == ()


class BlocksTheLoop:
    """A (bad) asyncio barrier whose wait blocks the event loop's thread."""

    gate = threading.Event()

    def __init__(self, parties: int) -> None:
        self.parties = parties

    async def wait(self) -> int:
        self.gate.wait(30)
        return 0


def test_a_task_blocking_the_loop_is_a_hang_finding_and_close_still_cleans_up() -> None:
    before = driver_threads()
    driver = AsyncioDriver(BlocksTheLoop, 2, 2, settle=0.2)
    try:
        step = driver.perform(WaitOp(0))
        assert step.hang is not None and step.hang.participants == {0}
        assert "the event loop stopped answering" in step.hang.message
    finally:
        BlocksTheLoop.gate.set()
        driver.close()
    assert driver.leaked == ()
    assert driver_threads() <= before
    assert driver.loop.is_closed()
