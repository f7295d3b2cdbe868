"""Which multiprocessing-compatible package starts a process target's participants.

Forks of :mod:`multiprocessing` (billiard, multiprocess) ship their own ``Process``,
``Pipe``, locks and barriers; their barrier is meant to be shared by their own processes.
:func:`process_context` picks the context a process target is built and driven with:

* ``--context SPEC`` when given: ``"module"`` (a package with ``get_context``, such as
  ``billiard``) or ``"module:attr"`` naming a ``get_context`` function or a context object;
* otherwise the target's own package, when its top-level module offers ``get_context`` and
  ``Process`` (billiard, multiprocess), else the standard library's :mod:`multiprocessing`;
* then the start method: ``--start-method`` (``fork``, ``spawn``, ``forkserver``), default
  ``fork``, through the package's ``get_context(method)``.

Errors are :class:`~barrierspec.errors.UsageError` naming the spelling that failed.
"""

from __future__ import annotations

import importlib
import inspect
import multiprocessing
import types
from typing import Any

from barrierspec.errors import UsageError

__all__ = ["START_METHODS", "check_start_method", "context_name", "process_context"]

START_METHODS = ("fork", "spawn", "forkserver")
_NEEDED = ("Process", "Pipe", "Lock", "Array")


def check_start_method(method: str | None) -> None:
    """UsageError unless ``method`` is None or a start method."""
    if method is not None and method not in START_METHODS:
        raise UsageError(
            f"--start-method must be one of {', '.join(START_METHODS)}, got {method!r}"
        )


def _resolve(spec: str) -> object:
    module_name, _, attr = spec.partition(":")
    try:
        obj: object = importlib.import_module(module_name)
    except Exception as exc:
        raise UsageError(
            f"--context {spec}: module {module_name!r} does not import: {type(exc).__name__}: {exc}"
        ) from exc
    for part in attr.split(".") if attr else ():
        if not hasattr(obj, part):
            raise UsageError(f"--context {spec}: {module_name!r} has no attribute {attr!r}")
        obj = getattr(obj, part)
    return obj


def _package_of(factory: object) -> types.ModuleType | None:
    """The target's top-level package when it offers ``get_context`` and ``Process``."""
    owner = factory if inspect.isclass(factory) else getattr(factory, "__self__", factory)
    module = getattr(factory, "__module__", None) or getattr(type(owner), "__module__", "")
    top = str(module).partition(".")[0]
    if not top or top == "multiprocessing":
        return None
    try:
        package = importlib.import_module(top)
    except Exception:
        return None
    if callable(getattr(package, "get_context", None)) and hasattr(package, "Process"):
        return package
    return None


def process_context(spec: str | None, factory: object, start_method: str | None) -> Any:
    """The context a process target is built and driven with (see the module docstring)."""
    check_start_method(start_method)
    method = start_method or "fork"
    base: object = _resolve(spec) if spec else (_package_of(factory) or multiprocessing)
    label = f"--context {spec}" if spec else f"the context of {getattr(base, '__name__', base)!r}"
    get_context = getattr(base, "get_context", None)
    try:
        if callable(get_context):
            ctx = get_context(method)
        elif callable(base) and not hasattr(base, "Process"):
            ctx = base(method)
        else:
            ctx = base
    except ValueError as exc:
        raise UsageError(f"{label}: start method {method!r} is not available: {exc}") from exc
    missing = [name for name in _NEEDED if not hasattr(ctx, name)]
    if missing:
        raise UsageError(
            f"{label}: {ctx!r} is not a multiprocessing context (it has no {', '.join(missing)})"
        )
    return ctx


def context_name(ctx: object) -> str:
    """A readable name of a context: its package and start method (``billiard, fork``)."""
    package = type(ctx).__module__.partition(".")[0]
    method = getattr(ctx, "get_start_method", lambda: "?")()
    return f"{package}, {method}"
