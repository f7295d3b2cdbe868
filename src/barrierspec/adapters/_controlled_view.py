"""A target class as seen through controlled primitives: its functions rebound.

:func:`controlled_class` returns a subclass of the target class in which every function of
the class and its Python base classes runs with *substituted globals*: the names that refer
to ``threading``, ``_thread``, ``time`` (the modules, or the functions and classes the
runtime controls, however imported) refer to the controlled versions instead, and so do the
module's own helper functions and plain helper classes (a lock-holding cell the barrier
builds), rebound the same way. Nothing global
is patched; other code, the driver's own included, keeps the real primitives. Because
``threading.Barrier`` is pure Python over ``Condition`` and ``Lock``, it is controlled the
same way. A target that is not a class, or whose methods are not Python functions (a C
extension), cannot be controlled: :class:`Uncontrollable` says why; a target that turns out
to block on something uncontrolled while it runs: :class:`RunsUncontrolled`.
"""

from __future__ import annotations

import _thread
import threading
import time
import types
from typing import Any

from barrierspec.adapters._controlled_sync import Primitives, _Namespace

__all__ = ["RunsUncontrolled", "Uncontrollable", "controlled_class"]

_CONTROLLED = ("Lock", "RLock", "Condition", "Semaphore", "BoundedSemaphore", "Event")


class Uncontrollable(Exception):  # noqa: N818 -- a verdict on a target, not a failure
    """The target's primitives cannot be replaced; the message says why."""


class RunsUncontrolled(Uncontrollable):
    """Found at run time: a participant ran code the runtime does not control (it blocked on
    a real lock, a queue, a socket, or looped) past the bound; the message says where."""


def _replacements(prims: Primitives) -> dict[int, Any]:
    names = prims.names
    table: dict[int, Any] = {id(getattr(threading, n)): names[n] for n in _CONTROLLED}
    table[id(_thread.allocate_lock)] = names["allocate_lock"]
    table[id(threading._allocate_lock)] = names["allocate_lock"]  # type: ignore[attr-defined]
    for n in ("monotonic", "perf_counter", "time", "sleep"):
        table[id(getattr(time, n))] = names[n]
    keep = (*_CONTROLLED, "Barrier")
    view = dict(names)
    fake_threading = _Namespace(threading, view, ())
    for n in keep[:-1]:
        setattr(fake_threading, n, names[n])
    table[id(threading)] = fake_threading
    table[id(_thread)] = _Namespace(_thread, names, ("allocate_lock",))
    table[id(time)] = prims.time
    return table


def _functions(cls: type) -> list[types.FunctionType]:
    return [f for f in vars(cls).values() if isinstance(f, types.FunctionType)]


def _helper(value: object, real: dict[str, Any], keep: frozenset[int]) -> bool:
    """Whether ``value`` is a plain helper class of the module whose globals are ``real``,
    in which the target's code may build primitives (``_Queued`` making its sleeper lock);
    not an exception class, not one of the target's own classes (``keep``)."""
    return (
        type(value) is type
        and not issubclass(value, BaseException)
        and id(value) not in keep
        and any(f.__globals__ is real for f in _functions(value))
    )


class _Rebinder:
    def __init__(self, prims: Primitives, target: type | None = None) -> None:
        self.table = _replacements(prims)
        self._globals: dict[int, dict[str, Any]] = {}
        mro = target.__mro__ if target is not None else ()
        self._keep = frozenset(map(id, mro))  # the target's classes: never a helper copy
        # the modules whose helpers are rebound: where the target's functions are defined
        # (not the stdlib's threading)
        self._modules = {id(f.__globals__) for c in mro for f in _functions(c)}
        self._modules.discard(id(vars(threading)))

    def globals_for(self, real: dict[str, Any]) -> dict[str, Any]:
        """``real`` with the controlled names, and the module's own helper functions and
        classes rebound the same way (so what they build is controlled too)."""
        cached = self._globals.get(id(real))
        if cached is None:
            cached = {k: self.table.get(id(v), v) for k, v in real.items()}
            self._globals[id(real)] = cached  # before the helpers: they may refer to it
            if id(real) not in self._modules:
                return cached
            for k, v in real.items():
                if id(v) in self.table:
                    continue
                if isinstance(v, types.FunctionType) and v.__globals__ is real:
                    cached[k] = self.function(v)
                elif _helper(v, real, self._keep):
                    cached[k] = self.helper_class(v)
        return cached

    def helper_class(self, cls: type) -> type:
        """A subclass of the helper ``cls`` whose functions are rebound (no new slots)."""
        namespace = {
            name: self.member(value) for name, value in vars(cls).items() if name not in _SKIP
        }
        namespace.update(__module__=cls.__module__, __qualname__=cls.__qualname__, __slots__=())
        return type(cls.__name__, (cls,), namespace)

    def function(self, func: types.FunctionType) -> types.FunctionType:
        new = types.FunctionType(
            func.__code__,
            self.globals_for(func.__globals__),
            func.__name__,
            func.__defaults__,
            func.__closure__,
        )
        new.__kwdefaults__ = func.__kwdefaults__
        new.__qualname__ = func.__qualname__
        new.__doc__ = func.__doc__
        return new

    def _maybe(self, func: Any) -> Any:
        return self.function(func) if isinstance(func, types.FunctionType) else func

    def member(self, value: Any) -> Any:
        if isinstance(value, types.FunctionType):
            return self.function(value)
        if isinstance(value, property):
            fget, fset, fdel = (self._maybe(f) for f in (value.fget, value.fset, value.fdel))
            return property(fget, fset, fdel, value.__doc__)
        if isinstance(value, staticmethod | classmethod):
            inner = value.__func__
            if isinstance(inner, types.FunctionType):
                return type(value)(self.function(inner))
        return value


_SKIP = frozenset({"__dict__", "__weakref__", "__module__", "__qualname__", "__slots__"})


def controlled_class(cls: object, prims: Primitives) -> type:
    """A subclass of ``cls`` whose functions see ``prims`` (see the module docstring)."""
    if not isinstance(cls, type):
        raise Uncontrollable(f"{cls!r} is a factory, not a class: what it builds is unknown")
    rebind = _Rebinder(prims, cls)
    fake_threading = rebind.table[id(threading)]
    if cls is not threading.Barrier:
        fake_threading.Barrier = controlled_class(threading.Barrier, prims)
    namespace: dict[str, Any] = {}
    functions = 0
    for base in reversed(cls.__mro__):
        if base is object:
            continue
        for name, value in vars(base).items():
            if name in _SKIP:
                continue
            member = rebind.member(value)
            functions += member is not value
            namespace[name] = member
    if functions == 0:
        raise Uncontrollable(f"{cls.__qualname__} has no Python methods (a C extension?)")
    namespace["__module__"] = cls.__module__
    return type(cls.__name__, (cls,), namespace)
