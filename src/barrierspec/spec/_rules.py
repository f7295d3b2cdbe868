"""The rules of the barrier, written once: what every event does, for one acting participant.

Every function here is written against a :class:`~barrierspec.spec._domain.Domain` ``d``
and a domain state ``s`` (see :mod:`barrierspec.spec._domain`), so that one text is the
readable model, the compiled search, the Z3 transition relation and the counting search.
A handler receives the event and the actor's local state and yields ``(s', outputs)`` per
successor the profile allows (more than one where the contract is nondeterministic). An event
the rules do not allow raises :class:`InvalidOperationError` naming the rule.

The rounds, in prose (every rule cites its source in ``docs/semantics.md``):

* A live idle participant calls ``wait``. On a broken barrier it raises at once; on a
  single-use barrier (a latch) that has tripped it returns at once. While the
  previous round drains, a newcomer blocks or joins the next round, as the ``Newcomer`` policy
  says. Otherwise it *arrives*: it is counted in the filling round.
* The arrival that makes ``arrived == parties`` *trips* the round: the action (if any) runs in
  that participant before anyone is released; if the action raises, that participant gets the
  exception and the barrier breaks; otherwise every counted waiter becomes ``PASSED``, the
  round counter advances and ``arrived`` returns to 0.
* A ``PASSED`` participant resumes with a fresh index of its round (or ``True``); under
  ``IndexPolicy.ARRIVAL`` with its arrival position, fixed when it was counted (an arrival
  withdrawn before the trip moves every later one down by one).
* A *break* (timeout under ``BREAK_ALL``, ``abort``, a failed action) wakes every waiter with
  ``BrokenBarrierError`` and leaves the barrier broken until ``reset``.
* Under ``Reentry.BREAKS_ROUND`` the action may call ``abort()`` or ``reset()`` on its own
  barrier: the round does not trip; the last arrival raises ``BrokenBarrierError`` when the
  action returns, the other parties of the round are woken to raise it, and the barrier is
  broken (``abort``) or reset (``reset``) as if that call had come from outside just then.
* ``reset`` wakes the waiters with ``BrokenBarrierError`` and leaves the barrier usable; under
  ``BREAK_DRAINERS`` it breaks released-but-not-resumed parties too.
* Dynamic membership: ``parties`` is the number of members; a member that leaves (cancel,
  timeout, death) is withdrawn and the release condition is re-checked at once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import attrs

from barrierspec.errors import InvalidOperationError
from barrierspec.spec._domain import Cond, Domain, S
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
    Reentry,
    ResetPolicy,
    RoundsPolicy,
)
from barrierspec.spec._state import (
    Abort,
    ActionRan,
    Call,
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
    Status,
    Timeout,
    Wait,
)

__all__ = [
    "HANDLERS",
    "behind_local",
    "broken_local",
    "idle",
    "released_local",
    "reset_local",
    "successors",
]

Outputs = tuple[Observation, ...]


def _require(ok: bool, event: Event, rule: str) -> None:
    if not ok:
        raise InvalidOperationError(f"{event}: {rule}")


# ------------------------------------------------------------------ per-participant rules


def idle(loc: Local) -> Local:
    """``loc`` back outside the barrier, keeping its membership."""
    return Local(member=loc.member)


def broken_local(policies: Policies, loc: Local) -> Local:
    """One participant's local when the barrier breaks.

    A waiter or blocked newcomer will raise ``BrokenBarrierError``; a party released but not
    resumed raises too under ``AbortDrainers.BREAK``, else it is *doomed* (it may still
    return); a dead arrival is forgotten.
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
    """One participant's local after ``reset()``.

    A waiter raises ``BrokenBarrierError``, and so does a released party under
    ``ResetPolicy.BREAK_DRAINERS``; a dead arrival is forgotten.
    """
    breaks_drainers = policies.reset is ResetPolicy.BREAK_DRAINERS
    if loc.status is Status.WAITING or (breaks_drainers and loc.status is Status.PASSED):
        return Local(status=Status.FAILING, fault=Fault.BROKEN, member=loc.member)
    if loc.status is Status.DEAD and loc.arrived:
        return Local(status=Status.DEAD)
    return loc


def released_local(released: int, loc: Local) -> Local:
    """One participant's local when round ``released`` trips: a counted waiter is released
    in that round, a dead arrival is forgotten."""
    if loc.status is Status.WAITING:
        return Local(status=Status.PASSED, round=released, member=loc.member, position=loc.position)
    if loc.status is Status.DEAD and loc.arrived:
        return Local(status=Status.DEAD)
    return loc


def behind_local(withdrawn: int, loc: Local) -> Local:
    """One participant's local when the arrival at position ``withdrawn`` of the filling
    round is withdrawn: a counted party that arrived after it moves down one position."""
    counted = loc.status is Status.WAITING or (loc.status is Status.DEAD and loc.arrived)
    if counted and loc.position > withdrawn:
        return attrs.evolve(loc, position=loc.position - 1)
    return loc


# --------------------------------------------------------------------- whole-barrier moves


def break_all(d: Domain[S], pol: Policies, s: S) -> S:
    """The barrier breaks: every waiter will raise BrokenBarrierError; sticky until reset."""
    return d.prune(d.clear(d.each(s, broken_local, pol), broken=True))


def reset_all(d: Domain[S], pol: Policies, s: S) -> S:
    """``reset()``: every waiter will raise BrokenBarrierError; the barrier is usable again."""
    return d.prune(d.clear(d.each(s, reset_local, pol), broken=False))


def trip(
    d: Domain[S], profile: Profile, s: S, last: Local | None, *, p: int, raises: bool
) -> tuple[S, Outputs]:
    """All ``parties`` have arrived (``last``, already counted as a waiter, made it so; None
    for a re-check): run the action, release the round (unless the action raises, or calls
    ``abort()``/``reset()`` back: then the actor leaves with the action's exception or
    ``BrokenBarrierError`` and the barrier breaks or resets)."""
    pol = profile.policies
    outputs: Outputs = ()
    if pol.action is ActionPolicy.LAST_ARRIVAL and last is not None:
        outputs = (ActionRan(p, raises),)
        if raises:
            failed = break_all(d, pol, d.set_actor(s, idle(last)))
            return failed, (*outputs, Raised(p, Fault.ACTION))
        if last.calls is not Call.NONE:
            left = d.set_actor(s, idle(last))
            after = break_all(d, pol, left) if last.calls is Call.ABORT else reset_all(d, pol, left)
            return after, (*outputs, Raised(p, Fault.BROKEN))
    released = d.each(s, released_local, d.filling_round(s))
    if pol.index is IndexPolicy.DISTINCT:
        released = d.open_indices(released)
    return d.prune(d.advance(released)), outputs


def arrive(
    d: Domain[S],
    profile: Profile,
    s: S,
    loc: Local,
    *,
    p: int,
    timed: bool,
    raises: bool,
    calls: Call,
) -> tuple[S, Outputs]:
    """The actor is counted in the filling round; the round trips if it is the last."""
    waiting = Local(
        status=Status.WAITING,
        round=d.filling_round(s),
        timed=timed,
        raises=raises,
        calls=calls,
        member=loc.member,
        position=d.position(s) if profile.policies.index is IndexPolicy.ARRIVAL else 0,
    )
    if d.test(s, Cond.LAST):
        return trip(d, profile, d.set_actor(s, waiting), waiting, p=p, raises=raises)
    return d.add(d.set_actor(s, waiting), arrived=1), ()


def recheck(d: Domain[S], profile: Profile, s: S, outputs: Outputs) -> tuple[S, Outputs]:
    """Dynamic membership: after a member left, release everyone if all who remain wait."""
    if d.test(s, Cond.FULL):
        released, ran = trip(d, profile, s, None, p=-1, raises=False)
        return released, (*outputs, *ran)
    return s, outputs


def withdraw(d: Domain[S], pol: Policies, s: S, loc: Local) -> S:
    """The arrival of ``loc`` (a counted party, already rewritten in ``s``) is withdrawn."""
    s = d.add(s, arrived=-1)
    if pol.index is IndexPolicy.ARRIVAL:
        s = d.each(s, behind_local, loc.position)
    return s


def leave(d: Domain[S], pol: Policies, s: S, loc: Local, new: Local) -> S:
    """The actor (a member, local ``loc``) leaves a dynamic barrier; its arrival is withdrawn."""
    left = d.add(d.set_actor(s, new), parties=-1)
    return withdraw(d, pol, left, loc) if loc.status is Status.WAITING else left


# ------------------------------------------------------------------------------ handlers

_Successors = Iterator[tuple[Any, Outputs]]


def on_wait(d: Domain[S], profile: Profile, s: S, event: Wait, loc: Local) -> _Successors:
    """``wait()``: raise at once, block while the last round drains, or arrive."""
    p = event.p
    _require(loc.status is Status.IDLE, event, f"participant {p} is already inside wait()")
    pol = profile.policies
    if pol.membership is Membership.DYNAMIC:
        _require(loc.member is not Member.NOT_MEMBER, event, f"participant {p} holds no member")
        if loc.member is Member.CANCELLED:
            yield s, (Raised(p, Fault.CANCELLED_BARRIER),)
            return
    _require(
        not (event.raises and pol.action is ActionPolicy.NONE),
        event,
        f"profile {profile.name!r} has no action to raise",
    )
    _check_call(profile, event)
    if d.test(s, Cond.BROKEN):
        yield s, (Raised(p, Fault.BROKEN),)
        return
    if pol.rounds is RoundsPolicy.SINGLE and d.test(s, Cond.TRIPPED):
        # a latch that has tripped lets every later wait through at once
        yield s, (Returned(p, True if pol.index is IndexPolicy.NONE else None),)
        return
    if pol.newcomer is not Newcomer.JOIN_NEXT and d.test(s, Cond.SETTLING):
        blocked = Local(
            status=Status.BLOCKED,
            timed=event.timeout,
            raises=event.raises,
            calls=event.calls,
            member=loc.member,
        )
        yield d.set_actor(s, blocked), ()
        if pol.newcomer is Newcomer.BLOCK:
            return
    yield arrive(
        d, profile, s, loc, p=p, timed=event.timeout, raises=event.raises, calls=event.calls
    )


def _check_call(profile: Profile, event: Wait) -> None:
    """An action may call back only where the contract says what that does."""
    if event.calls is Call.NONE:
        return
    pol = profile.policies
    _require(
        pol.reentry is Reentry.BREAKS_ROUND and pol.action is ActionPolicy.LAST_ARRIVAL,
        event,
        f"under {profile.name!r} (reentry={pol.reentry.value}) an action calling abort() or "
        "reset() is outside the contract",
    )
    _require(not event.raises, event, "an action either raises or calls back, not both")
    _require(
        event.calls in profile.action_calls,
        event,
        f"profile {profile.name!r} has no {event.calls.name.lower()}()",
    )


def on_enter(d: Domain[S], profile: Profile, s: S, event: Enter, loc: Local) -> _Successors:
    """A blocked newcomer enters the filling round once the last one has drained."""
    _require(loc.status is Status.BLOCKED, event, f"participant {event.p} is not blocked")
    _require(
        not d.test(s, Cond.SETTLING) and not d.test(s, Cond.BROKEN),
        event,
        "the previous round is still draining",
    )
    yield arrive(d, profile, s, loc, p=event.p, timed=loc.timed, raises=loc.raises, calls=loc.calls)


def on_resume(d: Domain[S], profile: Profile, s: S, event: Resume, loc: Local) -> _Successors:
    """A woken party raises its fault; a released one returns a free index (its arrival
    position under ``ARRIVAL``, ``True`` or ``None`` when the profile has no index)."""
    p = event.p
    left = d.set_actor(s, idle(loc))
    if loc.status is Status.FAILING:
        yield d.prune(left), (Raised(p, loc.fault),)
        return
    _require(loc.status is Status.PASSED, event, f"participant {p} has not been released")
    if loc.doomed:
        yield d.prune(left), (Raised(p, Fault.BROKEN),)
    policy = profile.policies.index
    if policy is IndexPolicy.NONE or policy is IndexPolicy.RETURNS_NONE:
        yield d.prune(left), (Returned(p, True if policy is IndexPolicy.NONE else None),)
        return
    if policy is IndexPolicy.ARRIVAL:
        yield d.prune(left), (Returned(p, loc.position),)
        return
    for picked, index in d.pick_index(left, loc):
        yield d.prune(picked), (Returned(p, index),)


def on_timeout(d: Domain[S], profile: Profile, s: S, event: Timeout, loc: Local) -> _Successors:
    """A pending wait's timeout fires: the ``GiveUp`` policy says what it does."""
    p = event.p
    pol = profile.policies
    _require(loc.timed, event, f"participant {p} has no pending wait with a timeout")
    if loc.status is Status.BLOCKED:
        _require(
            pol.give_up is not GiveUp.BREAK_ALL,
            event,
            f"under {profile.name!r} the timeout does not run while the newcomer is blocked",
        )
        yield d.set_actor(s, idle(loc)), (Raised(p, Fault.TIMEOUT),)
        return
    _require(loc.status is Status.WAITING, event, f"participant {p} is not waiting")
    if pol.give_up is GiveUp.BREAK_ALL or pol.give_up is GiveUp.BREAK_ALL_TIMEOUT_ERROR:
        fault = Fault.BROKEN if pol.give_up is GiveUp.BREAK_ALL else Fault.TIMEOUT
        yield break_all(d, pol, d.set_actor(s, idle(loc))), (Raised(p, fault),)
    elif pol.give_up is GiveUp.WITHDRAW:
        yield withdraw(d, pol, d.set_actor(s, idle(loc)), loc), (Raised(p, Fault.TIMEOUT),)
    else:
        left = leave(d, pol, s, loc, Local(member=Member.CANCELLED))
        yield recheck(d, profile, left, (Returned(p, False),))


def on_cancel(d: Domain[S], profile: Profile, s: S, event: Cancel, loc: Local) -> _Successors:
    """A pending wait is cancelled (asyncio), or the actor's member is (named barriers).

    A counted waiter's arrival is withdrawn, or under ``Cancellation.BREAK_ALL`` the barrier
    breaks; a blocked newcomer just leaves; a released party, or one woken to fail, raises
    ``CancelledError`` when it resumes. Under ``Cancellation.BREAK_ALWAYS`` each of these
    cancellations also breaks the barrier (a released party's round stands)."""
    p = event.p
    mode = profile.policies.cancellation
    _require(mode is not Cancellation.NONE, event, f"profile {profile.name!r} has no cancellation")
    if mode is Cancellation.CANCEL_MEMBER:
        yield from _cancel_member(d, profile, s, event, loc)
        return
    raised = (Raised(p, Fault.CANCELLED),)
    always = mode is Cancellation.BREAK_ALWAYS
    if loc.status is Status.WAITING and (mode is Cancellation.BREAK_ALL or always):
        # the cancelled waiter gets CancelledError, the others BrokenBarrierError
        yield break_all(d, profile.policies, d.set_actor(s, idle(loc))), raised
    elif loc.status is Status.WAITING:
        yield withdraw(d, profile.policies, d.set_actor(s, idle(loc)), loc), raised
    elif loc.status is Status.BLOCKED:
        left = d.set_actor(s, idle(loc))
        yield (break_all(d, profile.policies, left) if always else left), raised
    else:
        # released or failing but not resumed: it resumes raising CancelledError instead
        _require(
            loc.status in (Status.PASSED, Status.FAILING),
            event,
            f"participant {p} has no pending wait",
        )
        failing = d.set_actor(
            s, Local(status=Status.FAILING, fault=Fault.CANCELLED, member=loc.member)
        )
        yield (break_all(d, profile.policies, failing) if always else d.prune(failing)), ()


def _cancel_member(d: Domain[S], profile: Profile, s: S, event: Cancel, loc: Local) -> _Successors:
    p = event.p
    _require(loc.member is not Member.NOT_MEMBER, event, f"participant {p} holds no member")
    if loc.member is Member.CANCELLED:  # cancel() is idempotent
        yield s, ()
        return
    pol = profile.policies
    if loc.status is Status.WAITING:
        left = leave(d, pol, s, loc, Local(member=Member.CANCELLED))
        yield recheck(d, profile, left, (Raised(p, Fault.CANCELLED_BARRIER),))
        return
    cancelled = attrs.evolve(loc, member=Member.CANCELLED)
    yield recheck(d, profile, leave(d, pol, s, loc, cancelled), ())
    if loc.status is Status.PASSED:  # cancel() may win the race with the wake-up
        failing = Local(
            status=Status.FAILING, fault=Fault.CANCELLED_BARRIER, member=Member.CANCELLED
        )
        yield recheck(d, profile, d.prune(leave(d, pol, s, loc, failing)), ())


def on_abort(d: Domain[S], profile: Profile, s: S, event: Abort, loc: Local) -> _Successors:
    """``abort()`` breaks the barrier."""
    _require(profile.has_abort, event, f"profile {profile.name!r} has no abort()")
    _require(loc.status is Status.IDLE, event, f"participant {event.p} is inside wait()")
    yield break_all(d, profile.policies, s), ()


def on_reset(d: Domain[S], profile: Profile, s: S, event: Reset, loc: Local) -> _Successors:
    """``reset()`` wakes the waiters with BrokenBarrierError; the barrier is usable again."""
    _require(profile.has_reset, event, f"profile {profile.name!r} has no reset()")
    _require(loc.status is Status.IDLE, event, f"participant {event.p} is inside wait()")
    yield reset_all(d, profile.policies, s), ()


def on_die(d: Domain[S], profile: Profile, s: S, event: Die, loc: Local) -> _Successors:
    """The actor's process is killed: the ``Death`` policy says what becomes of its arrival."""
    death = profile.policies.death
    _require(death is not Death.NONE, event, f"profile {profile.name!r} has no process to kill")
    dead = Local(status=Status.DEAD)
    if death is Death.WITHDRAW:
        if loc.member is Member.MEMBER:
            yield recheck(d, profile, d.prune(leave(d, profile.policies, s, loc, dead)), ())
        else:
            yield d.prune(d.set_actor(s, dead)), ()
        return
    if loc.status is not Status.WAITING:
        yield d.prune(d.set_actor(s, dead)), ()
        return
    # its arrival stands until the barrier notices the death (see on_notice)
    standing = Local(status=Status.DEAD, round=loc.round, arrived=True, position=loc.position)
    yield d.set_actor(s, standing), ()


def on_notice(d: Domain[S], profile: Profile, s: S, event: Notice, loc: Local) -> _Successors:
    """Undocumented death (``Death.ANY``): the barrier may, at any later time, notice that a
    dead participant's arrival will never complete its round, and withdraw it or break."""
    _require(
        loc.status is Status.DEAD and loc.arrived,
        event,
        f"participant {event.p} is not a dead arrival",
    )
    withdrawn = withdraw(d, profile.policies, d.set_actor(s, Local(status=Status.DEAD)), loc)
    yield withdrawn, ()
    yield break_all(d, profile.policies, withdrawn), ()


def on_join(d: Domain[S], profile: Profile, s: S, event: Join, loc: Local) -> _Successors:
    """The actor creates a new member of a named barrier: one party more."""
    _require(
        profile.policies.membership is Membership.DYNAMIC,
        event,
        f"profile {profile.name!r} has fixed membership",
    )
    _require(loc.status is Status.IDLE, event, f"participant {event.p} is inside wait()")
    _require(
        loc.member is not Member.MEMBER, event, f"participant {event.p} already holds a member"
    )
    yield d.add(d.set_actor(s, Local(member=Member.MEMBER)), parties=1), ()


_Handler = Callable[[Any, Profile, Any, Any, Local], _Successors]

HANDLERS: dict[type, _Handler] = {
    Wait: on_wait,
    Enter: on_enter,
    Resume: on_resume,
    Timeout: on_timeout,
    Cancel: on_cancel,
    Abort: on_abort,
    Reset: on_reset,
    Die: on_die,
    Notice: on_notice,
    Join: on_join,
}


def successors(
    d: Domain[S], profile: Profile, s: S, event: Event, loc: Local
) -> Iterator[tuple[S, Outputs]]:
    """Every ``(s', outputs)`` the profile allows when the actor (local ``loc``) does
    ``event`` in ``s``."""
    return HANDLERS[type(event)](d, profile, s, event, loc)
