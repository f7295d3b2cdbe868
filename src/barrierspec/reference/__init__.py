"""barrierspec.reference: the reference barriers users import.

* :class:`Barrier`: threads, a drop-in for :class:`threading.Barrier` (also
  ``barrierspec.Barrier``, its home: the name its ``repr`` and pickle use).
* :class:`AsyncBarrier`: asyncio tasks, a drop-in for :class:`asyncio.Barrier` (its home is
  ``barrierspec.aio.Barrier``: like asyncio's, the class is named ``Barrier``).
* :class:`ProcessBarrier`: processes, a drop-in for :class:`multiprocessing.Barrier` that
  breaks instead of hanging when a participant dies (at most :data:`MAX_PROCESS_PARTIES`).
* :class:`NamedBarriers` and :class:`ProcessNamedBarriers`: The Grinder's named barriers
  with dynamic membership, for the threads of a process and the processes of a machine.
* :class:`RedisNamedBarriers`: the same named barriers across machines, through Redis, with
  leases (a dead member is withdrawn) and detection of lost server state. Importing this
  package does not import the Redis client: ``RedisNamedBarriers`` is loaded on first use.
"""

import typing

from barrierspec.reference._async_barrier import AsyncBarrier
from barrierspec.reference._named import NamedBarrier, NamedBarriers
from barrierspec.reference._process_barrier import MAX_PROCESS_PARTIES, ProcessBarrier
from barrierspec.reference._process_named import ProcessNamedBarrier, ProcessNamedBarriers
from barrierspec.reference._redis_errors import (
    BarrierConnectionError,
    BarrierStateLostError,
    MemberExpiredError,
)
from barrierspec.reference._redis_member import RedisBarrierMember
from barrierspec.reference._thread_barrier import Barrier

if typing.TYPE_CHECKING:
    from barrierspec.reference._redis_barrier import RedisNamedBarriers

__all__ = [
    "MAX_PROCESS_PARTIES",
    "AsyncBarrier",
    "Barrier",
    "BarrierConnectionError",
    "BarrierStateLostError",
    "MemberExpiredError",
    "NamedBarrier",
    "NamedBarriers",
    "ProcessBarrier",
    "ProcessNamedBarrier",
    "ProcessNamedBarriers",
    "RedisBarrierMember",
    "RedisNamedBarriers",
]


def __getattr__(name: str) -> object:
    """Load ``RedisNamedBarriers`` (and with it the ``redis`` client) on first access."""
    if name == "RedisNamedBarriers":
        from barrierspec.reference._redis_barrier import RedisNamedBarriers

        globals()[name] = RedisNamedBarriers
        return RedisNamedBarriers
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
