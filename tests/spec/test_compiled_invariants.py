"""Compiled invariants fail exactly when the model's do, with the model's messages.

Reachable states satisfy every invariant, so agreement there proves little: the checks are
also compared on randomly corrupted states and transitions (a field changed, a participant
replaced by an arbitrary local, indices handed out at random, a label swapped), where the
readable checks do fail.
"""

from __future__ import annotations

import functools
import itertools
import random

import pytest

from barrierspec.spec import (
    PROFILES,
    Bounds,
    CompiledBarrierSystem,
    IndexPolicy,
    Local,
    Status,
    state_invariants,
    transition_invariants,
)
from barrierspec.spec._compiled_codes import (
    CompiledRangeError,
    CompiledState,
    LocalCodes,
    TakenCodec,
)
from barrierspec.spec._compiled_labels import Label

SAMPLES = 1000


def _reachable(system: CompiledBarrierSystem) -> list[tuple[CompiledState, Label, CompiledState]]:
    """Every transition from a reachable state, breadth-first."""
    frontier = system.initial_states()
    seen = set(frontier)
    steps = []
    while frontier:
        following = []
        for state in frontier:
            for label, post in system.successors(state):
                steps.append((state, label, post))
                if post not in seen:
                    seen.add(post)
                    following.append(post)
        frontier = following
    return steps


def _corrupt(
    rng: random.Random, system: CompiledBarrierSystem, state: CompiledState
) -> CompiledState:
    rnd, arrived, broken, parties, taken, locs = state
    what = rng.randrange(6)
    if what == 0:
        rnd = max(0, rnd + rng.choice((-1, 1, 2)))
    elif what == 1:
        arrived = rng.randrange(-1, parties + 2)
    elif what == 2:
        broken = not broken
    elif what == 3:
        parties = max(0, parties + rng.choice((-1, 1)))
    elif what == 4:
        slot = rng.randrange(3)
        bits = system.taken.present | rng.getrandbits(system.taken.width - 1)
        taken |= bits << (slot * system.taken.width)
    else:
        p = rng.randrange(len(locs))
        locs = (*locs[:p], rng.randrange(system.codes.size), *locs[p + 1 :])
    return (rnd, arrived, broken, parties, taken, locs)


@functools.cache
def _every_profile_label() -> tuple[tuple[str, Label], ...]:
    found: dict[str, Label] = {}
    for name in sorted(PROFILES):
        other = CompiledBarrierSystem(PROFILES[name], 2, 3, Bounds(rounds=1))
        for _, label, _ in _reachable(other):
            found.setdefault(str(label), label)
    return tuple(found.items())


def _labels(system: CompiledBarrierSystem) -> list[Label]:
    """The labels of every transition of every profile (2 parties, 3 participants, one
    round), so that a profile's checks also meet labels its own model never produces."""
    found = dict(_every_profile_label())
    for _, label, _ in _reachable(system):
        found.setdefault(str(label), label)
    return list(found.values())


@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_state_checks_agree_with_the_model(profile: str) -> None:
    system = CompiledBarrierSystem(PROFILES[profile], 2, 3, Bounds(rounds=1))
    readable = {inv.name: inv.check for inv in state_invariants(PROFILES[profile])}
    assert [inv.name for inv in system.invariants] == list(readable)
    rng = random.Random(f"states-{profile}")
    states = sorted({post for _, _, post in _reachable(system)})
    failures = dict.fromkeys(readable, 0)
    for i in range(SAMPLES):
        state = states[i % len(states)]
        if i % 4:
            state = _corrupt(rng, system, state)
        decoded = system.decode(state)
        for inv in system.invariants:
            want = readable[inv.name](decoded)
            assert inv.check(state) == want, (inv.name, decoded.describe())
            failures[inv.name] += want is not None
    assert all(failures.values()), f"some invariant never failed: {failures}"


@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_transition_checks_agree_with_the_model(profile: str) -> None:
    system = CompiledBarrierSystem(PROFILES[profile], 2, 3, Bounds(rounds=1))
    readable = {inv.name: inv.check for inv in transition_invariants(PROFILES[profile])}
    assert [inv.name for inv in system.transition_invariants] == list(readable)
    rng = random.Random(f"steps-{profile}")
    steps = _reachable(system)
    labels = _labels(system)
    failures = dict.fromkeys(readable, 0)
    for i in range(SAMPLES * 2):
        pre, label, post = steps[rng.randrange(len(steps))]
        if i % 4 == 1:
            post = _corrupt(rng, system, post)
        elif i % 4 == 2:
            label = rng.choice(labels)
        elif i % 4 == 3:
            pre = _corrupt(rng, system, pre)
        decoded_pre, decoded_post = system.decode(pre), system.decode(post)
        for inv in system.transition_invariants:
            try:
                want = readable[inv.name](decoded_pre, label.transition, decoded_post)
            except IndexError:  # an output naming a participant beyond the state
                continue
            assert inv.check(pre, label, post) == want, (inv.name, str(label))
            failures[inv.name] += want is not None
    never = [name for name, count in failures.items() if not count]
    # without an index or an action, these cannot fail whatever the label; an arrival-order
    # index keeps no taken indices, so only an index out of range can fail it
    arrival = PROFILES[profile].policies.index is IndexPolicy.ARRIVAL
    allowed = {"indices_distinct"} if profile == "grinder" or arrival else set()
    assert set(never) <= allowed, f"never failed: {never}"


def test_local_codes_sort_like_the_readable_locals() -> None:
    codes = LocalCodes(max_round=3)
    rng = random.Random("codes")
    sample = rng.sample(range(codes.size), 400)
    for a, b in itertools.pairwise(sample):
        assert (a < b) == (codes.local(a) < codes.local(b))
        assert codes.encode_local(codes.local(a)) == a
    assert codes.local(0) == Local()


def test_values_beyond_the_compiled_bounds_are_refused() -> None:
    codes = LocalCodes(max_round=2)
    with pytest.raises(CompiledRangeError, match=r"round 3 is beyond the compiled bound 0\.\.2"):
        codes.encode_local(Local(status=Status.WAITING, round=3))
    taken = TakenCodec(width=3, max_round=2)
    with pytest.raises(CompiledRangeError, match=r"index 2 of round 0 is outside 0\.\.1"):
        taken.encode(((0, frozenset({2})),))
    with pytest.raises(CompiledRangeError, match="taken rounds must increase"):
        taken.encode(((1, frozenset()), (0, frozenset())))
    entries = ((0, frozenset({1})), (2, frozenset()))
    assert taken.decode(taken.encode(entries)) == entries
