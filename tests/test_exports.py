"""The public surface: each façade's ``__all__`` is pinned, importable, documented, unambiguous.

A name added to or removed from a subpackage's ``__all__`` must be added to or removed from
``PUBLIC`` here, on purpose (and said in the CHANGELOG). Every public class and function has
its own docstring; every other public value (a type alias, a constant) is named in its
package's docstring. No public-looking attribute leaks out of a façade without being in
``__all__``, and no name means two things in two subpackages (the model's ``Wait`` event and
the adapters' ``WaitOp`` operation are different names).
"""

from __future__ import annotations
import __future__

import importlib
import inspect
import types

import pytest

PUBLIC: dict[str, frozenset[str]] = {
    "barrierspec": frozenset({"Barrier", "__version__"}),
    "barrierspec.aio": frozenset({"Barrier"}),
    "barrierspec.spec": frozenset(
        {
            "PROFILES",
            "Abort",
            "AbortDrainers",
            "ActionPolicy",
            "ActionRan",
            "BarrierSystem",
            "Bounds",
            "Call",
            "Cancel",
            "Cancellation",
            "CompiledBarrierSystem",
            "Death",
            "Deviation",
            "Die",
            "DocumentedHang",
            "Enter",
            "Event",
            "ExplorationResult",
            "ExplorationStatus",
            "ExplorationViolation",
            "ExplorerError",
            "Fault",
            "GiveUp",
            "IndexPolicy",
            "Invariant",
            "Join",
            "Local",
            "Member",
            "Membership",
            "Newcomer",
            "Notice",
            "Observation",
            "PartiesPolicy",
            "Policies",
            "Profile",
            "ProgressCallback",
            "Raised",
            "Reentry",
            "Reset",
            "ResetPolicy",
            "Resume",
            "Returned",
            "RoundsPolicy",
            "State",
            "Status",
            "StderrProgress",
            "StepFunction",
            "Successor",
            "Timeout",
            "TraceStep",
            "Transition",
            "TransitionInvariant",
            "TransitionSystem",
            "ViolationKind",
            "Wait",
            "compiled_system",
            "enabled",
            "explore",
            "format_result",
            "format_trace",
            "get_profile",
            "initial_state",
            "result_to_json",
            "state_invariants",
            "step",
            "transition_invariants",
        }
    ),
    "barrierspec.proofs": frozenset(
        {
            "AbstractState",
            "Agreement",
            "Obligation",
            "ProofCounterexample",
            "ProofReport",
            "ProofVerdict",
            "Variant",
            "check_agreement",
            "early_trip",
            "prove",
            "timeout_gives_up",
        }
    ),
    "barrierspec.adapters": frozenset(
        {
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
        }
    ),
    "barrierspec.conformance": frozenset(
        {
            "PROPERTIES",
            "BarrierConformanceTests",
            "BarrierStateMachine",
            "CheckResult",
            "CheckSettings",
            "ConformanceWarning",
            "HistoryVerdict",
            "HistoryViolation",
            "InputSpace",
            "Kind",
            "Mismatch",
            "Operation",
            "Oracle",
            "Outcome",
            "ProgramCounterexample",
            "Property",
            "PropertyResult",
            "Recorder",
            "barrier_state_machine",
            "check",
            "check_history",
            "dump_history",
            "explain",
            "load_files",
            "load_history",
            "render_timeline",
            "write_report",
        }
    ),
    "barrierspec.reference": frozenset(
        {
            "MAX_PROCESS_PARTIES",
            "AsyncBarrier",
            "Barrier",
            "BarrierConnectionError",
            "BarrierStateLostError",
            "MemberExpiredError",
            "NamedBarrier",
            "NamedBarriers",
            "ProcessBarrier",
            "ProcessNamedBarrier",
            "ProcessNamedBarriers",
            "RedisBarrierMember",
            "RedisNamedBarriers",
        }
    ),
    "barrierspec.errors": frozenset(
        {
            "ArgumentTypeError",
            "BarrierSpecError",
            "BrokenBarrierError",
            "CancelledBarrierError",
            "InvalidOperationError",
            "UsageError",
        }
    ),
}

# The names the renames of issue 14 retired; none may come back as a public name anywhere.
RETIRED: dict[str, frozenset[str]] = {
    "barrierspec.adapters": frozenset(
        {
            "Wait",
            "Abort",
            "Reset",
            "Cancel",
            "Join",
            "Kill",
            "Advance",
            "Returned",
            "RoundsPolicy",
            "Raised",
            "Outcome",
            "Step",
            "VirtualClockLoop",
            "outcome_of",
        }
    ),
    "barrierspec.spec": frozenset({"Violation", "settling"}),
    "barrierspec.proofs": frozenset(
        {
            "Verdict",
            "Counterexample",
            "AbstractionError",
            "LocalClass",
            "Tag",
            "abstract",
            "concretise",
            "ProofModel",
            "proof_model",
            "reachable_states",
        }
    ),
    "barrierspec.conformance": frozenset({"Verdict", "Violation", "Counterexample"}),
}

MODULES = sorted(PUBLIC)

# The one deliberate exception to "one name, one meaning": the standard library's own names,
# module by module (threading.Barrier, asyncio.Barrier). CPython's suites pin both the class
# name ("object Barrier can't be used in 'await' expression") and a one-identifier module in
# the thread barrier's repr (<\w+\.Barrier at ...>), so both drop-ins are named Barrier.
STDLIB_MIRRORS = ["barrierspec.Barrier / barrierspec.aio.Barrier"]


def _public_attributes(module: types.ModuleType) -> set[str]:
    """Attributes that look public: no leading underscore, not a module, not a __future__ flag."""
    return {
        name
        for name, value in vars(module).items()
        if not name.startswith("_")
        and not isinstance(value, types.ModuleType | __future__._Feature)
    }


def _leaked(module: types.ModuleType) -> list[str]:
    """Public-looking attributes that ``__all__`` does not list."""
    return sorted(_public_attributes(module) - set(module.__all__))


def _undocumented(module: types.ModuleType) -> list[str]:
    """Public names with no documentation of their own (see the module docstring)."""
    package_doc = module.__doc__ or ""
    undocumented = []
    for public in module.__all__:
        value = getattr(module, public)
        if inspect.isclass(value):
            documented = bool(vars(value).get("__doc__"))  # its own, not inherited
        elif inspect.isroutine(value):
            documented = bool(value.__doc__)
        else:  # a type alias or a constant: the package docstring names it
            documented = public in package_doc
        if not documented:
            undocumented.append(public)
    return undocumented


def _clashes(modules: list[types.ModuleType]) -> list[str]:
    """Public names (compared case-insensitively) bound to different objects in two modules."""
    seen: dict[str, tuple[str, object]] = {}
    clashes = []
    for module in modules:
        for public in module.__all__:
            value = getattr(module, public)
            first = seen.setdefault(public.lower(), (f"{module.__name__}.{public}", value))
            if first[1] is not value:
                clashes.append(f"{first[0]} / {module.__name__}.{public}")
    return clashes


@pytest.mark.parametrize("name", MODULES)
def test_all_is_the_pinned_public_surface(name: str) -> None:
    module = importlib.import_module(name)
    exported = frozenset(module.__all__)
    assert len(module.__all__) == len(exported), f"{name}.__all__ lists a name twice"
    added, removed = sorted(exported - PUBLIC[name]), sorted(PUBLIC[name] - exported)
    assert not added and not removed, (
        f"{name}.__all__ changed: added {added}, removed {removed}; "
        "pin the change in tests/test_exports.py and say it in CHANGELOG.md"
    )


@pytest.mark.parametrize("name", MODULES)
def test_every_public_name_is_importable_and_nothing_else_leaks(name: str) -> None:
    module = importlib.import_module(name)
    namespace: dict[str, object] = {}
    exec(f"from {name} import *", namespace)  # the star import a user would write
    missing = sorted(n for n in module.__all__ if n not in namespace)
    assert not missing, f"{name}: in __all__ but not importable: {missing}"
    assert not _leaked(module), f"{name}: public-looking attributes not in __all__"


@pytest.mark.parametrize("name", MODULES)
def test_every_public_name_is_documented(name: str) -> None:
    module = importlib.import_module(name)
    assert not _undocumented(module), f"{name}: public names without documentation"


@pytest.mark.parametrize("name", sorted(RETIRED))
def test_retired_names_are_gone(name: str) -> None:
    module = importlib.import_module(name)
    back = sorted(n for n in RETIRED[name] if hasattr(module, n))
    assert not back, f"{name}: retired names are public again: {back}"


def test_no_name_means_two_things() -> None:
    modules = [importlib.import_module(name) for name in MODULES]
    assert _clashes(modules) == STDLIB_MIRRORS, "one name, two meanings"


def test_the_checks_catch_what_they_are_for() -> None:
    """Each check, on synthetic modules, reports the defect it exists to find."""

    def documented() -> None:
        """Has a docstring."""

    def undocumented() -> None:
        pass

    class Wait:
        """One meaning."""

    class OtherWait:
        """Another meaning, same name."""

    first = types.ModuleType("first", "Names ``ALIAS``.")
    first.__dict__.update(
        __all__=["documented", "undocumented", "ALIAS", "NOT_NAMED", "Wait"],
        documented=documented,
        undocumented=undocumented,
        ALIAS=int | str,
        NOT_NAMED=int | bytes,
        Wait=Wait,
        leak=1,
        typing=types,
    )
    second = types.ModuleType("second", "")
    second.__dict__.update(__all__=["wait", "documented"], wait=OtherWait, documented=documented)
    assert _leaked(first) == ["leak"]
    assert _undocumented(first) == ["undocumented", "NOT_NAMED"]
    assert _clashes([first, second]) == ["first.Wait / second.wait"]
