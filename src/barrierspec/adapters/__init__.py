"""barrierspec.adapters: drive real barriers deterministically.

A driver owns one barrier and a set of participants (threads, asyncio tasks, processes, or
threads holding named-barrier members). The checker sends operations one at a time
(:class:`Wait`, :class:`Abort`, :class:`Reset`, :class:`Cancel`, :class:`Kill`,
:class:`Advance`, :class:`Join`); after each the driver waits for quiescence by observation
and reports a :class:`Step`. Hangs are findings (:class:`Hang`), never hangs of the suite.
"""

from barrierspec.adapters._asyncio import AsyncioDriver, VirtualClockLoop
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
    Abort,
    ActionFailure,
    ActionRun,
    Advance,
    Cancel,
    Capabilities,
    Hang,
    Join,
    Kill,
    Op,
    Outcome,
    OutcomeKind,
    Raised,
    Reset,
    Returned,
    Snapshot,
    Step,
    Wait,
    outcome_of,
)
from barrierspec.adapters._processes import ProcessDriver
from barrierspec.adapters._target import Target, TargetKind, resolve_target, target_from
from barrierspec.adapters._threads import ThreadDriver

__all__ = [
    "Abort",
    "ActionFailure",
    "ActionRun",
    "Advance",
    "AsyncioDriver",
    "BarrierConstructionError",
    "Cancel",
    "Capabilities",
    "ControlledAsyncioDriver",
    "ControlledThreadDriver",
    "Driver",
    "DriverError",
    "Hang",
    "Join",
    "Kill",
    "NamedProcessDriver",
    "NamedThreadDriver",
    "Op",
    "Outcome",
    "OutcomeKind",
    "ProcessDriver",
    "Raised",
    "Reset",
    "Returned",
    "Snapshot",
    "Step",
    "Target",
    "TargetKind",
    "ThreadDriver",
    "VirtualClockLoop",
    "Wait",
    "describe",
    "make_driver",
    "outcome_of",
    "resolve_target",
    "target_from",
]
