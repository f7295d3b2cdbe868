"""The step function: the whole semantics of a barrier, as a pure function.

``step(profile, state, event)`` returns every ``Successor(state, outputs)`` the profile's
contract allows. More than one successor means the contract is nondeterministic there (an
arrival index, a newcomer that may block or join, an undocumented reaction to a death). An
event that is not allowed in ``state`` raises :class:`InvalidOperationError` naming the rule.

The rounds, in prose (every rule cites its source in ``docs/semantics.md``):

* A live idle participant calls ``wait``. On a broken barrier it raises at once. While the
  previous round drains, a newcomer blocks or joins the next round, as the ``Newcomer`` policy
  says. Otherwise it *arrives*: it is counted in the filling round.
* The arrival that makes ``arrived == parties`` *trips* the round: the action (if any) runs in
  that participant before anyone is released; if the action raises, that participant gets the
  exception and the barrier breaks; otherwise every counted waiter becomes ``PASSED``, the
  round counter advances and ``arrived`` returns to 0.
* A ``PASSED`` participant resumes with a fresh index of its round (or ``True``).
* A *break* (timeout under ``BREAK_ALL``, ``abort``, a failed action) wakes every waiter with
  ``BrokenBarrierError`` and leaves the barrier broken until ``reset``.
* ``reset`` wakes the waiters with ``BrokenBarrierError`` and leaves the barrier usable; under
  ``BREAK_DRAINERS`` it breaks released-but-not-resumed parties too.
* Dynamic membership: ``parties`` is the number of members; a member that leaves (cancel,
  timeout, death) is withdrawn and the release condition is re-checked at once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import attrs

from barrierspec.errors import InvalidOperationError, UsageError
from barrierspec.spec._policies import (
    AbortDrainers,
    ActionPolicy,
    Cancellation,
    Death,
    GiveUp,
    IndexPolicy,
    Membership,
    Newcomer,
    Policies,
    Profile,
    ResetPolicy,
)
from barrierspec.spec._state import (
    Abort,
    ActionRan,
    Cancel,
    Die,
    Enter,
    Event,
    Fault,
    Join,
    Local,
    Member,
    Notice,
    Observation,
    Raised,
    Reset,
    Resume,
    Returned,
    State,
    Status,
    Timeout,
    Wait,
)

__all__ = [
    "Successor",
    "broken_local",
    "initial_state",
    "released_local",
    "reset_local",
    "settling",
    "step",
]


@attrs.frozen
class Successor:
    """One allowed outcome of an event: the next state and what was observed."""

    state: State
    outputs: tuple[Observation, ...] = ()


def initial_state(profile: Profile, parties: int, participants: int) -> State:
    """The state before anyone calls the barrier.

    Fixed membership: ``parties`` is the barrier's constructor argument. Dynamic membership:
    the first ``parties`` participants hold a member each (created before anyone waits, as
    The Grinder's guide recommends); the others may ``Join`` later.
    """
    if isinstance(parties, bool) or not isinstance(parties, int) or parties < 1:
        raise UsageError(f"parties must be an int >= 1, got {parties!r}")
    if isinstance(participants, bool) or not isinstance(participants, int) or participants < 1:
        raise UsageError(f"participants must be an int >= 1, got {participants!r}")
    if profile.policies.membership is Membership.FIXED:
        return State(locals=(Local(),) * participants, parties=parties)
    if parties > participants:
        raise UsageError(
            f"profile {profile.name!r} has dynamic membership: the {parties} initial members "
            f"must be held by the {participants} participants (parties <= participants)"
        )
    members = (Local(member=Member.MEMBER),) * parties
    others = (Local(),) * (participants - parties)
    return State(locals=members + others, parties=parties)


def settling(state: State) -> bool:
    """True while the last round drains or resets: someone released or woken has not left."""
    for loc in state.locals:
        if loc.status is Status.PASSED:
            return True
        if loc.status is Status.FAILING and not state.broken:
            return True
    return False


def step(profile: Profile, state: State, event: Event) -> list[Successor]:
    """Every successor the profile allows for ``event`` in ``state`` (see the module doc)."""
    p = event.p
    if not 0 <= p < len(state.locals):
        raise InvalidOperationError(
            f"{event}: there is no participant {p} (participants are 0..{len(state.locals) - 1})"
        )
    loc = state.locals[p]
    if loc.status is Status.DEAD and not isinstance(event, Notice):
        raise InvalidOperationError(f"{event}: participant {p} is dead")
    handler = _HANDLERS[type(event)]
    return list(handler(profile, state, event, loc))


# ------------------------------------------------------------------------------- helpers


def _with(state: State, p: int, loc: Local) -> tuple[Local, ...]:
    locs = list(state.locals)
    locs[p] = loc
    return tuple(locs)


def _idle(loc: Local) -> Local:
    """``loc`` back outside the barrier, keeping its membership."""
    return Local(member=loc.member)


def _prune(state: State) -> State:
    """Forget the indices of rounds that nobody drains any more."""
    draining = {loc.round for loc in state.locals if loc.status is Status.PASSED}
    taken = tuple(entry for entry in state.taken if entry[0] in draining)
    return state if taken == state.taken else attrs.evolve(state, taken=taken)


def _require(ok: bool, event: Event, rule: str) -> None:
    if not ok:
        raise InvalidOperationError(f"{event}: {rule}")


def broken_local(policies: Policies, loc: Local) -> Local:
    """One participant's local when the barrier breaks (the per-participant rule of ``_break``).

    A waiter or blocked newcomer will raise ``BrokenBarrierError``; a party released but not
    resumed raises too under ``AbortDrainers.BREAK``, else it is *doomed* (it may still
    return); a dead arrival is forgotten. The compiled successor function tabulates this rule.
    """
    if loc.status in (Status.WAITING, Status.BLOCKED):
        return Local(status=Status.FAILING, fault=Fault.BROKEN, member=loc.member)
    if loc.status is Status.PASSED:
        if policies.abort is AbortDrainers.BREAK:
            return Local(status=Status.FAILING, fault=Fault.BROKEN, member=loc.member)
        return attrs.evolve(loc, doomed=True)
    if loc.status is Status.DEAD and loc.arrived:
        return Local(status=Status.DEAD)
    return loc


def reset_local(policies: Policies, loc: Local) -> Local:
    """One participant's local after ``reset()`` (the per-participant rule of ``_on_reset``).

    A waiter raises ``BrokenBarrierError``, and so does a released party under
    ``ResetPolicy.BREAK_DRAINERS``; a dead arrival is forgotten.
    """
    breaks_drainers = policies.reset is ResetPolicy.BREAK_DRAINERS
    if loc.status is Status.WAITING or (breaks_drainers and loc.status is Status.PASSED):
        return Local(status=Status.FAILING, fault=Fault.BROKEN, member=loc.member)
    if loc.status is Status.DEAD and loc.arrived:
        return Local(status=Status.DEAD)
    return loc


def released_local(loc: Local, released: int) -> Local:
    """One participant's local when round ``released`` trips (the per-participant rule of
    ``_trip``): a counted waiter is released in that round, a dead arrival is forgotten."""
    if loc.status is Status.WAITING:
        return Local(status=Status.PASSED, round=released, member=loc.member)
    if loc.status is Status.DEAD and loc.arrived:
        return Local(status=Status.DEAD)
    return loc


def _break(profile: Profile, state: State) -> State:
    """The barrier breaks: every waiter will raise BrokenBarrierError; sticky until reset."""
    locs = tuple(broken_local(profile.policies, loc) for loc in state.locals)
    return _prune(attrs.evolve(state, locals=locs, arrived=0, broken=True))


def _trip(
    profile: Profile, state: State, last: int | None, raises: bool, outputs: tuple[Observation, ...]
) -> Successor:
    """All ``parties`` have arrived (``last`` made it so): run the action, release the round."""
    if profile.policies.action is ActionPolicy.LAST_ARRIVAL and last is not None:
        outputs = (*outputs, ActionRan(last, raises))
        if raises:
            loc = state.locals[last]
            failed = attrs.evolve(state, locals=_with(state, last, _idle(loc)))
            return Successor(_break(profile, failed), (*outputs, Raised(last, Fault.ACTION)))
    r = state.round
    locs = [released_local(loc, r) for loc in state.locals]
    if last is not None:
        locs[last] = Local(status=Status.PASSED, round=r, member=state.locals[last].member)
    taken = state.taken
    if profile.policies.index is IndexPolicy.DISTINCT:
        taken = (*taken, (r, frozenset()))
    released = attrs.evolve(state, locals=tuple(locs), round=r + 1, arrived=0, taken=taken)
    return Successor(_prune(released), outputs)


def _arrive(profile: Profile, state: State, p: int, timed: bool, raises: bool) -> Successor:
    """``p`` is counted in the filling round; the round trips if it is the last."""
    loc = state.locals[p]
    if state.arrived + 1 == state.parties:
        return _trip(profile, state, p, raises, ())
    waiting = Local(
        status=Status.WAITING, round=state.round, timed=timed, raises=raises, member=loc.member
    )
    return Successor(
        attrs.evolve(state, locals=_with(state, p, waiting), arrived=state.arrived + 1)
    )


def _recheck(profile: Profile, state: State, outputs: tuple[Observation, ...]) -> Successor:
    """Dynamic membership: after a member left, release everyone if all who remain wait."""
    if state.parties > 0 and state.arrived == state.parties:
        return _trip(profile, state, None, False, outputs)
    return Successor(state, outputs)


def _leave(state: State, p: int, new_local: Local) -> State:
    """Member ``p`` leaves a dynamic barrier (its arrival, if any, is withdrawn)."""
    old = state.locals[p]
    arrived = state.arrived - (1 if old.status is Status.WAITING else 0)
    return attrs.evolve(
        state, locals=_with(state, p, new_local), parties=state.parties - 1, arrived=arrived
    )


# ------------------------------------------------------------------------------ handlers


def _on_wait(profile: Profile, state: State, event: Wait, loc: Local) -> Iterator[Successor]:
    p = event.p
    _require(loc.status is Status.IDLE, event, f"participant {p} is already inside wait()")
    pol = profile.policies
    if pol.membership is Membership.DYNAMIC:
        _require(loc.member is not Member.NOT_MEMBER, event, f"participant {p} holds no member")
        if loc.member is Member.CANCELLED:
            yield Successor(state, (Raised(p, Fault.CANCELLED_BARRIER),))
            return
    _require(
        not (event.raises and pol.action is ActionPolicy.NONE),
        event,
        f"profile {profile.name!r} has no action to raise",
    )
    if state.broken:
        yield Successor(state, (Raised(p, Fault.BROKEN),))
        return
    if settling(state) and pol.newcomer is not Newcomer.JOIN_NEXT:
        blocked = Local(
            status=Status.BLOCKED, timed=event.timeout, raises=event.raises, member=loc.member
        )
        yield Successor(attrs.evolve(state, locals=_with(state, p, blocked)))
        if pol.newcomer is Newcomer.BLOCK:
            return
    yield _arrive(profile, state, p, event.timeout, event.raises)


def _on_enter(profile: Profile, state: State, event: Enter, loc: Local) -> Iterator[Successor]:
    _require(loc.status is Status.BLOCKED, event, f"participant {event.p} is not blocked")
    _require(
        not settling(state) and not state.broken, event, "the previous round is still draining"
    )
    yield _arrive(profile, state, event.p, loc.timed, loc.raises)


def _on_resume(profile: Profile, state: State, event: Resume, loc: Local) -> Iterator[Successor]:
    p = event.p
    if loc.status is Status.FAILING:
        after = attrs.evolve(state, locals=_with(state, p, _idle(loc)))
        yield Successor(_prune(after), (Raised(p, loc.fault),))
        return
    _require(loc.status is Status.PASSED, event, f"participant {p} has not been released")
    idle = _with(state, p, _idle(loc))
    if loc.doomed:
        yield Successor(_prune(attrs.evolve(state, locals=idle)), (Raised(p, Fault.BROKEN),))
    if profile.policies.index is IndexPolicy.NONE:
        yield Successor(_prune(attrs.evolve(state, locals=idle)), (Returned(p, True),))
        return
    used = dict(state.taken).get(loc.round, frozenset())
    for index in range(state.parties):
        if index in used:
            continue
        taken = tuple((r, ids | {index}) if r == loc.round else (r, ids) for r, ids in state.taken)
        after = attrs.evolve(state, locals=idle, taken=taken)
        yield Successor(_prune(after), (Returned(p, index),))


def _on_timeout(profile: Profile, state: State, event: Timeout, loc: Local) -> Iterator[Successor]:
    p = event.p
    give_up = profile.policies.give_up
    _require(loc.timed, event, f"participant {p} has no pending wait with a timeout")
    if loc.status is Status.BLOCKED:
        _require(
            give_up is not GiveUp.BREAK_ALL,
            event,
            f"under {profile.name!r} the timeout does not run while the newcomer is blocked",
        )
        yield Successor(
            attrs.evolve(state, locals=_with(state, p, _idle(loc))), (Raised(p, Fault.TIMEOUT),)
        )
        return
    _require(loc.status is Status.WAITING, event, f"participant {p} is not waiting")
    if give_up is GiveUp.BREAK_ALL:
        after = attrs.evolve(state, locals=_with(state, p, _idle(loc)))
        yield Successor(_break(profile, after), (Raised(p, Fault.BROKEN),))
    elif give_up is GiveUp.WITHDRAW:
        after = attrs.evolve(state, locals=_with(state, p, _idle(loc)), arrived=state.arrived - 1)
        yield Successor(after, (Raised(p, Fault.TIMEOUT),))
    else:
        after = _leave(state, p, Local(member=Member.CANCELLED))
        yield _recheck(profile, after, (Returned(p, False),))


def _on_cancel(profile: Profile, state: State, event: Cancel, loc: Local) -> Iterator[Successor]:
    p = event.p
    mode = profile.policies.cancellation
    _require(mode is not Cancellation.NONE, event, f"profile {profile.name!r} has no cancellation")
    if mode is Cancellation.CANCEL_MEMBER:
        _require(loc.member is not Member.NOT_MEMBER, event, f"participant {p} holds no member")
        if loc.member is Member.CANCELLED:  # cancel() is idempotent
            yield Successor(state)
            return
        if loc.status is Status.WAITING:
            after = _leave(state, p, Local(member=Member.CANCELLED))
            yield _recheck(profile, after, (Raised(p, Fault.CANCELLED_BARRIER),))
            return
        yield _recheck(profile, _leave(state, p, attrs.evolve(loc, member=Member.CANCELLED)), ())
        if loc.status is Status.PASSED:  # cancel() may win the race with the wake-up
            failing = Local(
                status=Status.FAILING, fault=Fault.CANCELLED_BARRIER, member=Member.CANCELLED
            )
            yield _recheck(profile, _prune(_leave(state, p, failing)), ())
        return
    if loc.status is Status.WAITING:
        after = attrs.evolve(state, locals=_with(state, p, _idle(loc)), arrived=state.arrived - 1)
        yield Successor(after, (Raised(p, Fault.CANCELLED),))
    elif loc.status is Status.BLOCKED:
        yield Successor(
            attrs.evolve(state, locals=_with(state, p, _idle(loc))), (Raised(p, Fault.CANCELLED),)
        )
    else:
        _require(loc.status is Status.PASSED, event, f"participant {p} has no pending wait")
        failing = Local(status=Status.FAILING, fault=Fault.CANCELLED, member=loc.member)
        yield Successor(_prune(attrs.evolve(state, locals=_with(state, p, failing))))


def _on_abort(profile: Profile, state: State, event: Abort, loc: Local) -> Iterator[Successor]:
    _require(profile.has_abort, event, f"profile {profile.name!r} has no abort()")
    _require(loc.status is Status.IDLE, event, f"participant {event.p} is inside wait()")
    yield Successor(_break(profile, state))


def _on_reset(profile: Profile, state: State, event: Reset, loc: Local) -> Iterator[Successor]:
    _require(profile.has_reset, event, f"profile {profile.name!r} has no reset()")
    _require(loc.status is Status.IDLE, event, f"participant {event.p} is inside wait()")
    locs = tuple(reset_local(profile.policies, other) for other in state.locals)
    after = attrs.evolve(state, locals=locs, arrived=0, broken=False)
    yield Successor(_prune(after))


def _on_die(profile: Profile, state: State, event: Die, loc: Local) -> Iterator[Successor]:
    death = profile.policies.death
    _require(death is not Death.NONE, event, f"profile {profile.name!r} has no process to kill")
    p = event.p
    dead = Local(status=Status.DEAD)
    if death is Death.WITHDRAW:
        if loc.member is Member.MEMBER:
            yield _recheck(profile, _prune(_leave(state, p, dead)), ())
        else:
            yield Successor(_prune(attrs.evolve(state, locals=_with(state, p, dead))))
        return
    if loc.status is not Status.WAITING:
        yield Successor(_prune(attrs.evolve(state, locals=_with(state, p, dead))))
        return
    # its arrival stands until the barrier notices the death (see _on_notice)
    stands = Local(status=Status.DEAD, round=loc.round, arrived=True)
    yield Successor(attrs.evolve(state, locals=_with(state, p, stands)))


def _on_notice(profile: Profile, state: State, event: Notice, loc: Local) -> Iterator[Successor]:
    """Undocumented death (``Death.ANY``): the barrier may, at any later time, notice that a
    dead participant's arrival will never complete its round, and withdraw it or break."""
    _require(
        loc.status is Status.DEAD and loc.arrived,
        event,
        f"participant {event.p} is not a dead arrival",
    )
    withdrawn = attrs.evolve(
        state, locals=_with(state, event.p, Local(status=Status.DEAD)), arrived=state.arrived - 1
    )
    yield Successor(withdrawn)
    yield Successor(_break(profile, withdrawn))


def _on_join(profile: Profile, state: State, event: Join, loc: Local) -> Iterator[Successor]:
    _require(
        profile.policies.membership is Membership.DYNAMIC,
        event,
        f"profile {profile.name!r} has fixed membership",
    )
    _require(loc.status is Status.IDLE, event, f"participant {event.p} is inside wait()")
    _require(
        loc.member is not Member.MEMBER, event, f"participant {event.p} already holds a member"
    )
    joined = Local(member=Member.MEMBER)
    yield Successor(
        attrs.evolve(state, locals=_with(state, event.p, joined), parties=state.parties + 1)
    )


_Handler = Callable[[Profile, State, Any, Local], Iterator[Successor]]

_HANDLERS: dict[type, _Handler] = {
    Wait: _on_wait,
    Enter: _on_enter,
    Resume: _on_resume,
    Timeout: _on_timeout,
    Cancel: _on_cancel,
    Abort: _on_abort,
    Reset: _on_reset,
    Die: _on_die,
    Notice: _on_notice,
    Join: _on_join,
}
