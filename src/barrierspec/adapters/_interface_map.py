"""Interface maps: checking a barrier whose spelling differs from the standard library's.

The drivers speak ``threading.Barrier``'s interface (``wait(timeout)``, ``abort()``,
``reset()``, ``n_waiting``, ``broken``, ``parties``) or ``asyncio.Barrier``'s (the same with
``await``). A barrier that spells these otherwise is checked through an
:class:`InterfaceMap`, parsed from ``NAME=VALUE`` entries (the CLI's repeatable ``--map``):

* ``wait=ATTR``: the wait is the method ``ATTR``; a coroutine function makes the target an
  asyncio one, and with ``--kind asyncio`` any awaitable it returns is awaited
  (aioprocessing's ``coro_wait`` returns an executor future);
* ``wait=await``: the wait is ``await barrier`` itself (aiologic's async form);
* ``timeout=ATTR``: a wait with a timeout is ``barrier.ATTR(timeout)``, awaited when it
  returns an awaitable (aiologic's ``with_(timeout)``); without it, ``wait(timeout)``;
* ``abort=ATTR``, ``reset=ATTR``, ``n_waiting=ATTR``, ``broken=ATTR``, ``parties=ATTR``: the
  attribute that plays that part (``n_waiting=waiting``);
* ``broken_error=module:Class``, ``cancelled_error=module:Class``: exception classes of the
  library that mean "the barrier is broken" or "this named member was cancelled". Classes
  whose name (or a base's) is ``BrokenBarrierError``, ``CancelledBarrierError`` or
  ``CancelledBarrierException`` are recognised without a declaration.

Every attribute is read with ``getattr`` on the barrier object, so attributes a class
provides through ``__getattr__`` are found. The map is applied by wrapping each barrier the
target builds in a :class:`MappedBarrier` (picklable, so process participants receive it);
a bad entry is a :class:`~barrierspec.errors.UsageError` naming it.
"""

from __future__ import annotations

import importlib
import inspect
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from barrierspec.errors import CancelledBarrierError, UsageError

__all__ = [
    "AsyncMappedBarrier",
    "DeclaredBrokenBarrierError",
    "DeclaredCancelledBarrierError",
    "InterfaceMap",
    "MappedBarrier",
    "check_map",
    "parse_map",
]

_ATTRIBUTES = ("wait", "timeout", "abort", "reset", "n_waiting", "broken", "parties")
_EXCEPTIONS = ("broken_error", "cancelled_error")
AWAIT = "await"


class DeclaredBrokenBarrierError(threading.BrokenBarrierError):
    """A library's own "broken" exception, declared with ``--map broken_error=...``."""


class DeclaredCancelledBarrierError(CancelledBarrierError):
    """A library's own "member cancelled" exception, declared with ``--map cancelled_error=``."""


@dataclass(frozen=True)
class InterfaceMap:
    """Which attribute of the barrier plays each part; see the module docstring."""

    entries: tuple[tuple[str, str], ...] = ()

    def __bool__(self) -> bool:
        return bool(self.entries)

    def get(self, name: str) -> str:
        """The attribute spelling ``name`` (itself when not mapped)."""
        return dict(self.entries).get(name, name)

    def spelled(self) -> tuple[str, ...]:
        """The entries as ``NAME=VALUE`` strings (how the CLI spells them)."""
        return tuple(f"{k}={v}" for k, v in self.entries)

    def exceptions(self) -> tuple[tuple[type[BaseException], type[BaseException]], ...]:
        """(declared class, the class it is reported as) for each declared exception."""
        found = []
        for key, spelling in self.entries:
            if key in _EXCEPTIONS:
                as_: type[BaseException] = DeclaredBrokenBarrierError
                if key == "cancelled_error":
                    as_ = DeclaredCancelledBarrierError
                found.append((_exception_class(key, spelling), as_))
        return tuple(found)


def _exception_class(key: str, spelling: str) -> type[BaseException]:
    module_name, sep, attr = spelling.partition(":")
    if not sep or not module_name or not attr:
        raise UsageError(f"--map {key}={spelling}: expected {key}=module:Class")
    try:
        obj: object = importlib.import_module(module_name)
        for part in attr.split("."):
            obj = getattr(obj, part)
    except (ImportError, AttributeError) as exc:
        raise UsageError(f"--map {key}={spelling}: {type(exc).__name__}: {exc}") from exc
    if not (inspect.isclass(obj) and issubclass(obj, BaseException)):
        raise UsageError(f"--map {key}={spelling}: {obj!r} is not an exception class")
    return obj


def parse_map(items: Iterable[str] | InterfaceMap | None) -> InterfaceMap:
    """``["n_waiting=waiting", ...]`` as an InterfaceMap; UsageError naming a bad entry."""
    if isinstance(items, InterfaceMap):
        return items
    entries: dict[str, str] = {}
    for item in items or ():
        key, sep, value = (part.strip() for part in item.partition("="))
        if not sep or not key or not value:
            raise UsageError(f"--map expects NAME=VALUE, got {item!r}")
        if key not in _ATTRIBUTES + _EXCEPTIONS:
            raise UsageError(
                f"--map {item}: unknown name {key!r}; use one of "
                f"{', '.join(_ATTRIBUTES + _EXCEPTIONS)}"
            )
        if key in entries:
            raise UsageError(f"--map {item}: {key!r} is mapped twice")
        if key in _EXCEPTIONS:
            _exception_class(key, value)
        elif not value.isidentifier() or (value == AWAIT and key != "wait"):
            raise UsageError(
                f"--map {item}: {value!r} is not an attribute name"
                + (" ('await' is only for wait=await)" if value == AWAIT else "")
            )
        entries[key] = value
    return InterfaceMap(tuple(sorted(entries.items())))


def check_map(barrier: object, mapping: InterfaceMap, label: str) -> None:
    """UsageError naming the first entry of ``mapping`` that ``barrier`` lacks."""
    for key, value in mapping.entries:
        if key in _EXCEPTIONS:
            continue
        if value == AWAIT:
            if not hasattr(type(barrier), "__await__"):
                raise UsageError(f"--map wait=await: target {label!r} is not awaitable")
        elif not hasattr(barrier, value):
            raise UsageError(
                f"--map {key}={value}: target {label!r} has no attribute {value!r} ({barrier!r})"
            )


def is_async(sample: object, mapping: InterfaceMap) -> bool:
    """Whether the mapped wait of ``sample`` is awaited (``await b`` or a coroutine method)."""
    name = mapping.get("wait")
    if name == AWAIT:
        return True
    return inspect.iscoroutinefunction(getattr(sample, name, None))


def wrap(barrier: object, mapping: InterfaceMap, awaited: bool = False) -> object:
    """``barrier`` seen through ``mapping`` (the barrier itself when the map is empty).

    ``awaited`` (an asyncio target): the mapped wait is awaited whenever it returns an
    awaitable, even if it is no coroutine function (aioprocessing's ``coro_wait`` returns
    an executor future)."""
    if not mapping:
        return barrier
    mapped_wait = "wait" in dict(mapping.entries)
    asynchronous = is_async(barrier, mapping) or (awaited and mapped_wait)
    cls = AsyncMappedBarrier if asynchronous else MappedBarrier
    return cls(barrier, mapping)


class MappedBarrier:
    """A barrier read through an :class:`InterfaceMap`, with the standard spelling."""

    def __init__(self, barrier: object, mapping: InterfaceMap) -> None:
        self.barrier = barrier
        self.mapping = mapping

    def __repr__(self) -> str:
        return f"<{self.barrier!r} mapped {', '.join(self.mapping.spelled())}>"

    def __getattr__(self, name: str) -> Any:
        """``abort``, ``reset``, ``n_waiting``, ``broken``, ``parties``: the mapped attribute
        of the barrier (AttributeError when it has none, so the capability is off)."""
        if name not in _ATTRIBUTES or name in ("wait", "timeout"):
            raise AttributeError(name)
        if name not in ("abort", "reset"):
            return getattr(self.barrier, self.mapping.get(name))
        method = getattr(self.barrier, self.mapping.get(name))
        return lambda: self._translated(method)

    def _translated(self, method: Any, *args: object) -> Any:
        try:
            return method(*args)
        except BaseException as exc:
            raise self._declared(exc) from exc

    def _declared(self, exc: BaseException) -> BaseException:
        for declared, as_ in self.mapping.exceptions():
            if isinstance(exc, declared):
                cls = type(exc)
                return as_(f"{cls.__module__}.{cls.__qualname__}: {exc}")
        return exc

    def _call(self, timeout: float | None) -> Any:
        if timeout is None:
            return getattr(self.barrier, self.mapping.get("wait"))()
        timed = dict(self.mapping.entries).get("timeout")
        if timed is not None:
            return getattr(self.barrier, timed)(timeout)
        if self.mapping.get("wait") == AWAIT:
            raise UsageError("--map wait=await takes no timeout: map timeout=METHOD too")
        return getattr(self.barrier, self.mapping.get("wait"))(timeout)

    def wait(self, timeout: float | None = None) -> Any:
        """The mapped wait (``timeout`` through the mapped timeout method, if any)."""
        return self._translated(self._call, timeout)


class AsyncMappedBarrier(MappedBarrier):
    """A barrier whose mapped wait is awaited (``await b``, ``await b.coro_wait()``)."""

    async def wait(self, timeout: float | None = None) -> Any:
        """Await the mapped wait (``timeout`` through the mapped timeout method, if any)."""
        try:
            if timeout is None and self.mapping.get("wait") == AWAIT:
                return await self.barrier  # type: ignore[misc]
            pending = self._call(timeout)
            return (await pending) if inspect.isawaitable(pending) else pending
        except BaseException as exc:
            raise self._declared(exc) from exc
