"""``barrierspec prove``: prove the model's invariants for every number of parties.

Prints one line per (invariant, transition) with its verdict and time, and under each
counterexample the concrete state and step, replayed through the Python model. Exit status:
0 when every obligation of every profile asked for is proved, 1 otherwise (a counterexample,
an unknown, a vacuous transition); 2 for a usage error (raised as
:class:`~barrierspec.errors.UsageError`, mapped by the CLI front).
"""

from __future__ import annotations

import argparse
import json
import math
import pathlib
import sys

from barrierspec.errors import UsageError
from barrierspec.proofs._agreement import check_agreement
from barrierspec.proofs._prover import ProofReport, prove
from barrierspec.proofs._report import render_text, to_document
from barrierspec.spec import PROFILES, Profile
from barrierspec.spec._custom import add_policy_argument, is_builtin, resolve_profile

__all__ = ["add_arguments", "run"]

DEFAULT_TIMEOUT = 10.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``barrierspec prove``."""
    parser.add_argument(
        "--profile",
        action="append",
        metavar="NAME",
        help=f"profile to prove (repeatable; default: all of {', '.join(PROFILES)}); a "
        "profile named in pyproject.toml, or changed by --policy, is also compared with the "
        "step function (the agreement check) before it is proved",
    )
    add_policy_argument(parser)
    parser.add_argument(
        "--json", metavar="PATH", help="also write the results as a JSON document to PATH"
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT,
        metavar="SECONDS",
        help=f"time limit of each solver call (default {DEFAULT_TIMEOUT:g}); "
        "a call that runs out is reported as unknown",
    )


def run(args: argparse.Namespace) -> int:
    """Prove, print, write the JSON document if asked; 0 only if everything is proved."""
    timeout = args.timeout
    if not (math.isfinite(timeout) and timeout > 0):
        raise UsageError(f"--timeout must be a number of seconds > 0, got {timeout!r}")
    names = args.profile or list(PROFILES)
    profiles = [resolve_profile(name, args.policy) for name in names]
    json_path = pathlib.Path(args.json) if args.json else None
    if json_path is not None and not json_path.parent.is_dir():
        raise UsageError(f"--json: directory {str(json_path.parent)!r} does not exist")
    reports: list[ProofReport] = []
    agreed = True
    for profile in profiles:
        if not is_builtin(profile):
            agreed = _agrees(profile) and agreed
        report = prove(profile, timeout=timeout)
        reports.append(report)
        print("\n".join(render_text(report)), flush=True)
    proved = agreed and all(r.proved for r in reports)
    total = sum(len(r.obligations) for r in reports)
    seconds = sum(r.seconds for r in reports)
    verdict = "everything proved" if proved else "NOT everything proved"
    print(f"{verdict}: {len(reports)} profiles, {total} obligations, {seconds:.2f} s")
    if json_path is not None:
        json_path.write_text(json.dumps(to_document(reports, timeout), indent=2) + "\n")
        print(f"results written to {json_path}", file=sys.stderr)
    return 0 if proved else 1


# The configurations of the agreement check for a profile that is not built in (the built-in
# ones are compared in the test suite): every state step reaches, moves against step.
AGREEMENT_SIZES = ((2, 2), (2, 3))


def _agrees(profile: Profile) -> bool:
    """Compare the encoded moves with :func:`~barrierspec.spec.step` on ``profile``; print it.

    A proof over an encoding that is not the model would prove nothing about the model, and
    only the built-in profiles have their agreement checked by the test suite.
    """
    ok = True
    for parties, participants in AGREEMENT_SIZES:
        result = check_agreement(profile, parties, participants)
        verdict = "agrees" if result.ok else "DISAGREES"
        print(
            f"{profile.name}: encoding {verdict} with step on {result.system} "
            f"({result.states} states, {result.comparisons} comparisons)",
            flush=True,
        )
        for mismatch in result.mismatches:
            print(mismatch, flush=True)
        ok = ok and result.ok
    return ok
