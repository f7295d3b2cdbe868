"""Recognising a failure as one of a profile's known deviations, by its signature.

A failing property is labelled with a known CPython deviation only when the counterexample
has that deviation's shape -- not merely because the same property failed -- so a barrier
with a different bug under the same property is never excused by a familiar issue number.
The label is a hint in the report; the property still fails.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from barrierspec import adapters as ad
from barrierspec.spec import Deviation, Profile

__all__ = ["known_deviation"]


def _cancel_then_duplicate(ops: Sequence[ad.Op], reason: str) -> bool:
    gave_up = any(
        isinstance(op, ad.Cancel) or (isinstance(op, ad.Wait) and op.timeout is not None)
        for op in ops
    )
    return gave_up and reason.startswith("duplicate arrival index")


def _kill_then_stuck(ops: Sequence[ad.Op], reason: str) -> bool:
    killed = any(isinstance(op, ad.Kill) for op in ops)
    stuck = ("hang", "who is blocked", "stayed blocked")
    return killed and any(word in reason for word in stuck)


_SIGNATURES: dict[str, Callable[[Sequence[ad.Op], str], bool]] = {
    "gh-155233": _cancel_then_duplicate,
    "gh-123899": _kill_then_stuck,
}


def known_deviation(profile: Profile, ops: Sequence[ad.Op], reason: str) -> Deviation | None:
    """The profile's known deviation this failing program looks like, if any."""
    for deviation in profile.deviations:
        signature = _SIGNATURES.get(deviation.key)
        if signature is not None and signature(ops, reason):
            return deviation
    return None
