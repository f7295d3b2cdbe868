"""The model's answers, remembered across programs: successors and enabled events per state.

A search runs thousands of programs against one profile, and each program's oracle and
generator ask the model the same questions again and again: which events the environment
may produce in a state (:func:`~barrierspec.spec.enabled`), and what an event leads to
(:func:`~barrierspec.spec.step`). Both are pure functions of the profile, the state and the
event or bounds, and states are hashable values, so a :class:`ModelCache` per profile
keeps every answer for the life of the process. Nothing is decided here: the cache returns
exactly what the model returns (``InvalidOperationError`` becomes "no successor", as the
oracle treats it). The oracle also keeps here which model states explain an observation
(its path search is a pure function of the candidate states and what was observed, and
programs share their prefixes). Each table is emptied when it grows past :data:`LIMIT`
entries, so a long-lived process holds a bounded amount.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import ClassVar, TypeVar

from barrierspec.errors import InvalidOperationError
from barrierspec.spec import Bounds, Event, Profile, State, Successor, enabled, step

__all__ = ["LIMIT", "ModelCache"]

LIMIT = 200_000  # entries per table before it is emptied
K = TypeVar("K")
V = TypeVar("V")


class ModelCache:
    """The remembered answers of the model under one profile (see the module docstring)."""

    _of: ClassVar[dict[Profile, ModelCache]] = {}

    def __init__(self, profile: Profile) -> None:
        self.profile = profile
        self._successors: dict[tuple[State, Event], tuple[Successor, ...]] = {}
        self._enabled: dict[tuple[State, Bounds], tuple[Event, ...]] = {}
        self._enabled_sets: dict[tuple[State, Bounds], frozenset[Event]] = {}
        self._of_kinds: dict[tuple[State, Bounds, tuple[type, ...]], tuple[Event, ...]] = {}
        self._explained: dict[Hashable, frozenset[State]] = {}

    @classmethod
    def of(cls, profile: Profile) -> ModelCache:
        """The cache of ``profile`` (profiles are frozen values: equal ones share it)."""
        cache = cls._of.get(profile)
        if cache is None:
            if len(cls._of) > 64:  # profiles made on the fly (custom ones): start afresh
                cls._of.clear()
            cache = cls._of[profile] = cls(profile)
        return cache

    @classmethod
    def forget(cls) -> None:
        """Drop every remembered answer (a test that changes a rule at run time calls this)."""
        cls._of.clear()

    def successors(self, state: State, event: Event) -> tuple[Successor, ...]:
        """``step(profile, state, event)``; no successor if the event is invalid there."""
        key = (state, event)
        found = self._successors.get(key)
        if found is None:
            try:
                found = tuple(step(self.profile, state, event))
            except InvalidOperationError:
                found = ()
            _bounded(self._successors)[key] = found
        return found

    def enabled(self, state: State, bounds: Bounds) -> tuple[Event, ...]:
        """``enabled(profile, state, bounds)``, in its order."""
        key = (state, bounds)
        found = self._enabled.get(key)
        if found is None:
            found = tuple(enabled(self.profile, state, bounds))
            _bounded(self._enabled)[key] = found
        return found

    def enabled_of(
        self, state: State, bounds: Bounds, kinds: tuple[type, ...]
    ) -> tuple[Event, ...]:
        """The events of ``enabled(profile, state, bounds)`` that are instances of ``kinds``."""
        key = (state, bounds, kinds)
        found = self._of_kinds.get(key)
        if found is None:
            found = tuple(e for e in self.enabled(state, bounds) if isinstance(e, kinds))
            _bounded(self._of_kinds)[key] = found
        return found

    def allows(self, state: State, event: Event, bounds: Bounds) -> bool:
        """Whether ``event`` is among ``enabled(profile, state, bounds)``."""
        key = (state, bounds)
        found = self._enabled_sets.get(key)
        if found is None:
            found = frozenset(self.enabled(state, bounds))
            _bounded(self._enabled_sets)[key] = found
        return event in found

    def explained(self, key: Hashable) -> frozenset[State] | None:
        """The states an oracle found to explain an observation (its key: everything the
        oracle's search reads, see ``Oracle._memo_key``), if remembered."""
        return self._explained.get(key)

    def remember_explained(self, key: Hashable, states: frozenset[State]) -> frozenset[State]:
        """Remember the answer of an oracle's search for ``key``; return it."""
        _bounded(self._explained)[key] = states
        return states


def _bounded(table: dict[K, V]) -> dict[K, V]:
    """``table``, emptied first if it is full."""
    if len(table) >= LIMIT:
        table.clear()
    return table
