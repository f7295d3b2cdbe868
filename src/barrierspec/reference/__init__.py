"""barrierspec.reference: the reference barriers users import.

* :class:`Barrier`: threads, a drop-in for :class:`threading.Barrier`.
* :class:`AsyncBarrier`: asyncio tasks, a drop-in for :class:`asyncio.Barrier`.
* :class:`ProcessBarrier`: processes, a drop-in for :class:`multiprocessing.Barrier` that
  breaks instead of hanging when a participant dies.
"""

from barrierspec.reference._async_barrier import AsyncBarrier
from barrierspec.reference._process_barrier import MAX_PROCESS_PARTIES, ProcessBarrier
from barrierspec.reference._thread_barrier import Barrier

__all__ = ["MAX_PROCESS_PARTIES", "AsyncBarrier", "Barrier", "ProcessBarrier"]
