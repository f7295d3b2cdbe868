"""Recognising a failure as one of a profile's known deviations: by shape, for its target.

A failing property is labelled with a known CPython deviation only when

* the counterexample has that deviation's shape -- not merely because the same property
  failed -- so a barrier with a different bug under the same property is never excused by a
  familiar issue number; and
* the target is the standard-library barrier the deviation was recorded for, on a CPython
  version where it is recorded (:data:`WHERE`). A third-party barrier checked under the
  ``threading`` profile is never excused by threading.Barrier's history.

The label is a hint in the report; a labelled property still fails, except argument
validation, whose recorded leniency is a warning for the target it belongs to.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence

from barrierspec import adapters as ad
from barrierspec.spec import Deviation, Profile

__all__ = ["WHERE", "applies_to", "known_deviation", "lenient_parties", "stdlib_name"]

# deviation key -> {stdlib target: the CPython versions (major, minor) where it is recorded}
WHERE: dict[str, dict[str, Callable[[tuple[int, int]], bool]]] = {
    "gh-121474": {
        "threading": lambda v: v < (3, 13),
        "multiprocessing": lambda v: True,  # the 3.13 fix did not reach it
    },
    "gh-155233": {"asyncio": lambda v: True},  # open
    "gh-123899": {"multiprocessing": lambda v: True},  # open
}


def stdlib_name(target: ad.Target | str) -> str | None:
    """ "threading", "asyncio" or "multiprocessing" if ``target`` is that stdlib barrier.

    Decided by the factory itself, not by a name: a class called ``Barrier`` elsewhere, or a
    subclass of ``threading.Barrier``, is not the standard library's barrier.
    """
    for name in ("threading", "asyncio", "multiprocessing"):
        stdlib = ad.resolve_target(name)
        if isinstance(target, str) and target == name:
            return name
        if isinstance(target, ad.Target) and target.factory is stdlib.factory:
            return name
    return None


def applies_to(
    deviation: Deviation, target: ad.Target | str, version: tuple[int, int] | None = None
) -> bool:
    """True if ``deviation`` is recorded for ``target`` on this (or ``version``'s) CPython."""
    where = WHERE.get(deviation.key, {})
    recorded = where.get(stdlib_name(target) or "")
    return recorded is not None and recorded(version or sys.version_info[:2])


def lenient_parties(value: object) -> bool:
    """The shape of gh-121474: an int ``parties <= 0`` accepted (not 1.5, None or a hang)."""
    return type(value) is int and value <= 0


def _cancel_then_duplicate(ops: Sequence[ad.Op], reason: str) -> bool:
    gave_up = any(
        isinstance(op, ad.CancelOp) or (isinstance(op, ad.WaitOp) and op.timeout is not None)
        for op in ops
    )
    return gave_up and reason.startswith("duplicate arrival index")


def _kill_then_stuck(ops: Sequence[ad.Op], reason: str) -> bool:
    killed = any(isinstance(op, ad.KillOp) for op in ops)
    stuck = ("hang", "who is blocked", "stayed blocked", "still blocked")
    return killed and any(word in reason for word in stuck)


_SIGNATURES: dict[str, Callable[[Sequence[ad.Op], str], bool]] = {
    "gh-155233": _cancel_then_duplicate,
    "gh-123899": _kill_then_stuck,
}


def known_deviation(
    profile: Profile, ops: Sequence[ad.Op], reason: str, *, target: ad.Target | str = ""
) -> Deviation | None:
    """The known deviation of ``target`` this failing program looks like, if any."""
    for deviation in profile.deviations:
        signature = _SIGNATURES.get(deviation.key)
        if signature is None or not applies_to(deviation, target):
            continue
        if signature(ops, reason):
            return deviation
    return None
