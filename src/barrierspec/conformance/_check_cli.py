"""``barrierspec check TARGET``: the conformance suite from the command line.

The target runs in a supervised worker process (``_supervise``), so the report is written
and the command exits whatever the target does. Every run is seeded (a seed is drawn when
none is given) and so bounded by program counts, not the clock: the command the report ends
with reruns exactly the same programs. Under a controlled driver each property runs
``--programs`` programs (default 300) and the clock is
only a safety cap, reported when hit.

Exit codes (:data:`EXIT_CODES`): 0 conformant, 1 not conformant (a property fails or a
finding: a crash, a hang, a leak), 2 usage error (the CLI front maps
:class:`~barrierspec.errors.UsageError` to 2), 3 inconclusive (some property could not be
exercised; nothing failed).
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import random
import shlex
import sys
from typing import Any, get_args

import attrs

from barrierspec.adapters import TargetKind, resolve_target
from barrierspec.adapters._context import START_METHODS
from barrierspec.conformance._drivers import default_profile
from barrierspec.errors import UsageError
from barrierspec.spec._custom import add_policy_argument, resolve_profile

__all__ = ["EPILOG", "add_arguments", "add_target_arguments", "run", "target_options"]

KINDS = get_args(TargetKind)

EPILOG = (
    "exit status: 0 conformant; 1 not conformant (a failing property, or a finding: the "
    "target crashed, exited, hung or leaked threads or processes); 2 usage error; "
    "3 inconclusive (a property could not be exercised, e.g. construction or clean-up hangs)"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``barrierspec check``."""
    parser.epilog = EPILOG
    parser.add_argument(
        "target",
        help="threading, asyncio, multiprocessing, or module:attr naming a barrier class, "
        "a factory, or a named-barrier registry class",
    )
    parser.add_argument(
        "--profile",
        help="profile to check against: built-in, or named in pyproject.toml under "
        "[tool.barrierspec.profiles] (default: by target kind)",
    )
    add_policy_argument(parser)
    add_target_arguments(parser)
    parser.add_argument("--json", metavar="PATH", help="also write the report as JSON to PATH")
    parser.add_argument("--seed", type=int, help="seed for the drawn programs (reproducible)")
    parser.add_argument(
        "--declare",
        action="append",
        default=[],
        metavar="CAPABILITY=BOOL",
        help="override a detected capability, e.g. has_reset=false (repeatable); capabilities: "
        "has_action, has_timeout, has_abort, has_reset, has_n_waiting, has_broken, "
        "has_cancel, has_kill",
    )
    parser.add_argument(
        "--property",
        action="append",
        default=[],
        metavar="NAME",
        help="check only this property (repeatable); default: every applicable one",
    )
    parser.add_argument(
        "--thorough",
        action="store_true",
        help="a long search: 4000 programs per property under a controlled driver, 400 "
        "random ones under an observing one",
    )
    parser.add_argument(
        "--programs",
        type=int,
        metavar="N",
        help="programs per property: under a controlled driver (thread and asyncio targets) "
        "exactly N in all, a program under a schedule counting once (default: 300); "
        "under an "
        "observing driver N random programs after the small scope (default: 40)",
    )


def add_target_arguments(parser: argparse.ArgumentParser) -> None:
    """``--kind``, ``--start-method``, ``--context`` and ``--map``: how to drive the target."""
    parser.add_argument(
        "--kind",
        choices=KINDS,
        help="the participants the target needs (default: guessed: a coroutine wait() is "
        "asyncio; a factory with a ctx parameter or a multiprocessing class is process; a "
        "registry with barrier(name) is named; else thread)",
    )
    parser.add_argument(
        "--start-method",
        choices=START_METHODS,
        help="how process participants start (process targets; default: fork)",
    )
    parser.add_argument(
        "--context",
        metavar="MODULE[:ATTR]",
        help="the multiprocessing-compatible package (or its context or get_context) whose "
        "processes run the participants, e.g. billiard (default: the target package's own "
        "when it has get_context, else multiprocessing)",
    )
    parser.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="interface map entry (repeatable): n_waiting=waiting, wait=await, wait=coro_wait, "
        "timeout=with_, abort=/reset=/broken=/parties=ATTR, broken_error=module:Class, "
        "cancelled_error=module:Class",
    )


def target_options(args: argparse.Namespace) -> dict[str, Any]:
    """The keyword arguments of :func:`~barrierspec.adapters.resolve_target` the options give."""
    return {
        "kind": args.kind,
        "start_method": args.start_method,
        "context": args.context,
        "interface": tuple(args.map),
    }


def _declared(items: list[str]) -> dict[str, bool]:
    """``["has_reset=false", ...]`` as a capability mapping; UsageError on a bad item."""
    declared: dict[str, bool] = {}
    for item in items:
        name, sep, value = item.partition("=")
        truth = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}
        if not sep or value.lower() not in truth:
            raise UsageError(f"--declare expects CAPABILITY=true|false, got {item!r}")
        declared[name.strip()] = truth[value.lower()]
    return declared


def _command(args: argparse.Namespace, seed: int) -> str:
    """The command line that reruns this check with the same programs."""
    words = ["barrierspec", "check", args.target]
    if args.profile:
        words += ["--profile", args.profile]
    for item in args.policy:
        words += ["--policy", item]
    for option in ("kind", "start_method", "context"):
        if getattr(args, option):
            words += [f"--{option.replace('_', '-')}", getattr(args, option)]
    for item in args.map:
        words += ["--map", item]
    words += ["--seed", str(seed)]
    for item in args.declare:
        words += ["--declare", item]
    for name in args.property:
        words += ["--property", name]
    if args.thorough:
        words.append("--thorough")
    if args.programs is not None:
        words += ["--programs", str(args.programs)]
    return shlex.join(words)


def run(args: argparse.Namespace) -> int:
    """Run the suite in a supervised worker; print the report; return the exit code."""
    from barrierspec.conformance._check import CheckSettings, check

    if args.seed is not None and args.seed < 0:
        raise UsageError(f"--seed must be >= 0, got {args.seed}")
    if args.programs is not None and args.programs < 1:
        raise UsageError(f"--programs must be >= 1, got {args.programs}")
    seed = args.seed if args.seed is not None else random.randrange(2**32)
    cfg = CheckSettings.thorough(seed) if args.thorough else CheckSettings(seed=seed)
    cfg = attrs.evolve(cfg, only=tuple(args.property))
    if args.programs is not None:
        cfg = attrs.evolve(cfg, seeded_examples=args.programs, programs=args.programs)
    tty = sys.stderr.isatty()

    def progress(name: str) -> None:
        if tty:
            print(f"\r\033[Kchecking {name} ...", end="", file=sys.stderr, flush=True)
        else:
            print(f"checking {name} ...", file=sys.stderr, flush=True)

    if os.getcwd() not in sys.path:  # "module:attr" resolves from here, as with python -m
        sys.path.insert(0, os.getcwd())
    target = resolve_target(
        args.target, capabilities=_declared(args.declare) or None, **target_options(args)
    )
    profile = args.profile
    if args.policy:  # a custom profile is named by its spelling, which resolves back to it
        profile = resolve_profile(profile or default_profile(target), args.policy).name
    result = check(
        target,
        profile,
        settings_=cfg,
        progress=progress,
        supervised=True,
        command=_command(args, seed),
    )
    if tty:
        print("\r\033[K", end="", file=sys.stderr)
    print(result.format())
    if args.json:
        path = pathlib.Path(args.json)
        path.write_text(json.dumps(result.to_json(), indent=2) + "\n")
    return result.exit_code
