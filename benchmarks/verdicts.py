"""Time to a verdict: the full default ``check()`` per target and per broken barrier.

For each stdlib target, each reference barrier, and each correct and deliberately broken
barrier of ``tests/broken``, runs the whole default suite (every applicable property, the
argument-validation property and the model-generated tests) with a fixed seed and records:
the verdict (conformant, or the failing properties), the wall time of the whole check, and
for a broken barrier the time and programs its expected property took to reject it
(search plus shrinking). Usage, from the repository root::

    python benchmarks/verdicts.py [--seed 0] [--only SUBSTRING] [--out PATH]

Prints a Markdown table (and writes it to ``--out`` when given). Timings are wall-clock on
whatever else the machine is doing; the verdicts are what matter for reproducibility.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import platform
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # tests.broken is importable from the repository root

from tests.broken import BROKEN, CORRECT  # noqa: E402

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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--only", default="", help="run the targets containing this text")
    parser.add_argument("--out", type=pathlib.Path, default=None)
    args = parser.parse_args()
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    lines = [
        f"Command: `python benchmarks/verdicts.py --seed {args.seed}`"
        + (f" `--only {args.only}`" if args.only else ""),
        f"Machine: `nproc` = {os.cpu_count()}, Python {platform.python_version()}, "
        f"{platform.system()}; commit {commit}; default CheckSettings (seed {args.seed}).",
        "",
        "| target | profile | verdict | check s | expected property caught in |",
        "|---|---|---|---|---|",
    ]
    print("\n".join(lines), flush=True)
    started = time.monotonic()
    for spelling, expected in targets():
        if args.only and args.only not in spelling:
            continue
        t0 = time.monotonic()
        result = check(spelling, settings_=CheckSettings(seed=args.seed))
        took = time.monotonic() - t0
        name = spelling.replace("barrierspec.reference:", "reference:").replace("tests.broken.", "")
        row = (
            f"| `{name}` | {result.profile} | {_verdict(result)} | {took:.1f} | "
            f"{_caught(result, expected)} |"
        )
        lines.append(row)
        print(row, flush=True)
    total = f"\nTotal: {time.monotonic() - started:.0f} s."
    lines.append(total)
    print(total)
    if args.out is not None:
        args.out.write_text("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
