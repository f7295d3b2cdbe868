"""Judging one observed step, with a second look before a blocked participant is a violation.

An observing driver (threads, processes, remote members) finds quiescence by polling, so a
participant it reports blocked may only have been descheduled on a loaded machine. Every
caller that holds a step against the model (programs, model-generated tests, the Hypothesis
state machine) judges it here: a step the model rejects while someone is still reported
blocked gets one bounded grace period for late returns, and is judged again on what was seen
by then. A real lost wake-up stays blocked through it; a controlled driver's quiescence is
exact, so its second look sees nothing new.
"""

from __future__ import annotations

import dataclasses

from barrierspec import adapters as ad
from barrierspec.conformance._oracle import Mismatch, Oracle

__all__ = ["RECHECK_GRACE", "judge"]

RECHECK_GRACE = 0.5  # seconds a suspicious step gets for late returns (paid by real defects
# on every shrinking attempt, so kept short)


def _second_look(driver: object, seen: ad.StepReport, observers: bool) -> ad.StepReport:
    """``seen`` merged with what the driver sees after the grace period, if it can look
    again (it has ``recheck(grace)``); ``seen`` itself otherwise."""
    recheck = getattr(driver, "recheck", None)
    if recheck is None:
        return seen
    later: ad.StepReport = recheck(RECHECK_GRACE)
    return dataclasses.replace(
        seen,
        returned={**seen.returned, **later.returned},
        blocked=later.blocked,
        dead=later.dead,
        actions=seen.actions + later.actions,
        log=seen.log + later.log,
        snapshot=later.snapshot if observers else None,
    )


def judge(
    driver: object, oracle: Oracle, seen: ad.StepReport, observers: bool = True
) -> tuple[ad.StepReport, Mismatch | None]:
    """Advance ``oracle`` by ``seen``; on a violation with someone reported blocked (and no
    watchdog finding), take the second look and judge the merged step instead. Returns the
    step as finally judged and the violation, if any (the oracle keeps its old states then)."""
    mismatch = oracle.observe(seen)
    if mismatch is not None and seen.hang is None and seen.blocked:
        seen = _second_look(driver, seen, observers)
        mismatch = oracle.observe(seen)
    return seen, mismatch
