"""``check()``: hold a real barrier to a profile, property by property. No pytest needed.

For every applicable property, Hypothesis searches programs (drawn whole before any worker
starts) for one the oracle rejects, and shrinks the first it finds to a minimal one: fewer
instructions, fewer parties, smaller picks. The minimal program is replayed once more to
record its steps for the report. Under a controlled driver (threads, asyncio) each property
runs a fixed number of programs (``CheckSettings.programs``), whatever the machine's load;
an observing driver's search is bounded by time, or by counts when seeded.
``thorough`` raises the number of programs.
"""

from __future__ import annotations

import random
import shlex
import time
from collections.abc import Callable, Mapping
from typing import Any

import attrs

from barrierspec import adapters as ad
from barrierspec.adapters._controlled_runtime import end_idle_threads
from barrierspec.adapters._controlled_view import RunsUncontrolled
from barrierspec.conformance import _properties as props
from barrierspec.conformance._arguments import check_arguments
from barrierspec.conformance._claims import claimer
from barrierspec.conformance._drivers import (
    DriverChoice,
    default_profile,
    driver_choice,
    observed,
    resolve,
)
from barrierspec.conformance._evidence import MIN_PROGRAMS
from barrierspec.conformance._generated import Limits, run_generated
from barrierspec.conformance._prespawn import default_workers
from barrierspec.conformance._program import (
    FULL_SPACE,
    InputSpace,
    Timing,
    as_input_space,
    takes_default_timeout,
)
from barrierspec.conformance._report import CheckResult
from barrierspec.conformance._result import PropertyResult
from barrierspec.conformance._search import Budget
from barrierspec.conformance._session import Listener, Session
from barrierspec.errors import UsageError
from barrierspec.spec import Call, Membership, Profile
from barrierspec.spec._custom import resolve_profile

__all__ = ["PROGRAMS", "THOROUGH_PROGRAMS", "CheckSettings", "check"]

# programs per property under a controlled driver, by target kind (CheckSettings.programs):
# at least what the observing thread driver reaches in its 3 s per property; asyncio's FIFO
# driver reaches more (up to 440 under load), but 800 asyncio programs hit a false finding
# on a correct barrier (a held party cancelled after reset: RESULTS_verdicts.md), so 300
PROGRAMS = {"thread": 300, "asyncio": 300}
THOROUGH_PROGRAMS = 4000


@attrs.frozen
class CheckSettings:
    """How hard to look.

    ``programs``: under a controlled driver (thread and asyncio targets whose primitives can
    be controlled), every property runs exactly this many programs (None: :data:`PROGRAMS`
    for the target's kind, 300 for both), seeded or not (a program
    under a schedule counts once; the schedule is part of it), fewer only when a failure is
    found or the safety ``cap`` (seconds per property) stops the search, which the evidence
    line then says. ``seed``: makes the drawn programs reproducible (a seed is drawn when
    None). Observing drivers (processes, named and Redis members, C classes): ``examples``
    random programs per property and ``budget`` seconds, after which no new program is
    started unless a failure is being shrunk (``shrink_budget`` seconds); seeded, no clock is
    read: a fixed number of small-scope programs and ``min(examples, seeded_examples)``
    random ones, so the same seed runs the same programs on any machine. ``timeout``: the
    real-clock timeout of timed waits (threads, processes). ``generated``: also replay the
    model-generated tests. ``min_programs``: fewer programs than this make a property
    INCONCLUSIVE, not PASS. ``generated_tests``: replay at most this many model-generated
    tests, drawn with the seed (a seeded run replays the same ones everywhere); the coverage
    figure then counts only what was replayed. None replays all (about 400 for threading,
    4,900 for grinder at 3 parties, 4 participants, 3 rounds). ``space``: which dimensions
    of the input space the programs draw, and their scope (see :class:`InputSpace`).
    ``workers``: a supervised check shares the properties among this many worker processes
    running at once (default: 2, or 1 on a single core); the programs do not depend on it.
    ``claims``: set by the supervisor for its workers: the directory in which each worker
    claims a property before it checks it (``_claims``); a property another worker claimed
    is left out of this result. None (the default): every selected property.
    """

    examples: int = 1000
    budget: float = 3.0
    seed: int | None = None
    timeout: float = 0.05
    generated: bool = True
    settle: float = 3.0
    only: tuple[str, ...] = ()  # property names to run (empty: all)
    shrink_budget: float = 6.0  # seconds spent shrinking a failure to a minimal program
    generated_budget: float = 8.0  # seconds for the model-generated tests (unseeded runs)
    seeded_examples: int = 40  # random programs per property of a seeded run
    generated_tests: int | None = 300  # a cap on the model-generated tests replayed (None: all)
    min_programs: int = MIN_PROGRAMS
    construction_bound: float = 5.0  # seconds building one barrier may take before giving up
    stall: float = 60.0  # supervised: seconds without progress after which the worker is killed
    space: InputSpace = attrs.field(factory=InputSpace, converter=as_input_space)
    programs: int | None = None  # programs per property under a controlled driver
    cap: float | None = 60.0  # seconds: a controlled search's safety cap per property
    workers: int = attrs.field(factory=default_workers)  # supervised
    claims: str | None = None  # supervised workers: where they claim properties

    @classmethod
    def thorough(cls, seed: int | None = None) -> CheckSettings:
        """Settings for a long search: many more programs, a larger budget and cap."""
        return cls(
            examples=400,
            budget=40.0,
            seed=seed,
            seeded_examples=400,
            programs=THOROUGH_PROGRAMS,
            cap=600.0,
        )


def _kinds(
    prop: props.Property,
    target: ad.Target,
    profile: Profile,
    kind: str,
    controlled: bool = False,
    space: InputSpace = FULL_SPACE,
) -> list[str]:
    """The operation kinds of ``prop`` a ``kind`` target can perform (``hold``, ``resume``:
    only under a controlled driver), as the input ``space`` allows."""
    caps = target.capabilities
    defaults = takes_default_timeout(target)
    can: dict[str, bool] = {
        props.HOLD: controlled,
        props.RESUME: controlled,
        props.TIMED: caps.has_timeout,
        props.LONG: caps.has_timeout,
        props.ZERO: caps.has_timeout,
        props.OWN_TIMED: caps.own_timeout,
        props.OWN_ZERO: caps.own_timeout,
        props.DEFAULT_SHORT: defaults,
        props.DEFAULT_LONG: defaults,
        props.NO_ACTION: caps.has_action,
        props.RAISE: caps.has_action,
        # an action that calls back, where the contract defines it (an asyncio barrier
        # awaits the abort() or reset() its action returns)
        props.ABORTING: caps.has_action and caps.has_abort and Call.ABORT in profile.action_calls,
        props.RESETTING: caps.has_action and caps.has_reset and Call.RESET in profile.action_calls,
        # only the controlled thread driver gives the action a duration
        props.SLOW: caps.has_action and controlled and kind == "thread",
        props.ABORT: caps.has_abort and profile.has_abort,
        props.RESET: caps.has_reset and profile.has_reset,
        props.CANCEL: caps.has_cancel,
        props.KILL: caps.has_kill,
        props.ADVANCE: kind == "asyncio" and caps.has_timeout,
        props.JOIN: caps.named,
    }
    return [op for op in prop.ops if space.allows(op) and can.get(op, True)]


def check(
    target: str | ad.Target | object,
    profile: str | Profile | None = None,
    *,
    settings_: CheckSettings | None = None,
    progress: Callable[[str], None] | None = None,
    supervised: bool = False,
    listener: Listener | None = None,
    command: str | None = None,
    target_options: Mapping[str, Any] | None = None,
) -> CheckResult:
    """Check ``target`` against ``profile``; return every property's verdict.

    ``target``: "threading", "asyncio", "multiprocessing", "module:attr", an
    :class:`~barrierspec.adapters.Target`, or a barrier class / factory. ``profile``: a
    profile name or object (default: the one matching the target's kind).
    ``supervised``: run the target in a worker process, so that whatever it does (exits,
    crashes, hangs, leaks) a report comes back; the target must then be importable by name.
    ``command``: the command line to print as the way to reproduce the run.
    ``target_options``: the keyword arguments of
    :func:`~barrierspec.adapters.resolve_target` that say how to drive the target, as the
    CLI's options: ``kind`` (``--kind``), ``start_method``, ``context``, ``interface`` (the
    ``--map`` entries), e.g. ``{"kind": "process", "context": "billiard"}``.
    """
    cfg = settings_ or CheckSettings()
    if target_options:
        unknown = sorted(set(target_options) - _TARGET_OPTIONS)
        if unknown:
            raise UsageError(
                f"unknown target option {unknown[0]!r}; use {', '.join(sorted(_TARGET_OPTIONS))}"
            )
        target = ad.resolve_target(target, **target_options)
    if supervised:
        from barrierspec.conformance._supervise import supervised_check

        return supervised_check(target, profile, cfg, progress=progress, command=command)
    tgt = resolve(target)
    wanted = profile or default_profile(tgt)
    prof = resolve_profile(wanted)
    _check_profile_fits(tgt, prof)
    _check_names(cfg.only)
    seed = cfg.seed if cfg.seed is not None else random.randrange(2**32)
    choice = driver_choice(tgt)
    try:
        return _check_with(tgt, prof, cfg, seed, choice, progress, listener, command)
    except RunsUncontrolled as exc:
        if not choice.controlled:
            raise
        fallback = observed(f"at run time, {exc}")
        if progress is not None:
            progress(f"falling back to {fallback}")
        return _check_with(tgt, prof, cfg, seed, fallback, progress, listener, command)
    finally:
        end_idle_threads()  # the controlled participants' pooled threads


def _check_with(
    tgt: ad.Target,
    prof: Profile,
    cfg: CheckSettings,
    seed: int,
    choice: DriverChoice,
    progress: Callable[[str], None] | None,
    listener: Listener | None,
    command: str | None,
) -> CheckResult:
    """One whole check of ``tgt`` under the driver ``choice`` names."""
    claim = claimer(cfg.claims) if cfg.claims is not None else None

    def takes(name: str) -> bool:
        return _selected(cfg, name) and (claim is None or claim(name))

    real_clock = tgt.kind != "asyncio"
    timing = Timing(cfg.timeout if real_clock else 1.0, max_rounds=cfg.space.max_rounds)
    seeded = cfg.seed is not None
    session = Session(
        tgt,
        prof,
        seed,
        lambda prop: _kinds(prop, tgt, prof, tgt.kind, choice.controlled, cfg.space),
        budget=Budget(
            examples=min(cfg.seeded_examples, cfg.examples) if seeded else cfg.examples,
            seconds=None if seeded else cfg.budget,
            shrink=cfg.shrink_budget,
            programs=_programs(cfg, tgt.kind) if choice.controlled else None,
            cap=cfg.cap,
        ),
        min_programs=cfg.min_programs,
        timing=timing,
        real_clock=real_clock,
        settle=cfg.settle,
        driver=choice,
        listener=listener,
        space=cfg.space,
    )
    session.emit(
        {
            "event": "start",
            "seed": seed,
            "target": tgt.name,
            "profile": prof.name,
            "driver": str(choice),
        }
    )
    started = time.monotonic()
    session.probe_construction(cfg.construction_bound)
    results = _run_all(session, takes, progress)
    coverage = None
    if cfg.generated and takes(GENERATED):
        _announce(session, progress, GENERATED)
        if session.abandoned is not None:
            results.append(session.not_searched(GENERATED, "replays the operation graph"))
        else:
            generated, coverage = run_generated(
                tgt,
                prof,
                timing=timing,
                real_clock=real_clock,
                settle=cfg.settle,
                limits=Limits(
                    float("inf") if seeded else cfg.generated_budget, cfg.generated_tests, seed
                ),
                emit=session.emit,
                choice=choice,
            )
            results.append(generated)
            session.emit({"event": "result", "result": generated.to_json()})
    return CheckResult(
        target=tgt.name,
        profile=prof.name,
        seed=seed,
        properties=tuple(results),
        seconds=time.monotonic() - started,
        coverage=coverage,
        findings=tuple(session.findings.values()),
        command=command or _command(tgt.name, prof.name, seed, cfg.only),
        selected=len(cfg.only) or None,
        driver=str(choice),
    )


def _programs(cfg: CheckSettings, kind: str) -> int:
    """The programs per property of a controlled search of a ``kind`` target."""
    return cfg.programs if cfg.programs is not None else PROGRAMS.get(kind, PROGRAMS["thread"])


_TARGET_OPTIONS = frozenset({"kind", "start_method", "context", "interface", "capabilities"})
GENERATED = "model-generated tests"
ARGUMENTS = "argument validation"


def _selected(cfg: CheckSettings, name: str) -> bool:
    return not cfg.only or name in cfg.only


def _announce(session: Session, progress: Callable[[str], None] | None, name: str) -> None:
    if progress is not None:
        progress(name)
    session.emit({"event": "property", "property": name})


def _run_all(
    session: Session, takes: Callable[[str], bool], progress: Callable[[str], None] | None
) -> list[PropertyResult]:
    """The verdict of every property ``takes``, argument validation included (not the
    generated tests)."""
    caps = session.target.capabilities
    results: list[PropertyResult] = []
    for prop in props.PROPERTIES:
        if not takes(prop.name):
            continue
        why_not = props.applicable(prop, session.profile, caps)
        if why_not is not None:
            results.append(PropertyResult(prop.name, prop.rule, "n/a", why_not))
            continue
        _announce(session, progress, prop.name)
        results.append(session.check_property(prop))
        session.emit({"event": "result", "result": results[-1].to_json()})
        session.emit(
            {"event": "findings", "findings": [f.to_json() for f in session.findings.values()]}
        )
    if not caps.named and takes(ARGUMENTS):
        _announce(session, progress, ARGUMENTS)
        if session.abandoned is not None:
            results.append(session.not_searched(ARGUMENTS, "constructor arguments"))
        else:
            results.append(check_arguments(session.target, session.profile, session.space))
        session.emit({"event": "result", "result": results[-1].to_json()})
    return results


def _check_profile_fits(tgt: ad.Target, prof: Profile) -> None:
    named_profile = prof.policies.membership is Membership.DYNAMIC
    if named_profile != tgt.capabilities.named:
        want = "a named-barrier registry" if named_profile else "a barrier with fixed parties"
        raise UsageError(
            f"profile {prof.name!r} describes {want}, but target {tgt.name!r} is a "
            f"{tgt.kind} target; choose the profile matching the target"
        )


def _check_names(only: tuple[str, ...]) -> None:
    names = {p.name for p in props.PROPERTIES} | {ARGUMENTS, GENERATED}
    unknown = sorted(set(only) - names)
    if unknown:
        raise UsageError(
            f"unknown property {unknown[0]!r}: choose among {', '.join(sorted(names))}"
        )


def _command(target: str, profile: str, seed: int, only: tuple[str, ...]) -> str:
    """The command line that reruns this check with the same programs."""
    words = ["barrierspec", "check", target, "--profile", profile, "--seed", str(seed)]
    for name in only:
        words += ["--property", name]
    return shlex.join(words)
