"""Which events are enabled in a state, within exploration bounds.

The step function says what an event *does*; this module says which events an environment
can produce: every participant may call the barrier, the scheduler may resume a woken party,
timeouts may fire, processes may be killed. :func:`actor_events` is written once against the
domain interface (:mod:`barrierspec.spec._domain`), so the compiled search and the proofs
run the same environment rules; :func:`enabled` is its concrete interpretation.
:class:`Bounds` keeps the state space finite and lets a run leave out whole axes
(``--no-timeouts``) to explore larger configurations.
"""

from __future__ import annotations

from collections.abc import Iterator

import attrs

from barrierspec.errors import UsageError
from barrierspec.spec._domain import Cond, Domain, S
from barrierspec.spec._policies import (
    ActionPolicy,
    Cancellation,
    Death,
    GiveUp,
    Membership,
    Newcomer,
    Profile,
    RoundsPolicy,
)
from barrierspec.spec._state import (
    Abort,
    Cancel,
    Die,
    Enter,
    Event,
    Join,
    Local,
    Member,
    Notice,
    Reset,
    Resume,
    State,
    Status,
    Timeout,
    Wait,
)
from barrierspec.spec._step import Concrete

__all__ = ["Bounds", "actor_events", "cancellable", "enabled"]


def _non_negative(_: object, attribute: attrs.Attribute[int], value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise UsageError(f"{attribute.name} must be an int >= 0, got {value!r}")


@attrs.frozen
class Bounds:
    """What the environment may do during an exploration.

    ``rounds``: no participant starts a wait once this many rounds have completed.
    ``deaths``: at most this many participants are killed (profiles with processes only).
    The boolean switches leave out timeouts, failing actions, actions that call ``abort()``
    or ``reset()`` back (where the profile's ``reentry`` defines it), abort/reset,
    cancellation and joins altogether.
    """

    rounds: int = attrs.field(default=2, validator=_non_negative)
    timeouts: bool = True
    action_failures: bool = True
    action_calls: bool = True
    abort_reset: bool = True
    cancels: bool = True
    deaths: int = attrs.field(default=1, validator=_non_negative)
    joins: bool = True


def _would_trip(d: Domain[S], profile: Profile, s: S) -> bool:
    """A wait now would complete the round (so a failing action is worth trying)."""
    if d.test(s, Cond.BROKEN) or not d.test(s, Cond.LAST):
        return False
    if profile.policies.rounds is RoundsPolicy.SINGLE and d.test(s, Cond.TRIPPED):
        return False
    return not (profile.policies.newcomer is Newcomer.BLOCK and d.test(s, Cond.SETTLING))


def cancellable(profile: Profile, loc: Local) -> bool:
    """Whether the environment may cancel a participant in local state ``loc``."""
    pol = profile.policies
    if pol.cancellation is Cancellation.NONE:
        return False
    if pol.membership is Membership.DYNAMIC:
        return loc.member is Member.MEMBER
    # a task woken (released, or failing with BrokenBarrierError) but not yet resumed is
    # still suspended: asyncio's Task.cancel() lands there and it raises CancelledError
    return loc.status in (Status.WAITING, Status.BLOCKED, Status.PASSED, Status.FAILING)


def actor_events(
    d: Domain[S], profile: Profile, bounds: Bounds, s: S, p: int, loc: Local
) -> Iterator[Event]:
    """The events the environment can produce for participant ``p`` (local ``loc``) in ``s``:
    the environment's rules, written once against the domain interface."""
    pol = profile.policies
    status = loc.status
    if status is Status.DEAD:
        if loc.arrived:
            yield Notice(p)
        return
    if status is Status.IDLE:
        yield from _idle_events(d, profile, bounds, s, p, loc)
    elif status is Status.BLOCKED:
        if not d.test(s, Cond.SETTLING) and not d.test(s, Cond.BROKEN):
            yield Enter(p)
        if loc.timed and pol.give_up is not GiveUp.BREAK_ALL:
            yield Timeout(p)
    elif status is Status.WAITING:
        if loc.timed:
            yield Timeout(p)
    else:  # PASSED or FAILING
        yield Resume(p)
    if bounds.cancels and cancellable(profile, loc):
        yield Cancel(p)
    if pol.death is not Death.NONE and d.test(s, Cond.DEATHS_LEFT):
        yield Die(p)


def _idle_events(
    d: Domain[S], profile: Profile, bounds: Bounds, s: S, p: int, loc: Local
) -> Iterator[Event]:
    """The events of idle participant ``p``: wait (with and without timeout, and with a
    failing action where it would trip the round), abort, reset, join."""
    pol = profile.policies
    dynamic = pol.membership is Membership.DYNAMIC
    member_ok = not dynamic or loc.member is not Member.NOT_MEMBER
    if member_ok and d.test(s, Cond.ROUNDS_LEFT):
        trips = pol.action is ActionPolicy.LAST_ARRIVAL and _would_trip(d, profile, s)
        calls = profile.action_calls if trips and bounds.action_calls else ()
        for timeout in (False, True) if bounds.timeouts else (False,):
            yield Wait(p, timeout)
            if trips and bounds.action_failures:
                yield Wait(p, timeout, raises=True)
            for call in calls:
                yield Wait(p, timeout, calls=call)
    if bounds.abort_reset and profile.has_abort:
        yield Abort(p)
    if bounds.abort_reset and profile.has_reset:
        yield Reset(p)
    if dynamic and bounds.joins and loc.member is not Member.MEMBER:
        yield Join(p)


def enabled(profile: Profile, state: State, bounds: Bounds) -> list[Event]:
    """Every event the environment can produce in ``state`` within ``bounds``."""
    events: list[Event] = []
    for p, loc in enumerate(state.locals):
        domain = Concrete(p, rounds=bounds.rounds, deaths=bounds.deaths)
        events.extend(actor_events(domain, profile, bounds, state, p, loc))
    return events
