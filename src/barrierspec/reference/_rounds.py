"""Phases and observers shared by the in-process barriers (threads and asyncio tasks).

The barrier is in one phase, CPython's four plus one for the action:

* ``filling``: parties arrive; ``count`` is the number of arrivals that stand.
* ``acting``: the round is full and the last arrival runs the action (outside any lock);
  newcomers block. Shown as ``filling`` by ``repr`` (as in CPython, where the action runs
  while the barrier still reads filling) and ``n_waiting == parties``.
* ``draining``: the round tripped; released parties are leaving. Newcomers block until the
  last one has left (``count`` back to 0), then the barrier fills again from index 0.
* ``resetting``: ``reset()`` broke a round with parties inside; they raise
  ``BrokenBarrierError`` as they leave; newcomers block until the last one has left.
* ``broken``: by a timeout, a failing action or ``abort()``; every party inside and every
  newcomer raises ``BrokenBarrierError`` until ``reset()``.

``count`` counts every party inside ``wait()`` (filling, or released or broken but not yet
left), as CPython's ``_count`` does; a phase that ends when the last party leaves ends in
the leaving party's ``_exit``.
"""

from __future__ import annotations

__all__ = ["ACTING", "BROKEN", "DRAINING", "FILLING", "RESETTING", "PhaseObservers"]

FILLING = "filling"
ACTING = "acting"
DRAINING = "draining"
RESETTING = "resetting"
BROKEN = "broken"


class PhaseObservers:
    """``parties``, ``n_waiting``, ``broken`` and ``round`` from the barrier's phase."""

    _parties: int
    _rounds: int
    _state: str
    _count: int

    @property
    def parties(self) -> int:
        """The number of parties required to trip the barrier."""
        return self._parties

    @property
    def n_waiting(self) -> int:
        """Parties waiting in the filling round (``parties`` while the action runs); else 0."""
        state = self._state
        return self._count if state is FILLING or state is ACTING else 0

    @property
    def broken(self) -> bool:
        """True if the barrier is broken (until ``reset()``)."""
        return self._state is BROKEN

    @property
    def round(self) -> int:
        """The number of rounds that have tripped (released their parties) so far."""
        return self._rounds

    def _public_name(self) -> str:
        """``module.qualname`` of the barrier's class, as CPython's reprs name it (each
        reference class sets ``__module__`` to the public module that exports it)."""
        cls = type(self)
        return f"{cls.__module__}.{cls.__qualname__}"
