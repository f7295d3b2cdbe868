"""barrierspec.reference.ProcessBarrier: rounds across processes and faults with real signals.

Every receive has a deadline; processes left alive are killed by the ``reaper`` fixture.
Killed processes are not joined before the survivors check: they stay zombies, which the
liveness check must still see as dead.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import re
import signal
import time
from multiprocessing.context import BaseContext
from multiprocessing.process import BaseProcess

import pytest
import ref_workers as w
from ref_helpers import DEADLINE, recv, start, wait_until

from barrierspec.errors import BrokenBarrierError, InvalidOperationError
from barrierspec.reference import ProcessBarrier


def died(pid: int, doing: str = "waiting at the barrier") -> str:
    return f"participant process {pid} died while {doing}"


def test_rounds_across_processes_with_an_action(
    fork: BaseContext, reaper: list[BaseProcess]
) -> None:
    actions, action_send = fork.Pipe(duplex=False)
    barrier = ProcessBarrier(3, action=w.RecordPid(action_send), ctx=fork)
    pipes = [fork.Pipe(duplex=False) for _ in range(2)]
    for _, send in pipes:
        start(fork, reaper, w.wait_rounds, barrier, 5, send)
    mine = [barrier.wait(DEADLINE) for _ in range(5)]
    theirs = [recv(r) for r, _ in pipes]
    assert all(kind == "ok" for kind, _ in theirs)
    for r in range(5):
        assert sorted([mine[r], theirs[0][1][r], theirs[1][1][r]]) == [0, 1, 2]
    pids = {os.getpid()} | {p.pid for p in reaper}
    assert [recv(actions) in pids for _ in range(5)] == [True] * 5
    assert not actions.poll(0)
    assert (barrier.round, barrier.n_waiting, barrier.broken) == (5, 0, False)


def test_spawn_round_runs_the_action_in_the_last_arrival(reaper: list[BaseProcess]) -> None:
    spawn = multiprocessing.get_context("spawn")
    actions, action_send = spawn.Pipe(duplex=False)
    barrier = ProcessBarrier(2, action=w.RecordPid(action_send), ctx=spawn)
    results, send = spawn.Pipe(duplex=False)
    child = start(spawn, reaper, w.wait_and_report, barrier, send, DEADLINE)
    wait_until(lambda: barrier.n_waiting == 1, timeout=60)  # spawn imports take a while
    assert barrier.wait(DEADLINE) == 1
    assert recv(results) == ("ok", 0)
    assert recv(actions) == os.getpid() != child.pid


def _exited(pid: int | None) -> bool:
    """True once the process has exited: a zombie, or gone (without reaping it)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


def test_kill_a_waiting_participant_breaks_the_round_naming_it(
    fork: BaseContext, reaper: list[BaseProcess]
) -> None:
    barrier = ProcessBarrier(3, ctx=fork)
    _, send = fork.Pipe(duplex=False)
    victim = start(fork, reaper, w.wait_and_report, barrier, send, None)
    wait_until(lambda: barrier.n_waiting == 1)
    os.kill(victim.pid, signal.SIGKILL)  # type: ignore[arg-type]
    wait_until(lambda: _exited(victim.pid))  # the kill has landed (left unreaped)
    began = time.monotonic()
    with pytest.raises(BrokenBarrierError, match=f"^{re.escape(died(victim.pid))}$"):  # type: ignore[arg-type]
        barrier.wait(DEADLINE)
    assert time.monotonic() - began < 2.0
    assert barrier.broken
    victim.join(DEADLINE)


def test_kill_a_waiting_participant_then_the_round_fills(
    fork: BaseContext, reaper: list[BaseProcess]
) -> None:
    barrier = ProcessBarrier(3, ctx=fork)
    _, send = fork.Pipe(duplex=False)
    victim = start(fork, reaper, w.wait_and_report, barrier, send, None)
    wait_until(lambda: barrier.n_waiting == 1)
    os.kill(victim.pid, signal.SIGKILL)  # type: ignore[arg-type]
    wait_until(lambda: _exited(victim.pid))  # the kill has landed (left unreaped)
    results, send = fork.Pipe(duplex=False)
    start(fork, reaper, w.wait_and_report, barrier, send, DEADLINE)
    with pytest.raises(BrokenBarrierError) as mine:
        barrier.wait(DEADLINE)
    kind, name, message = recv(results)
    assert (kind, name) == ("error", "BrokenBarrierError")
    for text in (message, str(mine.value)):
        assert died(victim.pid) in text  # type: ignore[arg-type]


def test_kill_before_arrival_survivors_time_out(
    fork: BaseContext, reaper: list[BaseProcess]
) -> None:
    barrier = ProcessBarrier(2, ctx=fork)
    gate = fork.Event()
    victim = start(fork, reaper, w.park, gate)
    os.kill(victim.pid, signal.SIGKILL)  # type: ignore[arg-type]
    began = time.monotonic()
    with pytest.raises(BrokenBarrierError, match=r"^a wait timed out$"):
        barrier.wait(0.3)
    assert 0.3 <= time.monotonic() - began < 1.5
    victim.join(DEADLINE)


def test_kill_the_process_running_the_action(fork: BaseContext, reaper: list[BaseProcess]) -> None:
    actions, action_send = fork.Pipe(duplex=False)
    barrier = ProcessBarrier(2, action=w.SignalThenBlock(action_send), ctx=fork)
    results, send = fork.Pipe(duplex=False)
    start(fork, reaper, w.wait_and_report, barrier, send, None)
    wait_until(lambda: barrier.n_waiting == 1)
    _, send_last = fork.Pipe(duplex=False)
    actor = start(fork, reaper, w.wait_and_report, barrier, send_last, None)
    assert recv(actions) == actor.pid
    assert barrier.n_waiting == 2  # acting
    os.kill(actor.pid, signal.SIGKILL)  # type: ignore[arg-type]
    expected = died(actor.pid, "running the action")  # type: ignore[arg-type]
    assert recv(results) == ("error", "BrokenBarrierError", expected)
    assert barrier.broken
    barrier.reset()
    assert not barrier.broken


def test_action_that_raises_in_a_process(fork: BaseContext, reaper: list[BaseProcess]) -> None:
    barrier = ProcessBarrier(2, action=w.boom, ctx=fork)
    results, send = fork.Pipe(duplex=False)
    start(fork, reaper, w.wait_and_report, barrier, send, DEADLINE)
    wait_until(lambda: barrier.n_waiting == 1)
    with pytest.raises(ValueError, match="boom"):
        barrier.wait(DEADLINE)
    expected = f"the action raised in process {os.getpid()}"
    assert recv(results) == ("error", "BrokenBarrierError", expected)
    with pytest.raises(BrokenBarrierError, match=re.escape(f"barrier is broken ({expected})")):
        barrier.wait(1)


@pytest.mark.parametrize(("method", "broken_after"), [("abort", True), ("reset", False)])
def test_action_that_calls_reset_or_abort(
    fork: BaseContext, reaper: list[BaseProcess], method: str, broken_after: bool
) -> None:
    def action() -> None:
        getattr(barrier, method)()

    barrier = ProcessBarrier(2, action=action, ctx=fork)
    results, send = fork.Pipe(duplex=False)
    start(fork, reaper, w.wait_and_report, barrier, send, DEADLINE)
    wait_until(lambda: barrier.n_waiting == 1)
    word = "aborted" if method == "abort" else "reset"
    with pytest.raises(BrokenBarrierError, match=f"^the barrier was {word}$"):
        barrier.wait(DEADLINE)
    assert recv(results) == ("error", "BrokenBarrierError", f"the barrier was {word}")
    assert barrier.broken is broken_after


def test_timeout_breaks_the_barrier_for_everyone(
    fork: BaseContext, reaper: list[BaseProcess]
) -> None:
    barrier = ProcessBarrier(3, ctx=fork)
    results, send = fork.Pipe(duplex=False)
    start(fork, reaper, w.wait_and_report, barrier, send, None)
    wait_until(lambda: barrier.n_waiting == 1)
    with pytest.raises(BrokenBarrierError, match=r"^a wait timed out$"):
        barrier.wait(0.05)
    assert recv(results) == ("error", "BrokenBarrierError", "a wait timed out")


def test_abort_then_reset_across_processes(fork: BaseContext, reaper: list[BaseProcess]) -> None:
    barrier = ProcessBarrier(2, ctx=fork)
    results, send = fork.Pipe(duplex=False)
    start(fork, reaper, w.wait_and_report, barrier, send, DEADLINE)
    wait_until(lambda: barrier.n_waiting == 1)
    barrier.abort()
    assert recv(results) == ("error", "BrokenBarrierError", "the barrier was aborted")
    with pytest.raises(
        BrokenBarrierError,
        match=re.escape("barrier is broken (the barrier was aborted); call reset()"),
    ):
        barrier.wait(1)
    barrier.reset()
    start(fork, reaper, w.wait_and_report, barrier, send, DEADLINE)
    wait_until(lambda: barrier.n_waiting == 1)
    assert barrier.wait(DEADLINE) == 1
    assert recv(results) == ("ok", 0)


def test_a_late_token_wakes_a_member_for_nothing(
    fork: BaseContext, reaper: list[BaseProcess]
) -> None:
    """A token left on a slot (its party had left on a slice's check before it came, or its
    poster died before posting) wakes the slot's next sleeper, which finds no outcome and
    sleeps on: it leaves when its round ends, with its index."""
    barrier = ProcessBarrier(2, ctx=fork)
    shared = barrier._shared
    for sem in shared.sems:
        sem.release()  # a late token on every slot
    results, send = fork.Pipe(duplex=False)
    start(fork, reaper, w.wait_and_report, barrier, send, DEADLINE)
    wait_until(lambda: barrier.n_waiting == 1)
    slot = shared.mem[shared.members]
    wait_until(lambda: shared.sems[slot].get_value() == 0)  # it woke and took the token
    assert barrier.wait(DEADLINE) == 1
    assert recv(results) == ("ok", 0)


def test_sharing_outside_process_start_is_refused(fork: BaseContext) -> None:
    barrier = ProcessBarrier(2, ctx=fork)
    message = r"^ProcessBarrier objects can only be shared with a child process by inheritance"
    with pytest.raises(InvalidOperationError, match=message):
        pickle.dumps(barrier)
    receive, send = fork.Pipe()
    with pytest.raises(InvalidOperationError, match=message):
        send.send(barrier)
    receive.close()
    send.close()
