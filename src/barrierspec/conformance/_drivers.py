"""Choosing a driver for a target, and the profile a target is checked under by default.

Thread targets run under the controlled driver (``adapters.ControlledThreadDriver``) whenever
their class can be seen through controlled primitives, asyncio targets always under the
controlled loop (``adapters.ControlledAsyncioDriver``); the other thread targets, and every
other kind, under the observing drivers. A controlled thread run that meets a primitive the
runtime does not control (a participant keeps the turn past the bound) raises
:class:`~barrierspec.adapters._controlled_view.RunsUncontrolled`; ``check()`` then runs the
whole target again under the observing driver, and the report says which driver ran and why.
``BARRIERSPEC_CONTROLLED=0`` in the environment switches the controlled driver off.
"""

from __future__ import annotations

import functools
import os

import attrs

from barrierspec import adapters as ad
from barrierspec.adapters._controlled_runtime import Chooser
from barrierspec.adapters._controlled_view import Uncontrollable
from barrierspec.conformance._program import AS_DECLARED, Construction
from barrierspec.conformance._runner import DriverLike, OpenDriver

__all__ = ["DriverChoice", "default_profile", "driver_choice", "observed", "opener", "resolve"]

_DEFAULT_PROFILE = {
    "thread": "threading",
    "asyncio": "asyncio",
    "process": "multiprocessing",
    "named": "grinder",
    "named-process": "grinder",
}
_DRIVER_CLASS = {
    "thread": "ThreadDriver",
    "asyncio": "AsyncioDriver",
    "process": "ProcessDriver",
    "named": "NamedThreadDriver",
    "named-process": "NamedProcessDriver",
}
CONTROLLED = "ControlledThreadDriver"
CONTROLLED_ASYNCIO = "ControlledAsyncioDriver"


@attrs.frozen
class DriverChoice:
    """The driver class (a name in ``barrierspec.adapters``) that runs a target, and why."""

    name: str
    reason: str

    @property
    def controlled(self) -> bool:
        """Whether the driver schedules the participants (schedules are part of programs):
        a ``Controlled...`` driver class, which takes ``chooser=``."""
        return self.name.startswith("Controlled")

    def __str__(self) -> str:
        return f"{self.name} ({self.reason})"


def resolve(target: str | ad.Target | object) -> ad.Target:
    """The :class:`~barrierspec.adapters.Target` for a name, a Target, or a factory."""
    if isinstance(target, ad.Target):
        return target
    return ad.resolve_target(target)


def default_profile(target: ad.Target) -> str:
    """The profile matching the target's kind (threads: threading, ...)."""
    return _DEFAULT_PROFILE[target.kind]


def driver_choice(target: ad.Target) -> DriverChoice:
    """The driver that runs ``target`` (see the module docstring), and why."""
    if target.kind == "asyncio" and os.environ.get("BARRIERSPEC_CONTROLLED") != "0":
        return DriverChoice(
            CONTROLLED_ASYNCIO, "controlled: the event loop chooses whose callback runs"
        )
    if target.kind == "asyncio":
        return DriverChoice(
            "AsyncioDriver",
            "observed (FIFO loop): the controlled driver is switched off "
            "(BARRIERSPEC_CONTROLLED=0)",
        )
    if target.kind != "thread":
        return DriverChoice(
            _DRIVER_CLASS[target.kind], f"observed: {target.kind} targets are not controlled yet"
        )
    if os.environ.get("BARRIERSPEC_CONTROLLED") == "0":
        return observed("the controlled driver is switched off (BARRIERSPEC_CONTROLLED=0)")
    reason = controllable(target)
    if reason is None:
        return DriverChoice(CONTROLLED, "controlled: every primitive the target's class uses")
    return observed(reason)


def observed(reason: str) -> DriverChoice:
    """The observing thread driver, for ``reason``."""
    return DriverChoice("ThreadDriver", f"observed, not controlled: {reason}")


@functools.lru_cache(maxsize=64)
def controllable(target: ad.Target) -> str | None:
    """None if ``target`` can be built under the controlled driver, else why not."""
    try:
        with ad.ControlledThreadDriver(target, 2, 1):
            return None
    except Uncontrollable as exc:
        return str(exc)
    except ad.BarrierConstructionError:
        return None  # building fails either way: the observing driver reports nothing better


def opener(
    target: ad.Target, *, action: bool, settle: float, choice: DriverChoice | None = None
) -> OpenDriver:
    """A function opening a fresh driver (fresh barrier, fresh workers) for ``target``, of
    the class ``choice`` names (default: :func:`driver_choice`), built as its
    :class:`Construction` says (by default: ``action``, no default timeout)."""
    choice = choice or driver_choice(target)
    cls = getattr(ad, choice.name)

    def open_driver(
        parties: int,
        participants: int,
        chooser: Chooser | None = None,
        construction: Construction = AS_DECLARED,
    ) -> DriverLike:
        options: dict[str, object] = {"settle": settle}
        if construction.default_timeout is not None:
            options["default_timeout"] = construction.default_timeout
        if choice.controlled:
            options["chooser"] = chooser
        built_with_action = action if construction.action is None else construction.action
        driver: DriverLike = cls(target, parties, participants, action=built_with_action, **options)
        return driver

    return open_driver
