"""Small helpers for the Redis tests: bounded waits on observable state, threads with results."""

from __future__ import annotations

import concurrent.futures
import time
from collections.abc import Callable
from typing import Any

WAIT = 20.0  # upper bound of every blocking step in these tests (seconds)


def eventually(predicate: Callable[[], bool], timeout: float = WAIT, what: str = "") -> None:
    """Poll ``predicate`` (observable state) until true; fail after ``timeout`` seconds."""
    end = time.monotonic() + timeout
    pause = 0.005
    while not predicate():
        if time.monotonic() > end:
            raise AssertionError(f"timed out after {timeout} s waiting for {what or predicate}")
        time.sleep(pause)
        pause = min(0.05, pause * 2)


class Threads:
    """Run callables in threads; ``result(f)`` waits at most WAIT seconds."""

    def __init__(self) -> None:
        self.pool = concurrent.futures.ThreadPoolExecutor(max_workers=64)

    def start(self, fn: Callable[..., Any], *args: Any) -> concurrent.futures.Future[Any]:
        return self.pool.submit(fn, *args)

    def close(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)


def outcome(future: concurrent.futures.Future[Any], timeout: float = WAIT) -> Any:
    """The result of ``future``, or the exception's class name if it raised."""
    try:
        return future.result(timeout=timeout)
    except concurrent.futures.TimeoutError:
        raise
    except Exception as exc:
        return type(exc).__name__
