"""One invariant change, one edit: every interpretation of the invariants follows it.

The invariants live once in ``spec/_invariants.py``. Replacing one formula there (here a
monkeypatch of a state and of a transition invariant, on the custom profile of
``tests/proofs/test_proofs_rules.py``, which is not built in) must change what the readable
explorer finds, and the compiled search (generated checks), the counting search (the same,
fused), the counts interpretation and the Z3 clauses of the proofs must change with it: the
same invariant fails at the same depth in every search, the counts flag the state, and the
proof no longer goes through.
"""

from __future__ import annotations

from typing import Any

import pytest
from tests.proofs.test_proofs_rules import CUSTOM

from barrierspec.proofs import ProofVerdict, prove
from barrierspec.spec import (
    BarrierSystem,
    Bounds,
    ExplorationStatus,
    Profile,
    explore,
)
from barrierspec.spec import _invariants as invariants
from barrierspec.spec._compiled_system import CompiledBarrierSystem
from barrierspec.spec._count_domain import count_violation, counted
from barrierspec.spec._count_system import CountingBarrierSystem

BOUNDS = Bounds(rounds=1)
ORIGINAL_ONE_ROUND = invariants.one_round_each


def _only_later_rounds_pass(d: Any, s: Any) -> Any:
    """A variant of ``one_round_each``: no participant ever passes round 0 (false)."""

    def later(r: Any) -> Any:
        return d.implies(d.count(s, invariants.PASSED_THERE, r) > 0, r > 0)

    return d.all(ORIGINAL_ONE_ROUND(d, s), d.each_round(s, later))


def _round_never_moves(d: Any, t: Any) -> Any:
    """A variant of ``rounds_never_go_back``: the round never changes at all (false)."""
    return d.eq(d.round(d.post(t)), d.round(d.pre(t)))


VARIANTS = {
    "state": ("one_round_each", _only_later_rounds_pass, "one_round_each"),
    "transition": ("rounds_forward", _round_never_moves, "rounds_never_go_back"),
}


def _searches(profile: Profile) -> dict[str, Any]:
    return {
        "readable": explore(BarrierSystem(profile, 2, 2, BOUNDS)),
        "compiled": explore(CompiledBarrierSystem(profile, 2, 2, BOUNDS)),
        "counted": explore(CountingBarrierSystem(profile, 2, 2, BOUNDS), symmetry=True),
    }


def test_the_custom_profile_satisfies_the_invariants_everywhere() -> None:
    for name, result in _searches(CUSTOM).items():
        assert result.status is ExplorationStatus.OK, (name, result.violation)
    assert prove(CUSTOM).proved


@pytest.mark.parametrize("kind", sorted(VARIANTS))
def test_a_changed_invariant_is_followed_by_every_interpretation(
    kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    attribute, variant, name = VARIANTS[kind]
    monkeypatch.setattr(invariants, attribute, variant)
    results = _searches(CUSTOM)
    depths = set()
    for search, result in results.items():
        assert result.status is ExplorationStatus.VIOLATION, search
        assert result.violation is not None and result.violation.name == name, search
        depths.add(len(result.violation.trace))
    assert len(depths) == 1, depths  # the same shortest counterexample length everywhere
    violation = results["readable"].violation
    assert violation is not None
    if kind == "state":
        last = violation.trace[-1].state
        found = count_violation(CUSTOM, counted(last, indices=True))
        assert found is not None and found[0] == name
    report = prove(CUSTOM)
    failed = {o.invariant for o in report.obligations if o.verdict is ProofVerdict.COUNTEREXAMPLE}
    assert name in failed, failed
    confirmed = [
        o.counterexample
        for o in report.obligations
        if o.invariant == name and o.counterexample is not None
    ]
    assert any(c.confirmed for c in confirmed)
