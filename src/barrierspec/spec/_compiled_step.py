"""The compiled successor function: ``enabled`` and ``step`` fused, over tuple states.

:func:`make_successors` returns ``successors(state) -> [(label, next_state), ...]`` for one
profile and one set of bounds. It is a transcription of :func:`~barrierspec.spec.enabled`
followed by :func:`~barrierspec.spec.step` for each enabled event, in the same order, on the
compiled states of :mod:`barrierspec.spec._compiled_codes`: per-local facts and rewrites are
list lookups by local code, policies are resolved once into booleans, labels come from a
prebuilt :class:`~barrierspec.spec._compiled_labels.LabelTable`.

The readable model stays the source of truth: ``tests/spec/test_compiled_equivalence.py``
requires, on every reachable state of every profile at small bounds, that these successors
decode to exactly the readable model's ``(Transition, State)`` pairs. Each helper below names
the readable function it transcribes; a change to the model must change both.
"""

# Locals are replaced by tuple concatenation, measured faster than unpacking here.
# ruff: noqa: RUF005

from __future__ import annotations

from collections.abc import Callable

from barrierspec.spec._compiled_codes import (
    BLOCKED,
    DEAD,
    FAILING,
    IDLE,
    PASSED,
    WAITING,
    CompiledRangeError,
    CompiledState,
    LocalCodes,
    TakenCodec,
)
from barrierspec.spec._compiled_labels import Label, LabelTable, Outcome
from barrierspec.spec._enabled import Bounds
from barrierspec.spec._policies import (
    AbortDrainers,
    ActionPolicy,
    Cancellation,
    Death,
    GiveUp,
    IndexPolicy,
    Membership,
    Newcomer,
    Profile,
    ResetPolicy,
)
from barrierspec.spec._state import Fault, Member

__all__ = ["Successors", "make_successors"]

Successors = Callable[[CompiledState], list[tuple[Label, CompiledState]]]
_Post = tuple[CompiledState, int]  # a next state and the Outcome that labels it

_MEMBER, _CANCELLED = int(Member.MEMBER), int(Member.CANCELLED)
_BROKEN, _TIMEOUT = int(Fault.BROKEN), int(Fault.TIMEOUT)
_CANCELLED_FAULT, _CANCELLED_BARRIER = int(Fault.CANCELLED), int(Fault.CANCELLED_BARRIER)
_PLAIN, _RAN, _RAN_RAISED = Outcome.PLAIN, Outcome.RAN, Outcome.RAN_RAISED


def make_successors(
    profile: Profile, bounds: Bounds, codes: LocalCodes, taken_codec: TakenCodec, labels: LabelTable
) -> Successors:
    """The successor function of ``profile`` within ``bounds`` (see the module docstring)."""
    pol = profile.policies
    dynamic = pol.membership is Membership.DYNAMIC
    distinct = pol.index is IndexPolicy.DISTINCT
    has_action = pol.action is ActionPolicy.LAST_ARRIVAL
    give_up = pol.give_up
    newcomers_block = pol.newcomer is not Newcomer.JOIN_NEXT
    newcomers_only_block = pol.newcomer is Newcomer.BLOCK
    member_cancel = pol.cancellation is Cancellation.CANCEL_MEMBER
    death = pol.death
    rounds = bounds.rounds
    wait_timeouts = (False, True) if bounds.timeouts else (False,)
    failing_actions = bounds.action_failures and has_action
    can_abort = bounds.abort_reset and profile.has_abort
    can_reset = bounds.abort_reset and profile.has_reset
    can_join = dynamic and bounds.joins
    can_cancel = bounds.cancels and pol.cancellation is not Cancellation.NONE
    timeouts_while_blocked = give_up is not GiveUp.BREAK_ALL
    max_deaths = bounds.deaths if death is not Death.NONE else 0

    status, member, idle, cancelled = codes.status, codes.member, codes.idle, codes.cancelled
    timed, raises, doomed, fault, local_round = (
        codes.timed,
        codes.raises,
        codes.doomed,
        codes.fault,
        codes.round,
    )
    size = range(codes.size)
    max_round = codes.max_round
    dead0 = codes.code(DEAD)
    doomed_offset = codes.code(IDLE, doomed=True)  # adding it sets the doomed field
    passed_code = [
        [codes.code(PASSED, r, member=m) for m in range(3)] for r in size[: max_round + 1]
    ]
    flags = [(t, x) for t in (0, 1) for x in (0, 1)]  # (timed, raises), index t * 2 + x
    waiting_code = [
        [[codes.code(WAITING, r, timed=t, raises=x, member=m) for m in range(3)] for t, x in flags]
        for r in size[: max_round + 1]
    ]
    blocked_code = [
        [codes.code(BLOCKED, timed=t, raises=x, member=m) for m in range(3)] for t, x in flags
    ]
    failing_code = [[codes.code(FAILING, fault=f, member=m) for m in range(3)] for f in range(6)]
    stands_code = [codes.code(DEAD, r, arrived=True) for r in size[: max_round + 1]]
    idle_member = codes.code(IDLE, member=_MEMBER)
    idle_cancelled = codes.code(IDLE, member=_CANCELLED)
    failing_member_cancelled = failing_code[_CANCELLED_BARRIER][_CANCELLED]

    # settling(): someone released or woken has not left (woken only counts if not broken)
    settling_open = [s in (PASSED, FAILING) for s in status].__getitem__
    settling_broken = [s == PASSED for s in status].__getitem__
    is_dead = [int(s == DEAD) for s in status].__getitem__
    dead_arrival = [s == DEAD and a for s, a in zip(status, codes.arrived, strict=True)]

    def _broken_local(c: int) -> int:  # the local rewrite of _step._break
        s = status[c]
        if s in (WAITING, BLOCKED) or (s == PASSED and pol.abort is AbortDrainers.BREAK):
            return failing_code[_BROKEN][member[c]]
        if s == PASSED:
            return c + doomed_offset if not doomed[c] else c
        return dead0 if dead_arrival[c] else c

    def _reset_local(c: int) -> int:  # the local rewrite of _step._on_reset
        s = status[c]
        if s == WAITING or (s == PASSED and pol.reset is ResetPolicy.BREAK_DRAINERS):
            return failing_code[_BROKEN][member[c]]
        return dead0 if dead_arrival[c] else c

    broken_local = [_broken_local(c) for c in size].__getitem__
    reset_local = [_reset_local(c) for c in size].__getitem__
    slot_of_passed = [
        taken_codec.slot_mask(local_round[c]) if status[c] == PASSED else 0 for c in size
    ]
    trip_tables: dict[int, Callable[[int], int]] = {}
    width, present = taken_codec.width, taken_codec.present

    def trip_local(r: int) -> Callable[[int], int]:  # the local rewrite of _step._trip
        table = trip_tables.get(r)
        if table is None:
            table = [
                passed_code[r][member[c]]
                if status[c] == WAITING
                else dead0
                if dead_arrival[c]
                else c
                for c in size
            ].__getitem__
            trip_tables[r] = table
        return table

    def prune(taken: int, locs: tuple[int, ...]) -> int:  # _step._prune
        if not taken:
            return 0
        keep = 0
        for c in locs:
            keep |= slot_of_passed[c]
        return taken & keep

    def break_all(rnd: int, parties: int, taken: int, locs: tuple[int, ...]) -> CompiledState:
        new = tuple(map(broken_local, locs))  # _step._break
        return (rnd, 0, True, parties, prune(taken, new), new)

    def trip(state: CompiledState, last: int, raise_: bool) -> _Post:  # _step._trip
        rnd, _, broken, parties, taken, locs = state
        outcome = _PLAIN
        if has_action and last >= 0:
            if raise_:
                failed = locs[:last] + (idle[locs[last]],) + locs[last + 1 :]
                return break_all(rnd, parties, taken, failed), _RAN_RAISED
            outcome = _RAN
        if rnd >= max_round:
            raise CompiledRangeError(f"round {rnd + 1} is beyond the compiled bound {max_round}")
        new = list(map(trip_local(rnd), locs))
        if last >= 0:
            new[last] = passed_code[rnd][member[locs[last]]]
        if distinct:
            taken |= present << (rnd * width)
        locs = tuple(new)
        return (rnd + 1, 0, broken, parties, prune(taken, locs), locs), outcome

    def arrive(state: CompiledState, p: int, t: int, x: int) -> _Post:  # _step._arrive
        rnd, arrived, broken, parties, taken, locs = state
        if arrived + 1 == parties:
            return trip(state, p, bool(x))
        w = waiting_code[rnd][t * 2 + x][member[locs[p]]]
        return (rnd, arrived + 1, broken, parties, taken, locs[:p] + (w,) + locs[p + 1 :]), _PLAIN

    def leave(state: CompiledState, p: int, new: int) -> CompiledState:  # _step._leave
        rnd, arrived, broken, parties, taken, locs = state
        if status[locs[p]] == WAITING:
            arrived -= 1
        return (rnd, arrived, broken, parties - 1, taken, locs[:p] + (new,) + locs[p + 1 :])

    def recheck(state: CompiledState) -> CompiledState:  # _step._recheck
        parties = state[3]
        if parties > 0 and state[1] == parties:
            return trip(state, -1, False)[0]
        return state

    wait_labels, enter_labels, notice_labels = labels.wait, labels.enter, labels.notice
    abort_labels, reset_labels, join_labels = labels.abort, labels.reset, labels.join
    timeout_raised, timeout_false = labels.timeout_raised, labels.timeout_false
    resume_raised, resume_true, resume_index = (
        labels.resume_raised,
        labels.resume_true,
        labels.resume_index,
    )
    plain_raises = (False,)
    both_raises = (False, True)

    def successors(state: CompiledState) -> list[tuple[Label, CompiledState]]:
        rnd, arrived, broken, parties, taken, locs = state
        out: list[tuple[Label, CompiledState]] = []
        add = out.append
        draining = any(map(settling_broken if broken else settling_open, locs))
        deaths_left = max_deaths > 0 and max_deaths > sum(map(is_dead, locs))
        trip_next = (
            not broken and arrived + 1 == parties and not (draining and newcomers_only_block)
        )
        wait_raises = both_raises if trip_next and failing_actions else plain_raises
        waiting_now = waiting_code[rnd] if rnd < rounds else None
        for p, c in enumerate(locs):
            s = status[c]
            if s == IDLE:
                m = member[c]
                if waiting_now is not None and (m or not dynamic):
                    _waits(
                        state,
                        p,
                        m,
                        draining=draining,
                        wait_raises=wait_raises,
                        waiting_now=waiting_now,
                        add=add,
                    )
                if can_abort:
                    add((abort_labels[p], break_all(rnd, parties, taken, locs)))
                if can_reset:
                    new = tuple(map(reset_local, locs))
                    add((reset_labels[p], (rnd, 0, False, parties, prune(taken, new), new)))
                if can_join and m != _MEMBER:
                    new = locs[:p] + (idle_member,) + locs[p + 1 :]
                    add((join_labels[p], (rnd, arrived, broken, parties + 1, taken, new)))
            elif s == PASSED:
                new = locs[:p] + (idle[c],) + locs[p + 1 :]
                keep = 0
                if taken:
                    for other in new:
                        keep |= slot_of_passed[other]
                if doomed[c]:
                    post = (rnd, arrived, broken, parties, taken & keep, new)
                    add((resume_raised[p][_BROKEN], post))
                if not distinct:
                    add((resume_true[p], (rnd, arrived, broken, parties, taken & keep, new)))
                else:
                    shift = local_round[c] * width
                    used = taken >> shift
                    has_entry = used & present
                    indices = resume_index[p]
                    for index in range(parties):
                        if has_entry and used >> index & 1:
                            continue
                        picked = taken | (1 << (shift + index)) if has_entry else taken
                        add((indices[index], (rnd, arrived, broken, parties, picked & keep, new)))
            elif s == WAITING:
                if timed[c]:
                    if give_up is GiveUp.BREAK_ALL:
                        new = locs[:p] + (idle[c],) + locs[p + 1 :]
                        post = break_all(rnd, parties, taken, new)
                        add((timeout_raised[p][_BROKEN], post))
                    elif give_up is GiveUp.WITHDRAW:
                        new = locs[:p] + (idle[c],) + locs[p + 1 :]
                        post = (rnd, arrived - 1, broken, parties, taken, new)
                        add((timeout_raised[p][_TIMEOUT], post))
                    else:
                        add((timeout_false[p], recheck(leave(state, p, idle_cancelled))))
            elif s == FAILING:
                new = locs[:p] + (idle[c],) + locs[p + 1 :]
                post = (rnd, arrived, broken, parties, prune(taken, new), new)
                add((resume_raised[p][fault[c]], post))
            elif s == BLOCKED:
                if not draining and not broken:
                    post, outcome = arrive(state, p, timed[c], raises[c])
                    add((enter_labels[p][outcome], post))
                if timed[c] and timeouts_while_blocked:
                    new = locs[:p] + (idle[c],) + locs[p + 1 :]
                    post = (rnd, arrived, broken, parties, taken, new)
                    add((timeout_raised[p][_TIMEOUT], post))
            else:  # DEAD
                if dead_arrival[c]:  # the barrier may notice the dead arrival
                    new = locs[:p] + (dead0,) + locs[p + 1 :]
                    add((notice_labels[p], (rnd, arrived - 1, broken, parties, taken, new)))
                    add((notice_labels[p], break_all(rnd, parties, taken, new)))
                continue
            if can_cancel and (
                (dynamic and member[c] == _MEMBER)
                or (not dynamic and s in (WAITING, BLOCKED, PASSED))
            ):
                _cancel(state, p, c, s, add)
            if deaths_left:
                _die(state, p, c, s, add)
        return out

    def _waits(
        state: CompiledState,
        p: int,
        m: int,
        *,
        draining: bool,
        wait_raises: tuple[bool, ...],
        waiting_now: list[list[int]],
        add: Callable[[tuple[Label, CompiledState]], None],
    ) -> None:
        """The Wait events of idle participant ``p`` (member ``m``): _step._on_wait."""
        rnd, arrived, broken, parties, taken, locs = state
        labels_p = wait_labels[p]
        if (dynamic and m == _CANCELLED) or broken:
            outcome = Outcome.CANCELLED_BARRIER if dynamic and m == _CANCELLED else Outcome.BROKEN
            for t in wait_timeouts:
                for x in wait_raises:
                    add((labels_p[t][x][outcome], state))
            return
        before, after = locs[:p], locs[p + 1 :]
        block = draining and newcomers_block
        trips = arrived + 1 == parties
        for t in wait_timeouts:
            for x in wait_raises:
                labs = labels_p[t][x]
                if block:
                    new = before + (blocked_code[t * 2 + x][m],) + after
                    add((labs[_PLAIN], (rnd, arrived, broken, parties, taken, new)))
                    if newcomers_only_block:
                        continue
                if trips:
                    post, outcome = trip(state, p, x)
                    add((labs[outcome], post))
                else:
                    new = before + (waiting_now[t * 2 + x][m],) + after
                    add((labs[_PLAIN], (rnd, arrived + 1, broken, parties, taken, new)))

    def _cancel(
        state: CompiledState,
        p: int,
        c: int,
        s: int,
        add: Callable[[tuple[Label, CompiledState]], None],
    ) -> None:
        rnd, arrived, broken, parties, taken, locs = state  # _step._on_cancel
        if member_cancel:
            if member[c] == _CANCELLED:
                add((labels.cancel[p], state))
            elif s == WAITING:
                post = recheck(leave(state, p, idle_cancelled))
                add((labels.cancel_raised[p][_CANCELLED_BARRIER], post))
            else:
                add((labels.cancel[p], recheck(leave(state, p, cancelled[c]))))
                if s == PASSED:
                    left = leave(state, p, failing_member_cancelled)
                    pruned = (*left[:4], prune(left[4], left[5]), left[5])
                    add((labels.cancel[p], recheck(pruned)))
            return
        new = locs[:p] + (idle[c],) + locs[p + 1 :]
        if s == WAITING:
            post = (rnd, arrived - 1, broken, parties, taken, new)
            add((labels.cancel_raised[p][_CANCELLED_FAULT], post))
        elif s == BLOCKED:
            post = (rnd, arrived, broken, parties, taken, new)
            add((labels.cancel_raised[p][_CANCELLED_FAULT], post))
        else:
            new = locs[:p] + (failing_code[_CANCELLED_FAULT][member[c]],) + locs[p + 1 :]
            add((labels.cancel[p], (rnd, arrived, broken, parties, prune(taken, new), new)))

    def _die(
        state: CompiledState,
        p: int,
        c: int,
        s: int,
        add: Callable[[tuple[Label, CompiledState]], None],
    ) -> None:
        rnd, arrived, broken, parties, taken, locs = state  # _step._on_die
        if death is Death.WITHDRAW and member[c] == _MEMBER:
            left = leave(state, p, dead0)
            pruned = (*left[:4], prune(left[4], left[5]), left[5])
            add((labels.die[p], recheck(pruned)))
        elif death is Death.WITHDRAW or s != WAITING:
            new = locs[:p] + (dead0,) + locs[p + 1 :]
            add((labels.die[p], (rnd, arrived, broken, parties, prune(taken, new), new)))
        else:
            new = locs[:p] + (stands_code[local_round[c]],) + locs[p + 1 :]
            add((labels.die[p], (rnd, arrived, broken, parties, taken, new)))

    return successors
