"""Driving an asyncio barrier: one task per operation, on a loop with a virtual clock.

All participants' tasks run on one :class:`~barrierspec.adapters._async_loop.VirtualClockLoop`,
served by a daemon thread the
driver owns (so the caller may itself be inside an event loop). The loop's ``time()`` returns
a virtual time that only :class:`~barrierspec.adapters.AdvanceOp` moves, so ``asyncio.timeout``
and ``wait_for`` deadlines are exact and fire instantly when the clock passes them; the loop
may block in its selector in real time, but no timer ever becomes due by itself.

Quiescence is exact: no callback is ready, no timer is due at the current virtual time, and
no executor job started through the loop (``run_in_executor``, ``asyncio.to_thread``) is still
to hand its result over (the driver sleeps on the loop's selector until it does, at most
``settle`` seconds). Every pending task is then *blocked*: it awaits a future that only
another task, the barrier, or the clock can resolve. (A future resolved by a thread the loop
does not know -- the target's own thread calling ``call_soon_threadsafe`` -- is not tracked:
a task awaiting it is taken for blocked.) ``AdvanceOp(s)`` moves the clock to each timer due within
``s`` in turn, settling after each, then to ``now + s``.

Watchdog findings (:class:`~barrierspec.adapters.Hang`): an ``abort()``/``reset()`` still
pending at quiescence; a wait still pending although its timeout has passed on the virtual
clock, or although its task was cancelled (the barrier swallowed the cancellation); a loop
that keeps running callbacks for ``settle`` real seconds; a loop that does not answer at all
within ``settle`` real seconds (a task blocking the thread). After the last one the loop is
unusable: further operations raise :class:`~barrierspec.adapters.DriverError`.

What it shares with the controlled driver (tasks, deadlines, cancels, findings, reports) is
:class:`~barrierspec.adapters._async_base.AsyncDriverBase`; here is how a step settles: the
loop runs ready callbacks first in, first out, on its own thread, until it is quiescent.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import threading
import time
from collections.abc import Coroutine
from typing import Any

from barrierspec.adapters._async_base import (
    CLOSE_BOUND,
    AsyncDriverBase,
    late_operations,
    run_async_op,
)
from barrierspec.adapters._async_loop import VirtualClockLoop
from barrierspec.adapters._base import DriverError, describe
from barrierspec.adapters._ops import AdvanceOp, Hang, Op, StepReport
from barrierspec.adapters._target import Target

__all__ = ["AsyncioDriver", "VirtualClockLoop", "late_operations", "run_async_op"]


class AsyncioDriver(AsyncDriverBase):
    """Drives an asyncio-style barrier (``await wait() -> index``) from tasks."""

    def __init__(
        self,
        target: Target | str | object,
        parties: int,
        participants: int,
        *,
        action: bool = False,
        default_timeout: float | None = None,
        **options: Any,
    ) -> None:
        super().__init__(
            target, parties, participants, action=action, default_timeout=default_timeout, **options
        )
        self.loop = VirtualClockLoop()
        self._thread = threading.Thread(
            target=self.loop.run_forever, name="barrierspec-asyncio", daemon=True
        )
        self._thread.start()
        self.barrier = self._in_loop(self._build(), self.settle)

    async def _build(self) -> Any:
        return self._make_barrier()

    def _in_loop(self, coro: Coroutine[Any, Any, Any], bound: float) -> Any:
        """Run ``coro`` on the loop; DriverError if the loop does not finish it in time."""
        future = asyncio.run_coroutine_threadsafe(coro, self.loop)
        try:
            return future.result(timeout=bound)
        except concurrent.futures.TimeoutError:
            future.cancel()
            self._loop_stuck = True
            raise DriverError(
                f"the event loop did not answer within {bound:g} s: a task blocks its thread"
            ) from None

    # -- one step -----------------------------------------------------------------------------

    def _run_step(self, op: Op, start: float) -> StepReport:
        step: StepReport = self._in_loop(self._step(op, start), self.settle + 1.0)
        return step

    async def _step(self, op: Op, start: float) -> StepReport:
        control = self._begin(op)
        if isinstance(op, AdvanceOp):
            hang = await self._advance(op, start)
        else:
            hang = await self._settle(op, start)
        hang = hang or self._findings(op, self._elapsed(start))
        return self._report(op, hang, control)

    async def _settle(self, op: Op, start: float) -> Hang | None:
        while self.loop.runnable():
            if time.monotonic() - start > self.settle:
                busy = frozenset(self._pending_ops())
                message = (
                    f"the event loop kept running callbacks for {self.settle:g} s after "
                    f"{describe(op)}; tasks never block nor finish"
                    if self.loop.callbacks_due()
                    else f"an executor job started after {describe(op)} did not hand its "
                    f"result over within {self.settle:g} s"
                )
                self._stuck.update(busy)
                return Hang(busy, self._elapsed(start), op, message, tuple(self.program))
            if not self.loop.callbacks_due():
                # only executor jobs are pending: wait until one hands over, or every one
                # is blocked (then so are the tasks awaiting them), or the bound
                left = max(0.0, self.settle - (time.monotonic() - start))
                if self.loop.wait_outside(left) == "blocked":
                    return None
            await asyncio.sleep(0)
        return None

    async def _advance(self, op: AdvanceOp, start: float) -> Hang | None:
        for _ in self._clock_stops(op.seconds):
            hang = await self._settle(op, start)
            if hang is not None:
                return hang
        return None

    # -- clean-up -----------------------------------------------------------------------------

    async def _shutdown(self) -> None:
        """Abort the barrier, then cancel every task still pending (abort's included)."""
        tasks = list(self._tasks.values())
        aborting = self._abort_for_close()
        if aborting is not None:
            tasks.append(aborting)
        await self._drain_ready()
        for task in tasks:
            task.cancel()
        await self._drain_ready()

    async def _drain_ready(self, rounds: int = 1000) -> None:
        for _ in range(rounds):
            if not self.loop.runnable():
                return
            await asyncio.sleep(0)

    def _close(self) -> None:
        if not self._loop_stuck:
            with contextlib.suppress(DriverError):
                self._in_loop(self._shutdown(), CLOSE_BOUND)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(CLOSE_BOUND)
        if self._thread.is_alive():
            self.leaked = (self._thread.name,)
        else:
            self.loop.close()
