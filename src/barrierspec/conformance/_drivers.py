"""Choosing a driver for a target, and the profile a target is checked under by default."""

from __future__ import annotations

import functools
import os

from barrierspec import adapters as ad
from barrierspec.adapters._controlled_view import Uncontrollable
from barrierspec.conformance._runner import DriverLike, OpenDriver

__all__ = ["default_profile", "driver_choice", "opener", "resolve"]

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


def driver_choice(target: ad.Target) -> tuple[str, str]:
    """The driver class name that runs ``target``, and why.

    With ``BARRIERSPEC_CONTROLLED=1`` in the environment, thread targets run under the
    controlled driver when their primitives can be replaced (``adapters._controlled_view``);
    otherwise, and for every other kind, the observing one. (Opt-in for now: targets that
    block on uncontrolled primitives are reported as overdue, not as the observing driver's
    hang findings.)
    """
    if target.kind == "thread" and os.environ.get("BARRIERSPEC_CONTROLLED") != "1":
        return (
            "ThreadDriver",
            "observed: the controlled driver is opt-in (BARRIERSPEC_CONTROLLED=1)",
        )
    if target.kind == "thread":
        reason = controllable(target)
        if reason is None:
            return "ControlledThreadDriver", "every primitive the target uses is controlled"
        return "ThreadDriver", f"observed, not controlled: {reason}"
    return _DRIVER_CLASS[target.kind], f"observed: {target.kind} targets are not controlled yet"


@functools.lru_cache(maxsize=64)
def controllable(target: ad.Target) -> str | None:
    """None if ``target`` can run under the controlled driver, else why not."""
    try:
        with ad.ControlledThreadDriver(target, 2, 1):
            return None
    except Uncontrollable as exc:
        return str(exc)
    except ad.BarrierConstructionError:
        return None  # building fails either way: the observing driver reports nothing better


def opener(target: ad.Target, *, action: bool, settle: float) -> OpenDriver:
    """A function opening a fresh driver (fresh barrier, fresh workers) for ``target``."""
    cls = getattr(ad, driver_choice(target)[0])

    def open_driver(parties: int, participants: int) -> DriverLike:
        driver: DriverLike = cls(target, parties, participants, action=action, settle=settle)
        return driver

    return open_driver
