"""Argument checks shared by the reference barriers.

Each check returns the value it accepts (normalised) or raises, following the standard
library's convention: a wrong *type* raises :class:`~barrierspec.errors.ArgumentTypeError`
(a :class:`TypeError`), a wrong *value* :class:`~barrierspec.errors.UsageError` (a
:class:`ValueError`). Both messages name the rule and the offending value.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from barrierspec.errors import ArgumentTypeError, UsageError

__all__ = ["check_action", "check_parties", "check_timeout"]

F = TypeVar("F", bound=Callable[..., Any])


def check_parties(parties: object, *, limit: int | None = None) -> int:
    """Return ``parties`` if it is an ``int`` (not a ``bool``) >= 1 and <= ``limit``.

    There is no upper bound for in-process barriers: a barrier whose ``parties`` exceeds the
    number of threads that will ever call ``wait`` is legal and simply never trips.
    """
    if isinstance(parties, bool) or not isinstance(parties, int):
        raise ArgumentTypeError(
            f"parties must be an int >= 1, got {parties!r} of type {type(parties).__name__}"
        )
    if parties < 1:
        raise UsageError(f"parties must be an int >= 1, got {parties!r}")
    if limit is not None and parties > limit:
        raise UsageError(f"parties must be <= {limit} for this barrier, got {parties!r}")
    return parties


def check_timeout(timeout: object, *, name: str = "timeout") -> float | None:
    """Return ``timeout`` as a float, or ``None``; reject anything but a finite real >= 0.

    Booleans, strings and other non-numbers raise :class:`ArgumentTypeError`; NaN,
    infinities and negative numbers :class:`UsageError`. Values above
    :data:`threading.TIMEOUT_MAX` are clamped to it (292 years: "forever").
    """
    if timeout is None:
        return None
    if isinstance(timeout, bool) or not isinstance(timeout, int | float):
        raise ArgumentTypeError(
            f"{name} must be None or a finite number >= 0, got {timeout!r}"
            f" of type {type(timeout).__name__}"
        )
    if not math.isfinite(timeout) or timeout < 0:
        raise UsageError(f"{name} must be None or a finite number >= 0, got {timeout!r}")
    return float(min(timeout, threading.TIMEOUT_MAX))


def check_action(action: F | None) -> F | None:
    """Return ``action`` if it is ``None`` or callable (else :class:`ArgumentTypeError`)."""
    if action is not None and not callable(action):
        raise ArgumentTypeError(
            f"action must be None or callable, got {action!r} of type {type(action).__name__}"
        )
    return action
