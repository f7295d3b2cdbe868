"""The one exception hierarchy of barrierspec.

Every error names the rule that was broken and the value that broke it. Errors raised by a
barrier in use subclass what users of the standard library already catch
(:class:`threading.BrokenBarrierError` and :class:`asyncio.BrokenBarrierError`, two distinct
classes, are both :class:`RuntimeError`); bad arguments follow the standard library's
convention: a wrong type is a :class:`TypeError`, a wrong value a :class:`ValueError`.
"""

from __future__ import annotations

import asyncio
import threading

__all__ = [
    "ArgumentTypeError",
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


class ArgumentTypeError(UsageError, TypeError):
    """An argument of the wrong type (``Barrier("3")``, ``wait(timeout="1")``).

    A :class:`TypeError`, as the standard library raises for a wrong type, and a
    :class:`UsageError` (hence also a :class:`ValueError`), so ``except UsageError`` still
    catches every bad argument.
    """


class InvalidOperationError(BarrierSpecError, RuntimeError):
    """An operation the model does not allow in the current state (the model is also an API)."""


class BrokenBarrierError(threading.BrokenBarrierError, asyncio.BrokenBarrierError):
    """The barrier is broken, or was reset or aborted while the caller was inside it.

    A subclass of both :class:`threading.BrokenBarrierError` and
    :class:`asyncio.BrokenBarrierError` (distinct classes in the standard library), so code
    written for either, ``except threading.BrokenBarrierError:`` around a thread or process
    barrier or ``except asyncio.BrokenBarrierError:`` around an asyncio one, catches it
    unchanged.
    """


class CancelledBarrierError(BarrierSpecError, RuntimeError):
    """A named-barrier member was cancelled: while waiting, or before the wait began."""
