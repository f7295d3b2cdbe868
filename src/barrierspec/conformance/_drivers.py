"""Choosing a driver for a target, and the profile a target is checked under by default."""

from __future__ import annotations

from barrierspec import adapters as ad
from barrierspec.conformance._runner import DriverLike, OpenDriver

__all__ = ["default_profile", "opener", "resolve"]

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


def resolve(target: str | ad.Target | object) -> ad.Target:
    """The :class:`~barrierspec.adapters.Target` for a name, a Target, or a factory."""
    if isinstance(target, ad.Target):
        return target
    return ad.resolve_target(target)


def default_profile(target: ad.Target) -> str:
    """The profile matching the target's kind (threads: threading, ...)."""
    return _DEFAULT_PROFILE[target.kind]


def opener(target: ad.Target, *, action: bool, settle: float) -> OpenDriver:
    """A function opening a fresh driver (fresh barrier, fresh workers) for ``target``."""
    cls = getattr(ad, _DRIVER_CLASS[target.kind])

    def open_driver(parties: int, participants: int) -> DriverLike:
        driver: DriverLike = cls(target, parties, participants, action=action, settle=settle)
        return driver

    return open_driver
