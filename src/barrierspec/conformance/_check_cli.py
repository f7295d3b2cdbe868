"""``barrierspec check TARGET``: the conformance suite from the command line.

Exit 0 when the target conforms, 1 when a property fails, 2 on a usage error (unknown target,
bad profile) -- the CLI front maps :class:`~barrierspec.errors.UsageError` to 2.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import sys

import attrs

from barrierspec.adapters import resolve_target
from barrierspec.errors import UsageError

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``barrierspec check``."""
    parser.add_argument(
        "target",
        help="threading, asyncio, multiprocessing, or module:attr naming a barrier class, "
        "a factory, or a named-barrier registry class",
    )
    parser.add_argument("--profile", help="profile to check against (default: by target kind)")
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
        "--thorough", action="store_true", help="search ten times as many programs per property"
    )


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


def run(args: argparse.Namespace) -> int:
    """Run the suite; print the report; return the exit code."""
    from barrierspec.conformance._check import CheckSettings, check

    if args.seed is not None and args.seed < 0:
        raise UsageError(f"--seed must be >= 0, got {args.seed}")
    cfg = CheckSettings.thorough(args.seed) if args.thorough else CheckSettings(seed=args.seed)
    cfg = attrs.evolve(cfg, only=tuple(args.property))
    tty = sys.stderr.isatty()

    def progress(name: str) -> None:
        if tty:
            print(f"\r\033[Kchecking {name} ...", end="", file=sys.stderr, flush=True)
        else:
            print(f"checking {name} ...", file=sys.stderr, flush=True)

    if os.getcwd() not in sys.path:  # "module:attr" resolves from here, as with python -m
        sys.path.insert(0, os.getcwd())
    target = resolve_target(args.target, capabilities=_declared(args.declare) or None)
    result = check(target, args.profile, settings_=cfg, progress=progress)
    if tty:
        print("\r\033[K", end="", file=sys.stderr)
    print(result.format())
    if args.json:
        path = pathlib.Path(args.json)
        path.write_text(json.dumps(result.to_json(), indent=2) + "\n")
    return 0 if result.conformant else 1
