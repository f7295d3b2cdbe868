"""Drop-in behaviour: the stdlib's except clauses, TypeError/ValueError, repr, CPython's choices.

CPython's own suites run in test_ref_cpython_suites.py; these tests pin what they do not
(messages, the exception classes of every path, the drainer rules of the asyncio barrier).
"""

from __future__ import annotations

import asyncio
import importlib
import multiprocessing
import pickle
import re
import subprocess
import sys
import threading
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from ref_helpers import Runner, run_async, settle, wait_until

from barrierspec import errors
from barrierspec.errors import ArgumentTypeError, BrokenBarrierError, UsageError
from barrierspec.reference import AsyncBarrier, Barrier, ProcessBarrier

FORK = multiprocessing.get_context("fork")


run = run_async


def test_errors_exports_and_hierarchy() -> None:
    assert errors.__all__ == [
        "ArgumentTypeError",
        "BarrierSpecError",
        "BrokenBarrierError",
        "CancelledBarrierError",
        "InvalidOperationError",
        "UsageError",
    ]
    assert issubclass(BrokenBarrierError, threading.BrokenBarrierError)
    assert issubclass(BrokenBarrierError, asyncio.BrokenBarrierError)
    assert issubclass(ArgumentTypeError, TypeError) and issubclass(ArgumentTypeError, UsageError)
    assert issubclass(UsageError, ValueError) and not issubclass(UsageError, TypeError)


# ------------------------------------------------------- except asyncio.BrokenBarrierError
async def _caught(coro: Awaitable[Any]) -> str:
    try:
        await coro
    except asyncio.BrokenBarrierError as exc:  # the stdlib's clause, unchanged
        return str(exc)
    return "not raised"


def test_except_asyncio_broken_barrier_error_catches_abort_reset_and_broken() -> None:
    async def main() -> list[str]:
        barrier = AsyncBarrier(3)
        reset = asyncio.create_task(_caught(barrier.wait()))
        await settle(lambda: barrier.n_waiting == 1)
        await barrier.reset()
        aborted = asyncio.create_task(_caught(barrier.wait()))
        await settle(lambda: barrier.n_waiting == 1)
        await barrier.abort()
        return [await reset, await aborted, await _caught(barrier.wait())]

    assert run(main) == [
        "the barrier was reset",
        "the barrier was aborted",
        "barrier is broken (the barrier was aborted); call reset()",
    ]


def test_except_threading_broken_barrier_error_catches_thread_and_process_barriers() -> None:
    for barrier in (Barrier(2), ProcessBarrier(2, ctx=FORK)):
        barrier.abort()
        with pytest.raises(threading.BrokenBarrierError, match="call reset"):
            barrier.wait(5)


# ------------------------------------------------------------- TypeError and ValueError
T = "timeout must be None or a finite number >= 0, got"
P = "parties must be an int >= 1, got"
TYPE_CASES = [
    (lambda: Barrier("3"), f"{P} '3' of type str"),
    (lambda: Barrier(2.0), f"{P} 2.0 of type float"),
    (lambda: AsyncBarrier(None), f"{P} None of type NoneType"),
    (lambda: Barrier(True), f"{P} True of type bool"),
    (lambda: Barrier(2, timeout="1"), f"{T} '1' of type str"),
    (lambda: Barrier(2).wait(True), f"{T} True of type bool"),
    (
        lambda: ProcessBarrier(2, action=0, ctx=FORK),
        "action must be None or callable, got 0 of type int",
    ),
]
VALUE_CASES = [
    (lambda: Barrier(0), f"{P} 0"),
    (lambda: AsyncBarrier(-4), f"{P} -4"),
    (lambda: ProcessBarrier(0, ctx=FORK), f"{P} 0"),
    (lambda: Barrier(2, timeout=-1), f"{T} -1"),
    (lambda: Barrier(2).wait(float("nan")), f"{T} nan"),
]


@pytest.mark.parametrize(("call", "message"), TYPE_CASES)
def test_wrong_types_raise_type_error(call: Callable[[], object], message: str) -> None:
    with pytest.raises(TypeError, match=f"^{re.escape(message)}$"):
        call()


@pytest.mark.parametrize(("call", "message"), VALUE_CASES)
def test_wrong_values_raise_value_error_not_type_error(
    call: Callable[[], object], message: str
) -> None:
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$") as info:
        call()
    assert not isinstance(info.value, TypeError)


# ------------------------------------------------------------------------------ repr
def test_thread_and_process_repr_in_threadings_format(runner: Runner) -> None:
    names = {Barrier: "barrierspec.Barrier", ProcessBarrier: "barrierspec.reference.ProcessBarrier"}
    for barrier in (Barrier(3), ProcessBarrier(3, ctx=FORK)):
        name = type(barrier).__name__
        head = rf"<{re.escape(names[type(barrier)])} at 0x[0-9a-f]+: "
        assert re.fullmatch(head + r"waiters=0/3>", repr(barrier))
        runner.start(name, lambda barrier=barrier: barrier.wait(10))
        wait_until(lambda barrier=barrier: barrier.n_waiting == 1)
        assert re.fullmatch(head + r"waiters=1/3>", repr(barrier))
        barrier.abort()
        assert re.fullmatch(head + r"broken>", repr(barrier))
    runner.join()


def test_async_repr_in_asyncios_format_through_every_phase() -> None:
    async def main() -> list[str]:
        barrier = AsyncBarrier(2)
        seen = [repr(barrier)]
        first = asyncio.create_task(barrier.wait())
        await settle(lambda: barrier.n_waiting == 1)
        seen.append(repr(barrier))
        await barrier.wait()  # trips; `first` has not resumed: draining
        seen.append(repr(barrier))
        await barrier.reset()  # asyncio: breaks the drainer that has not resumed
        seen.append(repr(barrier))
        with pytest.raises(asyncio.BrokenBarrierError):
            await first
        await barrier.abort()
        seen.append(repr(barrier))
        return seen

    head = r"<barrierspec\.aio\.Barrier object at 0x[0-9a-f]+ "
    tails = [
        r"\[filling, waiters:0/2\]>",
        r"\[filling, waiters:1/2\]>",
        r"\[draining, waiters:0/2\]>",
        r"\[resetting, waiters:0/2\]>",
        r"\[broken\]>",
    ]
    for text, tail in zip(run(main), tails, strict=True):
        assert re.fullmatch(head + tail, text), text


# ------------------------------------------------------------- CPython's choices (asyncio)
def test_async_newcomer_blocks_while_the_round_drains_then_gets_index_zero() -> None:
    async def main() -> None:
        barrier = AsyncBarrier(2)
        first = asyncio.create_task(barrier.wait())
        await settle(lambda: barrier.n_waiting == 1)
        assert await barrier.wait() == 1  # trips; `first` has not resumed
        newcomer = asyncio.create_task(barrier.wait())
        await asyncio.sleep(0)  # `first` resumes and leaves; only then does the newcomer enter
        assert await first == 0
        await settle(lambda: barrier.n_waiting == 1)
        assert await asyncio.gather(newcomer, barrier.wait()) == [0, 1]

    run(main)


def test_async_abort_while_draining_breaks_drainers_and_blocked_newcomers() -> None:
    async def main() -> None:
        barrier = AsyncBarrier(2)
        first = asyncio.create_task(barrier.wait())
        await settle(lambda: barrier.n_waiting == 1)
        assert await barrier.wait() == 1
        newcomer = asyncio.create_task(barrier.wait())
        await barrier.abort()  # before `first` resumed
        for task in (first, newcomer):
            with pytest.raises(asyncio.BrokenBarrierError, match="aborted"):
                await task

    run(main)


# ------------------------------------------------------------------ names and pickling
PUBLIC_NAMES = [
    (Barrier, "barrierspec.Barrier"),
    (AsyncBarrier, "barrierspec.aio.Barrier"),
    (ProcessBarrier, "barrierspec.reference.ProcessBarrier"),
]


@pytest.mark.parametrize(("cls", "name"), PUBLIC_NAMES, ids=[n for _, n in PUBLIC_NAMES])
def test_module_and_qualname_are_an_importable_public_name(cls: type, name: str) -> None:
    assert f"{cls.__module__}.{cls.__qualname__}" == name
    assert not any(part.startswith("_") for part in cls.__module__.split("."))
    assert getattr(importlib.import_module(cls.__module__), cls.__qualname__) is cls
    assert pickle.loads(pickle.dumps(cls)) is cls


def test_the_async_barrier_is_named_like_asyncios() -> None:
    import barrierspec.aio

    assert AsyncBarrier is barrierspec.aio.Barrier
    assert AsyncBarrier.__name__ == asyncio.Barrier.__name__ == "Barrier"

    async def main() -> None:
        message = "object Barrier can't be used in 'await' expression"
        with pytest.raises(TypeError, match=f"^{re.escape(message)}$"):
            await AsyncBarrier(2)  # type: ignore[misc]

    run(main)


def _fresh(code: str) -> str:
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


def test_pickled_classes_load_in_a_fresh_interpreter() -> None:
    """``barrierspec.Barrier`` is loaded on first access, pickle's access included."""
    data = pickle.dumps([cls for cls, _ in PUBLIC_NAMES])
    code = f"import pickle; print([repr(c) for c in pickle.loads({data!r})])"
    assert _fresh(code) == str([repr(cls) for cls, _ in PUBLIC_NAMES])


# ----------------------------------------------------------------------- lazy imports
HEAVY = "heavy = sorted(m for m in ('redis', 'z3', 'hypothesis') if m in sys.modules)\n"


def test_import_reference_loads_neither_redis_nor_z3_nor_hypothesis() -> None:
    assert (
        _fresh("import sys, barrierspec.reference, barrierspec.aio\n" + HEAVY + "print(heavy)")
        == "[]"
    )


def test_import_barrierspec_loads_no_barrier_until_one_is_used() -> None:
    code = (
        "import sys, barrierspec\n"
        "print('barrierspec.reference' in sys.modules)\n"
        "barrierspec.Barrier(2)\n" + HEAVY + "print('barrierspec.reference' in sys.modules, heavy)"
    )
    assert _fresh(code).splitlines() == ["False", "True []"]


# ------------------------------------------------------------- CPython's choices (threads)
def test_thread_rounds_in_lockstep_without_timeouts(runner: Runner) -> None:
    """Newcomers queue while a round drains (no timeout: the admission path); nobody laps."""
    barrier, rounds, n = Barrier(4), 300, 4
    arrived: list[int] = []

    def party() -> list[int]:
        got = []
        for r in range(rounds):
            arrived.append(r)
            got.append(barrier.wait())
            assert arrived.count(r) == n, "released before the round filled"
            assert len(arrived) <= (r + 1) * n + (n - 1), "a party lapped the others"
        return got

    for i in range(n):
        runner.start(f"T{i}", party)
    results = runner.join(60)
    for r in range(rounds):
        assert sorted(results[f"T{i}"][r] for i in range(n)) == list(range(n))
    assert (barrier.round, barrier.n_waiting, barrier.broken) == (rounds, 0, False)


def _acting_barrier(go: threading.Event) -> Barrier:
    return Barrier(2, action=lambda: go.wait(10))


def test_thread_newcomer_blocked_behind_an_action_gets_broken_by_abort(runner: Runner) -> None:
    go = threading.Event()
    barrier = _acting_barrier(go)
    runner.start("first", barrier.wait)
    wait_until(lambda: barrier.n_waiting == 1)
    runner.start("last", barrier.wait)  # runs the action, which blocks on `go`
    wait_until(lambda: barrier.n_waiting == 2)
    runner.start("newcomer", barrier.wait)  # no timeout: queued until the round has left
    wait_until(lambda: len(barrier._queued) == 1)  # white-box: our own queue
    barrier.abort()
    go.set()
    results = runner.join()
    assert [str(results[k]) for k in ("first", "last")] == ["the barrier was aborted"] * 2
    assert str(results["newcomer"]) == "barrier is broken (the barrier was aborted); call reset()"
    assert all(isinstance(r, threading.BrokenBarrierError) for r in results.values())


def test_thread_newcomers_behind_an_action_join_the_next_round_from_zero(runner: Runner) -> None:
    go = threading.Event()
    barrier = _acting_barrier(go)
    runner.start("first", barrier.wait)
    wait_until(lambda: barrier.n_waiting == 1)
    runner.start("last", barrier.wait)
    wait_until(lambda: barrier.n_waiting == 2)
    runner.start("q1", barrier.wait)
    runner.start("q2", lambda: barrier.wait(10))  # with a timeout: blocked on a gate
    wait_until(lambda: len(barrier._queued) == 1 and len(barrier._blocked) == 1)
    assert barrier.n_waiting == 2  # newcomers are not in the acting round
    go.set()
    results = runner.join()
    assert (results["first"], results["last"]) == (0, 1)
    assert sorted((results["q1"], results["q2"])) == [0, 1]
    assert (barrier.round, barrier.n_waiting, barrier.broken) == (2, 0, False)
