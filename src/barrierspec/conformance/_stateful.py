"""Hypothesis stateful testing: a real barrier and the oracle, driven in lock-step.

:class:`BarrierStateMachine` is a ``RuleBasedStateMachine`` whose rules are the operations
of a conformance program -- ``wait``, timed wait, raising wait, ``abort``, ``reset``,
``cancel``, ``kill``, clock ``advance``, named ``join`` -- limited to those the target and
its profile support. Each rule performs its operation through an adapter driver (a fresh
barrier and fresh participants per example), waits for the driver's quiescent report and
feeds it to the :class:`~barrierspec.conformance.Oracle`; the invariant ``accepted`` fails
as soon as the oracle finds an observation no model state allows, with the numbered steps
so far. Teardown closes the driver (aborting the barrier, reaping every participant).

The draws never depend on what the barrier did. A rule draws only a *pick*; which
participant it names is resolved at run time from the oracle's view (``wait`` picks among
the idle participants, ``cancel`` among the waiting ones, nobody: the rule does nothing),
exactly as the programs of :func:`~barrierspec.conformance.check` do. Thread targets run
under the controlled driver when it can control them (as in ``check()``); the machine then
also has the schedule rules ``hold`` (keep the next operation's woken parties released but
not resumed), ``resume`` (a held one goes on) and ``choose`` (the next scheduling
decisions, drawn as ranks), so Hypothesis draws and shrinks the schedule with the
operations. The rules' enabling depends on the target's capabilities only, never on
observations, so a real scheduler's nondeterminism (which timeout fired first) cannot make
Hypothesis' choices flaky, and a failure shrinks to a minimal program: fewer rules, smaller picks.

Use :func:`barrier_state_machine` to get a machine for one target::

    TestMyBarrier = barrier_state_machine(MyBarrier).TestCase
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar, TypeVar, cast

from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from barrierspec import adapters as ad
from barrierspec.adapters._controlled_runtime import end_idle_threads
from barrierspec.adapters._controlled_schedules import Schedule
from barrierspec.conformance import _properties as props
from barrierspec.conformance._check import _kinds
from barrierspec.conformance._drivers import default_profile, driver_choice, opener, resolve
from barrierspec.conformance._oracle import Mismatch, Oracle
from barrierspec.conformance._program import InputSpace, Instruction, Timing, concretise
from barrierspec.conformance._result import render_op, render_step
from barrierspec.conformance._runner import DriverLike
from barrierspec.conformance._second_look import judge
from barrierspec.spec import Profile
from barrierspec.spec._custom import resolve_profile

__all__ = ["BarrierStateMachine", "barrier_state_machine"]

# the machine's barrier is built once, as declared: no construction instructions
_NO_CONSTRUCTION = InputSpace(default_timeouts=False, action_absent=False)
_EVERY_KIND = props.Property(
    "state machine",
    "every operation the target supports",
    (
        props.WAIT,
        props.TIMED,
        props.RAISE,
        props.ABORT,
        props.RESET,
        props.CANCEL,
        props.KILL,
        props.ADVANCE,
        props.JOIN,
        props.HOLD,
        props.RESUME,
    ),
)
_PICKS = st.integers(0, 7)
_Rule = TypeVar("_Rule", bound=Callable[..., None])


def _allows(kind: str) -> Callable[[_Rule], _Rule]:
    """A precondition: the machine's target and profile support operations of ``kind``."""
    return precondition(lambda self: kind in self.kinds)


class BarrierStateMachine(RuleBasedStateMachine):
    """Drive ``target`` and the oracle for ``profile`` in lock-step (see the module doc).

    Configure through the class attributes (``target``, ``profile``, ``parties``,
    ``participants``, ``timeout``, ``settle``), normally with :func:`barrier_state_machine`.
    """

    target: ClassVar[ad.Target | None] = None
    profile: ClassVar[Profile | None] = None
    parties: ClassVar[int] = 3
    participants: ClassVar[int] = 4
    timeout: ClassVar[float] = 0.05  # timed waits on a real clock; asyncio uses 1 s virtual
    settle: ClassVar[float] = 3.0

    def __init__(self) -> None:
        super().__init__()
        target, profile = type(self).target, type(self).profile
        if target is None or profile is None:
            raise TypeError(
                f"{type(self).__name__} has no target/profile: build the machine with "
                "barrier_state_machine(target)"
            )
        caps = target.capabilities
        real_clock = target.kind != "asyncio"
        choice = driver_choice(target)
        self.kinds = frozenset(
            _kinds(_EVERY_KIND, target, profile, target.kind, choice.controlled, _NO_CONSTRUCTION)
        )
        self.timing = Timing(self.timeout if real_clock else 1.0)
        self.oracle = Oracle(profile, self.parties, self.participants, caps, real_clock)
        self.steps: list[ad.StepReport] = []
        self.mismatch: Mismatch | None = None
        open_driver = opener(target, action=caps.has_action, settle=self.settle, choice=choice)
        self.driver: DriverLike | None = open_driver(self.parties, self.participants)
        if caps.named:  # the model starts with `parties` members: create them
            for p in range(self.parties):
                self.driver.perform(ad.JoinOp(p))

    def _do(self, kind: str, pick: int = 0) -> None:
        """Perform the instruction (kind, pick) and let the oracle judge what happened."""
        op = concretise(Instruction(kind, pick), self.oracle, self.timing)
        if op is None or self.driver is None:
            return
        seen, self.mismatch = judge(self.driver, self.oracle, self.driver.perform(op))
        self.steps.append(seen)

    @rule(pick=_PICKS)
    @_allows(props.WAIT)
    def wait(self, pick: int) -> None:
        """An idle participant calls ``wait()``."""
        self._do(props.WAIT, pick)

    @rule(pick=_PICKS)
    @_allows(props.TIMED)
    def timed_wait(self, pick: int) -> None:
        """An idle participant calls ``wait(timeout)``."""
        self._do(props.TIMED, pick)

    @rule(pick=_PICKS)
    @_allows(props.RAISE)
    def raising_wait(self, pick: int) -> None:
        """An idle participant waits; the action raises if it runs in this wait."""
        self._do(props.RAISE, pick)

    @rule(pick=_PICKS)
    @_allows(props.ABORT)
    def abort(self, pick: int) -> None:
        """An idle participant calls ``abort()``."""
        self._do(props.ABORT, pick)

    @rule(pick=_PICKS)
    @_allows(props.RESET)
    def reset(self, pick: int) -> None:
        """An idle participant calls ``reset()``."""
        self._do(props.RESET, pick)

    @rule(pick=_PICKS)
    @_allows(props.CANCEL)
    def cancel(self, pick: int) -> None:
        """A waiting participant is cancelled (a named member leaves)."""
        self._do(props.CANCEL, pick)

    @rule(pick=_PICKS)
    @_allows(props.KILL)
    def kill(self, pick: int) -> None:
        """A live participant process is killed."""
        self._do(props.KILL, pick)

    @rule(pick=_PICKS)
    @_allows(props.JOIN)
    def join(self, pick: int) -> None:
        """An idle non-member joins the named barrier."""
        self._do(props.JOIN, pick)

    @rule()
    @_allows(props.ADVANCE)
    def advance(self) -> None:
        """The virtual clock moves past one timeout (asyncio)."""
        self._do(props.ADVANCE)

    @rule(pick=_PICKS)
    @_allows(props.HOLD)
    def hold(self, pick: int) -> None:
        """Controlled runs: the next operation's woken participants (bit i of pick + 1:
        the one woken i-th) stay released but not resumed until a ``resume`` of them."""
        if self.driver is not None:
            self.driver.hold_next(pick + 1)  # type: ignore[attr-defined]

    @rule(pick=_PICKS)
    @_allows(props.RESUME)
    def resume(self, pick: int) -> None:
        """Controlled runs: a held participant goes on (its hold ends)."""
        self._do(props.RESUME, pick)

    @rule(ranks=st.lists(st.integers(0, 3), min_size=1, max_size=4))
    @_allows(props.HOLD)
    def choose(self, ranks: list[int]) -> None:
        """Controlled threads: the next scheduling decisions take these ranks (0: let the
        running participant go on; k: the k-th other runnable one), then non-preemptive."""
        if self.driver is not None:
            self.driver.schedule_next(Schedule(tuple(ranks)))  # type: ignore[attr-defined]

    @invariant()
    def accepted(self) -> None:
        """The oracle allowed every observation so far."""
        if self.mismatch is not None:
            raise AssertionError(self.report())

    def report(self) -> str:
        """The steps so far, numbered, and the violation if there is one."""
        assert self.target is not None and self.profile is not None
        lines = [
            f"{self.target.name} vs profile {self.profile.name}: barrier(parties="
            f"{self.parties}) with {self.participants} participants:"
        ]
        for i, seen in enumerate(self.steps, 1):
            lines.append(f"  {i}. {render_op(seen.op)}  ->  {render_step(seen)}")
        if self.mismatch is not None:
            lines.append(f"  violation: {self.mismatch.reason}")
            lines.append(f"  the model allows: {self.mismatch.expected}")
        return "\n".join(lines)

    def teardown(self) -> None:
        """Close the driver: abort the barrier, reap every participant."""
        if self.driver is not None:
            driver, self.driver = self.driver, None
            driver.close()
        end_idle_threads()  # pooled participant threads of a controlled driver


def barrier_state_machine(
    target: str | ad.Target | object,
    profile: str | Profile | None = None,
    parties: int = 3,
    participants: int = 4,
    *,
    timeout: float = 0.05,
    settle: float = 3.0,
    hypothesis_settings: settings | None = None,
) -> type[BarrierStateMachine]:
    """A :class:`BarrierStateMachine` subclass for ``target``; run it with ``.TestCase``.

    ``target`` and ``profile`` are spelled as for :func:`~barrierspec.conformance.check`.
    ``hypothesis_settings`` become ``.TestCase.settings`` (default: 30 examples of at most
    20 steps, no deadline, no example database, no explain phase, health checks off --
    every step is a real round-trip to threads, tasks or processes).
    """
    if parties < 1 or participants < parties:
        raise ValueError(
            f"need 1 <= parties <= participants, got parties={parties}, participants={participants}"
        )
    tgt = resolve(target)
    wanted = profile or default_profile(tgt)
    prof = resolve_profile(wanted)
    attrs_: dict[str, object] = {
        "target": tgt,
        "profile": prof,
        "parties": parties,
        "participants": participants,
        "timeout": timeout,
        "settle": settle,
        "__doc__": f"The state machine of {tgt.name} against profile {prof.name}.",
    }
    name = "".join(c if c.isalnum() else "_" for c in tgt.name) + "StateMachine"
    machine = cast(type[BarrierStateMachine], type(name, (BarrierStateMachine,), attrs_))
    machine.TestCase.settings = hypothesis_settings or settings(
        max_examples=30,
        stateful_step_count=20,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
    )
    return machine
