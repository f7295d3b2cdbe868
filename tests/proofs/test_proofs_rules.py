"""One rule change, one edit: the concrete, compiled and symbolic interpretations follow it.

The rules live once in ``spec/_rules.py``. Replacing one of them (here a monkeypatch of a
per-participant rule, on a built-in profile and on a custom profile that is not built in)
must change the readable model, and the compiled search and the Z3 moves of the proofs must
change with it: the compiled successors equal the readable ones on every reachable state, and
the moves agree exactly with the step function on every reachable state (``check_agreement``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import attrs
import pytest

from barrierspec.proofs import _agreement, check_agreement
from barrierspec.proofs._model import proof_model
from barrierspec.spec import PROFILES, BarrierSystem, Bounds, Profile, State
from barrierspec.spec import _rules as rules
from barrierspec.spec._compiled_system import CompiledBarrierSystem
from barrierspec.spec._policies import Death, GiveUp, Newcomer, Policies, ResetPolicy
from barrierspec.spec._state import Fault, Local, Status

# asyncio's shape with other choices on three axes: no built-in profile has this bundle
CUSTOM = Profile(
    name="custom-rules",
    summary="a test profile: blocking newcomers, keep drainers on reset, deaths that stand",
    policies=attrs.evolve(
        PROFILES["asyncio"].policies,
        newcomer=Newcomer.BLOCK,
        reset=ResetPolicy.KEEP_DRAINERS,
        death=Death.ANY,
        give_up=GiveUp.WITHDRAW,
    ),
)

ORIGINAL_BROKEN = rules.broken_local
ORIGINAL_RESET = rules.reset_local


def _drainers_always_break(policies: Policies, loc: Local) -> Local:
    """A variant of the break rule: a released party always raises (never doomed)."""
    if loc.status is Status.PASSED:
        return Local(status=Status.FAILING, fault=Fault.BROKEN, member=loc.member)
    return ORIGINAL_BROKEN(policies, loc)


def _reset_breaks_drainers(policies: Policies, loc: Local) -> Local:
    """A variant of the reset rule: released parties break too, whatever the policy."""
    if loc.status is Status.PASSED:
        return Local(status=Status.FAILING, fault=Fault.BROKEN, member=loc.member)
    return ORIGINAL_RESET(policies, loc)


VARIANTS: dict[str, tuple[str, Callable[[Policies, Local], Local]]] = {
    "break": ("broken_local", _drainers_always_break),
    "reset": ("reset_local", _reset_breaks_drainers),
}


def _graph(system: BarrierSystem) -> dict[State, Counter[tuple[object, State]]]:
    frontier = system.initial_states()
    graph: dict[State, Counter[tuple[object, State]]] = {}
    while frontier:
        following = []
        for state in frontier:
            successors = Counter(system.successors(state))
            graph[state] = successors
            following += [post for _, post in successors if post not in graph]
        frontier = list(dict.fromkeys(following))
    return graph


def _compiled_follows(profile: Profile, parties: int, participants: int) -> None:
    bounds = Bounds(rounds=1)
    compiled = CompiledBarrierSystem(profile, parties, participants, bounds)
    for state, want in _graph(BarrierSystem(profile, parties, participants, bounds)).items():
        got = Counter(
            (label.transition, compiled.decode(post))
            for label, post in compiled.successors(compiled.encode(state))
        )
        assert got == want, state.describe()


def _moves(profile: Profile) -> set[tuple[str, tuple[int, ...]]]:
    model = proof_model(profile)
    return {(m.name, tuple(t.raw.get_id() for t in m.post.fields().values())) for m in model.moves}


@pytest.mark.parametrize("variant", sorted(VARIANTS))
@pytest.mark.parametrize("profile", [PROFILES["threading"], CUSTOM], ids=lambda p: p.name)
def test_a_rule_change_is_followed_by_every_interpretation(
    monkeypatch: pytest.MonkeyPatch, profile: Profile, variant: str
) -> None:
    assert profile is not CUSTOM or all(p.policies != CUSTOM.policies for p in PROFILES.values())
    name, rule = VARIANTS[variant]
    before_states = set(_graph(BarrierSystem(profile, 2, 3, Bounds(rounds=2))))
    before_moves = _moves(profile)
    _agreement._evaluator.cache_clear()
    monkeypatch.setattr(rules, name, rule)
    try:
        after_states = set(_graph(BarrierSystem(profile, 2, 3, Bounds(rounds=2))))
        assert before_states != after_states  # the variant changes the readable model
        assert not any(loc.doomed and variant == "break" for s in after_states for loc in s.locals)
        _compiled_follows(profile, 2, 3)  # the compiled search follows it
        assert _moves(profile) != before_moves  # the Z3 moves change with it
        result = check_agreement(profile, 2, 2, rounds=2)
        assert result.ok, "\n".join(result.mismatches)  # and agree with the variant
    finally:
        _agreement._evaluator.cache_clear()
