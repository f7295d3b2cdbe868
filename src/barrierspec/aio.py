"""barrierspec.aio: the asyncio reference barrier under asyncio's name.

:class:`Barrier` is :class:`barrierspec.reference.AsyncBarrier`, named as
:class:`asyncio.Barrier` is: ``from barrierspec.aio import Barrier`` replaces
``from asyncio import Barrier``, and the messages the interpreter writes about the class
(``object Barrier can't be used in 'await' expression``) read the same. Its
``BrokenBarrierError`` is an :class:`asyncio.BrokenBarrierError`.
"""

from barrierspec.reference._async_barrier import Barrier

__all__ = ["Barrier"]
