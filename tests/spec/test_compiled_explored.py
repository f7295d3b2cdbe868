"""The explorer sees the same system through the compiled form: counts, verdicts, reports.

The pinned counts of ``test_profiles_explored.py`` must come out of the compiled system too,
with and without symmetry; and a deliberately broken model must be rejected with the same
report (verdict, shortest trace, message) whichever form the explorer searched.
"""

from __future__ import annotations

from collections.abc import Callable

import attrs
import pytest
from tests.spec.test_profiles_explored import PINNED

from barrierspec.spec import (
    PROFILES,
    BarrierSystem,
    Bounds,
    CompiledBarrierSystem,
    Enter,
    Event,
    ExplorationResult,
    ExplorationStatus,
    Profile,
    State,
    Successor,
    Timeout,
    Wait,
    compiled_system,
    explore,
    format_result,
    step,
)
from barrierspec.spec._compiled_codes import CompiledState
from barrierspec.spec._compiled_labels import ENTER, TIMEOUT, WAIT, Label


@pytest.mark.parametrize(("profile", "parties", "participants"), sorted(PINNED))
def test_compiled_explores_to_the_pinned_counts(
    profile: str, parties: int, participants: int
) -> None:
    system = compiled_system(PROFILES[profile], parties, participants, Bounds(rounds=2))
    result = explore(system)
    assert result.status is ExplorationStatus.OK, result.violation
    assert (result.states, result.transitions, result.depth) == PINNED[
        (profile, parties, participants)
    ]


@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_compiled_symmetry_reduces_like_the_model(profile: str) -> None:
    parties = 3 if profile == "grinder" else 2
    readable = BarrierSystem(PROFILES[profile], parties, 3, Bounds(rounds=2))
    compiled = compiled_system(PROFILES[profile], parties, 3, Bounds(rounds=2))
    want = explore(readable, symmetry=True)
    got = explore(compiled, symmetry=True)
    assert got.status is want.status is ExplorationStatus.OK
    figures = ("states", "transitions", "depth", "concrete_states")
    assert [getattr(got, f) for f in figures] == [getattr(want, f) for f in figures]


def _report(result: ExplorationResult, system: object) -> list[str]:
    """The text report without its timing line."""
    lines = format_result(result, system).splitlines()  # type: ignore[arg-type]
    return [line for line in lines if not line.lstrip().startswith("time")]


def test_documented_hangs_read_the_same() -> None:
    profile = PROFILES["multiprocessing"]
    readable = BarrierSystem(profile, 2, 2, Bounds(rounds=1))
    compiled = compiled_system(profile, 2, 2, Bounds(rounds=1))
    want, got = explore(readable), explore(compiled)
    assert want.documented_hangs, "the multiprocessing model documents a hang"
    assert _report(got, compiled) == _report(want, readable)


# --- broken models: the same corruption applied to each form -------------------------

# (pre, post) -> the corrupted post, or None to drop the transition
Corrupt = Callable[[State, State], State | None]


def _broken_pair(
    profile: str, parties: int, bounds: Bounds, applies: type, corrupt: Corrupt
) -> tuple[BarrierSystem, CompiledBarrierSystem]:
    """Both forms of a model whose steps for events of type ``applies`` are corrupted."""

    def broken_step(prof: Profile, state: State, event: Event) -> list[Successor]:
        succs = step(prof, state, event)
        if not isinstance(event, applies):
            return succs
        posts = [(corrupt(state, s.state), s.outputs) for s in succs]
        return [Successor(post, outputs) for post, outputs in posts if post is not None]

    participants = parties + 1
    readable = BarrierSystem(PROFILES[profile], parties, participants, bounds, broken_step)
    compiled = CompiledBarrierSystem(PROFILES[profile], parties, participants, bounds)
    kind = {Timeout: TIMEOUT, Wait: WAIT, Enter: ENTER}[applies]
    successors = compiled.successors

    def broken_successors(state: CompiledState) -> list[tuple[Label, CompiledState]]:
        out = []
        for label, post in successors(state):
            if label.kind == kind:
                wrong = corrupt(compiled.decode(state), compiled.decode(post))
                if wrong is None:
                    continue
                post = compiled.encode(wrong)
            out.append((label, post))
        return out

    compiled.successors = broken_successors
    return readable, compiled


QUIET = Bounds(rounds=2, timeouts=False, abort_reset=False)
BROKEN = {
    # a timeout that does not break under threading: a transition invariant
    "timeout_keeps_barrier_whole": (
        "threading",
        2,
        Bounds(rounds=2),
        Timeout,
        lambda pre, post: attrs.evolve(post, broken=False),
    ),
    # an arrival that is not counted: a state invariant
    "arrival_not_counted": (
        "asyncio",
        2,
        Bounds(rounds=2),
        Wait,
        lambda pre, post: attrs.evolve(post, arrived=pre.arrived),
    ),
    # a blocked newcomer that never enters: it waits forever
    "newcomer_never_enters": ("threading", 2, QUIET, Enter, lambda pre, post: None),
}


@pytest.mark.parametrize("symmetry", [False, True])
@pytest.mark.parametrize("name", sorted(BROKEN))
def test_broken_models_are_rejected_with_the_same_report(name: str, symmetry: bool) -> None:
    readable, compiled = _broken_pair(*BROKEN[name])
    want = explore(readable, symmetry=symmetry)
    got = explore(compiled, symmetry=symmetry)
    assert want.status is ExplorationStatus.VIOLATION
    assert _report(got, compiled) == _report(want, readable)
