"""barrierspec.adapters: drive real barriers deterministically.

A driver owns one barrier and a set of participants (threads, asyncio tasks, processes, or
threads holding named-barrier members). The checker sends operations one at a time
(:class:`WaitOp`, :class:`AbortOp`, :class:`ResetOp`, :class:`CancelOp`, :class:`KillOp`,
:class:`AdvanceOp`, :class:`JoinOp`, and for controlled drivers :class:`ResumeOp`); after
each the driver waits for quiescence by observation and reports a :class:`StepReport`.
Hangs are findings (:class:`Hang`), never hangs of the suite.

Vocabulary: an operation (:data:`Op`, every class named ``...Op``) is what a driver performs on
a real barrier; its outcome (:data:`OpOutcome`) is :class:`OpReturned` or :class:`OpRaised`,
whose ``kind`` (:data:`OutcomeKind`) classifies the exception. The model's events with the
same verbs (``Wait``, ``Abort``, ...) live in :mod:`barrierspec.spec`. Targets
(:class:`Target`, of a :data:`TargetKind`) come from :func:`resolve_target` or
:func:`target_from`; :func:`make_driver` builds the driver a target needs.
"""

from barrierspec.adapters._asyncio import AsyncioDriver
from barrierspec.adapters._base import (
    BarrierConstructionError,
    Driver,
    DriverError,
    describe,
)
from barrierspec.adapters._controlled_async_driver import ControlledAsyncioDriver
from barrierspec.adapters._controlled_threads import ControlledThreadDriver
from barrierspec.adapters._make import make_driver
from barrierspec.adapters._named import NamedThreadDriver
from barrierspec.adapters._named_processes import NamedProcessDriver
from barrierspec.adapters._ops import (
    AbortOp,
    ActionFailure,
    ActionRun,
    AdvanceOp,
    CancelOp,
    Capabilities,
    Hang,
    JoinOp,
    KillOp,
    Op,
    OpOutcome,
    OpRaised,
    OpReturned,
    OutcomeKind,
    ResetOp,
    ResumeOp,
    Snapshot,
    StepReport,
    WaitOp,
)
from barrierspec.adapters._processes import ProcessDriver
from barrierspec.adapters._target import Target, TargetKind, resolve_target, target_from
from barrierspec.adapters._threads import ThreadDriver

__all__ = [
    "AbortOp",
    "ActionFailure",
    "ActionRun",
    "AdvanceOp",
    "AsyncioDriver",
    "BarrierConstructionError",
    "CancelOp",
    "Capabilities",
    "ControlledAsyncioDriver",
    "ControlledThreadDriver",
    "Driver",
    "DriverError",
    "Hang",
    "JoinOp",
    "KillOp",
    "NamedProcessDriver",
    "NamedThreadDriver",
    "Op",
    "OpOutcome",
    "OpRaised",
    "OpReturned",
    "OutcomeKind",
    "ProcessDriver",
    "ResetOp",
    "ResumeOp",
    "Snapshot",
    "StepReport",
    "Target",
    "TargetKind",
    "ThreadDriver",
    "WaitOp",
    "describe",
    "make_driver",
    "resolve_target",
    "target_from",
]
