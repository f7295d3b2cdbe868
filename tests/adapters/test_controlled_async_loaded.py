"""A seeded asyncio verdict is the same on a loaded machine, and the controlled asyncio modules
read no real clock: two busy processes spin for the duration of the second run, which must
give the same verdicts, evidence and counterexamples and run the same programs (schedules
included) in the same order."""

from __future__ import annotations

import ast
import pathlib

from tests.broken.async_window_style import ResetForgetsDrainersBarrier
from tests.loadgen import busy_processes, seeded_verdict

from barrierspec.conformance import CheckSettings

CFG = CheckSettings(
    seed=13,
    seeded_examples=40,
    programs=300,  # per property: the counted search of the controlled driver
    generated=True,
    generated_tests=20,
    only=("arrival index", "reset", "model-generated tests"),
)
ADAPTERS = pathlib.Path(__file__).parents[2] / "src" / "barrierspec" / "adapters"


def _run(target: object) -> tuple[list[str], list[tuple[str, str, str]], str]:
    return seeded_verdict(target, CFG)


def test_a_seeded_asyncio_verdict_is_the_same_on_a_loaded_machine() -> None:
    idle = _run("asyncio"), _run(ResetForgetsDrainersBarrier)
    with busy_processes(2) as procs:
        loaded = _run("asyncio"), _run(ResetForgetsDrainersBarrier)
        assert all(p.poll() is None for p in procs), "the load ended before the verdicts"
    assert idle[0][2].startswith("ControlledAsyncioDriver"), idle[0][2]
    for quiet, busy in zip(idle, loaded, strict=True):
        assert quiet[1] == busy[1]  # the same verdicts, evidence and counterexamples
        assert quiet[0] == busy[0]  # the same programs and schedules, in the same order
    for _programs, table, _driver in idle:  # each run found its failure (asyncio: gh-155233)
        assert any(status == "fail" for _n, status, _e in table), table


def _real_clock_calls(path: pathlib.Path) -> list[str]:
    """Uses of the ``time`` module (sleep, monotonic...) in one module."""
    tree = ast.parse(path.read_text())
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import) and any(a.name == "time" for a in node.names):
            found.append(f"{path.name}:{node.lineno}: import time")
        if isinstance(node, ast.ImportFrom) and node.module == "time":
            found += [f"{path.name}: from time import {a.name}" for a in node.names]
    return found


def test_the_controlled_asyncio_modules_read_no_real_clock() -> None:
    """They wait in real time only as bounds (a callback that keeps the thread, an executor
    job's hand-over), never to let time pass."""
    modules = ("_controlled_loop", "_controlled_async_programs", "_controlled_async_driver")
    assert [c for m in modules for c in _real_clock_calls(ADAPTERS / f"{m}.py")] == []
