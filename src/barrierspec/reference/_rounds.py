"""Phases of a round and the observers shared by the in-process barriers.

A round is ``filling`` (parties arrive), ``acting`` (full; the last arrival runs the action),
``released`` (tripped; final) or ``broken`` (final; a broken *current* round makes the barrier
broken until ``reset()`` installs a fresh one).
"""

from __future__ import annotations

from typing import Generic, Protocol, TypeVar

__all__ = ["ACTING", "BROKEN", "FILLING", "RELEASED", "RoundObservers"]

FILLING = "filling"
ACTING = "acting"
RELEASED = "released"
BROKEN = "broken"


class _RoundLike(Protocol):
    phase: str
    count: int
    reason: str


R = TypeVar("R", bound=_RoundLike)


class RoundObservers(Generic[R]):
    """``parties``, ``n_waiting``, ``broken``, ``round`` and ``repr`` from the current round."""

    _parties: int
    _rounds: int
    _round: R

    @property
    def parties(self) -> int:
        """The number of parties required to trip the barrier."""
        return self._parties

    @property
    def n_waiting(self) -> int:
        """Parties in the current round (``parties`` while the action runs); 0 if broken."""
        rnd = self._round
        return 0 if rnd.phase is BROKEN else rnd.count

    @property
    def broken(self) -> bool:
        """True if the barrier is broken (until ``reset()``)."""
        return self._round.phase is BROKEN

    @property
    def round(self) -> int:
        """The number of rounds that have tripped (released their parties) so far."""
        return self._rounds

    def __repr__(self) -> str:
        rnd = self._round
        cls = f"{type(self).__module__.rsplit('._', 1)[0]}.{type(self).__qualname__}"
        if rnd.phase is BROKEN:
            return f"<{cls} at {id(self):#x}: broken ({rnd.reason}), round={self._rounds}>"
        return (
            f"<{cls} at {id(self):#x}: {rnd.phase}, waiters={rnd.count}/{self._parties},"
            f" round={self._rounds}>"
        )
