"""Helpers for the reference-barrier tests: bounded polls, a thread runner, processes."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable
from multiprocessing.connection import Connection
from multiprocessing.context import BaseContext
from multiprocessing.process import BaseProcess
from typing import Any

import pytest

DEADLINE = 10.0  # seconds: the bound of every wait in these tests (a hang is a failure)


def wait_until(predicate: Callable[[], bool], timeout: float = DEADLINE) -> None:
    """Poll ``predicate`` until it holds; fail the test after ``timeout`` seconds."""
    end = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > end:
            pytest.fail(f"condition not reached within {timeout} s")
        time.sleep(0.001)


class Runner:
    """Start callables in threads; collect their results or exceptions by name."""

    def __init__(self) -> None:
        self.results: dict[str, Any] = {}
        self.threads: list[threading.Thread] = []

    def start(self, name: str, fn: Callable[[], Any]) -> threading.Thread:
        def body() -> None:
            try:
                self.results[name] = fn()
            except BaseException as exc:  # collected and checked by the test
                self.results[name] = exc

        thread = threading.Thread(target=body, name=name, daemon=True)
        thread.start()
        self.threads.append(thread)
        return thread

    def join(self, timeout: float = DEADLINE) -> dict[str, Any]:
        end = time.monotonic() + timeout
        for thread in self.threads:
            thread.join(max(0.0, end - time.monotonic()))
            assert not thread.is_alive(), f"thread {thread.name} hung"
        return self.results


def start(ctx: BaseContext, reaper: list[BaseProcess], target: Any, *args: Any) -> BaseProcess:
    """Start a daemon process in ``ctx`` and register it for clean-up."""
    proc = ctx.Process(target=target, args=args, daemon=True)  # type: ignore[attr-defined]
    proc.start()
    reaper.append(proc)
    return proc


def recv(conn: Connection, timeout: float = DEADLINE) -> Any:
    """Receive one message; fail if none comes within ``timeout`` (a participant hung)."""
    assert conn.poll(timeout), "no message within the deadline: a participant hung"
    return conn.recv()


def run_async(main: Callable[[], Awaitable[Any]], timeout: float = DEADLINE) -> Any:
    """``asyncio.run(main())`` bounded by ``timeout`` (a hang is a ``TimeoutError``)."""

    async def bounded() -> Any:
        return await asyncio.wait_for(main(), timeout)

    return asyncio.run(bounded())


async def settle(predicate: Callable[[], bool]) -> None:
    """Yield to the loop until ``predicate`` holds (bounded by the caller's wait_for)."""
    while not predicate():
        await asyncio.sleep(0)
