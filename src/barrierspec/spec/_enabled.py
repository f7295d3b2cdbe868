"""Which events are enabled in a state, within exploration bounds.

The step function says what an event *does*; this module says which events an environment
can produce: every participant may call the barrier, the scheduler may resume a woken party,
timeouts may fire, processes may be killed. :class:`Bounds` keeps the state space finite and
lets a run leave out whole axes (``--no-timeouts``) to explore larger configurations.
"""

from __future__ import annotations

from collections.abc import Iterator

import attrs

from barrierspec.errors import UsageError
from barrierspec.spec._policies import (
    ActionPolicy,
    Cancellation,
    Death,
    GiveUp,
    Membership,
    Newcomer,
    Profile,
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
from barrierspec.spec._step import settling

__all__ = ["Bounds", "enabled"]


def _non_negative(_: object, attribute: attrs.Attribute[int], value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise UsageError(f"{attribute.name} must be an int >= 0, got {value!r}")


@attrs.frozen
class Bounds:
    """What the environment may do during an exploration.

    ``rounds``: no participant starts a wait once this many rounds have completed.
    ``deaths``: at most this many participants are killed (profiles with processes only).
    The boolean switches leave out timeouts, failing actions, abort/reset, cancellation and
    joins altogether.
    """

    rounds: int = attrs.field(default=2, validator=_non_negative)
    timeouts: bool = True
    action_failures: bool = True
    abort_reset: bool = True
    cancels: bool = True
    deaths: int = attrs.field(default=1, validator=_non_negative)
    joins: bool = True


def _would_trip(profile: Profile, state: State) -> bool:
    if state.broken or state.arrived + 1 != state.parties:
        return False
    return not (settling(state) and profile.policies.newcomer is Newcomer.BLOCK)


def enabled(profile: Profile, state: State, bounds: Bounds) -> list[Event]:
    """Every event the environment can produce in ``state`` within ``bounds``."""
    pol = profile.policies
    dynamic = pol.membership is Membership.DYNAMIC
    deaths_left = pol.death is not Death.NONE and bounds.deaths > sum(
        1 for loc in state.locals if loc.status is Status.DEAD
    )
    can_cancel = bounds.cancels and pol.cancellation is not Cancellation.NONE
    draining = settling(state)
    events: list[Event] = []
    for p, loc in enumerate(state.locals):
        status = loc.status
        if status is Status.DEAD:
            if loc.arrived:
                events.append(Notice(p))
            continue
        if status is Status.IDLE:
            events.extend(_idle_events(profile, state, bounds, p, loc))
        elif status is Status.BLOCKED:
            if not draining and not state.broken:
                events.append(Enter(p))
            if loc.timed and pol.give_up is not GiveUp.BREAK_ALL:
                events.append(Timeout(p))
        elif status is Status.WAITING:
            if loc.timed:
                events.append(Timeout(p))
        else:  # PASSED or FAILING
            events.append(Resume(p))
        if can_cancel and (
            (dynamic and loc.member is Member.MEMBER)
            or (not dynamic and status in (Status.WAITING, Status.BLOCKED, Status.PASSED))
        ):
            events.append(Cancel(p))
        if deaths_left:
            events.append(Die(p))
    return events


def _idle_events(
    profile: Profile, state: State, bounds: Bounds, p: int, loc: Local
) -> Iterator[Event]:
    """The events of idle participant ``p``: wait (with and without timeout, and with a
    failing action where it would trip the round), abort, reset, join."""
    pol = profile.policies
    dynamic = pol.membership is Membership.DYNAMIC
    member_ok = not dynamic or loc.member is not Member.NOT_MEMBER
    if member_ok and state.round < bounds.rounds:
        failing = (
            bounds.action_failures
            and pol.action is ActionPolicy.LAST_ARRIVAL
            and _would_trip(profile, state)
        )
        for timeout in (False, True) if bounds.timeouts else (False,):
            yield Wait(p, timeout)
            if failing:
                yield Wait(p, timeout, raises=True)
    if bounds.abort_reset and profile.has_abort:
        yield Abort(p)
    if bounds.abort_reset and profile.has_reset:
        yield Reset(p)
    if dynamic and bounds.joins and loc.member is not Member.MEMBER:
        yield Join(p)
