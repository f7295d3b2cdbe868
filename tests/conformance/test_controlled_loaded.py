"""Controlled verdicts do not depend on the machine's load, and the controlled drivers read
no real clock: a seeded threading check gives the same verdict and runs the same programs
(schedules included) with two busy processes spinning as on an idle machine."""

from __future__ import annotations

import ast
import pathlib

from tests.broken.window_style import ReleaseFlagBarrier
from tests.loadgen import busy_processes, seeded_verdict

from barrierspec.conformance import CheckSettings

CFG = CheckSettings(
    seed=11,
    seeded_examples=15,
    generated=True,
    generated_tests=30,
    only=("draining", "abort", "n_waiting", "model-generated tests"),
)
ADAPTERS = pathlib.Path(__file__).parents[2] / "src" / "barrierspec" / "adapters"


def _run(target: object) -> tuple[list[str], list[tuple[str, str, str]], str]:
    return seeded_verdict(target, CFG)


def test_a_seeded_threading_verdict_is_the_same_on_a_loaded_machine() -> None:
    idle = _run("threading"), _run(ReleaseFlagBarrier)
    with busy_processes(2) as procs:
        loaded = _run("threading"), _run(ReleaseFlagBarrier)
        assert all(p.poll() is None for p in procs), "the load ended before the verdicts"
    assert idle[0][2].startswith("ControlledThreadDriver"), idle[0][2]
    for quiet, busy in zip(idle, loaded, strict=True):
        assert quiet[1] == busy[1]  # the same verdicts, evidence and counterexamples
        assert quiet[0] == busy[0]  # the same programs and schedules, in the same order
    assert any(status == "fail" for _n, status, _e in idle[1][1]), idle[1][1]


def _real_clock_calls(path: pathlib.Path) -> list[str]:
    """Calls of the real ``time`` module's functions (sleep, monotonic...) in one module."""
    tree = ast.parse(path.read_text())
    names = {"time", "_real_time"}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "time":
            found += [f"{path.name}: from time import {a.name}" for a in node.names]
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id in names
        ):
            found.append(f"{path.name}:{node.lineno}: {node.func.value.id}.{node.func.attr}()")
    return found


THREAD_MODULES = ("runtime", "sync", "view", "threads", "programs", "schedules")


def test_the_controlled_thread_drivers_neither_sleep_nor_poll_a_real_clock() -> None:
    modules = [ADAPTERS / f"_controlled_{name}.py" for name in THREAD_MODULES]
    assert [c for m in modules for c in _real_clock_calls(m)] == []
