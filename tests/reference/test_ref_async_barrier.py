"""barrierspec.reference.AsyncBarrier: indices under cancellation, timeouts, actions, phases."""

from __future__ import annotations

import asyncio
import re

import pytest
from ref_helpers import run_async, settle

from barrierspec.errors import BrokenBarrierError, InvalidOperationError
from barrierspec.reference import AsyncBarrier

run = run_async


def test_indices_stay_distinct_when_a_waiter_is_cancelled() -> None:
    """gh-155233: A=0, B=1, A cancelled, C and D arrive: the stdlib gives C index 1 again."""

    async def main() -> list[int]:
        barrier = AsyncBarrier(3)
        a = asyncio.create_task(barrier.wait())
        b = asyncio.create_task(barrier.wait())
        await settle(lambda: barrier.n_waiting == 2)
        a.cancel()
        with pytest.raises(asyncio.CancelledError):
            await a
        assert barrier.n_waiting == 1 and not barrier.broken
        c = asyncio.create_task(barrier.wait())
        d = asyncio.create_task(barrier.wait())
        return list(await asyncio.gather(b, c, d))

    assert sorted(run(main)) == [0, 1, 2]


def test_indices_are_a_permutation_per_round() -> None:
    async def main() -> None:
        barrier = AsyncBarrier(4)

        async def party() -> list[int]:
            return [await barrier.wait() for _ in range(20)]

        rows = await asyncio.gather(*(party() for _ in range(4)))
        for r in range(20):
            assert sorted(row[r] for row in rows) == [0, 1, 2, 3]
        assert barrier.round == 20

    run(main)


def test_timeout_withdraws_without_breaking() -> None:
    async def main() -> None:
        barrier = AsyncBarrier(2)
        with pytest.raises(TimeoutError, match=r"^barrier wait timed out after 0\.01 s; the party"):
            await barrier.wait(timeout=0.01)
        assert (barrier.n_waiting, barrier.broken) == (0, False)
        results = await asyncio.gather(barrier.wait(), barrier.wait(timeout=5))
        assert sorted(results) == [0, 1]

    run(main)


def test_cancellation_after_release_keeps_the_round() -> None:
    async def main() -> None:
        barrier = AsyncBarrier(2)
        a = asyncio.create_task(barrier.wait())
        await settle(lambda: barrier.n_waiting == 1)
        assert await barrier.wait() == 1  # releases a; a has not resumed yet
        a.cancel()
        with pytest.raises(asyncio.CancelledError):
            await a
        assert (barrier.round, barrier.broken, barrier.n_waiting) == (1, False, 0)

    run(main)


def test_action_sync_and_async_run_once_before_release() -> None:
    async def main() -> None:
        log: list[str] = []

        async def async_action() -> None:
            await asyncio.sleep(0)
            log.append(f"async n_waiting={barrier.n_waiting}")

        for action in (lambda: log.append("sync"), async_action):
            barrier = AsyncBarrier(3, action=action)

            async def party(barrier: AsyncBarrier = barrier) -> int:
                index = await barrier.wait()
                log.append("released")
                return index

            assert sorted(await asyncio.gather(party(), party(), party())) == [0, 1, 2]
        assert log == ["sync"] + ["released"] * 3 + ["async n_waiting=3"] + ["released"] * 3

    run(main)


def test_action_that_raises_breaks_the_round() -> None:
    async def main() -> None:
        def action() -> None:
            raise ValueError("boom")

        barrier = AsyncBarrier(2, action=action)
        results = await asyncio.gather(barrier.wait(), barrier.wait(), return_exceptions=True)
        assert isinstance(results[0], BrokenBarrierError)
        assert str(results[0]) == "the action raised ValueError('boom')"
        assert isinstance(results[1], ValueError)
        assert barrier.broken
        with pytest.raises(BrokenBarrierError, match=re.escape("barrier is broken (the action")):
            await barrier.wait()
        await barrier.reset()
        assert not barrier.broken

    run(main)


@pytest.mark.parametrize(("method", "broken_after"), [("abort", True), ("reset", False)])
def test_async_action_that_resets_or_aborts(method: str, broken_after: bool) -> None:
    async def main() -> None:
        async def action() -> None:
            await getattr(barrier, method)()

        barrier = AsyncBarrier(2, action=action)
        results = await asyncio.gather(barrier.wait(), barrier.wait(), return_exceptions=True)
        word = "aborted" if method == "abort" else "reset"
        assert [str(r) for r in results] == [f"the barrier was {word}"] * 2
        assert all(isinstance(r, BrokenBarrierError) for r in results)
        assert barrier.broken is broken_after

    run(main)


def test_cancelling_the_last_arrival_during_an_async_action_breaks_the_round() -> None:
    async def main() -> None:
        started = asyncio.Event()

        async def action() -> None:
            started.set()
            await asyncio.Event().wait()

        barrier = AsyncBarrier(2, action=action)
        first = asyncio.create_task(barrier.wait())
        await settle(lambda: barrier.n_waiting == 1)
        last = asyncio.create_task(barrier.wait())
        await started.wait()
        newcomer = asyncio.create_task(barrier.wait(timeout=5))
        await asyncio.sleep(0)
        last.cancel()
        with pytest.raises(asyncio.CancelledError):
            await last
        with pytest.raises(BrokenBarrierError, match="the action raised CancelledError"):
            await first
        with pytest.raises(BrokenBarrierError, match="barrier is broken"):
            await newcomer

    run(main)


def test_newcomer_blocked_by_an_action_times_out_without_effect() -> None:
    async def main() -> None:
        go = asyncio.Event()
        barrier = AsyncBarrier(2, action=go.wait)
        round_one = asyncio.gather(barrier.wait(), barrier.wait())
        await settle(lambda: barrier.n_waiting == 2)
        with pytest.raises(TimeoutError):
            await barrier.wait(timeout=0.01)
        go.set()
        assert sorted(await round_one) == [0, 1]
        assert (barrier.round, barrier.n_waiting, barrier.broken) == (1, 0, False)

    run(main)


def test_action_that_waits_is_refused() -> None:
    async def main() -> None:
        async def action() -> None:
            await barrier.wait()

        barrier = AsyncBarrier(1, action=action)
        with pytest.raises(InvalidOperationError):
            await barrier.wait()

    run(main)


def test_reset_and_abort_break_current_waiters() -> None:
    async def main() -> None:
        barrier = AsyncBarrier(3)
        a = asyncio.create_task(barrier.wait())
        await settle(lambda: barrier.n_waiting == 1)
        await barrier.reset()
        with pytest.raises(BrokenBarrierError, match=r"^the barrier was reset$"):
            await a
        b = asyncio.create_task(barrier.wait())
        await settle(lambda: barrier.n_waiting == 1)
        await barrier.abort()
        with pytest.raises(BrokenBarrierError, match=r"^the barrier was aborted$"):
            await b
        with pytest.raises(BrokenBarrierError, match="call reset"):
            await barrier.wait()

    run(main)


def test_async_with_returns_the_index_and_await_is_refused() -> None:
    async def main() -> None:
        barrier = AsyncBarrier(1)
        async with barrier as index:
            assert index == 0
        with pytest.raises(TypeError):
            await barrier  # type: ignore[misc]

    run(main)
