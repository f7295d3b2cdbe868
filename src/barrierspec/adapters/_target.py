"""Targets: what a driver builds, and what it can do with it.

A :class:`Target` pairs a barrier factory with the kind of participants it needs (threads,
asyncio tasks, processes, or threads holding named-barrier members) and its
:class:`Capabilities`. :func:`resolve_target` turns the CLI's spelling into a Target:

* ``"threading"``, ``"asyncio"``, ``"multiprocessing"``: the standard library's barriers;
* ``"module:attr"`` (``attr`` may be dotted): any class or factory with the interface of
  ``threading.Barrier`` or ``asyncio.Barrier``, or a named-barrier registry (an object with
  ``barrier(name)`` and no ``wait``), possibly through an interface map (``--map``).

The kind is guessed unless given (``--kind``): a coroutine-function ``wait``: asyncio; a
factory with a ``ctx`` parameter, or a class of a ``multiprocessing`` module: process; a
``barrier(name)`` method and no ``wait``: named; anything else: thread. A given kind that
cannot drive the target (``--kind asyncio`` on a blocking ``wait``) is a UsageError. Process
targets are built with a context (passed as ``ctx``, or ``context`` for a process target)
and driven by that context's processes: see :mod:`~barrierspec.adapters._context`.

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
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, TypeAlias

from barrierspec.adapters._context import check_start_method, process_context
from barrierspec.adapters._interface_map import (
    AWAIT,
    InterfaceMap,
    check_map,
    parse_map,
    wrap,
)
from barrierspec.adapters._ops import Capabilities
from barrierspec.errors import UsageError

__all__ = ["Target", "TargetKind", "resolve_target", "target_from"]

TargetKind: TypeAlias = Literal["thread", "asyncio", "process", "named", "named-process"]
_KINDS = ("thread", "asyncio", "process", "named", "named-process")
_NAMED = ("named", "named-process")
_NO_MAP = InterfaceMap()


@dataclass(frozen=True)
class Target:
    """A barrier factory, the kind of participants it needs, and what it supports.

    ``factory(parties, action=..., timeout=..., <ctx_param>=ctx)`` builds one barrier;
    ``action`` and ``timeout`` are passed only when given, the context whenever the factory
    takes one (``ctx`` or, for a process target, ``context``): the driver's, or else
    :meth:`process_context`, so argument validation builds with a context too. Each barrier
    is seen through ``interface`` (:mod:`~barrierspec.adapters._interface_map`). A named
    target's factory takes no argument and returns a registry. ``start_method`` and
    ``context`` (a ``--context`` spelling) choose how process participants start.
    """

    name: str
    kind: TargetKind
    factory: Callable[..., Any]
    capabilities: Capabilities
    ctx_param: str | None = None
    start_method: str | None = None
    context: str | None = None
    interface: InterfaceMap = _NO_MAP

    @property
    def accepts_ctx(self) -> bool:
        """Whether the factory takes a multiprocessing context."""
        return self.ctx_param is not None

    def process_context(self, start_method: str | None = None) -> Any:
        """The context this target's processes use (see :mod:`~barrierspec.adapters._context`)."""
        return process_context(self.context, self.factory, start_method or self.start_method)

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
        if self.ctx_param is not None:
            kwargs[self.ctx_param] = ctx if ctx is not None else self.process_context()
        return wrap(self.factory(parties, **kwargs), self.interface, self.kind == "asyncio")

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
        ctx_param="ctx",
    ),
}


def _parameters(func: object) -> set[str]:
    try:
        return set(inspect.signature(func).parameters)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return set()


def _module_of(obj: object) -> str:
    owner = obj if inspect.isclass(obj) else type(obj)
    return str(getattr(obj, "__module__", None) or getattr(owner, "__module__", ""))


def _detect_kind(name: str, sample: object, module: str, params: set[str]) -> TargetKind:
    """The documented guess: a coroutine ``wait``: asyncio; a ``ctx`` parameter or a module
    of ``multiprocessing``: process; a ``barrier(name)`` and no ``wait``: named; else thread."""
    wait = getattr(sample, "wait", None)
    if wait is None:
        if callable(getattr(sample, "barrier", None)):
            return "named"
        raise UsageError(
            f"target {name!r} is not a barrier: {sample!r} has no wait() method "
            "(and no barrier(name) method of a named-barrier registry); "
            "if it waits otherwise, map it (--map wait=ATTR or wait=await)"
        )
    if not callable(wait):
        raise UsageError(f"target {name!r} is not a barrier: its wait attribute is not callable")
    if inspect.iscoroutinefunction(wait):
        return "asyncio"
    if "ctx" in params or module.startswith("multiprocessing"):
        return "process"
    return "thread"


def _check_kind(name: str, kind: TargetKind, sample: object, raw: object) -> None:
    """UsageError when the declared ``kind`` cannot drive ``sample``."""
    if kind in _NAMED:
        if not callable(getattr(sample, "barrier", None)):
            raise UsageError(
                f"--kind {kind}: target {name!r} is not a named-barrier registry "
                f"({sample!r} has no barrier(name) method)"
            )
        return
    wait = getattr(sample, "wait", None)
    if not callable(wait):
        raise UsageError(
            f"--kind {kind}: target {name!r} has no callable wait() "
            "(map it with --map wait=ATTR, or wait=await for an awaitable barrier)"
        )
    coroutine = inspect.iscoroutinefunction(wait)
    if kind == "asyncio" and not coroutine:
        hint = (
            "; the barrier is awaitable: add --map wait=await"
            if hasattr(raw if inspect.isclass(raw) else type(raw), "__await__")
            else "; map a coroutine method with --map wait=ATTR"
        )
        raise UsageError(
            f"--kind asyncio: wait() of target {name!r} is not a coroutine function{hint}"
        )
    if kind != "asyncio" and coroutine:
        raise UsageError(
            f"--kind {kind}: wait() of target {name!r} is a coroutine function; "
            "use --kind asyncio (or map a blocking wait with --map wait=ATTR)"
        )


def _sample(
    obj: Callable[..., Any],
    label: str,
    kind: TargetKind | None,
    ctx: Callable[[], dict[str, object]] | None,
    mapped: bool,
) -> object:
    """One barrier (a registry for a named kind) built to inspect, or the class itself."""
    if inspect.isclass(obj) and not mapped and (hasattr(obj, "wait") or hasattr(obj, "barrier")):
        return obj
    try:
        if kind in _NAMED:
            return obj()
        try:
            return obj(2, **({} if ctx is None else ctx()))
        except TypeError:
            if inspect.isclass(obj) or ctx is not None:
                raise
            return obj()
    except UsageError:
        raise
    except Exception as exc:
        raise UsageError(
            f"target {label!r}: calling the factory to inspect it failed: "
            f"{type(exc).__name__}: {exc}"
        ) from exc


def _ctx_param(params: set[str], kind: TargetKind | None) -> str | None:
    if "ctx" in params:
        return "ctx"
    if "context" in params and kind in ("process", None):
        return "context"
    return None


def _capabilities(
    kind: TargetKind, sample: object, raw: object, params: set[str], mapping: InterfaceMap
) -> Capabilities:
    if kind in _NAMED:
        observers = callable(getattr(sample, "members", None)) and callable(
            getattr(sample, "waiting", None)
        )
        return Capabilities(
            has_timeout=True,
            has_cancel=True,
            named=True,
            has_n_waiting=observers,
            has_kill=kind == "named-process",
        )
    wait_name = mapping.get("wait")
    wait_params = set() if wait_name == AWAIT else _parameters(getattr(raw, wait_name, None))
    timed = "timeout" in wait_params or "timeout" in dict(mapping.entries)
    return Capabilities(
        has_action="action" in params,
        has_timeout=kind == "asyncio" or timed,
        own_timeout=kind == "asyncio" and timed,
        has_abort=hasattr(sample, "abort"),
        has_reset=hasattr(sample, "reset"),
        has_n_waiting=hasattr(sample, "n_waiting"),
        has_broken=hasattr(sample, "broken"),
        has_cancel=kind == "asyncio",
        has_kill=kind == "process",
    )


def _check_process_options(label: str, kind: TargetKind, options: dict[str, str | None]) -> None:
    check_start_method(options.get("start_method"))
    allowed = {"start_method": ("process", "named-process"), "context": ("process",)}
    for key, value in options.items():
        if value is not None and kind not in allowed[key]:
            raise UsageError(
                f"--{key.replace('_', '-')} {value} applies to "
                f"{' and '.join(allowed[key])} targets; target {label!r} is a {kind} target"
            )


def target_from(
    obj: object,
    *,
    name: str | None = None,
    kind: TargetKind | None = None,
    capabilities: Mapping[str, bool] | None = None,
    start_method: str | None = None,
    context: str | None = None,
    interface: Iterable[str] | InterfaceMap | None = None,
) -> Target:
    """A Target for a barrier class or factory, with detected (or declared) capabilities.

    A class is inspected directly when it has ``wait`` (or ``barrier``) of its own; any other
    callable, a class reaching ``wait`` through ``__getattr__``, or a target with an interface
    map is called once with ``parties=2`` (and a context, when it takes one) to get a sample
    barrier to inspect (a named registry factory is called with no argument). ``kind``
    overrides the guess of :func:`_detect_kind`; a kind that cannot drive the target is a
    UsageError.
    """
    label = name or str(getattr(obj, "__qualname__", None) or repr(obj))
    if not callable(obj):
        raise UsageError(f"target {label!r} is not a barrier: {obj!r} is not callable")
    if kind is not None and kind not in _KINDS:
        raise UsageError(f"unknown target kind {kind!r} for {label!r}; use one of {_KINDS}")
    mapping = parse_map(interface)
    params = _parameters(obj)
    ctx_param = _ctx_param(params, kind)
    make_ctx = None
    if ctx_param is not None:

        def make_ctx() -> dict[str, object]:
            return {ctx_param: process_context(context, obj, start_method)}

    raw = _sample(obj, label, kind, make_ctx, bool(mapping))
    if mapping:
        check_map(raw, mapping, label)
    sample = raw if inspect.isclass(raw) else wrap(raw, mapping, kind == "asyncio")
    if kind is None:
        detected = _detect_kind(label, sample, _module_of(obj), params)
    else:
        _check_kind(label, kind, sample, raw)
        detected = kind
    _check_process_options(label, detected, {"start_method": start_method, "context": context})
    caps = _capabilities(detected, sample, raw, params, mapping)
    target = Target(
        label,
        detected,
        obj,
        caps,
        ctx_param=_ctx_param(params, detected) if detected not in _NAMED else None,
        start_method=start_method,
        context=context,
        interface=mapping,
    )
    return target.declare(**capabilities) if capabilities else target


def _with_options(
    target: Target,
    kind: TargetKind | None,
    capabilities: Mapping[str, bool] | None,
    options: dict[str, Any],
) -> Target:
    """A resolved target with the caller's options applied (its kind must not change)."""
    if kind is not None and kind != target.kind:
        raise UsageError(
            f"--kind {kind}: target {target.name!r} is the standard library's {target.kind} "
            "barrier; its kind cannot be changed"
        )
    if options.get("interface"):
        raise UsageError(f"--map does not apply to the standard library's {target.name!r}")
    given = {k: v for k, v in options.items() if v is not None and k != "interface"}
    _check_process_options(target.name, target.kind, given)
    target = dataclasses.replace(target, **given)
    return target.declare(**capabilities) if capabilities else target


def resolve_target(
    spec: str | object,
    *,
    kind: TargetKind | None = None,
    capabilities: Mapping[str, bool] | None = None,
    start_method: str | None = None,
    context: str | None = None,
    interface: Iterable[str] | InterfaceMap | None = None,
) -> Target:
    """The Target named by ``spec``: a stdlib name, ``"module:attr"``, or a class/factory.

    ``kind`` (thread, asyncio, process, named, named-process) overrides the guess;
    ``start_method`` and ``context`` choose how process participants start; ``interface``
    is an interface map (``["n_waiting=waiting", "wait=await"]``).
    """
    options: dict[str, Any] = {
        "start_method": start_method,
        "context": context,
        "interface": interface,
    }
    if isinstance(spec, Target):
        if kind is None and not interface:
            return _with_options(spec, None, capabilities, options)
        options = {**options, "name": spec.name}
        spec = spec.factory
    if not isinstance(spec, str):
        return target_from(spec, kind=kind, capabilities=capabilities, **options)
    if spec in _STDLIB:
        return _with_options(_STDLIB[spec], kind, capabilities, options)
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
    return target_from(obj, name=spec, kind=kind, capabilities=capabilities, **options)
