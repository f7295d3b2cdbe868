"""Deliberately broken models, each on both sides: the encoded moves and a Python step.

A proof that cannot fail proves nothing. Each function here returns a :class:`Variant` (how
the moves are altered) together with the step function that alters the Python model the
same way, so that the counterexample Z3 finds can be replayed and confirmed. The tests
require :func:`~barrierspec.proofs.prove` to reject every one of them.
"""

from __future__ import annotations

import attrs

from barrierspec.proofs._moves import Variant
from barrierspec.spec import (
    Enter,
    Event,
    GiveUp,
    Profile,
    State,
    StepFunction,
    Successor,
    Timeout,
    Wait,
    step,
)

__all__ = ["early_trip", "timeout_gives_up"]


def _early_step(profile: Profile, state: State, event: Event) -> list[Successor]:
    if not isinstance(event, (Wait, Enter)):
        return step(profile, state, event)
    # the arrival sees one party fewer than there are, so it trips one arrival early
    fewer = attrs.evolve(state, parties=state.parties - 1)
    return [
        attrs.evolve(s, state=attrs.evolve(s.state, parties=state.parties))
        for s in step(profile, fewer, event)
    ]


def early_trip() -> tuple[Variant, StepFunction]:
    """Broken: an arrival trips the round when one party is still missing."""
    return Variant(name="early-trip", early_trip=True), _early_step


def timeout_gives_up(profile: Profile, give_up: GiveUp) -> tuple[Variant, StepFunction]:
    """Broken (unless ``give_up`` is the profile's own): timeouts follow ``give_up``."""
    altered = attrs.evolve(profile, policies=attrs.evolve(profile.policies, give_up=give_up))

    def timeout_step(p: Profile, state: State, event: Event) -> list[Successor]:
        return step(altered if isinstance(event, Timeout) else p, state, event)

    variant = Variant(name=f"timeout-{give_up.value}", timeout_policies=altered.policies)
    return variant, timeout_step
