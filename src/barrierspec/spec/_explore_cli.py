"""``barrierspec explore``: exhaustively explore a profile's model from the command line.

Exit 0 when every reachable state satisfies every invariant and nothing deadlocks (a
documented hang is reported, not a failure), 1 on a violation (its shortest counterexample is
printed), 2 on a usage error.
"""

from __future__ import annotations

import argparse
import json
import sys

from barrierspec.errors import UsageError
from barrierspec.spec._compiled_system import CompiledBarrierSystem, compiled_system
from barrierspec.spec._count_system import counting_system
from barrierspec.spec._custom import add_policy_argument, resolve_profile
from barrierspec.spec._enabled import Bounds
from barrierspec.spec._explorer import explore
from barrierspec.spec._policies import PROFILES, Membership
from barrierspec.spec._progress import StderrProgress
from barrierspec.spec._report import format_result, result_to_json
from barrierspec.spec._result import ExplorationStatus

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``barrierspec explore``."""
    parser.add_argument(
        "--profile",
        required=True,
        help=f"one of {', '.join(sorted(PROFILES))}, or a profile named in pyproject.toml",
    )
    add_policy_argument(parser)
    parser.add_argument("--parties", type=int, default=2, help="parties (initial members)")
    parser.add_argument(
        "--participants",
        type=int,
        default=None,
        help="threads/tasks/processes using the barrier (default: parties + 1)",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=2,
        help="no wait starts after this many completed rounds (default 2)",
    )
    parser.add_argument(
        "--deaths",
        type=int,
        default=1,
        help="participants that may be killed, where the profile has processes",
    )
    parser.add_argument(
        "--symmetry",
        action="store_true",
        help="reduce by symmetry over interchangeable participants",
    )
    parser.add_argument(
        "--counters",
        action="store_true",
        help="explore the counting interpretation: participants per local state and indices "
        "handed out per round (exact; implies --symmetry; reaches far larger configurations)",
    )
    parser.add_argument("--max-states", type=int, default=None, help="stop after this many states")
    for axis, what in (
        ("timeouts", "waits with a timeout"),
        ("action-failures", "failing actions"),
        ("abort-reset", "abort() and reset()"),
        ("cancels", "cancellation"),
        ("joins", "members joining (dynamic membership)"),
    ):
        parser.add_argument(f"--no-{axis}", action="store_true", help=f"leave out {what}")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")


def _system(args: argparse.Namespace) -> CompiledBarrierSystem:
    """The compiled system the options describe (counting with ``--counters``)."""
    profile = resolve_profile(args.profile, args.policy)
    participants = args.participants if args.participants is not None else args.parties + 1
    fixed = profile.policies.membership is Membership.FIXED
    if fixed and isinstance(args.parties, int) and participants < args.parties:
        raise UsageError(
            f"--participants {participants} < --parties {args.parties}: a round could never "
            "fill, and every state would deadlock; use at least as many participants as parties"
        )
    if args.max_states is not None and args.max_states < 1:
        raise UsageError(f"--max-states must be >= 1, got {args.max_states}")
    bounds = Bounds(
        rounds=args.rounds,
        deaths=args.deaths,
        timeouts=not args.no_timeouts,
        action_failures=not args.no_action_failures,
        abort_reset=not args.no_abort_reset,
        cancels=not args.no_cancels,
        joins=not args.no_joins,
    )
    if args.counters:
        return counting_system(profile, args.parties, participants, bounds)
    return compiled_system(profile, args.parties, participants, bounds)


def run(args: argparse.Namespace) -> int:
    """Explore; print the report; return the exit code."""
    system = _system(args)
    progress = StderrProgress()
    try:
        result = explore(
            system,
            symmetry=args.symmetry or args.counters,
            max_states=args.max_states,
            progress=progress,
        )
    finally:
        progress.close()
    if args.json:
        json.dump(result_to_json(result, system), sys.stdout, indent=2)
        print()
    else:
        print(format_result(result, system))
    return 1 if result.status is ExplorationStatus.VIOLATION else 0
