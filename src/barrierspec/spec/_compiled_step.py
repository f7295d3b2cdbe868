"""The compiled successor function: ``enabled`` and ``step`` fused, over tuple states.

:func:`make_successors` returns ``successors(state) -> [(label, next_state), ...]`` for one
profile and one set of bounds: the events of :func:`~barrierspec.spec.enabled`, each followed
by :func:`~barrierspec.spec.step`, in the same order, on the compiled states of
:mod:`barrierspec.spec._compiled_codes`. Policies are resolved once into booleans; labels come
from a prebuilt :class:`~barrierspec.spec._compiled_labels.LabelTable`; the per-participant
rewrites of a break, a reset and a trip are tables of the readable rules
(:mod:`barrierspec.spec._compiled_tables`), so they are not restated here.

The event handlers below still follow ``_step``'s handlers one for one (each names the one it
follows); ``tests/spec/test_compiled_equivalence.py`` requires, on every reachable state of
every profile at small bounds and of a custom profile, that these successors decode to
exactly the readable model's ``(Transition, State)`` pairs.

The function is split by participant status: ``successors`` computes the facts shared by
every participant of a state, then calls the handler of each participant's status, then its
cancel and death events.
"""

# Locals are replaced by tuple concatenation, measured faster than unpacking here.
# ruff: noqa: RUF005

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

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
from barrierspec.spec._compiled_tables import LocalTables
from barrierspec.spec._enabled import Bounds
from barrierspec.spec._policies import (
    ActionPolicy,
    Cancellation,
    Death,
    GiveUp,
    IndexPolicy,
    Membership,
    Newcomer,
    Profile,
)
from barrierspec.spec._state import Fault, Member

__all__ = ["Successors", "make_successors"]

Successors = Callable[[CompiledState], list[tuple[Label, CompiledState]]]
_Post = tuple[CompiledState, int]  # a next state and the Outcome that labels it
_Add = Callable[[tuple[Label, CompiledState]], None]
# a status handler: (state, p, code, draining, add)
_Handler = Callable[[CompiledState, int, int, bool, _Add], None]

_MEMBER, _CANCELLED = int(Member.MEMBER), int(Member.CANCELLED)
_BROKEN, _TIMEOUT = int(Fault.BROKEN), int(Fault.TIMEOUT)
_CANCELLED_FAULT, _CANCELLED_BARRIER = int(Fault.CANCELLED), int(Fault.CANCELLED_BARRIER)
_PLAIN, _RAN, _RAN_RAISED = Outcome.PLAIN, Outcome.RAN, Outcome.RAN_RAISED


class _Core(NamedTuple):
    """The shared moves of ``_step`` on compiled states."""

    prune: Callable[[int, tuple[int, ...]], int]
    break_all: Callable[[int, int, int, tuple[int, ...]], CompiledState]
    trip: Callable[[CompiledState, int, bool], _Post]
    arrive: Callable[[CompiledState, int, int, int], _Post]
    leave: Callable[[CompiledState, int, int], CompiledState]
    recheck: Callable[[CompiledState], CompiledState]


def make_successors(
    profile: Profile,
    bounds: Bounds,
    codes: LocalCodes,
    taken_codec: TakenCodec,
    labels: LabelTable,
    *,
    one_per_local: bool = False,
) -> Successors:
    """The successor function of ``profile`` within ``bounds`` (see the module docstring).

    ``one_per_local``: a participant whose local equals its left neighbour's has no events of
    its own (on a sorted state: one representative per local state, whose events stand for
    those of every participant in that state up to a permutation; the counting search).
    """
    tables = LocalTables(profile, codes, taken_codec)
    core = _make_core(profile, codes, taken_codec, tables)
    handlers: list[_Handler] = [_ignore] * 6
    handlers[IDLE] = _make_idle(profile, bounds, tables, core, labels)
    handlers[PASSED] = _make_passed(profile, codes, taken_codec, tables, labels)
    handlers[WAITING] = _make_waiting(profile, codes, core, labels)
    handlers[FAILING] = _make_failing(codes, core, labels)
    handlers[BLOCKED] = _make_blocked(profile, codes, core, labels)
    handlers[DEAD] = _make_dead(tables, core, labels)
    cancel = _make_cancel(profile, codes, tables, core, labels)
    die = _make_die(profile, codes, tables, core, labels)
    cancellable = tables.cancellable if bounds.cancels else [False] * codes.size
    max_deaths = bounds.deaths if profile.policies.death is not Death.NONE else 0
    status = codes.status
    settling_open, settling_broken, is_dead = (
        tables.settling_open,
        tables.settling_broken,
        tables.is_dead,
    )

    def successors(state: CompiledState) -> list[tuple[Label, CompiledState]]:
        locs = state[5]
        out: list[tuple[Label, CompiledState]] = []
        add = out.append
        draining = any(map(settling_broken if state[2] else settling_open, locs))
        deaths_left = max_deaths > 0 and max_deaths > sum(map(is_dead, locs))
        previous = -1
        for p, c in enumerate(locs):
            if c == previous:
                continue
            previous = c if one_per_local else -1
            s = status[c]
            handlers[s](state, p, c, draining, add)
            if cancellable[c]:
                cancel(state, p, c, s, add)
            if deaths_left and s != DEAD:
                die(state, p, c, s, add)
        return out

    return successors


def _ignore(state: CompiledState, p: int, c: int, draining: bool, add: _Add) -> None:
    """A status without events of its own."""


def _make_core(
    profile: Profile, codes: LocalCodes, taken_codec: TakenCodec, tables: LocalTables
) -> _Core:
    pol = profile.policies
    has_action = pol.action is ActionPolicy.LAST_ARRIVAL
    distinct = pol.index is IndexPolicy.DISTINCT
    status, member, idle = codes.status, codes.member, codes.idle
    max_round = codes.max_round
    passed_code, waiting_code = tables.passed, tables.waiting
    broken_local, released, slot_of_passed = tables.broken, tables.released, tables.slot_of_passed
    width, present = taken_codec.width, taken_codec.present

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
        new = list(map(released(rnd), locs))
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

    return _Core(prune, break_all, trip, arrive, leave, recheck)


def _make_idle(
    profile: Profile, bounds: Bounds, tables: LocalTables, core: _Core, labels: LabelTable
) -> _Handler:
    """The events of an idle participant: Wait (``_step._on_wait``), Abort, Reset, Join."""
    pol = profile.policies
    dynamic = pol.membership is Membership.DYNAMIC
    can_abort = bounds.abort_reset and profile.has_abort
    can_reset = bounds.abort_reset and profile.has_reset
    can_join = dynamic and bounds.joins
    rounds = bounds.rounds
    member, reset_local, idle_member = tables.codes.member, tables.reset, tables.idle_member
    prune, break_all = core.prune, core.break_all
    waits = _make_waits(profile, bounds, tables, core, labels)
    abort_labels, reset_labels, join_labels = labels.abort, labels.reset, labels.join

    def on_idle(state: CompiledState, p: int, c: int, draining: bool, add: _Add) -> None:
        rnd, arrived, broken, parties, taken, locs = state
        m = member[c]
        if rnd < rounds and (m or not dynamic):
            waits(state, p, m, draining, add)
        if can_abort:
            add((abort_labels[p], break_all(rnd, parties, taken, locs)))
        if can_reset:
            new = tuple(map(reset_local, locs))
            add((reset_labels[p], (rnd, 0, False, parties, prune(taken, new), new)))
        if can_join and m != _MEMBER:
            new = locs[:p] + (idle_member,) + locs[p + 1 :]
            add((join_labels[p], (rnd, arrived, broken, parties + 1, taken, new)))

    return on_idle


def _make_waits(
    profile: Profile, bounds: Bounds, tables: LocalTables, core: _Core, labels: LabelTable
) -> Callable[[CompiledState, int, int, bool, _Add], None]:
    pol = profile.policies
    dynamic = pol.membership is Membership.DYNAMIC
    newcomers_block = pol.newcomer is not Newcomer.JOIN_NEXT
    newcomers_only_block = pol.newcomer is Newcomer.BLOCK
    wait_timeouts = (False, True) if bounds.timeouts else (False,)
    failing_actions = bounds.action_failures and pol.action is ActionPolicy.LAST_ARRIVAL
    plain_raises: tuple[bool, ...] = (False,)
    both_raises: tuple[bool, ...] = (False, True)
    blocked_code, waiting_code, trip = tables.blocked, tables.waiting, core.trip
    wait_labels = labels.wait

    def waits(
        state: CompiledState,
        p: int,
        m: int,
        draining: bool,
        add: _Add,
    ) -> None:
        """The Wait events of idle participant ``p`` (member ``m``): _step._on_wait."""
        rnd, arrived, broken, parties, taken, locs = state
        trips = arrived + 1 == parties
        if trips and failing_actions and not broken and not (draining and newcomers_only_block):
            wait_raises = both_raises
        else:
            wait_raises = plain_raises
        labels_p = wait_labels[p]
        if (dynamic and m == _CANCELLED) or broken:
            outcome = Outcome.CANCELLED_BARRIER if dynamic and m == _CANCELLED else Outcome.BROKEN
            for t in wait_timeouts:
                for x in wait_raises:
                    add((labels_p[t][x][outcome], state))
            return
        before, after = locs[:p], locs[p + 1 :]
        block = draining and newcomers_block
        waiting_now = waiting_code[rnd]
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

    return waits


def _make_passed(
    profile: Profile,
    codes: LocalCodes,
    taken_codec: TakenCodec,
    tables: LocalTables,
    labels: LabelTable,
) -> _Handler:
    """Resume of a released participant: ``_step._on_resume``."""
    distinct = profile.policies.index is IndexPolicy.DISTINCT
    idle, doomed, local_round = codes.idle, codes.doomed, codes.round
    slot_of_passed = tables.slot_of_passed
    width, present = taken_codec.width, taken_codec.present
    resume_raised, resume_true, resume_index = (
        labels.resume_raised,
        labels.resume_true,
        labels.resume_index,
    )

    def on_passed(state: CompiledState, p: int, c: int, draining: bool, add: _Add) -> None:
        rnd, arrived, broken, parties, taken, locs = state
        new = locs[:p] + (idle[c],) + locs[p + 1 :]
        keep = 0
        if taken:
            for other in new:
                keep |= slot_of_passed[other]
        if doomed[c]:
            add((resume_raised[p][_BROKEN], (rnd, arrived, broken, parties, taken & keep, new)))
        if not distinct:
            add((resume_true[p], (rnd, arrived, broken, parties, taken & keep, new)))
            return
        shift = local_round[c] * width
        used = taken >> shift
        has_entry = used & present
        indices = resume_index[p]
        for index in range(parties):
            if has_entry and used >> index & 1:
                continue
            picked = taken | (1 << (shift + index)) if has_entry else taken
            add((indices[index], (rnd, arrived, broken, parties, picked & keep, new)))

    return on_passed


def _make_waiting(profile: Profile, codes: LocalCodes, core: _Core, labels: LabelTable) -> _Handler:
    """The timeout of a counted waiter: ``_step._on_timeout``."""
    give_up = profile.policies.give_up
    idle, timed, idle_cancelled = codes.idle, codes.timed, codes.code(IDLE, member=_CANCELLED)
    break_all, leave, recheck = core.break_all, core.leave, core.recheck
    timeout_raised, timeout_false = labels.timeout_raised, labels.timeout_false

    def on_waiting(state: CompiledState, p: int, c: int, draining: bool, add: _Add) -> None:
        if not timed[c]:
            return
        rnd, arrived, broken, parties, taken, locs = state
        if give_up is GiveUp.BREAK_ALL:
            new = locs[:p] + (idle[c],) + locs[p + 1 :]
            add((timeout_raised[p][_BROKEN], break_all(rnd, parties, taken, new)))
        elif give_up is GiveUp.WITHDRAW:
            new = locs[:p] + (idle[c],) + locs[p + 1 :]
            add((timeout_raised[p][_TIMEOUT], (rnd, arrived - 1, broken, parties, taken, new)))
        else:
            add((timeout_false[p], recheck(leave(state, p, idle_cancelled))))

    return on_waiting


def _make_failing(codes: LocalCodes, core: _Core, labels: LabelTable) -> _Handler:
    """Resume of a woken participant that raises: ``_step._on_resume``."""
    idle, fault, prune, resume_raised = codes.idle, codes.fault, core.prune, labels.resume_raised

    def on_failing(state: CompiledState, p: int, c: int, draining: bool, add: _Add) -> None:
        rnd, arrived, broken, parties, taken, locs = state
        new = locs[:p] + (idle[c],) + locs[p + 1 :]
        add((resume_raised[p][fault[c]], (rnd, arrived, broken, parties, prune(taken, new), new)))

    return on_failing


def _make_blocked(profile: Profile, codes: LocalCodes, core: _Core, labels: LabelTable) -> _Handler:
    """A blocked newcomer enters (``_step._on_enter``) or times out (``_step._on_timeout``)."""
    timeouts_while_blocked = profile.policies.give_up is not GiveUp.BREAK_ALL
    idle, timed, raises, arrive = codes.idle, codes.timed, codes.raises, core.arrive
    enter_labels, timeout_raised = labels.enter, labels.timeout_raised

    def on_blocked(state: CompiledState, p: int, c: int, draining: bool, add: _Add) -> None:
        if not draining and not state[2]:
            post, outcome = arrive(state, p, timed[c], raises[c])
            add((enter_labels[p][outcome], post))
        if timed[c] and timeouts_while_blocked:
            rnd, arrived, broken, parties, taken, locs = state
            new = locs[:p] + (idle[c],) + locs[p + 1 :]
            add((timeout_raised[p][_TIMEOUT], (rnd, arrived, broken, parties, taken, new)))

    return on_blocked


def _make_dead(tables: LocalTables, core: _Core, labels: LabelTable) -> _Handler:
    """The barrier may notice a dead arrival: ``_step._on_notice``."""
    dead_arrival, dead0, break_all = tables.dead_arrival, tables.dead, core.break_all
    notice_labels = labels.notice

    def on_dead(state: CompiledState, p: int, c: int, draining: bool, add: _Add) -> None:
        if dead_arrival[c]:
            rnd, arrived, broken, parties, taken, locs = state
            new = locs[:p] + (dead0,) + locs[p + 1 :]
            add((notice_labels[p], (rnd, arrived - 1, broken, parties, taken, new)))
            add((notice_labels[p], break_all(rnd, parties, taken, new)))

    return on_dead


def _make_cancel(
    profile: Profile, codes: LocalCodes, tables: LocalTables, core: _Core, labels: LabelTable
) -> Callable[[CompiledState, int, int, int, _Add], None]:
    member_cancel = profile.policies.cancellation is Cancellation.CANCEL_MEMBER
    member, idle, cancelled = codes.member, codes.idle, codes.cancelled
    failing_code, idle_cancelled = tables.failing, tables.idle_cancelled
    failing_member_cancelled = failing_code[_CANCELLED_BARRIER][_CANCELLED]
    prune, leave, recheck = core.prune, core.leave, core.recheck
    cancel_labels, cancel_raised = labels.cancel, labels.cancel_raised

    def cancel_member(state: CompiledState, p: int, c: int, s: int, add: _Add) -> None:
        if member[c] == _CANCELLED:
            add((cancel_labels[p], state))
        elif s == WAITING:
            post = recheck(leave(state, p, idle_cancelled))
            add((cancel_raised[p][_CANCELLED_BARRIER], post))
        else:
            add((cancel_labels[p], recheck(leave(state, p, cancelled[c]))))
            if s == PASSED:
                left = leave(state, p, failing_member_cancelled)
                pruned = (*left[:4], prune(left[4], left[5]), left[5])
                add((cancel_labels[p], recheck(pruned)))

    def cancel_wait(state: CompiledState, p: int, c: int, s: int, add: _Add) -> None:
        rnd, arrived, broken, parties, taken, locs = state  # _step._on_cancel
        new = locs[:p] + (idle[c],) + locs[p + 1 :]
        if s == WAITING:
            post = (rnd, arrived - 1, broken, parties, taken, new)
            add((cancel_raised[p][_CANCELLED_FAULT], post))
        elif s == BLOCKED:
            post = (rnd, arrived, broken, parties, taken, new)
            add((cancel_raised[p][_CANCELLED_FAULT], post))
        else:
            new = locs[:p] + (failing_code[_CANCELLED_FAULT][member[c]],) + locs[p + 1 :]
            add((cancel_labels[p], (rnd, arrived, broken, parties, prune(taken, new), new)))

    return cancel_member if member_cancel else cancel_wait


def _make_die(
    profile: Profile, codes: LocalCodes, tables: LocalTables, core: _Core, labels: LabelTable
) -> Callable[[CompiledState, int, int, int, _Add], None]:
    withdraw = profile.policies.death is Death.WITHDRAW
    member, local_round = codes.member, codes.round
    dead0, stands_code = tables.dead, tables.stands
    prune, leave, recheck = core.prune, core.leave, core.recheck
    die_labels = labels.die

    def die(state: CompiledState, p: int, c: int, s: int, add: _Add) -> None:
        rnd, arrived, broken, parties, taken, locs = state  # _step._on_die
        if withdraw and member[c] == _MEMBER:
            left = leave(state, p, dead0)
            pruned = (*left[:4], prune(left[4], left[5]), left[5])
            add((die_labels[p], recheck(pruned)))
        elif withdraw or s != WAITING:
            new = locs[:p] + (dead0,) + locs[p + 1 :]
            add((die_labels[p], (rnd, arrived, broken, parties, prune(taken, new), new)))
        else:
            new = locs[:p] + (stands_code[local_round[c]],) + locs[p + 1 :]
            add((die_labels[p], (rnd, arrived, broken, parties, taken, new)))

    return die
