"""The ``barrierspec`` command line: a thin front over the components.

Each subcommand lives with its component (``add_arguments(parser)`` and ``run(args) -> int``)
and is imported only when used, so ``barrierspec explore`` never imports z3 and
``barrierspec prove`` never starts a thread. Exit codes: 0 success, 1 a finding (a violation,
a non-conformant barrier, an unproved invariant), 2 a usage error, 3 inconclusive (``check``:
a property could not be exercised).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import Protocol

from barrierspec.conformance import _prespawn
from barrierspec.errors import BarrierSpecError, UsageError

__all__ = ["main"]

# subcommand -> (module implementing it, one-line help)
_SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "explore": (
        "barrierspec.spec._explore_cli",
        "exhaustively explore a profile's model and check its invariants",
    ),
    "check": (
        "barrierspec.conformance._check_cli",
        "hold a real barrier to a profile's model and report each property",
    ),
    "history": (
        "barrierspec.conformance._history_cli",
        "check recorded barrier histories: barrierspec history check FILE...",
    ),
    "prove": (
        "barrierspec.proofs._prove_cli",
        "prove the model's invariants for every number of parties with Z3",
    ),
}


class _Command(Protocol):
    def add_arguments(self, parser: argparse.ArgumentParser) -> None: ...

    def run(self, args: argparse.Namespace) -> int: ...


def _load(name: str) -> _Command:
    module: _Command = importlib.import_module(_SUBCOMMANDS[name][0])
    return module


def _chosen(argv: Sequence[str]) -> str | None:
    """The subcommand named on the command line (its first word that is not an option)."""
    return next((a for a in argv if not a.startswith("-")), None)


def _parser(argv: Sequence[str]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="barrierspec",
        description="The executable specification of barrier synchronisation.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    chosen = _chosen(argv)
    for name, (_, help_text) in _SUBCOMMANDS.items():
        sub = subparsers.add_parser(name, help=help_text, description=help_text)
        if name == chosen:
            _load(name).add_arguments(sub)
    return parser


def _start_workers(args: list[str]) -> None:
    """``check`` runs in supervised worker processes: start them before the imports (see
    ``_prespawn``); as many as a check uses by default."""
    if _chosen(args) == "check" and not {"-h", "--help"} & set(args):
        _prespawn.start(_prespawn.default_workers())


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code (0 ok, 1 finding, 2 usage, 3 inconclusive)."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    _start_workers(args_list)
    try:
        return _run(args_list)
    finally:
        _prespawn.discard()  # none outlives the command (nor runs another, elsewhere)


def _run(args_list: list[str]) -> int:
    parser = _parser(args_list)
    args = parser.parse_args(args_list)
    try:
        return _load(args.command).run(args)
    except UsageError as exc:
        print(f"barrierspec {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except BarrierSpecError as exc:  # could not run at all (e.g. a worker failed to start)
        print(f"barrierspec {args.command}: cannot run: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"barrierspec {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
