"""The named safety invariants of the barrier model.

One concern per invariant. State invariants hold in every reachable state; transition
invariants hold for every step ``pre --Transition(event, outputs)--> post``. The explorer
checks all of them; the proofs show the state invariants (strengthened where needed) hold for
every number of parties; the conformance oracle relies on the same model, so a barrier that
conforms inherits them.
"""

from __future__ import annotations

from barrierspec.spec._policies import (
    ActionPolicy,
    GiveUp,
    IndexPolicy,
    Membership,
    Profile,
    RoundsPolicy,
)
from barrierspec.spec._state import (
    ActionRan,
    Enter,
    Fault,
    Member,
    Raised,
    Reset,
    Returned,
    State,
    Status,
    Timeout,
    Transition,
    Wait,
)
from barrierspec.spec._system import Invariant, TransitionInvariant

__all__ = ["state_invariants", "transition_invariants"]


# ----------------------------------------------------------------------- state invariants


def _arrivals_counted(s: State) -> str | None:
    counted = sum(
        1
        for loc in s.locals
        if (loc.status is Status.WAITING and loc.round == s.round)
        or (loc.status is Status.DEAD and loc.arrived)
    )
    if counted != s.arrived:
        return f"arrived is {s.arrived} but {counted} arrivals stand in round {s.round}"
    return None


def _round_not_full(s: State) -> str | None:
    # nobody passes a round before all its parties arrived: a full round must have tripped
    if s.parties == 0:
        return None if s.arrived == 0 else f"{s.arrived} arrivals with no member left"
    if not 0 <= s.arrived < s.parties:
        return f"{s.arrived} arrivals stand in a round of {s.parties} parties without release"
    return None


def _broken_has_no_waiters(s: State) -> str | None:
    if not s.broken:
        return None
    stuck = [i for i, loc in enumerate(s.locals) if loc.status in (Status.WAITING, Status.BLOCKED)]
    if stuck or s.arrived:
        return f"the barrier is broken but P{stuck} still wait (arrived {s.arrived})"
    return None


def _one_round_each(s: State) -> str | None:
    for i, loc in enumerate(s.locals):
        if loc.status is Status.WAITING and loc.round != s.round:
            return f"P{i} waits in round {loc.round} while round {s.round} fills"
        if loc.status is Status.PASSED and loc.round >= s.round:
            return f"P{i} passed round {loc.round}, which has not completed (round {s.round})"
    return None


def _indices_in_range(s: State) -> str | None:
    for r, ids in s.taken:
        if any(not 0 <= i < s.parties for i in ids):
            return f"round {r} handed out indices {sorted(ids)} outside 0..{s.parties - 1}"
        pending = sum(1 for loc in s.locals if loc.status is Status.PASSED and loc.round == r)
        if len(ids) + pending > s.parties:
            return f"round {r} releases {len(ids) + pending} parties, more than {s.parties}"
    return None


def _members_are_parties(s: State) -> str | None:
    members = sum(
        1 for loc in s.locals if loc.member is Member.MEMBER and loc.status is not Status.DEAD
    )
    if members != s.parties:
        return f"{members} live members but parties is {s.parties}"
    return None


def state_invariants(profile: Profile) -> list[Invariant[State]]:
    """The state invariants that apply to ``profile``."""
    invs = [
        Invariant(
            "arrivals_counted",
            "arrived equals the arrivals standing in the round",
            _arrivals_counted,
        ),
        Invariant(
            "round_not_full", "a round holding all its parties has been released", _round_not_full
        ),
        Invariant(
            "broken_has_no_waiters", "a broken barrier holds no waiter", _broken_has_no_waiters
        ),
        Invariant(
            "one_round_each",
            "a waiter is in the filling round; a passer in a past one",
            _one_round_each,
        ),
    ]
    if profile.policies.index is IndexPolicy.DISTINCT:
        invs.append(
            Invariant(
                "indices_in_range",
                "indices of a round are in range and no more than parties",
                _indices_in_range,
            )
        )
    if profile.policies.membership is Membership.DYNAMIC:
        invs.append(
            Invariant(
                "members_are_parties", "parties equals the live members", _members_are_parties
            )
        )
    return invs


# ------------------------------------------------------------------ transition invariants


def _released(pre: State, post: State) -> list[int]:
    """Participants that this step moved into PASSED."""
    return [
        i
        for i, (a, b) in enumerate(zip(pre.locals, post.locals, strict=True))
        if b.status is Status.PASSED and a.status is not Status.PASSED
    ]


def _release_needs_all(pre: State, t: object, post: State) -> str | None:
    released = _released(pre, post)
    if not released:
        return None if post.round == pre.round else "the round advanced but nobody was released"
    dead = sum(1 for loc in pre.locals if loc.status is Status.DEAD and loc.arrived)
    if len(released) + dead != post.parties:
        return f"released {len(released)} (+{dead} dead arrivals) of {post.parties} parties"
    if post.round != pre.round + 1:
        return f"a release moved the round from {pre.round} to {post.round}"
    return None


def _make_action_once(profile: Profile) -> TransitionInvariant[State]:
    has_action = profile.policies.action is ActionPolicy.LAST_ARRIVAL

    def check(pre: State, t: object, post: State) -> str | None:
        assert isinstance(t, Transition)
        runs = [o for o in t.outputs if isinstance(o, ActionRan)]
        released = _released(pre, post)
        if not has_action:
            return f"{len(runs)} action runs in a profile without action" if runs else None
        if released:
            if len(runs) != 1 or runs[0].raised:
                return f"round {pre.round} released with {len(runs)} action runs"
            if isinstance(t.event, (Wait, Enter)) and runs[0].p != t.event.p:
                return f"the action ran in P{runs[0].p}, not in the last arrival P{t.event.p}"
            return None
        if any(not r.raised for r in runs):
            return "the action ran without releasing its round"
        if runs and not post.broken:
            return "the action raised but the barrier is not broken"
        return None

    return TransitionInvariant(
        "action_once_before_release",
        "the action runs exactly once per round, in the last arrival, before any release",
        check,
    )


def _make_returns_after_release(profile: Profile) -> TransitionInvariant[State]:
    latch = profile.policies.rounds is RoundsPolicy.SINGLE

    def check(pre: State, t: object, post: State) -> str | None:
        assert isinstance(t, Transition)
        if latch and pre.round > 0 and isinstance(t.event, Wait):
            return None  # a latch that has tripped lets a wait through at once
        for o in t.outputs:
            released = pre.locals[o.p].status is Status.PASSED
            if isinstance(o, Returned) and o.value is not False and not released:
                return f"P{o.p} returned {o.value!r} without having been released"
        return None

    return TransitionInvariant(
        "returns_after_release",
        "a wait returns normally only after its round was released",
        check,
    )


def _indices_distinct(pre: State, t: object, post: State) -> str | None:
    assert isinstance(t, Transition)
    for o in t.outputs:
        if isinstance(o, Returned) and isinstance(o.value, int) and not isinstance(o.value, bool):
            r = pre.locals[o.p].round
            used = dict(pre.taken).get(r, frozenset())
            if o.value in used or not 0 <= o.value < pre.parties:
                return f"P{o.p} returned index {o.value} in round {r}; taken: {sorted(used)}"
    return None


def _broken_sticky(pre: State, t: object, post: State) -> str | None:
    assert isinstance(t, Transition)
    if pre.broken and not post.broken and not isinstance(t.event, Reset):
        return f"the barrier stopped being broken after {t.event}, not a reset"
    return None


def _rounds_forward(pre: State, t: object, post: State) -> str | None:
    if post.round not in (pre.round, pre.round + 1):
        return f"the round went from {pre.round} to {post.round}"
    return None


def _make_timeout_policy(profile: Profile) -> TransitionInvariant[State]:
    give_up = profile.policies.give_up

    def check(pre: State, t: object, post: State) -> str | None:
        assert isinstance(t, Transition)
        ev = t.event
        if not isinstance(ev, Timeout) or pre.locals[ev.p].status is not Status.WAITING:
            return None
        if give_up is GiveUp.BREAK_ALL or give_up is GiveUp.BREAK_ALL_TIMEOUT_ERROR:
            fault = Fault.BROKEN if give_up is GiveUp.BREAK_ALL else Fault.TIMEOUT
            if not post.broken or Raised(ev.p, fault) not in t.outputs:
                return f"P{ev.p}'s timeout did not break the barrier ({give_up.value})"
        elif give_up is GiveUp.WITHDRAW:
            if post.broken != pre.broken or Raised(ev.p, Fault.TIMEOUT) not in t.outputs:
                return f"P{ev.p}'s timeout did not just withdraw it ({give_up.value})"
        elif Returned(ev.p, False) not in t.outputs:
            return f"P{ev.p}'s timed-out wait did not return False ({give_up.value})"
        return None

    return TransitionInvariant(
        "timeout_follows_policy", "a timeout has exactly the effect the profile states", check
    )


def _fixed_parties(pre: State, t: object, post: State) -> str | None:
    if pre.parties != post.parties:
        return f"parties changed from {pre.parties} to {post.parties} under fixed membership"
    return None


def transition_invariants(profile: Profile) -> list[TransitionInvariant[State]]:
    """The transition invariants that apply to ``profile``."""
    invs = [
        TransitionInvariant(
            "release_needs_all_parties",
            "a round is released only with all its parties, all together",
            _release_needs_all,
        ),
        _make_action_once(profile),
        _make_returns_after_release(profile),
        TransitionInvariant(
            "indices_distinct",
            "arrival indices of a round are distinct and in range",
            _indices_distinct,
        ),
        TransitionInvariant("broken_is_sticky", "broken stays broken until reset", _broken_sticky),
        TransitionInvariant(
            "rounds_never_go_back", "the round number never decreases", _rounds_forward
        ),
        _make_timeout_policy(profile),
    ]
    if profile.policies.membership is Membership.FIXED:
        invs.append(TransitionInvariant("fixed_parties", "parties never changes", _fixed_parties))
    return invs
