"""Targets: what a driver builds, and what it can do with it.

A :class:`Target` pairs a barrier factory with the kind of participants it needs (threads,
asyncio tasks, processes, or threads holding named-barrier members) and its
:class:`Capabilities`. :func:`resolve_target` turns the CLI's spelling into a Target:

* ``"threading"``, ``"asyncio"``, ``"multiprocessing"``: the standard library's barriers;
* ``"module:attr"`` (``attr`` may be dotted): any class or factory with the interface of
  ``threading.Barrier`` or ``asyncio.Barrier`` (async when ``wait`` is a coroutine function),
  or a named-barrier registry (an object with ``barrier(name)`` and no ``wait``).

Capabilities are detected by inspection (``action``/``timeout`` parameters; ``abort``,
``reset``, ``n_waiting``, ``broken`` attributes) and can be overridden by declaration. Every
failure is a :class:`~barrierspec.errors.UsageError` naming the target and what was wrong.
"""

from __future__ import annotations

import asyncio
import dataclasses
import importlib
import inspect
import multiprocessing
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, TypeAlias

from barrierspec.adapters._ops import Capabilities
from barrierspec.errors import UsageError

__all__ = ["Target", "TargetKind", "resolve_target", "target_from"]

TargetKind: TypeAlias = Literal["thread", "asyncio", "process", "named", "named-process"]
_KINDS = ("thread", "asyncio", "process", "named", "named-process")
_NAMED = ("named", "named-process")


@dataclass(frozen=True)
class Target:
    """A barrier factory, the kind of participants it needs, and what it supports.

    ``factory(parties, action=..., timeout=..., ctx=...)`` builds one barrier; keyword
    arguments are passed only when given (``ctx`` only when ``accepts_ctx``). A named target's
    factory takes no argument and returns a registry.
    """

    name: str
    kind: TargetKind
    factory: Callable[..., Any]
    capabilities: Capabilities
    accepts_ctx: bool = False

    def build(
        self,
        parties: int,
        *,
        action: object = None,
        timeout: float | None = None,
        ctx: object = None,
    ) -> Any:
        """Build one barrier (or, for a named target, one registry)."""
        if self.kind in _NAMED:
            return self.factory()
        kwargs: dict[str, object] = {}
        if action is not None:
            kwargs["action"] = action
        if timeout is not None:
            kwargs["timeout"] = timeout
        if ctx is not None and self.accepts_ctx:
            kwargs["ctx"] = ctx
        return self.factory(parties, **kwargs)

    def declare(self, **flags: bool) -> Target:
        """This target with some capabilities declared (``has_reset=False`` ...)."""
        known = {f.name for f in dataclasses.fields(Capabilities)}
        unknown = sorted(set(flags) - known)
        if unknown:
            raise UsageError(
                f"unknown capability {unknown[0]!r} declared for target {self.name!r}; "
                f"known: {', '.join(sorted(known))}"
            )
        return dataclasses.replace(
            self, capabilities=dataclasses.replace(self.capabilities, **flags)
        )


def _mp_barrier(
    parties: int, *, ctx: Any = None, action: Any = None, timeout: float | None = None
) -> Any:
    """``ctx.Barrier(parties, action, timeout)`` in the given start-method context."""
    return (ctx or multiprocessing).Barrier(parties, action, timeout)


_THREADING_CAPS = Capabilities(
    has_action=True,
    has_timeout=True,
    has_abort=True,
    has_reset=True,
    has_n_waiting=True,
    has_broken=True,
)
_STDLIB: dict[str, Target] = {
    "threading": Target("threading", "thread", threading.Barrier, _THREADING_CAPS),
    "asyncio": Target(
        "asyncio",
        "asyncio",
        asyncio.Barrier,
        dataclasses.replace(_THREADING_CAPS, has_action=False, has_cancel=True),
    ),
    "multiprocessing": Target(
        "multiprocessing",
        "process",
        _mp_barrier,
        dataclasses.replace(_THREADING_CAPS, has_kill=True),
        accepts_ctx=True,
    ),
}


def _parameters(func: object) -> set[str]:
    try:
        return set(inspect.signature(func).parameters)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return set()


def _detect_kind(name: str, sample: object, params: set[str]) -> TargetKind:
    wait = getattr(sample, "wait", None)
    if wait is None:
        if callable(getattr(sample, "barrier", None)):
            return "named"
        raise UsageError(
            f"target {name!r} is not a barrier: {sample!r} has no wait() method "
            "(and no barrier(name) method of a named-barrier registry)"
        )
    if not callable(wait):
        raise UsageError(f"target {name!r} is not a barrier: its wait attribute is not callable")
    if inspect.iscoroutinefunction(wait):
        return "asyncio"
    module = getattr(type(sample) if not inspect.isclass(sample) else sample, "__module__", "")
    if "ctx" in params or str(module).startswith("multiprocessing"):
        return "process"
    return "thread"


def target_from(
    obj: object,
    *,
    name: str | None = None,
    kind: TargetKind | None = None,
    capabilities: Mapping[str, bool] | None = None,
) -> Target:
    """A Target for a barrier class or factory, with detected (or declared) capabilities.

    A class is inspected directly; any other callable is called once with ``parties=2`` to
    get a sample barrier to inspect (a named registry factory is called with no argument).
    """
    label = name or str(getattr(obj, "__qualname__", None) or repr(obj))
    if not callable(obj):
        raise UsageError(f"target {label!r} is not a barrier: {obj!r} is not callable")
    if kind is not None and kind not in _KINDS:
        raise UsageError(f"unknown target kind {kind!r} for {label!r}; use one of {_KINDS}")
    params = _parameters(obj)
    sample: object = obj
    if not inspect.isclass(obj):
        try:
            sample = obj() if kind in _NAMED else obj(2)
        except TypeError:
            sample = obj()
        except Exception as exc:
            raise UsageError(
                f"target {label!r}: calling the factory to inspect it failed: "
                f"{type(exc).__name__}: {exc}"
            ) from exc
    detected = kind or _detect_kind(label, sample, params)
    if detected in _NAMED:
        observers = callable(getattr(sample, "members", None)) and callable(
            getattr(sample, "waiting", None)
        )
        caps = Capabilities(
            has_timeout=True,
            has_cancel=True,
            named=True,
            has_n_waiting=observers,
            has_kill=detected == "named-process",
        )
    else:
        wait_params = _parameters(getattr(sample, "wait", None))
        caps = Capabilities(
            has_action="action" in params,
            has_timeout=detected == "asyncio" or "timeout" in wait_params,
            has_abort=hasattr(sample, "abort"),
            has_reset=hasattr(sample, "reset"),
            has_n_waiting=hasattr(sample, "n_waiting"),
            has_broken=hasattr(sample, "broken"),
            has_cancel=detected == "asyncio",
            has_kill=detected == "process",
        )
    target = Target(label, detected, obj, caps, accepts_ctx="ctx" in params)
    return target.declare(**capabilities) if capabilities else target


def resolve_target(
    spec: str | object,
    *,
    kind: TargetKind | None = None,
    capabilities: Mapping[str, bool] | None = None,
) -> Target:
    """The Target named by ``spec``: a stdlib name, ``"module:attr"``, or a class/factory."""
    if isinstance(spec, Target):
        return spec.declare(**capabilities) if capabilities else spec
    if not isinstance(spec, str):
        return target_from(spec, kind=kind, capabilities=capabilities)
    if spec in _STDLIB:
        target = _STDLIB[spec]
        return target.declare(**capabilities) if capabilities else target
    if ":" not in spec:
        raise UsageError(
            f"unknown target {spec!r}: use 'threading', 'asyncio', 'multiprocessing' "
            "or 'module:attr' naming a barrier class or factory"
        )
    module_name, _, attr = spec.partition(":")
    if not module_name or not attr:
        raise UsageError(f"malformed target {spec!r}: expected 'module:attr'")
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:
        raise UsageError(
            f"target {spec!r}: module {module_name!r} does not import: {type(exc).__name__}: {exc}"
        ) from exc
    obj: object = module
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise UsageError(f"target {spec!r}: {module_name!r} has no attribute {attr!r}")
        obj = getattr(obj, part)
    return target_from(obj, name=spec, kind=kind, capabilities=capabilities)
