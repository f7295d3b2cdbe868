"""Helpers shared by the test models."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Hashable, Sequence
from typing import Generic, TypeVar

from barrierspec.spec import Invariant, TransitionInvariant

S = TypeVar("S", bound=Hashable)


def permutations_of(items: Sequence[Hashable]) -> int:
    """How many distinct sequences are permutations of ``items`` (a multinomial coefficient).

    The orbit size of a state whose processes are interchangeable: N! divided by the
    factorial of each group of equal per-process entries.
    """
    size = math.factorial(len(items))
    for count in Counter(items).values():
        size //= math.factorial(count)
    return size


class Checked(Generic[S]):
    """The property members of a test model, read from ``_invariants`` and ``_steps``."""

    _invariants: tuple[Invariant[S], ...] = ()
    _steps: tuple[TransitionInvariant[S], ...] = ()

    @property
    def invariants(self) -> Sequence[Invariant[S]]:
        return self._invariants

    @property
    def transition_invariants(self) -> Sequence[TransitionInvariant[S]]:
        return self._steps
