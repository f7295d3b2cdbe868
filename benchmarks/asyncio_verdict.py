"""Time to an asyncio verdict: the controlled loop against the FIFO driver and CPython's tests.

For each asyncio target (the stdlib's, the reference AsyncBarrier, the correct
AsyncDrainingBarrier, and the four window barriers of ``tests/broken/async_window_style``),
runs the whole default ``check()`` with a fixed seed under the controlled asyncio driver (a
fixed count of programs per property) and under the observing FIFO one
(``BARRIERSPEC_CONTROLLED=0``) as it runs unseeded: bounded by time (3 s per property), so
its programs per property are what it reaches on this machine now. Each check runs in a
fresh process; the table records the verdict, the wall and CPU seconds, the programs run
(in all, and the fewest and most per searched property) and the schedules tried. In the same
run it times CPython's own ``test.test_asyncio.test_locks.BarrierTests`` (unittest, fresh
process), the ratio's denominator. Usage, from the repository root::

    python benchmarks/asyncio_verdict.py [--seed 0] [--out PATH]

Prints a Markdown table (and writes it to ``--out``). Timings are wall-clock on whatever else
the machine is doing (``uptime`` is recorded before and after); verdicts and program counts
are what a seed reproduces.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import platform
import re
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
TARGETS = [
    "asyncio",
    "barrierspec.reference:AsyncBarrier",
    "tests.broken.correct:AsyncDrainingBarrier",
    "tests.broken.async_window_style:CancelAfterReleaseWithdrawsBarrier",
    "tests.broken.async_window_style:EntryCancelCountedBarrier",
    "tests.broken.async_window_style:ReleaseFlagAsyncBarrier",
    "tests.broken.async_window_style:ResetForgetsDrainersBarrier",
]
_CHILD = """
import json, sys, time
sys.path.insert(0, {root!r})
from barrierspec.conformance import CheckSettings, check
start, cpu = time.monotonic(), time.process_time()
result = check({target!r}, settings_=CheckSettings(seed={seed}))
print(json.dumps({{
    "seconds": time.monotonic() - start,
    "cpu": time.process_time() - cpu,
    "driver": result.driver,
    "failures": [p.name for p in result.failures],
    "programs": sum(p.programs for p in result.properties),
    "per_property": {{
        p.name: p.programs for p in result.properties
        if p.programs and p.status == "pass" and p.name != "model-generated tests"
    }},
    "exercised": [p.exercised for p in result.properties],
}}))
"""
_TIMEOUT = 900.0


def _child(target: str, seed: int, controlled: bool) -> dict[str, object]:
    env = {**os.environ, "BARRIERSPEC_CONTROLLED": "1" if controlled else "0"}
    # the observing driver as it runs unseeded: bounded by time, as many programs as it can
    code = _CHILD.format(root=str(ROOT), target=target, seed=seed if controlled else None)
    out = subprocess.run(
        [sys.executable, "-c", code],
        check=False,
        capture_output=True,
        text=True,
        env=env,
        timeout=_TIMEOUT,
    )
    if out.returncode != 0:
        raise RuntimeError(f"{target}: {out.stderr[-2000:]}")
    found: dict[str, object] = json.loads(out.stdout.strip().splitlines()[-1])
    return found


def _schedules(exercised: list[str]) -> int:
    return sum(int(m) for e in exercised for m in re.findall(r"(\d+) schedules", e or ""))


def _line(target: str, row: dict[str, object], cpython: float) -> str:
    failures = row["failures"]
    verdict = "fails: " + ", ".join(failures) if failures else "conformant"  # type: ignore[arg-type]
    seconds = float(row["seconds"])  # type: ignore[arg-type]
    driver = str(row["driver"]).split(" ", 1)[0]
    counts = list(row["per_property"].values())  # type: ignore[attr-defined]
    spread = f"{min(counts)}-{max(counts)}" if counts else "-"
    return (
        f"| `{target.rsplit(':', maxsplit=1)[-1]}` | {driver} | {verdict} | {seconds:.1f} | "
        f"{float(row['cpu']):.1f} | {seconds / cpython:.1f}x | {row['programs']} | {spread} | "  # type: ignore[arg-type]
        f"{_schedules(row['exercised'])} |"  # type: ignore[arg-type]
    )


def _compared(target: str, controlled: dict[str, object], observed: dict[str, object]) -> str:
    """The property where the controlled search ran the fewest programs relative to the
    observing one (ratio < 1: the controlled search ran fewer there)."""
    ours, theirs = controlled["per_property"], observed["per_property"]
    shared = [n for n in ours if theirs.get(n)]  # type: ignore[operator,index]
    name = target.rsplit(":", maxsplit=1)[-1]
    if not shared:
        return f"| `{name}` | (no property searched by both) |||||||| "
    worst = min(shared, key=lambda n: ours[n] / theirs[n])  # type: ignore[index]
    ratio = ours[worst] / theirs[worst]  # type: ignore[index]
    return (
        f"| `{name}` | controlled / observing programs, per property: "
        f"at least {ratio:.2f}x ({worst}: {ours[worst]} vs {theirs[worst]}) ||||||||"  # type: ignore[index]
    )


def cpython_barrier_tests() -> float:
    """Wall seconds of CPython's asyncio BarrierTests in a fresh process."""
    start = time.monotonic()
    subprocess.run(
        [sys.executable, "-m", "unittest", "-q", "test.test_asyncio.test_locks.BarrierTests"],
        check=True,
        capture_output=True,
        timeout=_TIMEOUT,
    )
    return time.monotonic() - start


def _uptime() -> str:
    done = subprocess.run(["uptime"], check=False, capture_output=True, text=True, timeout=10)
    return done.stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=pathlib.Path)
    args = parser.parse_args()
    before = _uptime()
    cpython = cpython_barrier_tests()
    lines = [
        f"Machine: `nproc` = {os.cpu_count()}, Python {platform.python_version()}; seed "
        f"{args.seed}; CPython BarrierTests: {cpython:.2f} s. Load before: `{before}`.",
        "",
        "| target | driver | verdict | check s | CPU s | / CPython | programs | per property "
        "(fewest-most) | schedules |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for target in TARGETS:
        rows = {controlled: _child(target, args.seed, controlled) for controlled in (True, False)}
        for row in rows.values():
            lines.append(_line(target, row, cpython))
            print(lines[-1], flush=True)
        lines.append(_compared(target, rows[True], rows[False]))
        print(lines[-1], flush=True)
    lines += ["", f"Load after: `{_uptime()}`."]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out is not None:
        args.out.write_text(text)


if __name__ == "__main__":
    main()
