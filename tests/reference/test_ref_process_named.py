"""barrierspec.reference.ProcessNamedBarriers: named barriers across processes, with deaths."""

from __future__ import annotations

import multiprocessing
import os
import pickle
import signal
from collections.abc import Iterator
from multiprocessing.context import BaseContext
from multiprocessing.process import BaseProcess

import pytest
import ref_workers as w
from ref_helpers import DEADLINE, recv, start, wait_until

from barrierspec.errors import InvalidOperationError
from barrierspec.reference import ProcessNamedBarriers


@pytest.fixture
def registry(fork: BaseContext) -> Iterator[ProcessNamedBarriers]:
    with ProcessNamedBarriers(ctx=fork) as reg:
        yield reg


def test_members_in_several_processes_are_released_together(
    fork: BaseContext, reaper: list[BaseProcess], registry: ProcessNamedBarriers
) -> None:
    mine = registry.barrier("x")
    pipes = [fork.Pipe(duplex=False) for _ in range(2)]
    for _, send in pipes:
        start(fork, reaper, w.named_member_wait, registry, "x", send, DEADLINE)
    assert [recv(r) for r, _ in pipes] == ["created", "created"]
    wait_until(lambda: registry.waiting("x") == 2)
    assert registry.members("x") == 3
    assert mine.wait(DEADLINE) is True
    assert [recv(r) for r, _ in pipes] == [("ok", True), ("ok", True)]


def test_kill_a_waiting_member_withdraws_it(
    fork: BaseContext, reaper: list[BaseProcess], registry: ProcessNamedBarriers
) -> None:
    mine = registry.barrier("k")
    survivor_r, survivor_s = fork.Pipe(duplex=False)
    victim_r, victim_s = fork.Pipe(duplex=False)
    start(fork, reaper, w.named_member_wait, registry, "k", survivor_s, DEADLINE)
    victim = start(fork, reaper, w.named_member_wait, registry, "k", victim_s, None)
    assert (recv(survivor_r), recv(victim_r)) == ("created", "created")
    wait_until(lambda: registry.waiting("k") == 2)
    os.kill(victim.pid, signal.SIGKILL)  # type: ignore[arg-type]
    wait_until(lambda: registry.members("k") == 2)  # the watchdog withdrew it (a zombie)
    assert mine.wait(DEADLINE) is True
    assert recv(survivor_r) == ("ok", True)


def test_kill_a_member_before_it_waits(
    fork: BaseContext, reaper: list[BaseProcess], registry: ProcessNamedBarriers
) -> None:
    mine = registry.barrier("b")
    created, send = fork.Pipe(duplex=False)
    victim = start(fork, reaper, w.named_member_park, registry, "b", send, fork.Event())
    assert recv(created) == "created"
    assert registry.members("b") == 2
    os.kill(victim.pid, signal.SIGKILL)  # type: ignore[arg-type]
    assert mine.wait(DEADLINE) is True  # released once the dead member is withdrawn
    assert registry.members("b") == 1


def test_timeout_and_cancel_across_the_server(registry: ProcessNamedBarriers) -> None:
    a, b = registry.barrier("t"), registry.barrier("t")
    assert a.wait(0.01) is False
    assert a.cancelled and registry.members("t") == 1
    assert b.wait(DEADLINE) is True
    b.cancel()
    assert b.cancelled and registry.members("t") == 0


def test_members_are_not_picklable(registry: ProcessNamedBarriers) -> None:
    with pytest.raises(InvalidOperationError, match="belongs to the process that created it"):
        pickle.dumps(registry.barrier("p"))


def test_spawned_process_uses_the_registry(reaper: list[BaseProcess]) -> None:
    spawn = multiprocessing.get_context("spawn")
    with ProcessNamedBarriers(ctx=spawn) as registry:
        mine = registry.barrier("s")
        results, send = spawn.Pipe(duplex=False)
        start(spawn, reaper, w.named_member_wait, registry, "s", send, DEADLINE)
        assert recv(results, 60) == "created"
        assert mine.wait(DEADLINE) is True
        assert recv(results) == ("ok", True)
