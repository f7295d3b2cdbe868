"""What a driver saw between two steps, and the action it installs in the barrier.

The :class:`Ledger` collects, in the order they happen, the outcomes of finished operations,
the runs of the barrier's action and a readable log; the controller drains it into a
:class:`~barrierspec.adapters.StepReport` once the system is quiescent.

The :class:`RecordingAction` is the callable a driver passes as the barrier's ``action``. It
finds out who runs it (the participant id is a context variable, so it works in threads and
asyncio tasks alike), reads ``n_waiting``, counts the waits of its round that already returned
(a wait belongs to the round of the first action that starts after it was sent), and raises
:class:`~barrierspec.adapters.ActionFailure` when the running participant's Wait asked for it.
The process driver uses the same rounds with shared counters (``_child.ProcessAction``).
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable

from barrierspec.adapters._ops import ActionFailure, ActionRun, OpOutcome, OpReturned

__all__ = ["PARTICIPANT", "Ledger", "RecordingAction", "read_n_waiting"]

PARTICIPANT: contextvars.ContextVar[int] = contextvars.ContextVar(
    "barrierspec_participant", default=-1
)


def read_n_waiting(barrier: object) -> int | None:
    """``barrier.n_waiting`` as an int, or None when it is missing or fails."""
    try:
        value = getattr(barrier, "n_waiting", None)
    except Exception:
        return None
    return value if isinstance(value, int) else None


class Ledger:
    """Outcomes, action runs and log lines, appended by any thread, drained by the controller."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._outcomes: dict[int, OpOutcome] = {}
        self._actions: list[ActionRun] = []
        self._log: list[str] = []
        self.changed = threading.Event()  # set whenever an operation finishes

    def note(self, line: str) -> None:
        """Append one line to the log."""
        with self._lock:
            self._log.append(line)

    def finished(self, participant: int, outcome: OpOutcome) -> None:
        """Record that ``participant``'s operation finished with ``outcome``."""
        with self._lock:
            self._outcomes[participant] = outcome
            self._log.append(f"return p{participant} {outcome}")
        self.changed.set()

    def ran(self, run: ActionRun) -> None:
        """Record one run of the barrier's action."""
        with self._lock:
            self._actions.append(run)
            self._log.append(f"action p{run.participant}" + (" raises" if run.raised else ""))

    def drain(self) -> tuple[dict[int, OpOutcome], tuple[ActionRun, ...], tuple[str, ...]]:
        """Everything recorded since the previous drain, and forget it."""
        with self._lock:
            outcomes, self._outcomes = self._outcomes, {}
            actions, self._actions = tuple(self._actions), []
            log, self._log = tuple(self._log), []
        return outcomes, actions, log


class RecordingAction:
    """The barrier action of the thread and asyncio drivers (see the module docstring)."""

    def __init__(self, ledger: Ledger) -> None:
        self.barrier: object = None  # set once the barrier exists
        self._ledger = ledger
        self._lock = threading.Lock()
        self._started = 0  # action runs started so far
        self._pending = 0  # normal returns of waits sent since the last action started
        self._raises: dict[int, bool] = {}
        self._takes: dict[int, float] = {}  # seconds the action takes in each participant
        self._calls: dict[int, str | None] = {}  # the barrier's method it calls back, if any
        # set by a controlled driver: the action's scheduling point, given its duration
        self.pause: Callable[[float], None] | None = None
        self._ended = True  # the last action run has ended
        self._during = 0  # normal returns of its round while a pausing action ran

    def wait_started(
        self,
        participant: int,
        action_raises: bool,
        action_takes: float = 0.0,
        action_calls: str | None = None,
    ) -> int:
        """Note a wait being sent (what the action does if it runs in it: raise, take
        ``action_takes`` seconds, call ``abort``/``reset`` back); returns its round tag for
        :meth:`wait_returned`."""
        with self._lock:
            self._raises[participant] = action_raises
            self._takes[participant] = action_takes
            self._calls[participant] = action_calls
            return self._started

    def wait_returned(self, tag: int, outcome: OpOutcome) -> None:
        """Note a wait finishing; a normal return before its round's action counts."""
        with self._lock:
            if isinstance(outcome, OpReturned) and tag == self._started:
                self._pending += 1
            elif isinstance(outcome, OpReturned) and self._running(tag):
                self._during += 1

    def _running(self, tag: int) -> bool:
        """Whether the action of round ``tag`` is still running (a pausing action only)."""
        return self.pause is not None and tag == self._started - 1 and not self._ended

    def __call__(self) -> object:
        """Record the run; raise, or call ``abort``/``reset`` back, as the wait asked (an
        async barrier's ``abort()`` is returned for the barrier to await: an async action)."""
        participant = PARTICIPANT.get()
        n_waiting = read_n_waiting(self.barrier)
        with self._lock:
            before, self._pending = self._pending, 0
            self._started += 1
            self._ended = self.pause is None
            raises = self._raises.get(participant, False)
            takes = self._takes.get(participant, 0.0)
            calls = self._calls.get(participant)
        if self.pause is not None:  # the action "takes time": others may run meanwhile
            self.pause(takes)
            with self._lock:  # waits of its round that returned while it ran count too
                before, self._during, self._ended = before + self._during, 0, True
        self._ledger.ran(ActionRun(participant, raises, n_waiting, before))
        if calls is not None:
            return getattr(self.barrier, calls)()
        if raises:
            raise ActionFailure(f"the action raised on purpose in participant {participant}")
        return None
