"""The "argument validation" property: constructor arguments, valid and invalid.

Rules checked:

* valid ``parties`` (1, 2, 3) are accepted and read back through ``parties``;
* nonsense ``parties`` (0, -1) are rejected at construction with ``ValueError`` or
  ``TypeError``; under ``PartiesPolicy.ZERO_ALLOWED`` (aiologic) ``parties=0`` must be
  accepted instead, and a lone timed wait on it must neither pass nor hang. A barrier that
  accepts them fails, with one exception: the standard-library barriers on the CPython
  versions where gh-121474 is recorded, whose leniency (a timed wait then breaks) is a
  labelled warning. The label is never attached to anything else (a hang,
  a wrong type accepted, another barrier);
* the wrong types ``1.5``, ``"3"``, ``None`` are rejected, or reported as a warning;
* the other constructor arguments, in every class the docs mention, are accepted: a default
  ``timeout`` of ``0``, a short and a long one (barriers whose constructor takes one), and a
  callable ``action`` (barriers that take one), as the input space allows.

Every call into the barrier here is bounded: a barrier that hangs cannot hang the suite.
"""

from __future__ import annotations

import asyncio
from typing import Any

from barrierspec import adapters as ad
from barrierspec.adapters._base import call_bounded
from barrierspec.adapters._ops import LONG_TIMEOUT
from barrierspec.conformance._deviations import applies_to, lenient_parties
from barrierspec.conformance._program import InputSpace, takes_default_timeout
from barrierspec.conformance._result import PropertyResult, Status
from barrierspec.spec import PartiesPolicy, Profile

__all__ = ["check_arguments"]

_NAME = "argument validation"
_RULE = "valid parties are accepted; nonsense parties are rejected at construction"
_BOUND = 3.0  # seconds any single probing call may take


def _build(target: ad.Target, parties: object, **kwargs: Any) -> ad.OpOutcome | None:
    return call_bounded(lambda: target.build(parties, **kwargs), _BOUND)  # type: ignore[arg-type]


def _no_action() -> None:
    """An action that does nothing."""


def _constructor_arguments(target: ad.Target, space: InputSpace) -> list[dict[str, Any]]:
    """Valid constructor arguments besides ``parties``, one class each, as ``space`` allows."""
    classes: list[dict[str, Any]] = []
    if space.default_timeouts and takes_default_timeout(target):
        classes += [{"timeout": t} for t in (0.0, 0.05, LONG_TIMEOUT)]
    if target.capabilities.has_action:
        classes.append({"action": _no_action})
    return classes


def _constructor_problems(target: ad.Target, space: InputSpace) -> list[str]:
    """Each valid class of constructor argument that construction does not accept."""
    problems: list[str] = []
    for kwargs in _constructor_arguments(target, space):
        shown = ", ".join(f"{k}={getattr(v, '__name__', v)!s}" for k, v in kwargs.items())
        got = _build(target, 2, **kwargs)
        if not isinstance(got, ad.OpReturned):
            what = "hangs" if got is None else f"raises {got.type_name}: {got.message}"
            problems.append(f"parties=2, {shown} is valid but construction {what}")
            continue
        _abort(got.value)
    return problems


def _timed_wait(target: ad.Target, barrier: Any) -> ad.OpOutcome | None:
    if target.kind == "asyncio":

        async def attempt() -> object:
            return await asyncio.wait_for(barrier.wait(), 0.05)

        return call_bounded(lambda: asyncio.run(attempt()), _BOUND)
    if target.capabilities.has_timeout:
        return call_bounded(lambda: barrier.wait(0.05), _BOUND)
    return call_bounded(barrier.wait, _BOUND)


def _abort(barrier: Any) -> None:
    abort = getattr(barrier, "abort", None)
    if callable(abort) and not asyncio.iscoroutinefunction(abort):
        call_bounded(abort, _BOUND)


def _valid_parties_problems(target: ad.Target) -> list[str]:
    """Each valid ``parties`` (1, 2, 3) that construction does not accept or read back."""
    problems: list[str] = []
    for parties in (1, 2, 3):
        got = _build(target, parties)
        if not isinstance(got, ad.OpReturned):
            what = "hangs" if got is None else f"raises {got.type_name}: {got.message}"
            problems.append(f"parties={parties} is valid but construction {what}")
            continue
        read = getattr(got.value, "parties", parties)
        if read != parties:
            problems.append(f"built with parties={parties}, .parties reads {read!r}")
        _abort(got.value)
    return problems


def _zero_problem(target: ad.Target, got: ad.OpOutcome | None) -> str | None:
    """What is wrong with ``parties=0`` under ``PartiesPolicy.ZERO_ALLOWED``, if anything."""
    if got is None:
        return "construction with parties=0 hangs"
    if isinstance(got, ad.OpRaised):
        return f"rejects parties=0 ({got.type_name}), which the profile allows (zero-allowed)"
    waited = _timed_wait(target, got.value)
    _abort(got.value)
    if waited is None:
        return "accepts parties=0, then a wait outlives its 0.05 s timeout"
    if isinstance(waited, ad.OpReturned):
        return f"accepts parties=0, then a lone wait passes ({waited.value!r})"
    return None


def check_arguments(
    target: ad.Target, profile: Profile, space: InputSpace | None = None
) -> PropertyResult:
    """The verdict of the argument-validation property for ``target``."""
    space = space or InputSpace()
    problems = _constructor_problems(target, space) + _valid_parties_problems(target)
    warnings: list[str] = []
    excused = [d for d in profile.deviations if d.prop == _NAME and applies_to(d, target)]
    labelled: list[str] = []
    zero_allowed = profile.policies.parties is PartiesPolicy.ZERO_ALLOWED
    if zero_allowed:
        problem = _zero_problem(target, _build(target, 0))
        problems += [problem] if problem else []
    for bad in (-1, 1.5, "3", None) if zero_allowed else (0, -1, 1.5, "3", None):
        got = _build(target, bad)
        if got is None:
            problems.append(f"construction with parties={bad!r} hangs")
            continue
        if isinstance(got, ad.OpRaised):
            if got.kind != "invalid":
                problems.append(f"parties={bad!r} raises {got.type_name}, not ValueError/TypeError")
            continue
        if not isinstance(bad, int):
            warnings.append(f"accepts parties={bad!r}")
            _abort(got.value)
            continue
        waited = _timed_wait(target, got.value)
        _abort(got.value)
        if waited is None:
            problems.append(f"accepts parties={bad!r}, then a wait outlives its 0.05 s timeout")
        elif isinstance(waited, ad.OpReturned):
            problems.append(f"accepts parties={bad!r}, then a lone wait passes ({waited.value!r})")
        elif excused and lenient_parties(bad):
            labelled.append(f"accepts parties={bad!r} (a timed wait then breaks)")
        else:
            problems.append(f"accepts parties={bad!r}: parties <= 0 must raise ValueError")
    if labelled:
        known = excused[0]
        warnings.insert(
            0, "; ".join(labelled) + f" (the known deviation {known.key}: {known.summary})"
        )
    status: Status = "fail" if problems else ("warn" if warnings else "pass")
    accepted = "accepts 1, 2, 3" + (
        " and the timeout/action classes" if _constructor_arguments(target, space) else ""
    )
    rejected = "-1, 1.5, '3', None" if zero_allowed else "0, -1, 1.5, '3', None"
    if zero_allowed:
        accepted += "; accepts 0 (a timed wait then gives up)"
    note = "; ".join(problems or warnings) or f"rejects {rejected}; {accepted}"
    return PropertyResult(_NAME, _RULE, status, note)
