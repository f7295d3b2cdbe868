"""Concurrent asyncio programs on the controlled loop: every participant task runs a script.

The analogue, for asyncio targets, of ``_controlled_programs.run_program``. Every participant
is one task running its whole *script* (a list of operations) from the start, with a
suspension point between two operations (a task does other work there); the
:class:`~barrierspec.adapters._controlled_loop.ControlledLoop` lets the chooser pick whose
ready callback runs at every turn. So a task released (or woken by ``abort()``,
``reset()``, a timeout) inside ``wait()`` can be held there while others re-enter, read the
observers, reset, abort or cancel it.

Operations: ``"wait"``, ``("wait", timeout)`` (through ``asyncio.timeout``, on the virtual
clock), ``"abort"``, ``"reset"`` (awaited when they return an awaitable), ``"n_waiting"``,
``"broken"``, and ``("cancel", q)``: cancel participant ``q``'s pending operation. A cancel
lands wherever ``q`` is suspended, including after its release and before it resumes; when
``q`` has no operation pending it does nothing (logged as such).

The log (a :class:`~barrierspec.adapters._controlled_programs.ProgramRun`) holds the events
of ``run_program``'s log (``call``, ``return``, ``raise``) and two more: ``cancel``
(participant: the canceller; value: ``(q, where)``, ``where`` one of ``"woken, not resumed"``,
``"suspended"``, ``"idle"``), ``woken`` (a participant inside an operation got a ready
callback: its future was resolved, it has not resumed yet) and ``hold`` (a preemption;
participant: the one chosen; value: the ready participants passed over, the one that ran
last first). :func:`describe_async` words them.
"""

from __future__ import annotations

import asyncio
import contextvars
import inspect
import threading
from collections.abc import Callable, Sequence
from typing import Any, cast

from barrierspec.adapters._controlled_loop import ControlledLoop, LoopEnd
from barrierspec.adapters._controlled_programs import ProgramRun, _Recorder, describe
from barrierspec.adapters._controlled_schedules import non_preemptive, preemptions
from barrierspec.adapters._ledger import PARTICIPANT

__all__ = ["ASYNC_OPERATIONS", "describe_async", "run_async_program"]

Chooser = Callable[[list[int]], int]
Event = tuple[str, int, object]

ASYNC_OPERATIONS = ("wait", "abort", "reset", "n_waiting", "broken", "cancel")
"""The operations a script may hold (see the module docstring)."""

MAX_TURNS = 20_000  # turns of one program before it counts as a task that never blocks


def _check_scripts(scripts: Sequence[Sequence[object]]) -> None:
    for p, script in enumerate(scripts):
        for op in script:
            name = op[0] if isinstance(op, tuple) else op
            if name not in ASYNC_OPERATIONS:
                raise ValueError(
                    f"participant {p}: unknown operation {op!r} (use {ASYNC_OPERATIONS})"
                )
            if name == "cancel" and not (
                isinstance(op, tuple) and len(op) == 2 and op[1] in range(len(scripts))
            ):
                raise ValueError(
                    f"participant {p}: {op!r} must name a participant, as ('cancel', q) "
                    f"with 0 <= q < {len(scripts)}"
                )


class _AsyncProgram:
    """One run: the loop, the barrier, the log, one task per participant."""

    def __init__(self, loop: ControlledLoop, barrier: Any, scripts: Sequence[Sequence[object]]):
        self.loop = loop
        self.barrier = barrier
        self.log: list[Event] = []
        self.pending: set[int] = set()  # participants inside an awaited operation
        self.finished: set[int] = set()
        self.closing = False  # shutting down: cancellation ends the scripts
        self.woken: set[int] = set()  # pending, with a ready callback, not resumed since
        self.tasks: dict[int, asyncio.Task[None]] = {}
        for p, script in enumerate(scripts):
            context = contextvars.copy_context()
            context.run(PARTICIPANT.set, p)
            coro = self._script(p, script)
            self.tasks[p] = loop.create_task(coro, context=context)

    async def _script(self, p: int, script: Sequence[object]) -> None:
        for rank, op in enumerate(script):
            if rank:
                await asyncio.sleep(0)  # between operations: a suspension point of its own
            await self._perform(p, op)
        self.finished.add(p)

    async def _perform(self, p: int, op: object) -> None:
        self.emit("call", p, op)
        name, args = (op[0], op[1:]) if isinstance(op, tuple) else (op, ())
        if name == "cancel":
            self._cancel(p, args[0])
            return
        self.pending.add(p)
        try:
            value = await self._invoke(str(name), args)
        except BaseException as exc:  # CancelledError included: an outcome of the program
            if self.closing:
                raise
            if isinstance(exc, asyncio.CancelledError):
                task = asyncio.current_task()
                if task is not None:
                    task.uncancel()
            self.emit("raise", p, type(exc).__name__)
            return
        finally:
            self.pending.discard(p)
        self.emit("return", p, value)

    async def _invoke(self, name: str, args: tuple[object, ...]) -> object:
        if name == "wait" and args and args[0] is not None:
            async with asyncio.timeout(float(args[0])):  # type: ignore[arg-type]
                return await self.barrier.wait()
        value = getattr(self.barrier, name)
        value = value() if callable(value) else value
        return (await value) if inspect.isawaitable(value) else value

    def _cancel(self, p: int, q: object) -> None:
        assert isinstance(q, int)
        if q not in self.pending:
            self.emit("cancel", p, (q, "idle"))
            return
        self.emit("cancel", p, (q, "woken, not resumed" if self.loop.is_ready(q) else "suspended"))
        self.tasks[q].cancel()
        self.woken.add(q)  # the cancel event says it: no separate wake-up event

    def emit(self, kind: str, p: int, value: object) -> None:
        """Log an event, after the wake-ups that happened before it."""
        self._note_woken(p)
        self.log.append((kind, p, value))

    def _note_woken(self, running: int) -> None:
        for q in sorted(self.pending - self.woken - {running}):
            if self.loop.is_ready(q):
                self.woken.add(q)
                self.log.append(("woken", q, None))

    def note_turn(self, chosen: int, ready: list[int], last: int | None) -> None:
        """Log the wake-ups seen before the turn, and a preemption: a turn passing over the
        participant that ran last."""
        self._note_woken(-1)
        self.woken.discard(chosen)
        default = non_preemptive(ready, last)
        if last in ready and chosen != default:  # a preemption: ``last`` could go on
            others = [default, *(q for q in ready if q not in (default, chosen))]
            self.log.append(("hold", chosen, tuple(others)))

    def shutdown(self, bound: float) -> None:
        """Cancel every unfinished task and let them unwind (FIFO, at most ``bound``)."""
        self.closing = True
        for task in self.tasks.values():
            task.cancel()
        self.loop.turn_hook = None
        self.loop.run_turns(lambda ready: ready[0], bound=bound, max_turns=MAX_TURNS)


def run_async_program(
    factory: Callable[..., Any],
    parties: int,
    scripts: Sequence[Sequence[object]],
    chooser: Chooser | None = None,
    *,
    bound: float = 2.0,
    max_turns: int = MAX_TURNS,
) -> ProgramRun:
    """Run ``scripts`` (one per participant) against a fresh ``factory(parties)``.

    ``chooser`` decides every turn (default: non-preemptive); ``bound`` is the real-time
    limit on one turn (a callback blocking the thread) and on an executor job's hand-over.
    ``overdue`` in the result is the participant whose turn overran, or whose program did
    not end within ``max_turns`` turns. An overrunning callback keeps the run's thread (a
    daemon) until it returns; the thread then unwinds the program and closes its loop.
    """
    _check_scripts(scripts)
    recorder = _Recorder(chooser)
    outcome: dict[str, Any] = {}
    progress = [0]
    done = threading.Event()

    def body() -> None:
        loop = ControlledLoop()
        try:
            with loop.running():
                barrier = factory(parties)
            program = _AsyncProgram(loop, barrier, scripts)
            last: list[int | None] = [None]

            def hook(chosen: int, ready: list[int]) -> None:
                progress[0] += 1
                program.note_turn(chosen, ready, last[0])
                last[0] = chosen

            loop.turn_hook = hook
            outcome["end"] = loop.run_turns(recorder, bound=bound, max_turns=max_turns)
            outcome["log"], outcome["finished"] = tuple(program.log), set(program.finished)
            outcome["time"] = loop.time()
            program.shutdown(bound)
        except BaseException as exc:  # re-raised on the caller's thread
            outcome["error"] = exc
        finally:
            loop.close()  # this thread owns the loop: nobody else runs it
            done.set()

    thread = threading.Thread(target=body, name="barrierspec-async-program", daemon=True)
    thread.start()
    seen = -1
    while not done.wait(bound):
        if progress[0] == seen:  # no turn started within the bound: one callback overran
            return _overdue(scripts, recorder, progress[0])
        seen = progress[0]
    if "error" in outcome:
        raise outcome["error"]
    end: LoopEnd = outcome["end"]
    return ProgramRun(
        outcome["log"],
        tuple(recorder.turns),
        tuple(c for _r, _l, c in recorder.decisions),
        frozenset(range(len(scripts))) - outcome["finished"],
        None if end.why == "quiescent" else (recorder.turns[-1] if recorder.turns else -1),
        outcome["time"],
        preemptions(recorder.decisions),
    )


def _overdue(scripts: Sequence[Sequence[object]], recorder: _Recorder, turns: int) -> ProgramRun:
    """The result of a run whose current callback kept the thread past the bound."""
    who = recorder.turns[-1] if recorder.turns else -1
    return ProgramRun(
        (("overdue", who, turns),),
        tuple(recorder.turns),
        tuple(c for _r, _l, c in recorder.decisions),
        frozenset(range(len(scripts))),
        who,
        0.0,
        preemptions(recorder.decisions),
    )


_WORDS = {
    "hold": "P{p} runs while {held} (ready) is held",
    "woken": "P{p} is woken inside its operation (released, broken or cancelled), not resumed",
    "overdue": "P{p} keeps the thread (a callback that never yields)",
}
_WHERE = {
    "woken, not resumed": "P{q}, woken but not resumed",
    "suspended": "P{q}, suspended in its operation",
    "idle": "P{q}, which has no operation pending (nothing happens)",
}


def describe_async(run: ProgramRun) -> list[str]:
    """The run's log as numbered steps in words, holds and cancels included."""
    steps = [f"{i}. " + _word(kind, p, value) for i, (kind, p, value) in enumerate(run.log, 1)]
    steps += [f"P{p} never finishes its script (blocked)" for p in sorted(run.unfinished)]
    return steps


def _word(kind: str, p: int, value: object) -> str:
    if kind == "cancel":
        q, where = cast(tuple[int, str], value)
        return f"P{p} cancels " + _WHERE[where].format(q=q)
    if kind == "hold":
        held = ", ".join(f"P{q}" for q in value)  # type: ignore[attr-defined]
        return _WORDS["hold"].format(p=p, held=held)
    if kind in _WORDS:
        return _WORDS[kind].format(p=p)
    one = ProgramRun(((kind, p, value),), (), (), frozenset(), None, 0.0, 0)
    return describe(one)[0].split(". ", 1)[1]  # run_program's words for its own events
