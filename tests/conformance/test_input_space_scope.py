"""The scope the default search reaches, counted on a correct barrier that records it.

:class:`InputSpace` bounds the scope (``max_parties``, ``max_rounds``); this test shows the
search *reaches* it, not only that the bounds allow it: a seeded default check of a correct
barrier trips four rounds and more with every number of parties from 1 to 6, and in
the properties that check the observers reads ``n_waiting``, ``broken`` and ``parties``
after every step.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, ClassVar

import attrs
from tests.broken.correct import DrainingBarrier

from barrierspec.conformance import CheckSettings, InputSpace, check
from barrierspec.conformance._properties import PROPERTIES


class _Scope:
    """What the recording barrier saw, by the property being searched."""

    prop: ClassVar[str] = ""
    trips: ClassVar[set[tuple[int, int]]] = set()  # (parties, rounds tripped so far)
    reads: ClassVar[Counter[tuple[str, str]]] = Counter()  # (property, observer) -> reads

    @classmethod
    def listen(cls, event: dict[str, Any]) -> None:
        if event.get("event") == "property":
            cls.prop = event["property"]


class ScopeRecordingBarrier(DrainingBarrier):
    """:class:`DrainingBarrier` (correct) that records its trips and observer reads."""

    def _trip(self) -> None:
        super()._trip()
        _Scope.trips.add((self._parties, self._rounds))

    @property
    def n_waiting(self) -> int:
        _Scope.reads[(_Scope.prop, "n_waiting")] += 1
        return self._count if self._state == "filling" else 0

    @property
    def broken(self) -> bool:
        _Scope.reads[(_Scope.prop, "broken")] += 1
        return self._state == "broken"

    @property
    def parties(self) -> int:
        _Scope.reads[(_Scope.prop, "parties")] += 1
        return self._parties


def _steps(exercised: str) -> int:
    return int(exercised.split(" steps", maxsplit=1)[0].rsplit(" ", 1)[1])


def test_the_default_search_reaches_the_scope_and_reads_every_observer_after_every_step() -> None:
    observed = [p.name for p in PROPERTIES if p.observers and p.membership is None]
    sweeping = [p.name for p in PROPERTIES if p.sweep]
    cfg = CheckSettings(seed=1, generated=False, only=(*sweeping, *observed))
    result = check(ScopeRecordingBarrier, settings_=cfg, listener=_Scope.listen)
    assert result.conformant, result.format()
    space = InputSpace()
    deepest = {n: max(r for m, r in _Scope.trips if m == n) for n, _ in _Scope.trips}
    assert set(deepest) >= set(range(1, space.max_parties + 1)), deepest
    assert all(deepest[n] >= 4 for n in range(1, space.max_parties + 1)), deepest
    for verdict in result.properties:
        if verdict.name in observed:
            steps = _steps(verdict.exercised)
            for observer in ("n_waiting", "broken", "parties"):
                reads = _Scope.reads[(verdict.name, observer)]
                assert reads >= steps, (verdict.name, observer, reads, steps)


def test_a_smaller_space_bounds_the_scope_the_search_reaches() -> None:
    _Scope.trips.clear()
    cfg = CheckSettings(
        seed=1, generated=False, only=("release count",), space=InputSpace(max_parties=3)
    )
    result = check(ScopeRecordingBarrier, settings_=cfg, listener=_Scope.listen)
    assert result.conformant, result.format()
    assert max(n for n, _ in _Scope.trips) == 3, sorted(_Scope.trips)
    assert attrs.fields(InputSpace).max_parties.default == 6
