"""Driving an asyncio barrier: one task per operation, on a loop with a virtual clock.

All participants' tasks run on one :class:`VirtualClockLoop`, served by a daemon thread the
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

Relies on two attributes of ``asyncio.BaseEventLoop`` (``_ready``, ``_scheduled``), stable
from 3.11 to 3.13; the tests pin the behaviour.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import inspect
import threading
import time
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar, TypeVarTuple

from barrierspec.adapters._base import Driver, DriverError, build_barrier, describe
from barrierspec.adapters._ledger import PARTICIPANT, Ledger, RecordingAction
from barrierspec.adapters._ops import (
    AbortOp,
    AdvanceOp,
    CancelOp,
    Hang,
    Op,
    OpOutcome,
    OpReturned,
    StepReport,
    WaitOp,
    outcome_of,
)
from barrierspec.adapters._target import Target
from barrierspec.errors import UsageError

__all__ = ["AsyncioDriver", "VirtualClockLoop", "late_operations", "run_async_op"]

_CLOSE_BOUND = 1.0
_T = TypeVar("_T")
_Ts = TypeVarTuple("_Ts")


class VirtualClockLoop(asyncio.SelectorEventLoop):
    """An event loop whose ``time()`` is virtual: it moves only through :meth:`set_time`.

    It also tracks the executor jobs started through it (``run_in_executor``, hence
    ``asyncio.to_thread``): while one has not handed its result back, the loop is not
    quiescent (:meth:`runnable`), so a task awaiting it is never taken for blocked.
    """

    def __init__(self) -> None:
        super().__init__()
        self._virtual_now = 0.0
        self._outside: list[asyncio.Future[Any]] = []  # executor jobs not handed over yet

    def run_in_executor(
        self,
        executor: concurrent.futures.Executor | None,
        func: Callable[[*_Ts], _T],
        *args: *_Ts,
    ) -> asyncio.Future[_T]:
        """As asyncio's; the job is tracked (see the class docstring)."""
        future = super().run_in_executor(executor, func, *args)
        self._outside.append(future)
        return future

    def outside_pending(self) -> bool:
        """Whether an executor job started through this loop has not handed over yet."""
        self._outside = [f for f in self._outside if not f.done()]
        return bool(self._outside)

    def wait_outside(self, timeout: float) -> bool:
        """Block (real time, at most ``timeout``) until another thread hands a callback
        over (``call_soon_threadsafe`` wakes the selector); False if none came."""
        return bool(self._selector.select(timeout))  # type: ignore[attr-defined]

    def time(self) -> float:
        return self._virtual_now

    def set_time(self, when: float) -> None:
        """Move the clock forward to ``when`` (never backward)."""
        self._virtual_now = max(self._virtual_now, when)

    def next_timer(self) -> float | None:
        """The deadline of the earliest live timer, or None."""
        handles: list[asyncio.TimerHandle] = self._scheduled  # type: ignore[attr-defined]
        live = [h.when() for h in handles if not h.cancelled()]
        return min(live, default=None)

    def runnable(self) -> bool:
        """Whether any callback is ready, any timer is due at the current time, or an
        executor job is still to hand over."""
        return self.callbacks_due() or self.outside_pending()

    def callbacks_due(self) -> bool:
        """Whether any callback is ready or any timer is due at the current time."""
        if self._ready:  # type: ignore[attr-defined]
            return True
        handles: list[asyncio.TimerHandle] = self._scheduled  # type: ignore[attr-defined]
        horizon = self._virtual_now + self._clock_resolution  # type: ignore[attr-defined]
        return any(h.when() < horizon for h in handles)


class AsyncioDriver(Driver):
    """Drives an asyncio-style barrier (``await wait() -> index``) from tasks."""

    kind = "asyncio"

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
        self.action = RecordingAction(self.ledger) if action else None
        self.loop = VirtualClockLoop()
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self._ops: dict[int, Op] = {}  # the latest operation sent to each participant
        self._deadlines: dict[int, float] = {}  # virtual deadline of each timed wait
        self._cancelled: set[int] = set()  # participants whose pending task was cancelled
        self._loop_stuck = False
        self._thread = threading.Thread(
            target=self.loop.run_forever, name="barrierspec-asyncio", daemon=True
        )
        self._thread.start()
        self.barrier: Any = self._in_loop(self._build(), self.settle)

    async def _build(self) -> Any:
        barrier = build_barrier(self.target, self.parties, action=self.action)
        if self.action is not None:
            self.action.barrier = barrier
        return barrier

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

    def _validate(self, op: Op) -> None:
        if self._loop_stuck:
            raise DriverError("the event loop is stuck since an earlier hang; close the driver")
        super()._validate(op)
        if isinstance(op, CancelOp) and op.participant not in self._busy:
            raise UsageError(
                f"participant {op.participant} has no pending operation to cancel: {op!r}"
            )

    def _perform(self, op: Op) -> StepReport:
        start = time.monotonic()
        try:
            step: StepReport = self._in_loop(self._step(op, start), self.settle + 1.0)
        except DriverError as exc:
            stuck = frozenset(self._busy) | {getattr(op, "participant", -1)} - {-1}
            self._stuck.update(stuck)
            hang = Hang(
                frozenset(stuck),
                round(time.monotonic() - start, 3),
                op,
                f"the event loop stopped answering after {describe(op)}: {exc}",
                tuple(self.program),
            )
            return StepReport(
                op, {}, frozenset(stuck), frozenset(), (), (f"hang: {exc}",), None, hang
            )
        self._busy = dict(self._pending_ops())
        return step

    def _pending_ops(self) -> dict[int, Op]:
        return {p: op for p, op in self._ops.items() if not self._tasks[p].done()}

    async def _step(self, op: Op, start: float) -> StepReport:
        control: OpOutcome | None = None
        if isinstance(op, AdvanceOp):
            self.ledger.note(f"advance {op.seconds:g} s")
            hang = await self._advance(op, start)
        else:
            if isinstance(op, CancelOp):
                self.ledger.note(f"control cancel p{op.participant}")
                control = OpReturned(self._tasks[op.participant].cancel())
                self._cancelled.add(op.participant)
            else:
                self._launch(op)
            hang = await self._settle(op, start)
        hang = hang or self._findings(op, start)
        returned, actions, log = self.ledger.drain()
        self._stuck.difference_update(returned)
        pending = self._pending_ops()
        return StepReport(
            op,
            returned,
            frozenset(pending),
            frozenset(),
            actions,
            log,
            self._read_snapshot(),
            hang,
            control,
        )

    def _launch(self, op: Op) -> None:
        p = op.participant  # type: ignore[union-attr]
        self.ledger.note(f"send p{p} {describe(op)}")
        timeout = self.effective_timeout(op)
        if timeout is not None:
            self._deadlines[p] = self.loop.time() + timeout
        else:
            self._deadlines.pop(p, None)
        self._cancelled.discard(p)
        self._ops[p] = op
        self._tasks[p] = self.loop.create_task(self._run(p, op, timeout))

    async def _run(self, p: int, op: Op, timeout: float | None) -> None:
        await run_async_op(self.barrier, self.action, self.ledger, p, op, timeout)

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
                return Hang(
                    busy, round(time.monotonic() - start, 3), op, message, tuple(self.program)
                )
            if not self.loop.callbacks_due():
                # only an executor job is pending: sleep until it hands over (or the bound)
                self.loop.wait_outside(max(0.0, self.settle - (time.monotonic() - start)))
            await asyncio.sleep(0)
        return None

    async def _advance(self, op: AdvanceOp, start: float) -> Hang | None:
        target = self.loop.time() + op.seconds
        while (when := self.loop.next_timer()) is not None and when <= target:
            self.loop.set_time(when)
            hang = await self._settle(op, start)
            if hang is not None:
                return hang
        self.loop.set_time(target)
        return await self._settle(op, start)

    def _findings(self, op: Op, start: float) -> Hang | None:
        late = late_operations(self, self._pending_ops(), self._cancelled, self._deadlines)
        fresh = {p: m for p, m in late.items() if p not in self._stuck}
        if not fresh:
            return None
        self._stuck.update(fresh)
        message = "; ".join(fresh[p] for p in sorted(fresh))
        self.ledger.note(f"hang: {message}")
        return Hang(
            frozenset(fresh), round(time.monotonic() - start, 3), op, message, tuple(self.program)
        )

    def _read_snapshot(self) -> Any:
        return self._snapshot(self.barrier)

    # -- clean-up -----------------------------------------------------------------------------

    async def _shutdown(self) -> None:
        """Abort the barrier, then cancel every task still pending (abort's included)."""
        tasks = list(self._tasks.values())
        if self.capabilities.has_abort:
            with contextlib.suppress(Exception):
                value = self.barrier.abort()
                if inspect.isawaitable(value):
                    tasks.append(asyncio.ensure_future(value))
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
                self._in_loop(self._shutdown(), _CLOSE_BOUND)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(_CLOSE_BOUND)
        if self._thread.is_alive():
            self.leaked = (self._thread.name,)
        else:
            self.loop.close()


async def run_async_op(
    barrier: Any,
    action: RecordingAction | None,
    ledger: Ledger,
    p: int,
    op: Op,
    timeout: float | None,
) -> None:
    """Run participant ``p``'s operation ``op`` in the current task; record its outcome.

    A timed wait runs under ``asyncio.timeout`` (the loop's clock), or, with ``op.own``,
    passes its timeout to the barrier's own ``wait(timeout)``; ``abort()``/``reset()`` are
    awaited when they return an awaitable; every exception, CancelledError included, is an
    outcome.
    """
    PARTICIPANT.set(p)
    tag = 0
    if isinstance(op, WaitOp) and action is not None:
        tag = action.wait_started(p, op.action_raises)
    try:
        if isinstance(op, WaitOp):
            if op.own and op.timeout is not None:
                value = await barrier.wait(op.timeout)
            elif timeout is None:
                value = await barrier.wait()
            else:
                async with asyncio.timeout(timeout):
                    value = await barrier.wait()
        else:
            value = (barrier.abort if isinstance(op, AbortOp) else barrier.reset)()
            if inspect.isawaitable(value):
                value = await value
        outcome: OpOutcome = OpReturned(value)
    except BaseException as exc:  # CancelledError included: it is an outcome here
        outcome = outcome_of(exc)
    if isinstance(op, WaitOp) and action is not None:
        action.wait_returned(tag, outcome)
    ledger.finished(p, outcome)


def late_operations(
    driver: Driver,
    pending: dict[int, Op],
    cancelled: set[int],
    deadlines: dict[int, float],
) -> dict[int, str]:
    """The pending operations that should have ended by now (virtual time), and why: an
    abort()/reset() waiting at all, a wait whose task was cancelled, a wait past its
    timeout."""
    loop: VirtualClockLoop = driver.loop  # type: ignore[attr-defined]
    now = loop.time()
    late: dict[int, str] = {}
    for p, op in pending.items():
        if not isinstance(op, WaitOp):
            late[p] = (
                f"participant {p} blocked in {describe(op)}, which must "
                "return without waiting for other participants"
            )
        elif p in cancelled:
            late[p] = f"participant {p} still blocked in {describe(op)} after cancel"
        elif p in deadlines and deadlines[p] <= now:
            timeout = driver.effective_timeout(op)
            late[p] = (
                f"participant {p} still blocked {now - deadlines[p]:g} s "
                f"(virtual) after its {timeout:g} s timeout"
            )
    return late
