"""One entry point that picks the driver a target needs."""

from __future__ import annotations

from typing import Any

from barrierspec.adapters._asyncio import AsyncioDriver
from barrierspec.adapters._base import Driver
from barrierspec.adapters._named import NamedThreadDriver
from barrierspec.adapters._named_processes import NamedProcessDriver
from barrierspec.adapters._processes import ProcessDriver
from barrierspec.adapters._target import Target, resolve_target
from barrierspec.adapters._threads import ThreadDriver

__all__ = ["make_driver"]

_DRIVERS: dict[str, type[Driver]] = {
    "thread": ThreadDriver,
    "asyncio": AsyncioDriver,
    "process": ProcessDriver,
    "named": NamedThreadDriver,
    "named-process": NamedProcessDriver,
}


def make_driver(
    target: Target | str | object, parties: int, participants: int, **options: Any
) -> Driver:
    """The driver for ``target``'s kind (thread, asyncio, process, named), built with
    ``options`` (``action``, ``default_timeout``, ``settle``, ``start_method`` ...)."""
    resolved = resolve_target(target)
    return _DRIVERS[resolved.kind](resolved, parties, participants, **options)
