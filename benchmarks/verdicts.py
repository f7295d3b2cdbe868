"""Time to a verdict: the full default ``check()`` per target and per broken barrier.

For each stdlib target, each reference barrier, and each correct and deliberately broken
barrier of ``tests/broken``, runs the whole default suite (every applicable property, the
argument-validation property and the model-generated tests) with a fixed seed and records:
the verdict (conformant, or the failing properties), the wall time of the whole check, and
for a broken barrier the time and programs its expected property took to reject it
(search plus shrinking), the driver that ran it, and the programs and schedules the
properties tried (a schedule: a distinct program-with-decisions run under the controlled
driver), with the wall and CPU seconds of each check (``--observed-too``: each controlled
target checked again under the observing driver, in the same run). For scale, the same run
times CPython's own ``test.lock_tests.BarrierTests`` (on ``threading.Barrier``) before and
after the targets, and reports each target's wall time as a ratio to it. Usage, from the
repository root::

    python benchmarks/verdicts.py [--seed 0] [--only SUBSTRING] [--kind thread]
                                  [--observed-too] [--out PATH]

Prints a Markdown table (and writes it to ``--out`` when given). Timings are wall-clock on
whatever else the machine is doing; the verdicts are what matter for reproducibility.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import platform
import re
import subprocess
import sys
import time
import unittest

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # tests.broken is importable from the repository root

from tests.broken import BROKEN, CORRECT  # noqa: E402

from barrierspec.adapters import resolve_target  # noqa: E402
from barrierspec.conformance import CheckResult, CheckSettings, check  # noqa: E402

STDLIB = ["threading", "asyncio", "multiprocessing"]
REFERENCE = [
    f"barrierspec.reference:{name}"
    for name in ("Barrier", "AsyncBarrier", "ProcessBarrier", "NamedBarriers")
]


def _spelling(cls: type) -> str:
    return f"{cls.__module__}:{cls.__qualname__}"


def targets() -> list[tuple[str, str | None]]:
    """(target spelling, expected failing property or None for a conformant barrier)."""
    rows: list[tuple[str, str | None]] = [(t, None) for t in STDLIB + REFERENCE]
    rows += [(_spelling(c), None) for c in CORRECT]
    rows += [(_spelling(c), prop) for c, prop in BROKEN.items()]
    return rows


def _verdict(result: CheckResult) -> str:
    if result.conformant:
        return "conformant"
    return "fails: " + ", ".join(p.name for p in result.failures)


def _caught(result: CheckResult, expected: str | None) -> str:
    """For a broken barrier: its expected property's time and programs, or a miss."""
    if expected is None:
        return ""
    for p in result.failures:
        if expected in p.name:
            return f"{p.seconds:.1f} s, {p.programs} programs, {_steps(p)} steps"
    return "MISSED (" + expected + ")"


def _steps(p: object) -> int:
    cex = getattr(p, "counterexample", None)
    return len(cex.steps) if cex is not None else 0


def _tried(result: CheckResult) -> tuple[int, int]:
    """Programs and schedules the properties of ``result`` tried, summed."""
    programs = sum(p.programs for p in result.properties)
    found = (re.search(r"(\d+) schedules", p.exercised) for p in result.properties)
    return programs, sum(int(m.group(1)) for m in found if m)


def _timed(spelling: str, seed: int | None) -> tuple[CheckResult, float, float]:
    """The default check of ``spelling`` (seeded unless ``seed`` is None), its wall and CPU
    seconds (this process; the controlled participants are threads of it, so their work
    counts)."""
    wall, cpu = time.monotonic(), time.process_time()
    result = check(spelling, settings_=CheckSettings(seed=seed))
    return result, time.monotonic() - wall, time.process_time() - cpu


def _row(
    name: str,
    result: CheckResult,
    took: float,
    cpu: float,
    stdlib: float,
    expected: str | None,
) -> str:
    driver = result.driver.split(" ", 1)[0]
    programs, schedules = _tried(result)
    counts = list(_per_property(result).values())
    spread = f"{min(counts)}-{max(counts)}" if counts else "-"
    return (
        f"| `{name}` | {result.profile} | {driver} | {_verdict(result)} | {took:.1f} | "
        f"{cpu:.1f} | {took / stdlib:.2f} | {programs} | {spread} | {schedules} | "
        f"{_caught(result, expected)} |"
    )


def _per_property(result: CheckResult) -> dict[str, int]:
    """Programs per searched property that passed (a failing one stops at its failure; not
    the generated tests, not argument validation)."""
    return {
        p.name: p.programs
        for p in result.properties
        if p.programs and p.status == "pass" and p.name != "model-generated tests"
    }


def _compared(name: str, controlled: CheckResult, observed: CheckResult) -> str:
    """The property where the controlled search ran the fewest programs relative to the
    observing one (a ratio below 1: it ran fewer there)."""
    ours, theirs = _per_property(controlled), _per_property(observed)
    shared = [n for n in ours if theirs.get(n)]
    if not shared:
        return f"| `{name}` | (no property searched by both drivers) |||||||||"
    worst = min(shared, key=lambda n: ours[n] / theirs[n])
    return (
        f"| `{name}` | controlled / observing programs per property: at least "
        f"{ours[worst] / theirs[worst]:.2f}x ({worst}: {ours[worst]} vs {theirs[worst]}) "
        "|||||||||"
    )


def cpython_barrier_tests() -> float:
    """Wall seconds of CPython's ``test.lock_tests.BarrierTests`` on threading.Barrier
    (every test must pass, else the figure is meaningless)."""
    import threading

    from test import lock_tests

    class StdlibBarrierTests(lock_tests.BarrierTests):
        barriertype = staticmethod(threading.Barrier)

    suite = unittest.defaultTestLoader.loadTestsFromTestCase(StdlibBarrierTests)
    with open(os.devnull, "w") as sink:
        started = time.monotonic()
        outcome = unittest.TextTestRunner(stream=sink, verbosity=0).run(suite)
        took = time.monotonic() - started
    if not outcome.wasSuccessful():
        raise RuntimeError(f"lock_tests.BarrierTests failed: {outcome}")
    return took


def _uptime() -> str:
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--only", default="", help="run the targets containing this text")
    parser.add_argument("--kind", default="", help="run only targets of this kind (thread)")
    parser.add_argument(
        "--observed-too",
        action="store_true",
        help="also check each controlled target with the observing driver, in the same run",
    )
    parser.add_argument("--out", type=pathlib.Path, default=None)
    args = parser.parse_args()
    stdlib_before = cpython_barrier_tests()
    load_before = _uptime()
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    lines = [
        f"Command: `python benchmarks/verdicts.py --seed {args.seed}`"
        + (f" `--only {args.only}`" if args.only else "")
        + (f" `--kind {args.kind}`" if args.kind else "")
        + (" `--observed-too`" if args.observed_too else ""),
        f"Machine: `nproc` = {os.cpu_count()}, Python {platform.python_version()}, "
        f"{platform.system()}; commit {commit}; default CheckSettings (seed {args.seed}).",
        "",
        f"CPython `test.lock_tests.BarrierTests` (threading.Barrier), same run: "
        f"{stdlib_before:.1f} s before the targets; load average before: {load_before}.",
        "",
        "| target | profile | driver | verdict | check s | CPU s | / lock_tests | programs | "
        "per property | schedules | expected property caught in |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    print("\n".join(lines), flush=True)
    started = time.monotonic()
    for spelling, expected in targets():
        if args.only and args.only not in spelling:
            continue
        if args.kind and resolve_target(spelling).kind != args.kind:
            continue
        name = spelling.replace("barrierspec.reference:", "reference:").replace("tests.broken.", "")
        result, took, cpu = _timed(spelling, args.seed)
        row = _row(name, result, took, cpu, stdlib_before, expected)
        lines.append(row)
        print(row, flush=True)
        if args.observed_too and result.driver.startswith("Controlled"):
            os.environ["BARRIERSPEC_CONTROLLED"] = "0"
            try:
                observed, took, cpu = _timed(spelling, None)  # as it runs: bounded by time
            finally:
                del os.environ["BARRIERSPEC_CONTROLLED"]
            for row in (
                _row(name, observed, took, cpu, stdlib_before, expected),
                _compared(name, result, observed),
            ):
                lines.append(row)
                print(row, flush=True)
    stdlib_after = cpython_barrier_tests()
    total = (
        f"\nTotal: {time.monotonic() - started:.0f} s. lock_tests.BarrierTests after the "
        f"targets: {stdlib_after:.1f} s; load average after: {_uptime()}."
    )
    lines.append(total)
    print(total)
    if args.out is not None:
        args.out.write_text("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
