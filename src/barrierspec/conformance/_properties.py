"""The named properties of the conformance suite.

Each property is a family of programs: the operations it may use, the capabilities the
target needs for it to apply, and how many participants it runs. A property fails when one
of its programs makes an observation the model does not allow; the report names the property,
so "which rule broke" is part of every verdict. All properties share one oracle, so they are
not separate specifications: they are focused searches over the same model.
"""

from __future__ import annotations

import attrs

from barrierspec import adapters as ad
from barrierspec.spec import Membership, Profile, Reentry

__all__ = ["PROPERTIES", "Property", "applicable"]

# operation kinds a program may draw
WAIT = "wait"
TIMED = "timed-wait"
RAISE = "raising-wait"
ABORT = "abort"
RESET = "reset"
CANCEL = "cancel"
KILL = "kill"
ADVANCE = "advance"
JOIN = "join"
HOLD = "hold"  # controlled runs: keep the next step's woken participants from resuming
RESUME = "resume"  # controlled runs: a held participant goes on (the hold ends)
ZERO = "zero-wait"  # wait(0): a timeout that expires at once
LONG = "long-wait"  # wait(LONG_TIMEOUT): explicit, never expires within a run
OWN_TIMED = "own-timed-wait"  # asyncio: wait(t) through the barrier's own timeout parameter
OWN_ZERO = "own-zero-wait"  # asyncio: wait(0) through the barrier's own timeout parameter
SLOW = "slow-action-wait"  # wait(t) whose action, if it runs here, takes 2 t (virtual clock)
ABORTING = "aborting-action-wait"  # a wait whose action, if it runs here, calls abort()
RESETTING = "resetting-action-wait"  # a wait whose action, if it runs here, calls reset()
CALLED = {ABORTING: "abort", RESETTING: "reset"}  # the barrier method each kind's action calls
CALLING = tuple(CALLED)
# construction: where one of these appears in a program, the barrier is built with it
DEFAULT_SHORT = "default-short"  # the constructor's default timeout: short
DEFAULT_LONG = "default-long"  # the constructor's default timeout: LONG_TIMEOUT
NO_ACTION = "no-action"  # the barrier is built without an action
CONSTRUCTION = (DEFAULT_SHORT, DEFAULT_LONG, NO_ACTION)
OWN = (OWN_TIMED, OWN_ZERO)
# every instruction kind a program may hold (docs/semantics.md, section 8)
KINDS: tuple[str, ...] = (WAIT, TIMED, ZERO, LONG, SLOW, RAISE, *CALLING, ABORT, RESET, CANCEL)
KINDS += (KILL,)
KINDS += (ADVANCE, OWN_TIMED, OWN_ZERO)
KINDS += (JOIN, HOLD, RESUME, *CONSTRUCTION)


@attrs.frozen
class Property:
    """A named rule and the programs that exercise it.

    ``ops``: operation kinds its programs use. ``needs``: capability flags the target must
    have. ``extra``: participants beyond ``parties`` (newcomers, late arrivals).
    ``observers``: whether ``n_waiting`` / ``broken`` / ``parties`` readings are checked.
    ``membership``: the membership kinds it applies to (None: all). ``min_parties``: the
    fewest parties its random programs draw (set to 0 for a profile that allows
    ``parties=0``: such a barrier never trips).
    """

    name: str
    rule: str
    ops: tuple[str, ...]
    needs: tuple[str, ...] = ()
    extra: int = 1
    max_parties: int = 3
    observers: bool = False
    membership: Membership | None = None
    max_ops: int = 10
    budget_factor: float = 1.0  # this property's share of time, relative to the others
    key_ops: tuple[str, ...] = (WAIT,)  # always drawn; the small-scope phase uses only these
    sweep: bool = False  # the scope sweep: full rounds of waits, every parties and rounds
    min_parties: int = 1  # 0 where the profile allows a barrier of no parties (zero-allowed)


PROPERTIES: tuple[Property, ...] = (
    Property(
        "release count",
        "nobody passes before all parties arrived, and all pass when they have",
        (WAIT,),
        extra=1,
        membership=Membership.FIXED,
        sweep=True,
    ),
    Property(
        "arrival index",
        "indices of a round are distinct and in range(parties)",
        (WAIT, CANCEL),
        extra=2,
        membership=Membership.FIXED,
        key_ops=(WAIT, CANCEL),
        sweep=True,
    ),
    Property(
        "draining",
        "a fast party never laps a slow one; newcomers join the right round",
        (WAIT, HOLD, RESUME),
        extra=3,
        max_parties=3,
        max_ops=14,
    ),
    Property(
        "lost wake-ups",
        "every party of a full round is woken, round after round",
        (WAIT,),
        extra=2,
        max_parties=5,
        max_ops=16,
        sweep=True,
    ),
    Property(
        "single action",
        "the action runs once per round, in the last arrival, before any release",
        (WAIT, NO_ACTION),
        needs=("has_action",),
        extra=1,
        key_ops=(WAIT, NO_ACTION),
    ),
    Property(
        "action failure",
        "a failing action raises in the last arrival and breaks the barrier for the others",
        (WAIT, RAISE, RESET),
        needs=("has_action", "has_reset"),
        key_ops=(WAIT, RAISE, RESET),
    ),
    Property(
        "action reentry",
        "an action that calls abort() or reset() breaks its round, its own party included",
        (WAIT, *CALLING, RESET, HOLD, RESUME),
        needs=("has_action",),
        key_ops=(WAIT, *CALLING),
    ),
    Property(
        "timeout",
        "a wait's timeout has the profile's effect (break, withdraw, or False)",
        (WAIT, TIMED, RESET, ADVANCE, ZERO, LONG, DEFAULT_SHORT, DEFAULT_LONG, SLOW, *OWN),
        needs=("has_timeout",),
        key_ops=(WAIT, TIMED, ADVANCE, ZERO, LONG, DEFAULT_SHORT, DEFAULT_LONG, SLOW, *OWN),
    ),
    Property(
        "abort",
        "abort breaks current and future waits until reset",
        (WAIT, ABORT, RESET, HOLD, RESUME),
        needs=("has_abort",),
        key_ops=(WAIT, ABORT),
    ),
    Property(
        "reset",
        "reset breaks the waiters and leaves the barrier usable, also after a break",
        (WAIT, RESET, ABORT, TIMED, ADVANCE, HOLD, RESUME),
        needs=("has_reset",),
        key_ops=(WAIT, RESET),
    ),
    Property(
        "broken stickiness",
        "a broken barrier stays broken (and says so) until reset",
        (WAIT, ABORT, TIMED, RESET, ADVANCE, ZERO, DEFAULT_SHORT),
        needs=("has_broken",),
        observers=True,
        key_ops=(WAIT, ABORT, RESET),
    ),
    Property(
        "n_waiting",
        "n_waiting (or waiting(name)) counts exactly the parties waiting in the filling round",
        (WAIT, CANCEL, TIMED, RESET, ADVANCE, HOLD, RESUME, DEFAULT_LONG),
        needs=("has_n_waiting",),
        observers=True,
        key_ops=(WAIT, CANCEL),
        sweep=True,
    ),
    Property(
        "cancellation",
        "a cancelled waiter leaves as the profile says, without disturbing the others",
        (WAIT, CANCEL, HOLD, RESUME),
        needs=("has_cancel",),
        extra=1,
        key_ops=(WAIT, CANCEL),
    ),
    Property(
        "membership",
        "members join and leave; a leave re-checks the release at once",
        (WAIT, TIMED, CANCEL, JOIN),
        membership=Membership.DYNAMIC,
        extra=1,
        observers=True,
        key_ops=(WAIT, CANCEL, JOIN),
    ),
    Property(
        "dead participant",
        "a killed participant never makes the survivors wait past their timeouts",
        (WAIT, TIMED, KILL),
        needs=("has_kill", "has_timeout"),
        extra=0,
        max_ops=8,
        budget_factor=3.0,  # processes are slow to start, and hangs cost their watchdog
        key_ops=(WAIT, KILL),
    ),
)


def applicable(prop: Property, profile: Profile, caps: ad.Capabilities) -> str | None:
    """None if ``prop`` applies; otherwise why it does not (shown as "n/a")."""
    if prop.membership is not None and prop.membership is not profile.policies.membership:
        return f"{profile.name} has {profile.policies.membership.value} membership"
    missing = [need for need in prop.needs if not getattr(caps, need)]
    if missing:
        return "the target has no " + ", ".join(n.removeprefix("has_") for n in missing)
    if prop.name == "abort" and not profile.has_abort:
        return f"{profile.name} has no abort()"
    if prop.name == "reset" and not profile.has_reset:
        return f"{profile.name} has no reset()"
    if prop.name == "action reentry" and profile.policies.reentry is not Reentry.BREAKS_ROUND:
        return f"{profile.name} leaves an action's abort()/reset() undefined (reentry)"
    return None
