"""Semantic axes as named policies, and the profiles that bundle them.

Barriers in the wild disagree on a handful of axes (see ``docs/semantics.md``). Each axis is
an enum here; a :class:`Profile` picks one value per axis and states, for the documentation
and the reports, where each choice comes from and which known deviations of the real
implementation it records.

Where a family's documentation is silent the profile picks the permissive value (``EITHER``,
``ANY``): the model is then nondeterministic and accepts each behaviour. Where CPython
contradicts its own documentation, the profile follows the documentation and lists the
deviation in :attr:`Profile.deviations`, so the conformance suite reports it by name.
"""

from __future__ import annotations

import enum

import attrs

from barrierspec.errors import UsageError
from barrierspec.spec._state import Call

__all__ = [
    "PROFILES",
    "AbortDrainers",
    "ActionPolicy",
    "Cancellation",
    "Death",
    "Deviation",
    "GiveUp",
    "IndexPolicy",
    "Membership",
    "Newcomer",
    "PartiesPolicy",
    "Policies",
    "Profile",
    "Reentry",
    "ResetPolicy",
    "RoundsPolicy",
    "get_profile",
]


class Membership(enum.Enum):
    """Who counts toward a round."""

    FIXED = "fixed"  # `parties` given at construction (threading, asyncio, CyclicBarrier)
    DYNAMIC = "dynamic"  # members join and leave; release re-checked on leave (Grinder)


class IndexPolicy(enum.Enum):
    """What a successful wait returns."""

    DISTINCT = "distinct"  # an int in range(parties), different for each party of a round
    ARRIVAL = "arrival"  # the k-th party counted into the round (0-based) returns k (CPython)
    NONE = "none"  # no index: a successful wait returns True (Grinder)
    RETURNS_NONE = "returns-none"  # no index: a successful wait returns None (aiologic Latch)


class ActionPolicy(enum.Enum):
    """Whether a barrier action runs at each trip."""

    NONE = "none"
    LAST_ARRIVAL = "last-arrival"  # run once by the last arrival before anyone is released


class GiveUp(enum.Enum):
    """What a waiter's timeout does to the barrier."""

    BREAK_ALL = "break-all"  # the barrier breaks; the timer and the others get BrokenBarrierError
    WITHDRAW = "withdraw"  # the arrival is withdrawn; the timer gets TimeoutError; no break
    WITHDRAW_MEMBER = "withdraw-member"  # wait returns False and the member is cancelled
    # the barrier breaks; the timer gets TimeoutError, the others BrokenBarrierError (aiologic
    # timed out from outside: the cancellation breaks it, asyncio.timeout raises TimeoutError)
    BREAK_ALL_TIMEOUT_ERROR = "break-all-timeout-error"


class Cancellation(enum.Enum):
    """What cancelling a waiter does."""

    NONE = "none"  # not applicable (threads cannot be cancelled)
    WITHDRAW = "withdraw"  # asyncio: the waiter gets CancelledError, its arrival is withdrawn
    CANCEL_MEMBER = "cancel-member"  # Grinder: the member leaves; a waiting one gets an error
    BREAK_ALL = "break-all"  # cancelling a counted waiter breaks the barrier
    # aiologic: any cancelled wait breaks it, whatever its phase (counted, blocked, released
    # or woken but not resumed: its `finally: if not success: self.abort()`)
    BREAK_ALWAYS = "break-always"


class Newcomer(enum.Enum):
    """What a wait does while the previous round still drains (or resets)."""

    BLOCK = "block"  # wait until every party of the last round has left (CPython)
    JOIN_NEXT = "join-next"  # join the next round at once (Java, Grinder)
    EITHER = "either"  # the documentation is silent: both are allowed


class ResetPolicy(enum.Enum):
    """What ``reset()`` does."""

    NONE = "none"  # no reset operation
    KEEP_DRAINERS = "keep-drainers"  # waiters break; released parties still return (threading)
    BREAK_DRAINERS = "break-drainers"  # released-but-not-resumed parties break too (asyncio)


class AbortDrainers(enum.Enum):
    """What ``abort()`` does to parties released but not yet returned."""

    NO_ABORT = "no-abort"  # no abort operation
    BREAK = "break"  # they get BrokenBarrierError
    EITHER = "either"  # the documentation is silent: their index or BrokenBarrierError


class Death(enum.Enum):
    """What the death of a participant (a killed process) does."""

    NONE = "none"  # participants cannot die (threads, tasks)
    WITHDRAW = "withdraw"  # its membership and arrival are withdrawn (Grinder console)
    ANY = "any"  # undocumented: its arrival may stand, be withdrawn, or break the barrier;
    #             timeouts keep working in every case


class PartiesPolicy(enum.Enum):
    """Which ``parties`` the constructor accepts (the model explores ``parties >= 1``)."""

    POSITIVE = "positive"  # parties >= 1; 0 and negatives raise ValueError (threading, 3.13+)
    ZERO_ALLOWED = "zero-allowed"  # parties=0 is accepted (aiologic's default): such a barrier
    #                                never trips, a wait ends only by its give-up or abort()


class RoundsPolicy(enum.Enum):
    """How many rounds the barrier runs."""

    CYCLIC = "cyclic"  # it fills again after each trip (threading, asyncio, CyclicBarrier)
    SINGLE = "single"  # a latch: after its one trip every later wait returns at once, or
    #                    raises BrokenBarrierError once it is broken (aiologic Latch)


class Reentry(enum.Enum):
    """What the action's own call of ``abort()`` or ``reset()`` on its barrier does."""

    UNDEFINED = "undefined"  # not in the contract, never drawn (CPython deadlocks or loses it)
    BREAKS_ROUND = "breaks-round"  # every party of the round, the action's one included,
    #   raises BrokenBarrierError; abort() leaves the barrier broken, reset() usable (reference)


@attrs.frozen
class Policies:
    """One choice per semantic axis."""

    membership: Membership
    index: IndexPolicy
    action: ActionPolicy
    give_up: GiveUp
    cancellation: Cancellation
    newcomer: Newcomer
    reset: ResetPolicy
    abort: AbortDrainers
    death: Death
    parties: PartiesPolicy = PartiesPolicy.POSITIVE
    rounds: RoundsPolicy = RoundsPolicy.CYCLIC
    reentry: Reentry = Reentry.UNDEFINED


@attrs.frozen
class Deviation:
    """A known place where an implementation breaks its documented contract."""

    key: str  # e.g. "gh-155233"
    summary: str
    prop: str  # the conformance property expected to report it


@attrs.frozen
class Profile:
    """A family of barriers: its policies, its sources, its known deviations."""

    name: str
    summary: str
    policies: Policies
    deviations: tuple[Deviation, ...] = ()
    documented_hang: str | None = None  # why a stuck state can be the contract, if it can

    def hang_reason(self, parties: int, dead: bool) -> str | None:
        """Why a stuck state of a barrier of ``parties`` (``dead``: a participant is dead)
        is the contract, if it is: the documented hang, or a barrier of no parties."""
        if parties == 0 and self.policies.parties is PartiesPolicy.ZERO_ALLOWED:
            return (
                "a barrier of parties=0 never trips (parties=zero-allowed): an untimed wait on "
                "it waits until abort() (use timeouts)"
            )
        return self.documented_hang if dead else None

    @property
    def action_calls(self) -> tuple[Call, ...]:
        """What an action may call back on its own barrier under this contract: the calls
        the barrier has, where the action and ``Reentry.BREAKS_ROUND`` define them."""
        pol = self.policies
        if pol.reentry is not Reentry.BREAKS_ROUND or pol.action is not ActionPolicy.LAST_ARRIVAL:
            return ()
        has = ((Call.ABORT, self.has_abort), (Call.RESET, self.has_reset))
        return tuple(call for call, present in has if present)

    @property
    def has_abort(self) -> bool:
        """Whether the family has ``abort()``."""
        return self.policies.abort is not AbortDrainers.NO_ABORT

    @property
    def has_reset(self) -> bool:
        """Whether the family has ``reset()``."""
        return self.policies.reset is not ResetPolicy.NONE


_THREADING = Policies(
    membership=Membership.FIXED,
    index=IndexPolicy.DISTINCT,
    action=ActionPolicy.LAST_ARRIVAL,
    give_up=GiveUp.BREAK_ALL,
    cancellation=Cancellation.NONE,
    newcomer=Newcomer.EITHER,
    reset=ResetPolicy.KEEP_DRAINERS,
    abort=AbortDrainers.EITHER,
    death=Death.NONE,
)

PROFILES: dict[str, Profile] = {
    "threading": Profile(
        name="threading",
        summary="threading.Barrier as documented: fixed parties, action, timeout breaks",
        policies=_THREADING,
        deviations=(
            Deviation(
                "gh-121474",
                "threading.Barrier before 3.13 accepts parties <= 0 and then hangs",
                "argument validation",
            ),
        ),
    ),
    "multiprocessing": Profile(
        name="multiprocessing",
        summary="multiprocessing.Barrier: threading's contract across processes",
        policies=attrs.evolve(_THREADING, death=Death.ANY),
        deviations=(
            Deviation(
                "gh-123899",
                "a killed waiting process makes the others hang past their timeouts",
                "dead participant",
            ),
            Deviation(
                "gh-121474",
                "multiprocessing.Barrier accepts parties <= 0 on every version (the fix to "
                "threading.Barrier in 3.13 did not reach it)",
                "argument validation",
            ),
        ),
        documented_hang=(
            "a participant died while the others wait with no timeout: its arrival may "
            "stand, so untimed waiters can wait forever (use timeouts)"
        ),
    ),
    "asyncio": Profile(
        name="asyncio",
        summary="asyncio.Barrier: cancellation and timeouts withdraw the waiter",
        policies=attrs.evolve(
            _THREADING,
            give_up=GiveUp.WITHDRAW,
            cancellation=Cancellation.WITHDRAW,
            reset=ResetPolicy.BREAK_DRAINERS,
        ),
        deviations=(
            Deviation(
                "gh-155233",
                "asyncio.Barrier gives two tasks the same index after a waiter is cancelled",
                "arrival index",
            ),
        ),
    ),
    "grinder": Profile(
        name="grinder",
        summary="The Grinder's named barriers: dynamic membership, wait -> bool, cancel()",
        policies=Policies(
            membership=Membership.DYNAMIC,
            index=IndexPolicy.NONE,
            action=ActionPolicy.NONE,
            give_up=GiveUp.WITHDRAW_MEMBER,
            cancellation=Cancellation.CANCEL_MEMBER,
            newcomer=Newcomer.JOIN_NEXT,
            reset=ResetPolicy.NONE,
            abort=AbortDrainers.NO_ABORT,
            death=Death.WITHDRAW,
        ),
    ),
}


def _strict(contract: Profile, implementation: str, index: IndexPolicy) -> Profile:
    """``contract`` with CPython's choices where its documentation is silent."""
    numbered = "the index is the arrival order, " if index is IndexPolicy.ARRIVAL else ""
    return attrs.evolve(
        contract,
        name=f"{contract.name}-cpython",
        summary=f"{implementation} as CPython implements it: {numbered}newcomers block while "
        "the last round drains, abort() breaks released parties that have not resumed",
        policies=attrs.evolve(
            contract.policies, index=index, newcomer=Newcomer.BLOCK, abort=AbortDrainers.BREAK
        ),
    )


# Strict CPython profiles, for drop-in replacements: the contract, with CPython's choices
# where the documentation is silent (docs/semantics.md, "Profile `threading-cpython`" ...).
# asyncio keeps any distinct index: its waiters withdraw (cancellation, timeouts), and after a
# withdrawal CPython's count gives two tasks one index (gh-155233), so there is no CPython
# choice to pin that keeps the documented distinctness.
for _name, _what, _index in (
    ("threading", "threading.Barrier", IndexPolicy.ARRIVAL),
    ("multiprocessing", "multiprocessing.Barrier", IndexPolicy.ARRIVAL),
    ("asyncio", "asyncio.Barrier", IndexPolicy.DISTINCT),
):
    PROFILES[f"{_name}-cpython"] = _strict(PROFILES[_name], _what, _index)


def get_profile(name: str) -> Profile:
    """Return the profile called ``name``; :class:`UsageError` names the known ones."""
    try:
        return PROFILES[name]
    except KeyError:
        known = ", ".join(sorted(PROFILES))
        raise UsageError(f"unknown profile {name!r}: choose one of {known}") from None
