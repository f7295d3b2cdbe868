"""Barriers spelled otherwise than the standard library's, for the target-option tests.

Module level, so the process driver can pickle them and a supervised worker can import them.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Generator
from typing import Any


def ctx_barrier(
    parties: int, action: Any = None, timeout: float | None = None, *, ctx: Any = None
) -> Any:
    """A process barrier that needs its context and validates ``parties`` itself."""
    if ctx is None:
        raise TypeError("ctx_barrier() needs a multiprocessing context (ctx=...)")
    if not isinstance(parties, int) or isinstance(parties, bool):
        raise TypeError(f"parties must be an int, got {parties!r}")
    if parties < 1:
        raise ValueError(f"parties must be >= 1, got {parties!r}")
    return ctx.Barrier(parties, action, timeout)


class GetattrBarrier:
    """A thread barrier whose every attribute is delegated through ``__getattr__``."""

    def __init__(self, parties: int, action: Any = None, timeout: float | None = None) -> None:
        self._inner = threading.Barrier(parties, action, timeout)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name == "_inner":
            raise AttributeError(name)
        return getattr(self._inner, name)


class Broken(Exception):  # noqa: N818 -- a library's own spelling, on purpose
    """This library's "barrier is broken" (no BrokenBarrierError in its name)."""


class SpelledBarrier:
    """threading.Barrier spelled otherwise: ``arrive``, ``stop``, ``waiting``, own ``Broken``
    (:data:`SPELLED_MAP` maps it back)."""

    def __init__(self, parties: int, action: Any = None, timeout: float | None = None) -> None:
        self._inner = threading.Barrier(parties, action, timeout)

    def arrive(self, timeout: float | None = None) -> int:
        try:
            return self._inner.wait(timeout)
        except threading.BrokenBarrierError as exc:
            raise Broken("the barrier is broken") from exc

    def stop(self) -> None:
        self._inner.abort()

    @property
    def waiting(self) -> int:
        return self._inner.n_waiting

    @property
    def broken(self) -> bool:
        return self._inner.broken

    @property
    def parties(self) -> int:
        return self._inner.parties


SPELLED_MAP = [
    "wait=arrive",
    "abort=stop",
    "n_waiting=waiting",
    f"broken_error={__name__}:Broken",
]


class AwaitableBarrier:
    """asyncio.Barrier whose wait is ``await barrier`` (and no ``wait`` coroutine)."""

    def __init__(self, parties: int) -> None:
        self._inner = asyncio.Barrier(parties)

    def __await__(self) -> Generator[Any, None, int]:
        return self._inner.wait().__await__()

    def wait(self) -> None:
        raise RuntimeError("AwaitableBarrier is awaited, not waited")

    async def abort(self) -> None:
        await self._inner.abort()

    @property
    def parties(self) -> int:
        return self._inner.parties


class CancelledBarrierException(Exception):  # noqa: N818 -- a named library's own name
    """A named-barrier library's own cancellation exception, recognised by name."""


class WhoRuns:
    """A one-party process "barrier" whose wait() says who runs it: billiard's current
    process, by name and by the module of its class (``billiard.context`` for a process
    billiard started, ``billiard.process`` for the main process as billiard sees it)."""

    def __init__(
        self, parties: int, action: Any = None, timeout: float | None = None, *, ctx: Any = None
    ) -> None:
        self.parties = parties

    def wait(self, timeout: float | None = None) -> tuple[str, str]:
        import billiard

        current = billiard.current_process()
        return current.name, type(current).__module__
