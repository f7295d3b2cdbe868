"""aioprocessing's AioBarrier runs ``coro_wait`` on one worker thread per barrier object, so
two tasks of one process cannot both be inside ``wait()`` (docs/third-party.md)."""

from __future__ import annotations

import asyncio
import threading

import aioprocessing


async def _two_waits_on_one_object() -> tuple[int, int, list[BaseException | object]]:
    barrier = aioprocessing.AioBarrier(2)
    first = asyncio.ensure_future(barrier.coro_wait())
    second = asyncio.ensure_future(barrier.coro_wait())
    deadline = asyncio.get_running_loop().time() + 10.0
    while barrier.n_waiting < 1:  # the first job entered wait() in the single worker thread
        assert asyncio.get_running_loop().time() < deadline, "the first wait never started"
        await asyncio.sleep(0.01)
    queued = barrier._executor._work_queue.qsize()  # the second job waits for that thread
    waiting = barrier.n_waiting
    barrier.abort()  # frees the worker; the queued job then finds the barrier broken
    outcomes = await asyncio.wait_for(
        asyncio.gather(first, second, return_exceptions=True), timeout=10.0
    )
    return queued, waiting, outcomes


def test_two_tasks_of_one_process_serialise_on_one_worker() -> None:
    queued, waiting, outcomes = asyncio.run(_two_waits_on_one_object())
    assert (queued, waiting) == (1, 1)
    assert all(isinstance(o, threading.BrokenBarrierError) for o in outcomes), outcomes
