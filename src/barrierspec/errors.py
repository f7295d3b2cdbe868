"""The one exception hierarchy of barrierspec.

Every error names the rule that was broken and the value that broke it. Errors raised by a
barrier in use subclass what users of the standard library already catch
(:class:`threading.BrokenBarrierError` is a :class:`RuntimeError`).
"""

from __future__ import annotations

import threading

__all__ = [
    "BarrierSpecError",
    "BrokenBarrierError",
    "CancelledBarrierError",
    "InvalidOperationError",
    "UsageError",
]


class BarrierSpecError(Exception):
    """Base class of every error barrierspec defines (except :class:`BrokenBarrierError`)."""


class UsageError(BarrierSpecError, ValueError):
    """A bad argument: an unknown profile, a bound out of range, a malformed target."""


class InvalidOperationError(BarrierSpecError, RuntimeError):
    """An operation the model does not allow in the current state (the model is also an API)."""


class BrokenBarrierError(threading.BrokenBarrierError):
    """The barrier is broken, or was reset or aborted while the caller was inside it.

    A subclass of :class:`threading.BrokenBarrierError`, so code written for the standard
    library catches it unchanged.
    """


class CancelledBarrierError(BarrierSpecError, RuntimeError):
    """A named-barrier member was cancelled: while waiting, or before the wait began."""
