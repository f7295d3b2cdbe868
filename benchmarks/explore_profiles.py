"""How far each profile's model can be explored exhaustively within a time limit.

For every profile, with and without symmetry, the number of participants grows (parties =
participants, and parties = participants - 1 for the fixed-membership profiles) until one run
exceeds the limit (60 s of CPU by default). Each run is a full ``explore`` with every
invariant checked and deadlock detection on, at the CLI's default bounds (rounds 2, every
axis enabled, one death where the profile has processes). Systems:

* ``readable``: :class:`BarrierSystem`, the attrs model (the source of truth);
* ``compiled``: :class:`CompiledBarrierSystem`, the same system on tuples;
* ``compiled, no checks``: the compiled system without invariants (raw search speed; only
  threading, parties = participants, no symmetry, for comparison with a bare BFS);
* ``counted``: :class:`CountingBarrierSystem` (``explore --counters``): participants per local
  state and indices per round, the compiled rules run once per distinct local state, fused
  invariant checks; always reduced (its rows are listed under symmetry on).

The limit is on CPU time (``time.process_time``) so that a busy shared machine does not
shrink the figures; wall time is recorded too. A run over the limit is stopped from the
progress callback. A run whose projected CPU time (the last run's, times its growth over
the run before) exceeds ``--skip-above`` limits is not started, and recorded as projected.
Rows go to ``--jsonl`` as they come; ``--report`` renders the markdown
tables from that file. Usage::

    python benchmarks/explore_profiles.py --jsonl /tmp/profiles.jsonl
    python benchmarks/explore_profiles.py --jsonl /tmp/profiles.jsonl --report
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from barrierspec.spec import PROFILES, BarrierSystem, Bounds, Membership
from barrierspec.spec._compiled_system import CompiledBarrierSystem
from barrierspec.spec._count_system import CountingBarrierSystem
from barrierspec.spec._explorer import explore

SYSTEMS = ("readable", "compiled", "compiled, no checks", "counted")


class _OverLimitError(Exception):
    """Raised from the progress callback to stop a run past the limit."""


def _system(kind: str, profile: str, parties: int, participants: int) -> Any:
    prof = PROFILES[profile]
    if kind == "readable":
        return BarrierSystem(prof, parties, participants, Bounds())
    if kind == "counted":
        return CountingBarrierSystem(prof, parties, participants, Bounds())
    return CompiledBarrierSystem(prof, parties, participants, Bounds(), checks=kind == "compiled")


def run_one(
    kind: str, profile: str, parties: int, participants: int, symmetry: bool, limit: float
) -> dict[str, Any]:
    """One exploration, stopped once it has used ``limit`` seconds of CPU."""
    cpu0, wall0 = time.process_time(), time.perf_counter()
    seen = {"states": 0, "transitions": 0}

    def progress(states: int, transitions: int, depth: int, seconds: float) -> None:
        seen.update(states=states, transitions=transitions)
        if time.process_time() - cpu0 > limit:
            raise _OverLimitError

    row: dict[str, Any] = {
        "system": kind,
        "profile": profile,
        "parties": parties,
        "participants": participants,
        "symmetry": symmetry,
    }
    try:
        system = _system(kind, profile, parties, participants)
        result = explore(system, symmetry=symmetry, progress=progress, progress_interval=0.25)
    except _OverLimitError:
        row.update(status="over", **seen)
    else:
        assert result.ok, result.violation
        row.update(
            status="ok",
            states=result.states,
            transitions=result.transitions,
            depth=result.depth,
            concrete=result.concrete_states,
        )
    row.update(cpu=time.process_time() - cpu0, wall=time.perf_counter() - wall0)
    return row


def _series(kind: str, profile: str, offsets: list[int]) -> list[tuple[int, bool]]:
    """(parties offset, symmetry) series for ``profile``."""
    fixed = PROFILES[profile].policies.membership is Membership.FIXED
    offsets = offsets if fixed else [0]
    symmetries = (True,) if kind == "counted" else (False, True)
    return [(offset, symmetry) for symmetry in symmetries for offset in offsets]


def measure(args: argparse.Namespace) -> None:
    with open(args.jsonl, "a") as out:
        _measure(args, out)


def _measure(args: argparse.Namespace, out: Any) -> None:
    for kind in args.systems:
        for profile in args.profiles:
            for offset, symmetry in _series(kind, profile, args.offsets):
                if kind == "compiled, no checks" and (profile, offset, symmetry) != (
                    "threading",
                    0,
                    False,
                ):
                    continue
                if kind == "readable" and offset and not args.readable_offsets:
                    continue
                n = max(1 + offset, args.min_participants)
                previous = None
                while n <= args.max_participants:
                    row = run_one(kind, profile, n - offset, n, symmetry, args.limit)
                    row["load"] = os.getloadavg()[0]
                    print(json.dumps(row), file=out, flush=True)
                    print(_line(row), file=sys.stderr, flush=True)
                    if row["status"] != "ok":
                        break
                    projected = _projection(previous, row)
                    if projected > args.skip_above * args.limit:
                        skipped = {**row, "participants": n + 1, "parties": n + 1 - offset}
                        skipped.update(status="projected", cpu=projected, wall=0.0)
                        skipped.update(states=0, transitions=0, depth=None, concrete=None)
                        print(json.dumps(skipped), file=out, flush=True)
                        print(_line(skipped), file=sys.stderr, flush=True)
                        break
                    previous = row
                    n += 1


def _projection(previous: dict[str, Any] | None, row: dict[str, Any]) -> float:
    """CPU seconds the next size would take, growing as from ``previous`` to ``row``."""
    if previous is None or previous["cpu"] < 0.5:
        return 0.0
    return float(row["cpu"] * row["cpu"] / previous["cpu"])


def _line(row: dict[str, Any]) -> str:
    rate = row["states"] / row["cpu"] if row["cpu"] else 0.0
    return (
        f"{row['system']:<20} {row['profile']:<16} P={row['parties']:<2} "
        f"N={row['participants']:<2} sym={row['symmetry']!s:<5} {row['status']:<4} "
        f"{row['states']:>10,} states {row['transitions']:>11,} tr "
        f"{row['cpu']:7.2f} s cpu {row['wall']:7.2f} s wall {rate:>9,.0f} st/s"
    )


def _key(r: dict[str, Any]) -> tuple[Any, ...]:
    offset = r["participants"] - r["parties"]
    return (r["profile"], offset, r["symmetry"], SYSTEMS.index(r["system"]), r["participants"])


def report(args: argparse.Namespace) -> None:
    with open(args.jsonl) as lines:
        rows = sorted((json.loads(line) for line in lines), key=_key)
    loads = [r["load"] for r in rows]
    print(
        f"Machine: `nproc` = {os.cpu_count()}, {platform.machine()}, Python "
        f"{platform.python_version()} ({platform.python_implementation()}); 1-minute load "
        f"average during the runs {min(loads):.1f}-{max(loads):.1f}."
    )
    print()
    print(f"## Largest participants count exhausted within {args.limit:.0f} s of CPU")
    print()
    print("| profile | parties | symmetry | system | largest N | states | CPU s | next N |")
    print("|---|---|---|---|---:|---:|---:|---|")
    groups: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    for r in rows:
        groups.setdefault(_key(r)[:4], []).append(r)
    for (profile, offset, symmetry, _), group in groups.items():
        within = [r for r in group if r["status"] == "ok" and r["cpu"] <= args.limit]
        best = max(within, key=lambda r: r["participants"])
        stop = [r for r in group if r["participants"] > best["participants"]]
        if not stop:
            beyond = "not tried"
        elif stop[0]["status"] == "ok":
            beyond = f"exhausted in {stop[0]['cpu']:.1f} s, over the limit"
        elif stop[0]["status"] == "over":
            beyond = f"over the limit after {stop[0]['states']:,} states"
        else:
            beyond = f"not run: projected {stop[0]['cpu']:,.0f} s"
        print(
            f"| {profile} | {'N' if offset == 0 else f'N-{offset}'} | "
            f"{'on' if symmetry else 'off'} | {best['system']} | {best['participants']} | "
            f"{best['states']:,} | {best['cpu']:.1f} | {beyond} |"
        )
    print()
    print("## Every run")
    print()
    print(
        "| profile | P | N | symmetry | system | states | transitions | depth | CPU s | "
        "wall s | states/s (CPU) |"
    )
    print("|---|---:|---:|---|---|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        lead = (
            f"| {r['profile']} | {r['parties']} | {r['participants']} | "
            f"{'on' if r['symmetry'] else 'off'} | {r['system']} |"
        )
        if r["status"] == "projected":
            print(f"{lead} not run | | | ~{r['cpu']:,.0f} (projected) | | |")
            continue
        states = f"{r['states']:,}" + (" (stopped)" if r["status"] == "over" else "")
        depth = r["depth"] if r["status"] == "ok" else ""
        rate = r["states"] / r["cpu"] if r["cpu"] else 0.0
        print(
            f"{lead} {states} | {r['transitions']:,} | {depth} | {r['cpu']:.2f} | "
            f"{r['wall']:.2f} | {rate:,.0f} |"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jsonl", required=True, help="file the rows are appended to")
    parser.add_argument("--report", action="store_true", help="render markdown from --jsonl")
    parser.add_argument("--limit", type=float, default=60.0, help="CPU seconds per run")
    parser.add_argument("--min-participants", type=int, default=1)
    parser.add_argument("--max-participants", type=int, default=80)
    parser.add_argument(
        "--offsets",
        type=int,
        nargs="*",
        default=[0, 1],
        help="parties = participants - offset, for the fixed-membership profiles",
    )
    parser.add_argument(
        "--skip-above",
        type=float,
        default=3.0,
        help="do not start a run projected to take more than this many limits",
    )
    parser.add_argument("--profiles", nargs="*", default=sorted(PROFILES))
    parser.add_argument("--systems", nargs="*", default=list(SYSTEMS), choices=SYSTEMS)
    parser.add_argument(
        "--readable-offsets",
        action="store_true",
        help="also run the readable system with parties = participants - 1",
    )
    args = parser.parse_args()
    if args.report:
        report(args)
    else:
        measure(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
