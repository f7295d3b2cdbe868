"""``check()``: hold a real barrier to a profile, property by property. No pytest needed.

For every applicable property, Hypothesis searches programs (drawn whole before any worker
starts) for one the oracle rejects, and shrinks the first it finds to a minimal one: fewer
instructions, fewer parties, smaller picks. The minimal program is replayed once more to
record its steps for the report. Each property has a time budget, so a default run ends in
well under a minute per target; ``thorough`` raises the number of programs.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable

import attrs

from barrierspec import adapters as ad
from barrierspec.conformance import _properties as props
from barrierspec.conformance._arguments import check_arguments
from barrierspec.conformance._drivers import default_profile, opener, resolve
from barrierspec.conformance._generated import run_generated
from barrierspec.conformance._program import Instruction, Timing
from barrierspec.conformance._result import CheckResult, PropertyResult
from barrierspec.conformance._runner import Run, run_program
from barrierspec.conformance._search import search
from barrierspec.errors import UsageError
from barrierspec.spec import Membership, Profile, get_profile

__all__ = ["CheckSettings", "check"]


@attrs.frozen
class CheckSettings:
    """How hard to look.

    ``examples``: programs tried per property (before shrinking). ``budget``: seconds per
    property after which no new program is started unless a failure is being shrunk.
    ``seed``: makes the drawn programs reproducible. ``timeout``: the real-clock timeout of
    timed waits (threads, processes). ``generated``: also replay the model-generated tests.
    """

    examples: int = 1000
    budget: float = 3.0
    seed: int | None = None
    timeout: float = 0.05
    generated: bool = True
    settle: float = 3.0
    only: tuple[str, ...] = ()  # property names to run (empty: all)
    shrink_budget: float = 6.0  # seconds spent shrinking a failure to a minimal program
    generated_budget: float = 8.0  # seconds for the model-generated tests

    @classmethod
    def thorough(cls, seed: int | None = None) -> CheckSettings:
        """Settings for a long search: many more programs, a larger budget."""
        return cls(examples=400, budget=40.0, seed=seed)


def _kinds(prop: props.Property, caps: ad.Capabilities, profile: Profile, kind: str) -> list[str]:
    usable = []
    for op in prop.ops:
        if op == props.TIMED and not caps.has_timeout:
            continue
        if op == props.RAISE and not caps.has_action:
            continue
        if op == props.ABORT and not (caps.has_abort and profile.has_abort):
            continue
        if op == props.RESET and not (caps.has_reset and profile.has_reset):
            continue
        if op == props.CANCEL and not caps.has_cancel:
            continue
        if op == props.KILL and not caps.has_kill:
            continue
        if op == props.ADVANCE and (kind != "asyncio" or not caps.has_timeout):
            continue
        if op == props.JOIN and not caps.named:
            continue
        usable.append(op)
    return usable


def check(
    target: str | ad.Target | object,
    profile: str | Profile | None = None,
    *,
    settings_: CheckSettings | None = None,
    progress: Callable[[str], None] | None = None,
) -> CheckResult:
    """Check ``target`` against ``profile``; return every property's verdict.

    ``target``: "threading", "asyncio", "multiprocessing", "module:attr", an
    :class:`~barrierspec.adapters.Target`, or a barrier class / factory. ``profile``: a
    profile name or object (default: the one matching the target's kind).
    """
    cfg = settings_ or CheckSettings()
    tgt = resolve(target)
    wanted = profile or default_profile(tgt)
    prof = wanted if isinstance(wanted, Profile) else get_profile(wanted)
    caps = tgt.capabilities
    named_profile = prof.policies.membership is Membership.DYNAMIC
    if named_profile != caps.named:
        want = "a named-barrier registry" if named_profile else "a barrier with fixed parties"
        raise UsageError(
            f"profile {prof.name!r} describes {want}, but target {tgt.name!r} is a "
            f"{tgt.kind} target; choose the profile matching the target"
        )
    seed = cfg.seed if cfg.seed is not None else random.randrange(2**32)
    real_clock = tgt.kind != "asyncio"
    timing = Timing(cfg.timeout if real_clock else 1.0)
    started = time.monotonic()
    results: list[PropertyResult] = []
    names = {p.name for p in props.PROPERTIES} | {"argument validation", "model-generated tests"}
    unknown = sorted(set(cfg.only) - names)
    if unknown:
        raise UsageError(
            f"unknown property {unknown[0]!r}: choose among {', '.join(sorted(names))}"
        )

    def selected(name: str) -> bool:
        return not cfg.only or name in cfg.only

    for prop in props.PROPERTIES:
        if not selected(prop.name):
            continue
        why_not = props.applicable(prop, prof, caps)
        if why_not is not None:
            results.append(PropertyResult(prop.name, prop.rule, "n/a", why_not))
            continue
        if progress is not None:
            progress(prop.name)
        t0 = time.monotonic()

        def runner(parties: int, program: list[Instruction], prop: props.Property = prop) -> Run:
            return run_program(
                opener(tgt, action=caps.has_action, settle=cfg.settle),
                prof,
                parties,
                parties + prop.extra,
                program,
                timing=timing,
                real_clock=real_clock,
                observers=prop.observers,
            )

        count, run = search(
            prop,
            runner,
            _kinds(prop, caps, prof, tgt.kind),
            seed,
            examples=cfg.examples,
            budget=cfg.budget,
            shrink_budget=cfg.shrink_budget,
        )
        results.append(PropertyResult.from_run(prop, prof, run, count, time.monotonic() - t0))
    if not caps.named and selected("argument validation"):
        if progress is not None:
            progress("argument validation")
        results.append(check_arguments(tgt, prof))
    coverage = None
    if cfg.generated and selected("model-generated tests"):
        if progress is not None:
            progress("model-generated tests")
        generated, coverage = run_generated(
            tgt,
            prof,
            timing=timing,
            real_clock=real_clock,
            settle=cfg.settle,
            budget=cfg.generated_budget,
        )
        results.append(generated)
    return CheckResult(
        target=tgt.name,
        profile=prof.name,
        seed=seed,
        properties=tuple(results),
        seconds=time.monotonic() - started,
        coverage=coverage,
    )
