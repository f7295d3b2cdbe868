"""The model's named invariants, checked on compiled states.

Each readable invariant of :mod:`barrierspec.spec._invariants` gets a compiled check here
that fails exactly when the readable one does, written with the list lookups of
:mod:`barrierspec.spec._compiled_codes`. Only the compiled test runs on every state and
transition; when it fails, the message is the readable check's own, computed on the decoded
states, so a counterexample reads the same with either system. An invariant without a
compiled check (one added to the model later) runs as the readable check on decoded states:
slower, never wrong.

``tests/spec/test_compiled_invariants.py`` shows verdict and readable check agree on every
reachable state and transition and on randomly corrupted ones.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from barrierspec.spec._compiled_codes import (
    BLOCKED,
    DEAD,
    PASSED,
    WAITING,
    CompiledState,
    LocalCodes,
    TakenCodec,
)
from barrierspec.spec._compiled_labels import ENTER, RESET, TIMEOUT, WAIT, Label
from barrierspec.spec._invariants import state_invariants, transition_invariants
from barrierspec.spec._policies import ActionPolicy, GiveUp, Profile, RoundsPolicy
from barrierspec.spec._state import Fault, Member, State
from barrierspec.spec._system import Invariant, TransitionInvariant

__all__ = ["compiled_state_invariants", "compiled_transition_invariants"]

Check = Callable[[CompiledState], str | None]
StepCheck = Callable[[CompiledState, Label, CompiledState], str | None]
AnyStepCheck = Callable[[CompiledState, object, CompiledState], str | None]
Decode = Callable[[CompiledState], State]
Explain = Callable[[str, CompiledState], str]
ExplainStep = Callable[[str, CompiledState, Label, CompiledState], str]

_MEMBER = int(Member.MEMBER)
_MASK_CACHE = 1 << 20  # locals vectors whose PASSED mask is remembered
_BROKEN, _TIMEOUT = int(Fault.BROKEN), int(Fault.TIMEOUT)


class _RoundTables:
    """Per-round lookup tables ``table(r)[code] -> bool``, built on first use."""

    def __init__(self, size: int, fact: Callable[[int, int], bool]) -> None:
        self._size = range(size)
        self._fact = fact
        self._tables: dict[int, Callable[[int], bool]] = {}

    def __call__(self, r: int) -> Callable[[int], bool]:
        table = self._tables.get(r)
        if table is None:
            fact = self._fact
            table = [fact(r, c) for c in self._size].__getitem__
            self._tables[r] = table
        return table


def _state_checks(codes: LocalCodes, taken_codec: TakenCodec, explain: Explain) -> dict[str, Check]:
    """Compiled state checks by name; each defers to ``explain`` for its message."""
    status, local_round = codes.status, codes.round
    dead_arrival = [s == DEAD and a for s, a in zip(status, codes.arrived, strict=True)]
    counted = _RoundTables(
        codes.size, lambda r, c: (status[c] == WAITING and local_round[c] == r) or dead_arrival[c]
    )
    misplaced = _RoundTables(
        codes.size,
        lambda r, c: (
            (status[c] == WAITING and local_round[c] != r)
            or (status[c] == PASSED and local_round[c] >= r)
        ),
    )
    waits = [s in (WAITING, BLOCKED) for s in status].__getitem__
    live_member = [
        m == _MEMBER and s != DEAD for s, m in zip(status, codes.member, strict=True)
    ].__getitem__
    width, present, full = taken_codec.width, taken_codec.present, taken_codec.full

    def arrivals_counted(s: CompiledState) -> str | None:
        if sum(map(counted(s[0]), s[5])) != s[1]:
            return explain("arrivals_counted", s)
        return None

    def round_not_full(s: CompiledState) -> str | None:
        if s[1] != 0 if s[3] == 0 else not 0 <= s[1] < s[3]:
            return explain("round_not_full", s)
        return None

    def broken_has_no_waiters(s: CompiledState) -> str | None:
        if s[2] and (s[1] != 0 or any(map(waits, s[5]))):
            return explain("broken_has_no_waiters", s)
        return None

    def one_round_each(s: CompiledState) -> str | None:
        if any(map(misplaced(s[0]), s[5])):
            return explain("one_round_each", s)
        return None

    def indices_in_range(s: CompiledState) -> str | None:
        taken, parties, locs = s[4], s[3], s[5]
        r = 0
        while taken:
            slot = taken & full
            if slot & present:
                ids = slot & (present - 1)
                if (ids != 0) if parties <= 0 else (ids >> parties != 0):
                    return explain("indices_in_range", s)  # an index outside 0..parties-1
                pending = sum(1 for c in locs if status[c] == PASSED and local_round[c] == r)
                if ids.bit_count() + pending > parties:
                    return explain("indices_in_range", s)
            taken >>= width
            r += 1
        return None

    def members_are_parties(s: CompiledState) -> str | None:
        if sum(map(live_member, s[5])) != s[3]:
            return explain("members_are_parties", s)
        return None

    return {
        "arrivals_counted": arrivals_counted,
        "round_not_full": round_not_full,
        "broken_has_no_waiters": broken_has_no_waiters,
        "one_round_each": one_round_each,
        "indices_in_range": indices_in_range,
        "members_are_parties": members_are_parties,
    }


def compiled_state_invariants(
    profile: Profile, codes: LocalCodes, taken_codec: TakenCodec, decode: Decode
) -> list[Invariant[CompiledState]]:
    """The state invariants of ``profile``, by name and order, on compiled states."""
    readable = {inv.name: inv for inv in state_invariants(profile)}

    def explain(name: str, s: CompiledState) -> str:
        message = readable[name].check(decode(s))
        return message or f"{name}: the compiled check disagrees with the model on {s!r}"

    compiled = _state_checks(codes, taken_codec, explain)
    result = []
    for name, inv in readable.items():
        check = compiled.get(name) or _decoded_state_check(inv, decode)
        result.append(Invariant(name, inv.description, check))
    return result


def _decoded_state_check(inv: Invariant[State], decode: Decode) -> Check:
    readable = inv.check
    return lambda s: readable(decode(s))


# ------------------------------------------------------------------ transition invariants


def _step_checks(  # noqa: PLR0915 -- closures sharing caches; to split (issue 14)
    profile: Profile, codes: LocalCodes, taken_codec: TakenCodec, explain: ExplainStep
) -> dict[str, StepCheck]:
    """Compiled transition checks by name; each defers to ``explain`` for its message."""
    status, local_round = codes.status, codes.round
    passed = [s == PASSED for s in status]
    dead_arrival = [int(s == DEAD and a) for s, a in zip(status, codes.arrived, strict=True)]
    width, present, full = taken_codec.width, taken_codec.present, taken_codec.full
    has_action = profile.policies.action is ActionPolicy.LAST_ARRIVAL
    give_up = profile.policies.give_up
    latch = profile.policies.rounds is RoundsPolicy.SINGLE
    # the PASSED positions of a locals vector, as a bit mask (vectors recur across states)
    masks: dict[tuple[int, ...], int] = {}
    cached_mask = masks.get
    last: list[Any] = [None, None, 0]  # the last (pre, post, released) computed

    def passed_mask(locs: tuple[int, ...]) -> int:
        mask = 0
        for i, c in enumerate(locs):
            if passed[c]:
                mask |= 1 << i
        if len(masks) >= _MASK_CACHE:
            masks.clear()
        masks[locs] = mask
        return mask

    def released(pre: CompiledState, post: CompiledState) -> int:
        """How many participants the step moved into PASSED (as _invariants._released)."""
        if post is last[1] and pre is last[0]:  # asked again for the same transition
            return last[2]  # type: ignore[no-any-return]
        before = cached_mask(pre[5])
        if before is None:
            before = passed_mask(pre[5])
        after = cached_mask(post[5])
        if after is None:
            after = passed_mask(post[5])
        count = (after & ~before).bit_count()
        last[:] = (pre, post, count)
        return count

    def release_needs_all(pre: CompiledState, t: Label, post: CompiledState) -> str | None:
        count = released(pre, post)
        if not count:
            if post[0] != pre[0]:
                return explain("release_needs_all_parties", pre, t, post)
            return None
        dead = sum(map(dead_arrival.__getitem__, pre[5]))
        if count + dead != post[3] or post[0] != pre[0] + 1:
            return explain("release_needs_all_parties", pre, t, post)
        return None

    def action_once(pre: CompiledState, t: Label, post: CompiledState) -> str | None:
        runs = t.runs
        if not has_action:
            bad = bool(runs)
        elif released(pre, post):
            bad = len(runs) != 1 or runs[0][1] or (t.kind in (WAIT, ENTER) and runs[0][0] != t.p)
        elif runs:
            bad = any(not raised for _, raised in runs) or not post[2]
        else:
            return None
        return explain("action_once_before_release", pre, t, post) if bad else None

    def returns_after_release(pre: CompiledState, t: Label, post: CompiledState) -> str | None:
        if latch and pre[0] > 0 and t.kind == WAIT:
            return None  # a latch that has tripped lets a wait through at once
        for p, value in t.returns:
            if value is not False and status[pre[5][p]] != PASSED:
                return explain("returns_after_release", pre, t, post)
        return None

    def indices_distinct(pre: CompiledState, t: Label, post: CompiledState) -> str | None:
        for p, value in t.returns:
            if value is None or isinstance(value, bool):
                continue
            slot = pre[4] >> (local_round[pre[5][p]] * width) & full
            used = slot & (present - 1) if slot & present else 0
            if not 0 <= value < pre[3] or used >> value & 1:
                return explain("indices_distinct", pre, t, post)
        return None

    def broken_sticky(pre: CompiledState, t: Label, post: CompiledState) -> str | None:
        if pre[2] and not post[2] and t.kind != RESET:
            return explain("broken_is_sticky", pre, t, post)
        return None

    def rounds_forward(pre: CompiledState, t: Label, post: CompiledState) -> str | None:
        if 0 <= post[0] - pre[0] <= 1:
            return None
        return explain("rounds_never_go_back", pre, t, post)

    def timeout_policy(pre: CompiledState, t: Label, post: CompiledState) -> str | None:
        if t.kind != TIMEOUT or status[pre[5][t.p]] != WAITING:
            return None
        if give_up is GiveUp.BREAK_ALL or give_up is GiveUp.BREAK_ALL_TIMEOUT_ERROR:
            fault = _BROKEN if give_up is GiveUp.BREAK_ALL else _TIMEOUT
            bad = not post[2] or (t.p, fault) not in t.raised
        elif give_up is GiveUp.WITHDRAW:
            bad = post[2] != pre[2] or (t.p, _TIMEOUT) not in t.raised
        else:
            bad = (t.p, False) not in t.returns
        return explain("timeout_follows_policy", pre, t, post) if bad else None

    def fixed_parties(pre: CompiledState, t: Label, post: CompiledState) -> str | None:
        if pre[3] != post[3]:
            return explain("fixed_parties", pre, t, post)
        return None

    return {
        "release_needs_all_parties": release_needs_all,
        "action_once_before_release": action_once,
        "returns_after_release": returns_after_release,
        "indices_distinct": indices_distinct,
        "broken_is_sticky": broken_sticky,
        "rounds_never_go_back": rounds_forward,
        "timeout_follows_policy": timeout_policy,
        "fixed_parties": fixed_parties,
    }


def compiled_transition_invariants(
    profile: Profile, codes: LocalCodes, taken_codec: TakenCodec, decode: Decode
) -> list[TransitionInvariant[CompiledState]]:
    """The transition invariants of ``profile``, by name and order, on compiled states."""
    readable = {inv.name: inv for inv in transition_invariants(profile)}

    def explain(name: str, pre: CompiledState, t: Label, post: CompiledState) -> str:
        message = readable[name].check(decode(pre), t.transition, decode(post))
        return message or f"{name}: the compiled check disagrees with the model on {t}"

    compiled = _step_checks(profile, codes, taken_codec, explain)
    result = []
    for name, inv in readable.items():
        fast = compiled.get(name)
        check = _decoded_step_check(inv, decode) if fast is None else cast(AnyStepCheck, fast)
        result.append(TransitionInvariant(name, inv.description, check))
    return result


def _decoded_step_check(inv: TransitionInvariant[State], decode: Decode) -> AnyStepCheck:
    readable = inv.check

    def check(pre: CompiledState, t: object, post: CompiledState) -> str | None:
        assert isinstance(t, Label)
        return readable(decode(pre), t.transition, decode(post))

    return check
