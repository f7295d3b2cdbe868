"""Benchmark of the explorer on tlaplus/Examples Barriers.tla (the test model, tuple states).

Rows:

* ``hand-written``: a minimal breadth-first loop over the same ``successors`` function, no
  checks at all -- the floor the generic engine is compared with;
* ``explore, no checks``: :func:`explore` on the model without invariants;
* ``explore, checks``: :func:`explore` checking TypeOK, LockInv, Inv, FlushInv on every
  state, RefinesBarrier on every transition, and deadlock freedom (what the tests run);
* the same two with ``symmetry=True`` (sorted pc vector) at larger N;
* ``counted``: the same two on the counted model (processes per program point,
  ``tests/spec/models/barriers_tla_counted.py``) at the symmetric N.

Each configuration runs ``--repeat`` times; the table shows the best time. Counts are checked
against TLC's figures where they are known. Usage::

    python benchmarks/explore_barriers_tla.py                  # N=6..9, symmetric 8..64
    python benchmarks/explore_barriers_tla.py --max-n 8 --symmetric 8 16 32
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from tests.spec.models.barriers_tla import BarriersTLA, State
from tests.spec.models.barriers_tla_counted import CountedBarriersTLA

from barrierspec.spec._explorer import explore

# N -> (distinct, generated) as reported by TLC; symmetric N -> distinct
TLC = {
    6: (29_279, 104_515),
    7: (125_445, 513_521),
    8: (536_319, 2_476_393),
    9: (2_289_797, 11_769_967),
}
TLC_SYMMETRIC = {6: 368, 7: 525, 8: 720, 64: 195_712}

# what, N, states, generated, depth, seconds, CPU seconds
Row = tuple[str, int, int, int, int, float, float]


def hand_written(model: BarriersTLA) -> tuple[int, int, int, float]:
    """The floor: the tightest plain BFS over ``model.successors`` (no checks, no progress)."""
    successors = model.successors
    started = time.perf_counter()
    initial = list(model.initial_states())
    parent: dict[State, State | None] = dict.fromkeys(initial)
    frontier = initial
    generated, depth = len(initial), 0
    while frontier:
        depth += 1
        following: list[State] = []
        append = following.append
        for state in frontier:
            succ = successors(state)
            generated += len(succ)
            for _, post in succ:
                if post not in parent:
                    parent[post] = state
                    append(post)
        frontier = following
    return len(parent), generated, depth, time.perf_counter() - started


def _best(repeat: int, run: Callable[[], tuple[int, int, int, float]]) -> tuple[float, ...]:
    """(states, generated, depth, best seconds, best CPU seconds of the whole call)."""
    results = []
    for _ in range(repeat):
        cpu = time.process_time()
        figures = run()
        results.append((*figures, time.process_time() - cpu))
    states, generated, depth, _, _ = results[0]
    return states, generated, depth, min(r[3] for r in results), min(r[4] for r in results)


def _engine(n: int, *, checks: bool, symmetry: bool) -> tuple[int, int, int, float]:
    result = explore(BarriersTLA(n, checks=checks), symmetry=symmetry)
    assert result.ok, result.violation
    return result.states, result.generated, result.depth, result.seconds


def _counted(n: int, *, checks: bool) -> tuple[int, int, int, float]:
    # counting states are canonical already: no symmetry pass (the tests check that their
    # orbits add up to TLC's unreduced counts)
    result = explore(CountedBarriersTLA(n, checks=checks))
    assert result.ok, result.violation
    return result.states, result.generated, result.depth, result.seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--min-n", type=int, default=6)
    parser.add_argument("--max-n", type=int, default=9)
    parser.add_argument("--symmetric", type=int, nargs="*", default=[8, 16, 32, 64])
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument(
        "--no-sorted",
        action="store_true",
        help="leave out the symmetric (sorting) rows, run the counted ones only",
    )
    parser.add_argument(
        "--skip-checks-above",
        type=int,
        default=64,
        help="symmetric N above which the checked run is skipped",
    )
    args = parser.parse_args()

    rows: list[Row] = []

    def record(what: str, n: int, figures: tuple[float, ...]) -> None:
        states, generated, depth = (int(f) for f in figures[:3])
        seconds, cpu = figures[3:]
        rows.append((what, n, states, generated, depth, seconds, cpu))
        print(
            f"{what:<28} N={n:<3} {states:>10,} {generated:>12,} {depth:>5} "
            f"{seconds:8.2f} s {cpu:8.2f} s CPU",
            file=sys.stderr,
            flush=True,
        )

    for n in range(args.min_n, args.max_n + 1):
        model = BarriersTLA(n, checks=False)
        record("hand-written", n, _best(args.repeat, lambda m=model: hand_written(m)))
        record(
            "explore, no checks",
            n,
            _best(args.repeat, lambda n=n: _engine(n, checks=False, symmetry=False)),
        )
        record(
            "explore, checks",
            n,
            _best(args.repeat, lambda n=n: _engine(n, checks=True, symmetry=False)),
        )
    for n in args.symmetric:
        for checks in (False, True):
            record(
                f"counted, {'checks' if checks else 'no checks'}",
                n,
                _best(args.repeat, lambda n=n, c=checks: _counted(n, checks=c)),
            )
        if args.no_sorted:
            continue
        record(
            "explore symmetric, no checks",
            n,
            _best(args.repeat, lambda n=n: _engine(n, checks=False, symmetry=True)),
        )
        if n <= args.skip_checks_above:
            record(
                "explore symmetric, checks",
                n,
                _best(args.repeat, lambda n=n: _engine(n, checks=True, symmetry=True)),
            )

    for what, n, states, generated, _, _, _ in rows:
        if "symmetric" in what or "counted" in what:
            assert TLC_SYMMETRIC.get(n, states) == states, (what, n, states)
        elif n in TLC:
            assert TLC[n] == (states, generated), (what, n, states, generated)

    print(
        f"python {platform.python_version()}, {platform.machine()}, "
        f"{__import__('os').cpu_count()} cpus; best of {args.repeat}"
    )
    print()
    print(
        "| run | N | distinct states | generated | depth | seconds | CPU s | states/s "
        "| vs hand-written |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    floor = {n: s for what, n, _, _, _, s, _ in rows if what == "hand-written"}
    for what, n, states, generated, depth, seconds, cpu in rows:
        plain = "symmetric" not in what and "counted" not in what
        ratio = f"{seconds / floor[n]:.2f}x" if n in floor and plain else ""
        print(
            f"| {what} | {n} | {states:,} | {generated:,} | {depth} | {seconds:.2f} | {cpu:.2f} "
            f"| {states / seconds:,.0f} | {ratio} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
