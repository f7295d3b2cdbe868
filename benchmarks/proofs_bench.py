"""How long the Z3 proofs take, per profile, and how long the agreement check takes.

Proofs: ``prove(profile)`` for every profile (every obligation: init, each clause under each
event kind, each transition invariant, the sanity checks), the best and median of
``--repeat`` runs (wall and CPU seconds), with the number of obligations, the slowest single
solver query, and the sizes of the encoding (local classes, moves).

Agreement (``--agreement``): ``check_agreement`` for every profile at parties 1-3 and
participants 2-4, rounds 2 (the full sweep; the tests run a subset): states compared,
(state, rho) comparisons, abstract transitions compared, moves of the encoding taken, CPU
seconds; per profile, how many of its moves the sweep takes in all.

Run: python benchmarks/proofs_bench.py [--repeat 5] [--agreement]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time

import z3

from barrierspec.proofs import check_agreement, prove
from barrierspec.proofs._model import proof_model
from barrierspec.spec import PROFILES, get_profile


def bench_proofs(repeat: int) -> None:
    print(
        "| profile | classes | moves | obligations | best s | median s | best CPU s "
        "| median CPU s | slowest query ms |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    bests, cpu_bests = [], []
    for name in PROFILES:
        runs, cpus = [], []
        for _ in range(repeat):
            start = time.process_time()
            runs.append(prove(get_profile(name)))
            cpus.append(time.process_time() - start)
        cpus.sort()
        cpu_bests.append(cpus[0])
        assert all(r.proved for r in runs), f"{name}: not everything proved"
        seconds = sorted(r.seconds for r in runs)
        slowest = max(o.seconds for r in runs for o in r.obligations)
        first = runs[0]
        bests.append(seconds[0])
        print(
            f"| {name} | {first.classes} | {first.moves} | {len(first.obligations)} | "
            f"{seconds[0]:.3f} | {statistics.median(seconds):.3f} | {cpus[0]:.3f} | "
            f"{statistics.median(cpus):.3f} | {slowest * 1e3:.1f} |"
        )
    print(f"\nall profiles, sum of best runs: {sum(bests):.3f} s, {sum(cpu_bests):.3f} CPU s\n")


def bench_agreement() -> None:
    print("| configuration | states | comparisons | transitions | moves taken | CPU s |")
    print("|---|---|---|---|---|---|")
    total = 0.0
    coverage = []
    for name in PROFILES:
        moves = len(proof_model(get_profile(name)).moves)
        taken: set[str] = set()
        for parties in (1, 2, 3):
            for participants in (2, 3, 4):
                if name == "grinder" and parties > participants:
                    continue  # the members are held by the participants
                start = time.process_time()
                result = check_agreement(get_profile(name), parties, participants, rounds=2)
                spent = time.process_time() - start
                total += spent
                taken |= result.moves_taken
                assert result.ok, "\n".join(result.mismatches)
                print(
                    f"| {result.system} | {result.states} | {result.comparisons} | "
                    f"{result.transitions} | {len(result.moves_taken)}/{moves} | {spent:.2f} |"
                )
        coverage.append(f"{name} {len(taken)}/{moves}")
    print(f"\nagreement, every configuration: {total:.1f} CPU s, no mismatch")
    print(f"moves taken by the whole sweep: {', '.join(coverage)}\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs per profile (default 5)")
    parser.add_argument("--agreement", action="store_true", help="also time the agreement")
    args = parser.parse_args()
    print(
        f"python {platform.python_version()}, z3 {z3.get_version_string()}, "
        f"nproc {os.cpu_count()}, {platform.machine()}\n"
    )
    bench_proofs(args.repeat)
    if args.agreement:
        bench_agreement()


if __name__ == "__main__":
    main()
