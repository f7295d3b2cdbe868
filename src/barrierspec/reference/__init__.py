"""barrierspec.reference: the reference barriers users import.

* :class:`Barrier`: threads, a drop-in for :class:`threading.Barrier`.
"""

from barrierspec.reference._thread_barrier import Barrier

__all__ = ["Barrier"]
