"""barrierspec.reference.Barrier: behaviour, action re-entrancy, timeouts, reset and abort."""

from __future__ import annotations

import re
import threading

import pytest
from ref_helpers import Runner, wait_until

from barrierspec.errors import BrokenBarrierError, InvalidOperationError
from barrierspec.reference import Barrier


def test_indices_are_a_permutation_per_round_and_round_counts(runner: Runner) -> None:
    barrier = Barrier(4)
    for i in range(4):
        runner.start(f"T{i}", lambda: [barrier.wait(10) for _ in range(50)])
    results = runner.join()
    for r in range(50):
        assert sorted(results[f"T{i}"][r] for i in range(4)) == [0, 1, 2, 3]
    assert barrier.round == 50
    assert barrier.n_waiting == 0
    assert not barrier.broken


def test_first_arrival_gets_zero_and_last_returns_without_blocking(runner: Runner) -> None:
    barrier = Barrier(2)
    runner.start("first", lambda: barrier.wait(10))
    wait_until(lambda: barrier.n_waiting == 1)
    assert barrier.wait(10) == 1
    assert runner.join() == {"first": 0}


def test_single_party_never_blocks() -> None:
    barrier = Barrier(1)
    assert [barrier.wait(), barrier.wait()] == [0, 0]
    assert barrier.round == 2


def test_action_runs_once_in_the_last_arrival_before_release(runner: Runner) -> None:
    seen: list[tuple[str, int]] = []
    barrier = Barrier(
        3, action=lambda: seen.append((threading.current_thread().name, barrier.n_waiting))
    )
    for name in ("A", "B"):
        runner.start(name, lambda: (barrier.wait(10), len(seen)))
    wait_until(lambda: barrier.n_waiting == 2)
    runner.start("last", lambda: (barrier.wait(10), len(seen)))
    results = runner.join()
    assert seen == [("last", 3)]
    assert {name: r[1] for name, r in results.items()} == {"A": 1, "B": 1, "last": 1}


def test_action_that_raises_breaks_the_round(runner: Runner) -> None:
    def action() -> None:
        raise ValueError("boom")

    barrier = Barrier(2, action=action)
    runner.start("waiter", lambda: barrier.wait(10))
    wait_until(lambda: barrier.n_waiting == 1)
    with pytest.raises(ValueError, match="boom"):
        barrier.wait(10)
    waiter = runner.join()["waiter"]
    assert isinstance(waiter, BrokenBarrierError)
    assert str(waiter) == "the action raised ValueError('boom')"
    assert barrier.broken
    with pytest.raises(
        BrokenBarrierError,
        match=re.escape("barrier is broken (the action raised ValueError('boom')); call reset()"),
    ):
        barrier.wait(1)
    barrier.reset()
    assert not barrier.broken


@pytest.mark.parametrize(("method", "broken_after"), [("abort", True), ("reset", False)])
def test_action_that_calls_reset_or_abort_breaks_the_round_without_deadlock(
    runner: Runner, method: str, broken_after: bool
) -> None:
    def action() -> None:
        getattr(barrier, method)()

    barrier = Barrier(2, action=action)
    runner.start("waiter", lambda: barrier.wait(10))
    wait_until(lambda: barrier.n_waiting == 1)
    runner.start("last", lambda: barrier.wait(10))
    results = runner.join()
    word = "aborted" if method == "abort" else "reset"
    for name in ("waiter", "last"):
        assert isinstance(results[name], BrokenBarrierError)
        assert str(results[name]) == f"the barrier was {word}"
    assert barrier.broken is broken_after
    assert barrier.round == 0


def test_action_reset_leaves_a_usable_barrier(runner: Runner) -> None:
    calls = []

    def action() -> None:
        calls.append(1)
        if len(calls) == 1:
            barrier.reset()

    barrier = Barrier(2, action=action)
    for _ in range(2):
        runner.start("x", lambda: barrier.wait(10))
    runner.join()
    other = Runner()
    other.start("a", lambda: barrier.wait(10))
    assert barrier.wait(10) in (0, 1)
    assert isinstance(other.join()["a"], int)
    assert barrier.round == 1


def test_action_that_waits_is_refused(runner: Runner) -> None:
    barrier = Barrier(1, action=lambda: barrier.wait(1))
    with pytest.raises(InvalidOperationError, match=r"wait\(\) called from the barrier's own"):
        barrier.wait(1)
    assert barrier.broken


def test_newcomer_during_the_action_joins_the_next_round(runner: Runner) -> None:
    release = threading.Event()
    acting = threading.Event()

    def action() -> None:
        if barrier.round == 0:
            acting.set()
            release.wait(10)

    barrier = Barrier(2, action=action)
    runner.start("a", lambda: barrier.wait(10))
    runner.start("b", lambda: barrier.wait(10))
    assert acting.wait(10)
    newcomer = Runner()
    newcomer.start("n", lambda: barrier.wait(10))
    assert barrier.n_waiting == 2  # the full round, while its action runs
    release.set()
    assert sorted(runner.join().values()) == [0, 1]
    wait_until(lambda: barrier.n_waiting == 1)
    assert barrier.wait(10) == 1
    assert newcomer.join() == {"n": 0}
    assert barrier.round == 2


def test_timeout_breaks_the_barrier_for_everyone(runner: Runner) -> None:
    barrier = Barrier(3)
    runner.start("patient", barrier.wait)
    wait_until(lambda: barrier.n_waiting == 1)
    with pytest.raises(BrokenBarrierError, match=r"^a wait timed out after 0\.05 s$"):
        barrier.wait(0.05)
    assert isinstance(runner.join()["patient"], BrokenBarrierError)
    assert barrier.broken


def test_default_timeout_applies_when_wait_gets_none() -> None:
    barrier = Barrier(2, timeout=0.05)
    with pytest.raises(threading.BrokenBarrierError):  # the stdlib class catches it
        barrier.wait()


def test_abort_breaks_waiters_and_later_callers(runner: Runner) -> None:
    barrier = Barrier(3)
    runner.start("w", lambda: barrier.wait(10))
    wait_until(lambda: barrier.n_waiting == 1)
    barrier.abort()
    barrier.abort()  # idempotent
    assert str(runner.join()["w"]) == "the barrier was aborted"
    with pytest.raises(
        BrokenBarrierError,
        match=re.escape("barrier is broken (the barrier was aborted); call reset()"),
    ):
        barrier.wait(1)
    assert barrier.n_waiting == 0


def test_reset_breaks_waiters_and_refills(runner: Runner) -> None:
    barrier = Barrier(2)
    runner.start("w", lambda: barrier.wait(10))
    wait_until(lambda: barrier.n_waiting == 1)
    barrier.reset()
    assert str(runner.join()["w"]) == "the barrier was reset"
    assert not barrier.broken
    assert barrier.n_waiting == 0
    again = Runner()
    again.start("a", lambda: barrier.wait(10))
    assert barrier.wait(10) == 1
    assert again.join() == {"a": 0}


def test_reset_of_an_empty_barrier_is_a_no_op() -> None:
    barrier = Barrier(2)
    barrier.reset()
    assert (barrier.n_waiting, barrier.broken, barrier.round) == (0, False, 0)


def test_huge_parties_never_trips() -> None:
    barrier = Barrier(10**30)
    with pytest.raises(BrokenBarrierError):
        barrier.wait(0.01)


def test_huge_timeout_is_clamped() -> None:
    assert Barrier(1).wait(1e300) == 0
