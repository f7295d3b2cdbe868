"""ProcessBarrier makes CPython's choices while a round drains, shown with real signals.

A waiting child is stopped with SIGSTOP; the parent's arrival then releases the round, so the
child is released but cannot leave ``wait()``: the round *drains*. CPython's newcomers wait
until it has left; a drainer that is still inside when ``abort()`` is called gets
``BrokenBarrierError``; a drainer that dies (SIGKILL) stops counting. Every wait is bounded.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from multiprocessing.connection import Connection
from multiprocessing.context import BaseContext
from multiprocessing.process import BaseProcess

import pytest
import ref_workers as w
from ref_helpers import DEADLINE, Runner, recv, start, wait_until

from barrierspec.errors import BrokenBarrierError
from barrierspec.reference import ProcessBarrier
from barrierspec.reference._process_shared import NEWCOMERS


def _state(pid: int | None) -> str:
    """The process's state letter from /proc (R, S, T stopped, Z zombie); gone: "X"."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return "X"


def _stopped_outside_the_lock(barrier: ProcessBarrier, pid: int) -> bool:
    """Stop ``pid``; True if it stopped asleep, not holding the barrier's lock (it takes the
    lock for a moment every liveness slice); else let it go on and report False."""
    os.kill(pid, signal.SIGSTOP)
    wait_until(lambda: _state(pid) == "T")
    lock = barrier._shared.lock
    if lock.acquire(False):  # free: the child sleeps on its semaphore
        lock.release()
        return True
    os.kill(pid, signal.SIGCONT)
    wait_until(lambda: _state(pid) != "T")
    return False


@pytest.fixture
def drained(
    fork: BaseContext, reaper: list[BaseProcess]
) -> Iterator[tuple[ProcessBarrier, BaseProcess, Connection]]:
    """A 2-party barrier whose round was released while its child party is stopped."""
    barrier = ProcessBarrier(2, ctx=fork)
    results, send = fork.Pipe(duplex=False)
    child = start(fork, reaper, w.wait_and_report, barrier, send, DEADLINE)
    wait_until(lambda: barrier.n_waiting == 1)
    wait_until(lambda: _stopped_outside_the_lock(barrier, child.pid))  # type: ignore[arg-type]
    assert barrier.wait(DEADLINE) == 1  # the last arrival releases the stopped child
    shared = barrier._shared
    assert [shared.mem[shared.pids + s] for s in range(shared.nslots)].count(child.pid) == 1
    try:
        yield barrier, child, results
    finally:
        if _state(child.pid) == "T":
            os.kill(child.pid, signal.SIGCONT)  # type: ignore[arg-type]


def _queue(barrier: ProcessBarrier, *names: str) -> Runner:
    """Start a newcomer thread per name, each once the one before it has queued."""
    runner = Runner()
    for k, name in enumerate(names):
        runner.start(name, lambda: barrier.wait(DEADLINE))
        wait_until(lambda k=k: barrier._shared.mem[NEWCOMERS] == k + 1)
    return runner


def test_a_newcomer_blocks_until_the_released_party_has_left(
    drained: tuple[ProcessBarrier, BaseProcess, Connection],
) -> None:
    barrier, child, results = drained
    runner = _queue(barrier, "newcomer")
    assert barrier.n_waiting == 0  # it has not joined the next round
    os.kill(child.pid, signal.SIGCONT)  # type: ignore[arg-type]
    assert recv(results) == ("ok", 0)
    wait_until(lambda: barrier.n_waiting == 1)  # the newcomer joined once the child left
    assert barrier.wait(DEADLINE) == 1
    assert runner.join()["newcomer"] == 0


def test_abort_breaks_a_released_party_that_has_not_left(
    drained: tuple[ProcessBarrier, BaseProcess, Connection],
) -> None:
    barrier, child, results = drained
    barrier.abort()
    barrier.reset()  # a reset alone would let it return; after an abort it breaks (CPython)
    os.kill(child.pid, signal.SIGCONT)  # type: ignore[arg-type]
    kind, name, message = recv(results)
    assert (kind, name) == ("error", "BrokenBarrierError")
    assert "aborted" in message


def test_reset_alone_lets_a_released_party_return_its_index(
    drained: tuple[ProcessBarrier, BaseProcess, Connection],
) -> None:
    barrier, child, results = drained
    barrier.reset()
    os.kill(child.pid, signal.SIGCONT)  # type: ignore[arg-type]
    assert recv(results) == ("ok", 0)


def test_a_drainer_that_dies_does_not_keep_newcomers_out(
    drained: tuple[ProcessBarrier, BaseProcess, Connection],
) -> None:
    barrier, child, _ = drained
    runner = _queue(barrier, "newcomer")
    os.kill(child.pid, signal.SIGKILL)  # type: ignore[arg-type]
    wait_until(lambda: _state(child.pid) in ("Z", "X"))
    wait_until(lambda: barrier.n_waiting == 1)  # found dead within a poll slice: joined
    assert barrier.wait(DEADLINE) == 1
    assert runner.join()["newcomer"] == 0
    assert not barrier.broken


def test_a_blocked_newcomer_times_out_and_breaks_the_barrier(
    drained: tuple[ProcessBarrier, BaseProcess, Connection],
) -> None:
    barrier, child, results = drained
    with pytest.raises(BrokenBarrierError, match="timed out before it could join a round"):
        barrier.wait(0.01)
    assert barrier.broken
    os.kill(child.pid, signal.SIGCONT)  # type: ignore[arg-type]
    assert recv(results)[0] == "ok"  # released before the break: its index stands


# ---------------------------------------------------------------- admission of the queue
def test_queued_newcomers_are_admitted_in_arrival_order(
    drained: tuple[ProcessBarrier, BaseProcess, Connection],
) -> None:
    """The drainer that leaves last admits the first newcomer (index 0, it goes on sleeping
    as a member) and wakes the second to enter by itself: it trips the round (index 1)."""
    barrier, child, results = drained
    runner = _queue(barrier, "first", "second")
    assert barrier.n_waiting == 0
    os.kill(child.pid, signal.SIGCONT)  # type: ignore[arg-type]
    assert recv(results) == ("ok", 0)
    assert runner.join() == {"first": 0, "second": 1}
    assert (barrier.round, barrier.n_waiting, barrier._shared.mem[NEWCOMERS]) == (2, 0, 0)


def test_more_newcomers_than_parties_all_get_a_round(
    drained: tuple[ProcessBarrier, BaseProcess, Connection],
) -> None:
    """Three newcomers queue behind a 2-party round: one is admitted, two are woken to
    enter; one of those trips the round with the admitted one, the last joins the next."""
    barrier, child, results = drained
    runner = _queue(barrier, "q1", "q2", "q3")
    os.kill(child.pid, signal.SIGCONT)  # type: ignore[arg-type]
    assert recv(results) == ("ok", 0)
    wait_until(lambda: barrier.round == 2 and barrier.n_waiting == 1)
    assert barrier.wait(DEADLINE) == 1  # the partner of the one left over
    got = runner.join()
    assert got["q1"] == 0 and sorted(got.values()) == [0, 0, 1], got
    assert (barrier.round, barrier.broken) == (3, False)


def test_a_late_token_does_not_let_a_queued_newcomer_in(
    drained: tuple[ProcessBarrier, BaseProcess, Connection],
) -> None:
    """A token left on the slot a newcomer queues in wakes it for nothing: it stays queued
    until the drain is over, then it is admitted (index 0)."""
    barrier, child, results = drained
    shared = barrier._shared
    for slot in range(shared.nslots):
        if not (shared.mem[shared.pids + slot] or shared.mem[shared.newcomers + slot]):
            shared.sems[slot].release()  # a late token on every free slot
    runner = _queue(barrier, "newcomer")
    slot = next(s for s in range(shared.nslots) if shared.mem[shared.newcomers + s])
    wait_until(lambda: shared.sems[slot].get_value() == 0)  # it woke and took the token
    assert (barrier.n_waiting, shared.mem[NEWCOMERS]) == (0, 1)  # still queued
    os.kill(child.pid, signal.SIGCONT)  # type: ignore[arg-type]
    assert recv(results) == ("ok", 0)
    wait_until(lambda: barrier.n_waiting == 1)
    assert barrier.wait(DEADLINE) == 1
    assert runner.join()["newcomer"] == 0


def test_abort_breaks_queued_newcomers(
    drained: tuple[ProcessBarrier, BaseProcess, Connection],
) -> None:
    barrier, child, results = drained
    runner = _queue(barrier, "newcomer")
    barrier.abort()
    error = runner.join()["newcomer"]
    assert isinstance(error, BrokenBarrierError)
    assert str(error) == "barrier is broken (the barrier was aborted); call reset()"
    os.kill(child.pid, signal.SIGCONT)  # type: ignore[arg-type]
    assert recv(results)[:2] == ("error", "BrokenBarrierError")  # it had not left
    assert barrier._shared.mem[NEWCOMERS] == 0


def test_a_newcomer_killed_in_the_queue_is_not_admitted(
    drained: tuple[ProcessBarrier, BaseProcess, Connection],
    fork: BaseContext,
    reaper: list[BaseProcess],
) -> None:
    """Dead before it joined a round, it is dropped at admission: not a member, no break."""
    barrier, child, results = drained
    _, send = fork.Pipe(duplex=False)
    newcomer = start(fork, reaper, w.wait_and_report, barrier, send, DEADLINE)
    wait_until(lambda: barrier._shared.mem[NEWCOMERS] == 1)
    os.kill(newcomer.pid, signal.SIGKILL)  # type: ignore[arg-type]
    wait_until(lambda: _state(newcomer.pid) in ("Z", "X"))
    os.kill(child.pid, signal.SIGCONT)  # type: ignore[arg-type]
    assert recv(results) == ("ok", 0)
    wait_until(lambda: barrier._shared.mem[NEWCOMERS] == 0)
    assert (barrier.n_waiting, barrier.broken) == (0, False)
    runner = Runner()
    runner.start("partner", lambda: barrier.wait(DEADLINE))
    assert barrier.wait(DEADLINE) in (0, 1)
    assert runner.join()["partner"] in (0, 1)
