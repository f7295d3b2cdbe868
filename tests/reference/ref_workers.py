"""Module-level worker functions for process tests (importable under spawn)."""

from __future__ import annotations

import os
import threading
from multiprocessing.connection import Connection
from typing import Any


def wait_and_report(barrier: Any, conn: Connection, timeout: float | None = 10.0) -> None:
    """Wait once on ``barrier``; send ("ok", index) or ("error", type name, message)."""
    try:
        conn.send(("ok", barrier.wait(timeout)))
    except BaseException as exc:
        conn.send(("error", type(exc).__name__, str(exc)))


def wait_rounds(barrier: Any, rounds: int, conn: Connection) -> None:
    """Wait ``rounds`` times; send the list of indices (or the error)."""
    try:
        conn.send(("ok", [barrier.wait(10.0) for _ in range(rounds)]))
    except BaseException as exc:
        conn.send(("error", type(exc).__name__, str(exc)))


def park(gate: Any) -> None:
    """Block on ``gate`` (an Event) for up to a minute: a process to be killed."""
    gate.wait(60)


class SignalThenBlock:
    """An action: report the pid running it, then block (to be killed while acting)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.block = threading.Event()

    def __call__(self) -> None:
        self.conn.send(os.getpid())
        self.block.wait(60)


class RecordPid:
    """An action: send the pid that runs it."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def __call__(self) -> None:
        self.conn.send(os.getpid())


def named_member_wait(registry: Any, name: str, conn: Connection, timeout: float) -> None:
    """Create a member of ``name``, say so, wait once, and report the outcome."""
    member = registry.barrier(name)
    conn.send("created")
    try:
        conn.send(("ok", member.wait(timeout)))
    except BaseException as exc:
        conn.send(("error", type(exc).__name__, str(exc)))


def named_member_park(registry: Any, name: str, conn: Connection, gate: Any) -> None:
    """Create a member of ``name``, say so, then block without waiting on it."""
    registry.barrier(name)
    conn.send("created")
    gate.wait(60)


def boom() -> None:
    """An action that raises."""
    raise ValueError("boom")
