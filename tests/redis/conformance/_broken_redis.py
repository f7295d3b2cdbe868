"""Redis-backed named barriers broken on purpose: the conformance suite must reject them.

Each keeps RedisNamedBarriers' API and breaks one transition of its Lua scripts. Module level
(and built from module-level classes) so that participant processes can build them under
``fork`` and ``spawn`` alike.
"""

from __future__ import annotations

import time
from typing import Any

from barrierspec.reference import RedisNamedBarriers
from barrierspec.reference._redis_scripts import _CANCEL, _PRELUDE, _STATUS


def _without_recheck(script: str, after: str) -> str:
    """``script`` with the ``trip()`` that follows ``after`` removed (no release re-check)."""
    broken = script.replace(f"{after}\ntrip()\n", f"{after}\n", 1)
    broken = broken.replace(f"{after}\n  trip()\n", f"{after}\n", 1)
    if broken == script:
        raise AssertionError(f"no trip() after {after!r}: the reference scripts changed")
    return broken


class CancelWithoutRecheck(RedisNamedBarriers):
    """cancel() withdraws the member (N - 1) but never releases the others, even when every
    remaining member waits: the lost wake-up the Grinder avoids by re-checking on leave."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        body = _without_recheck(_CANCEL, "withdraw(id, 'c')")
        self._scripts.cancel = self._client.register_script(_PRELUDE + body)


class TimeoutKeepsMember(RedisNamedBarriers):
    """A timed-out wait stops waiting but its member stays counted (N unchanged) until its
    lease runs out, instead of being withdrawn at once: a timeout does not cancel."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        give_up = "withdraw(id, 't')"
        stays = "redis.call('SREM', waitset, id)\n  redis.call('RPUSH', relp .. id, 't')"
        if give_up not in _STATUS:
            raise AssertionError("no withdraw on give-up: the reference scripts changed")
        body = _STATUS.replace(give_up, stays, 1)
        self._scripts.status = self._client.register_script(_PRELUDE + body)


class HangingRegistry:
    """A local registry whose members' wait never returns and never blocks (it spins on
    sleeps), and whose cancel does nothing: the driver must report a hang and still clean up."""

    def barrier(self, name: str) -> HangingMember:
        return HangingMember()


class HangingMember:
    cancelled = False

    def wait(self, timeout: float | None = None) -> bool:
        while True:
            time.sleep(0.01)

    def cancel(self) -> None:
        return None
