"""The proofs: everything proved per profile; weakened invariants and broken steps caught."""

from __future__ import annotations

import functools

import pytest

from barrierspec.proofs import (
    Obligation,
    ProofReport,
    ProofVerdict,
    early_trip,
    prove,
    timeout_gives_up,
)
from barrierspec.proofs._clauses import state_clauses
from barrierspec.proofs._model import proof_model
from barrierspec.proofs._z3 import Check, Outcome, Solver
from barrierspec.spec import (
    GiveUp,
    get_profile,
    initial_state,
    state_invariants,
    step,
    transition_invariants,
)

PROFILES = ["threading", "multiprocessing", "asyncio", "grinder"]


@functools.cache
def proved(name: str) -> ProofReport:
    return prove(get_profile(name))


def only(report: ProofReport, invariant: str, transition: str) -> Obligation:
    found = [
        o for o in report.obligations if o.invariant == invariant and o.transition == transition
    ]
    assert len(found) == 1, f"no single obligation {invariant} / {transition}"
    return found[0]


def failures(report: ProofReport) -> list[str]:
    return [
        f"{o.invariant} / {o.transition}: {o.verdict.value} {o.reason}"
        for o in report.obligations
        if o.verdict is not ProofVerdict.PROVED
    ]


@pytest.mark.parametrize("name", PROFILES)
def test_every_obligation_of_the_profile_is_proved(name: str) -> None:
    report = proved(name)
    assert report.proved, failures(report)
    assert all(o.counterexample is None for o in report.obligations)


@pytest.mark.parametrize("name", PROFILES)
def test_every_named_invariant_is_proved_for_init_and_every_transition(name: str) -> None:
    profile = get_profile(name)
    report = proved(name)
    kinds = {m.label.kind for m in proof_model(profile).moves}
    seen: dict[str, set[str]] = {}
    for o in report.obligations:
        seen.setdefault(o.invariant, set()).add(o.transition)
    for inv in state_invariants(profile):
        assert seen.get(inv.name) == kinds | {"init"}, inv.name
    for tinv in transition_invariants(profile):
        assert seen.get(tinv.name) == kinds, tinv.name


@pytest.mark.parametrize("name", PROFILES)
def test_the_invariant_is_not_vacuous(name: str) -> None:
    # the invariant admits the initial states and a step of every kind the profile has
    sanity = [o for o in proved(name).obligations if o.role == "sanity"]
    kinds = {m.label.kind for m in proof_model(get_profile(name)).moves}
    assert {o.transition for o in sanity} == kinds | {"init"}
    assert all(o.verdict is ProofVerdict.PROVED for o in sanity)


# ----------------------------------------------------------------- weakened invariants


@pytest.mark.parametrize(
    ("name", "dropped", "broken", "transition"),
    [
        ("threading", "parties_positive", "round_not_full", "Wait"),
        ("asyncio", "parties_positive", "round_not_full", "Enter"),
        ("grinder", "members_are_parties", "round_not_full", "Cancel"),
    ],
)
def test_a_weakened_invariant_gives_a_counterexample_the_model_confirms(
    name: str, dropped: str, broken: str, transition: str
) -> None:
    profile = get_profile(name)
    report = prove(profile, drop=[dropped])
    assert not report.proved
    o = only(report, broken, transition)
    assert o.verdict is ProofVerdict.COUNTEREXAMPLE
    cex = o.counterexample
    assert cex is not None and cex.confirmed, cex and cex.lines()
    assert cex.pre is not None and cex.transition is not None and cex.post is not None
    # replay by hand: the model takes this step, and its own check fails after it only
    successors = step(profile, cex.pre, cex.transition.event)
    assert any(s.state == cex.post and s.outputs == cex.transition.outputs for s in successors)
    check = {i.name: i.check for i in state_invariants(profile)}[broken]
    assert check(cex.pre) is None
    assert check(cex.post) == cex.violation


@pytest.mark.parametrize(
    ("name", "clause"),
    [
        (name, c.name)
        for name in PROFILES
        for c in state_clauses(get_profile(name))
        if c.strengthening
    ],
)
def test_every_strengthening_clause_is_needed(name: str, clause: str) -> None:
    report = prove(get_profile(name), drop=[clause])
    assert not report.proved
    assert any(o.verdict is ProofVerdict.COUNTEREXAMPLE for o in report.obligations)


def test_a_counterexample_without_a_concrete_state_is_not_confirmed() -> None:
    # without counts_natural the solver uses negative counts: no state of the model has them
    report = prove(get_profile("threading"), drop=["counts_natural"])
    cexs = [o.counterexample for o in report.obligations if o.counterexample is not None]
    assert cexs
    unconfirmed = [c for c in cexs if not c.confirmed]
    assert unconfirmed and all(c.pre is None for c in unconfirmed)
    assert "negative count" in unconfirmed[0].note


# ------------------------------------------------------------------- broken transitions


@pytest.mark.parametrize("name", ["threading", "asyncio", "grinder"])
def test_an_early_trip_is_caught_and_confirmed(name: str) -> None:
    profile = get_profile(name)
    variant, broken_step = early_trip()
    report = prove(profile, variant=variant, step_function=broken_step)
    assert not report.proved
    o = only(report, "release_needs_all_parties", "Wait")
    cex = o.counterexample
    assert o.verdict is ProofVerdict.COUNTEREXAMPLE and cex is not None and cex.confirmed
    assert cex.pre is not None and cex.transition is not None and cex.post is not None
    check = {t.name: t.check for t in transition_invariants(profile)}
    assert check["release_needs_all_parties"](cex.pre, cex.transition, cex.post) is not None
    # the broken step does this; the model itself does not
    event = cex.transition.event
    assert any(s.state == cex.post for s in broken_step(profile, cex.pre, event))
    assert all(s.state != cex.post for s in step(profile, cex.pre, event))


@pytest.mark.parametrize(
    ("name", "give_up"),
    [("threading", GiveUp.WITHDRAW), ("asyncio", GiveUp.BREAK_ALL)],
)
def test_a_timeout_against_the_profile_policy_is_caught(name: str, give_up: GiveUp) -> None:
    profile = get_profile(name)
    variant, broken_step = timeout_gives_up(profile, give_up)
    report = prove(profile, variant=variant, step_function=broken_step)
    o = only(report, "timeout_follows_policy", "Timeout")
    cex = o.counterexample
    assert o.verdict is ProofVerdict.COUNTEREXAMPLE and cex is not None and cex.confirmed
    assert cex.transition is not None and "timeout fires" in str(cex.transition)
    assert "timeout" in cex.violation


@pytest.mark.parametrize(
    ("name", "parties", "participants"), [("threading", 2, 1), ("grinder", 2, 2)]
)
def test_counterexamples_are_small_and_here_start_from_the_initial_state(
    name: str, parties: int, participants: int
) -> None:
    profile = get_profile(name)
    variant, broken_step = early_trip()
    report = prove(profile, variant=variant, step_function=broken_step)
    cex = only(report, "release_needs_all_parties", "Wait").counterexample
    assert cex is not None and cex.pre is not None
    # fewest participants, then fewest not idle: the early trip shows from the very start
    assert cex.pre == initial_state(profile, parties, participants)


# ---------------------------------------------------------------- unknown and frames


def test_an_unknown_answer_is_reported_as_unknown_never_as_proved(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def give_up(self: Solver, goals: object, watch: object = None) -> Check:
        return Check(Outcome.UNKNOWN, "timeout")

    monkeypatch.setattr(Solver, "check", give_up)
    report = prove(get_profile("threading"))
    assert not report.proved
    assert {o.verdict for o in report.obligations} == {ProofVerdict.UNKNOWN}
    assert all(o.reason == "timeout" for o in report.obligations)


def test_a_real_solver_time_limit_gives_unknown() -> None:
    # 14 distinct integers in 0..12: pigeonhole, hopeless within 50 ms
    from barrierspec.proofs._z3 import int_var

    xs = [int_var(f"x{i}") for i in range(14)]
    goals = [x >= 0 for x in xs] + [x < 13 for x in xs]
    goals += [xs[i].ne(xs[j]) for i in range(14) for j in range(i)]
    assert Solver(50).check(goals).outcome is Outcome.UNKNOWN


def test_a_frame_is_popped_even_when_its_body_fails() -> None:
    from barrierspec.proofs._z3 import bool_val

    solver = Solver(1000)
    with pytest.raises(RuntimeError), solver.frame():
        solver.add(bool_val(False))
        raise RuntimeError("inside the frame")
    assert solver.check([]).outcome is Outcome.SAT


def test_the_solver_time_limit_must_be_positive() -> None:
    with pytest.raises(ValueError, match="time limit must be an int > 0 ms, got 0"):
        Solver(0)
