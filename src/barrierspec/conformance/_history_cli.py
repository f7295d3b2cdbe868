"""``barrierspec history check FILE...``: check recorded histories from the command line.

Reads the files (the recorder's per-process JSON Lines, merged; a directory stands for its
``*.jsonl`` files; a JSON list of operations works too), runs the library's
:func:`check_history` and prints the verdict with each violation in plain words. Exit status:
0 consistent, 1 a violation, 2 a usage error (a bad file or line, named), 3 inconclusive (the
search without round information hit its budget: nothing was shown either way).

``--profile`` picks the rules: ``grinder`` (dynamic membership: a round releases every member
certainly present), or a fixed-parties profile (``threading``, ``multiprocessing``,
``asyncio``: every round releases exactly ``parties`` waits, taken from ``--parties`` or from
the records). Without it, barriers whose records carry ``parties`` are checked as fixed-parties
barriers and the others by the Grinder rule.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import sys
import time
from collections.abc import Callable, Sequence

from barrierspec.conformance._history_check import check_history
from barrierspec.conformance._history_explain import explain
from barrierspec.conformance._history_files import load_files
from barrierspec.conformance._history_html import report_json, write_report
from barrierspec.conformance._history_model import HistoryVerdict, Operation
from barrierspec.errors import UsageError

__all__ = ["add_arguments", "run"]

_FIXED = ("threading", "multiprocessing", "asyncio")
_PROFILES = (*_FIXED, "grinder")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``history`` takes one action, ``check``, and its options."""
    actions = parser.add_subparsers(dest="history_action", metavar="ACTION", required=True)
    check = actions.add_parser(
        "check", help="check recorded histories", description="check recorded histories"
    )
    check.add_argument("files", nargs="+", metavar="FILE", help="history files or directories")
    check.add_argument("--profile", choices=_PROFILES, help="rules to check (default: by records)")
    check.add_argument("--parties", type=int, help="parties of a fixed-parties barrier")
    check.add_argument("--html", metavar="OUT", help="write the HTML timeline to OUT")
    check.add_argument("--json", metavar="OUT", help="write the verdict as JSON to OUT")
    check.add_argument(
        "--max-search-nodes",
        type=int,
        default=200_000,
        help="budget of the round search for histories without rounds (default 200000)",
    )
    check.add_argument("--quiet", action="store_true", help="no progress lines on stderr")


def _progress(quiet: bool) -> Callable[[str], None] | None:
    start = time.monotonic()

    def say(line: str) -> None:
        print(f"[{time.monotonic() - start:6.1f} s] {line}", file=sys.stderr, flush=True)

    return None if quiet else say


def parties_of(
    history: Sequence[Operation], profile: str | None, parties: int | None
) -> dict[str, int] | None:
    """Parties per barrier name for the fixed-parties rule, or None for the Grinder rule."""
    if parties is not None and parties < 1:
        raise UsageError(f"--parties must be at least 1, got {parties}")
    if profile == "grinder":
        if parties is not None:
            raise UsageError("--parties does not apply to the grinder profile (dynamic membership)")
        return None
    recorded: dict[str, set[int]] = {}
    names = set()
    for op in history:
        names.add(op.barrier)
        if op.parties is not None:
            recorded.setdefault(op.barrier, set()).add(op.parties)
    out: dict[str, int] = {}
    for name in sorted(names):
        values = {parties} if parties is not None else recorded.get(name, set())
        if len(values) > 1:
            raise UsageError(f"barrier {name!r}: records give different parties {sorted(values)}")
        if values:
            out[name] = values.pop()
        elif profile in _FIXED:
            raise UsageError(
                f"barrier {name!r}: profile {profile} needs the number of parties; its records "
                "carry none, give --parties N"
            )
    return out


def run(args: argparse.Namespace) -> int:
    progress = _progress(args.quiet)
    history = load_files(args.files, progress)
    if not history:
        raise UsageError(f"no operations in {', '.join(args.files)}")
    sizes = parties_of(history, args.profile, args.parties)
    verdict = check_history(
        history, parties=sizes, max_search_nodes=args.max_search_nodes, progress=progress
    )
    _print(history, verdict, sizes)
    if args.html:
        write_report(history, verdict, args.html, parties=sizes)
        print(f"timeline written to {args.html}")
    if args.json:
        data = report_json(history, verdict, sizes)
        pathlib.Path(args.json).write_text(json.dumps(data, indent=2) + "\n", "utf-8")
        print(f"verdict written to {args.json}")
    return 0 if verdict.valid is True else (1 if verdict.valid is False else 3)


def _size(sizes: dict[str, int] | None, name: str) -> int | None:
    return None if sizes is None else sizes.get(name)


def _print(
    history: Sequence[Operation], verdict: HistoryVerdict, sizes: dict[str, int] | None
) -> None:
    workers = len({op.worker for op in history})
    names = sorted({op.barrier for op in history})
    print(f"{len(history):,} operations of {workers} workers on {len(names)} barrier(s)")
    for name in names:
        rule = f"{sizes[name]} parties" if sizes and name in sizes else "dynamic membership"
        print(f"  {name!r}: {rule}, checked by {verdict.methods.get(name, '-')}")
    for note in verdict.notes:
        print(f"  note: {note}")
    if verdict.valid is True:
        print("VALID: consistent with the barrier semantics")
    elif verdict.valid is None:
        print("INCONCLUSIVE: the round search hit its budget (record rounds, or raise it)")
    else:
        print(f"VIOLATION: {len(verdict.violations)} broken rule(s)")
        for v in verdict.violations:
            print(f"  {v.rule}: {explain(history, v, _size(sizes, v.barrier))}")
