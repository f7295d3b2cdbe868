"""Target options: --kind over the guess, the process context and start method, ctx passed
wherever a barrier is built, interface maps and exception classes recognised by name."""

from __future__ import annotations

import asyncio

import pytest
from tests.adapters import target_shapes as shapes

from barrierspec import adapters as ad
from barrierspec.adapters._interface_map import parse_map
from barrierspec.adapters._ops import outcome_of
from barrierspec.conformance._arguments import check_arguments
from barrierspec.errors import UsageError
from barrierspec.spec import get_profile

_SHAPES = "tests.adapters.target_shapes"


def test_the_guess_stays_the_default_and_kind_overrides_it() -> None:
    assert ad.resolve_target(f"{_SHAPES}:ctx_barrier").kind == "process"  # a ctx parameter
    assert ad.resolve_target("multiprocessing.synchronize:Barrier").kind == "process"
    guessed = ad.resolve_target("billiard:Barrier")  # no ctx parameter, not multiprocessing
    assert guessed.kind == "thread"
    forced = ad.resolve_target("billiard:Barrier", kind="process")
    assert forced.kind == "process" and forced.capabilities.has_kill


@pytest.mark.parametrize(
    ("spec", "kind", "message"),
    [
        ("threading", "process", "its kind cannot be changed"),
        ("asyncio:Barrier", "thread", "is a coroutine function; use --kind asyncio"),
        ("threading:Barrier", "asyncio", "is not a coroutine function"),
        (f"{_SHAPES}:AwaitableBarrier", "asyncio", "awaitable: add --map wait=await"),
        ("threading:Barrier", "named", "is not a named-barrier registry"),
        ("threading:Barrier", "bogus", "unknown target kind 'bogus'"),
    ],
)
def test_a_kind_that_cannot_drive_the_target_is_a_usage_error(
    spec: str, kind: str, message: str
) -> None:
    with pytest.raises(UsageError, match=message):
        ad.resolve_target(spec, kind=kind)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"start_method": "vfork"}, "--start-method must be one of fork, spawn, forkserver"),
        ({"context": "billiard"}, "--context billiard applies to process targets"),
        ({"start_method": "spawn"}, "applies to process and named-process targets"),
    ],
)
def test_process_options_on_a_thread_target_are_usage_errors(
    options: dict[str, str], message: str
) -> None:
    with pytest.raises(UsageError, match=message):
        ad.resolve_target("threading:Barrier", **options)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("context", "message"),
    [
        ("no_such_module_xyz", "module 'no_such_module_xyz' does not import"),
        ("billiard:nope", "'billiard' has no attribute 'nope'"),
        ("threading", "is not a multiprocessing context"),
    ],
)
def test_a_bad_context_is_a_usage_error_naming_it(context: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        target = ad.resolve_target("multiprocessing", context=context)
        target.process_context()


def test_the_process_context_is_the_target_package_own_or_the_given_one() -> None:
    import billiard
    import multiprocess

    assert type(ad.resolve_target("multiprocessing").process_context()).__module__ == (
        "multiprocessing.context"
    )
    assert (
        "billiard"
        in type(ad.resolve_target("billiard:Barrier", kind="process").process_context()).__module__
    )
    assert (
        "multiprocess."
        in type(
            ad.resolve_target("multiprocess:Barrier", kind="process").process_context()
        ).__module__
    )
    given = ad.resolve_target(f"{_SHAPES}:ctx_barrier", context="billiard", start_method="spawn")
    ctx = given.process_context()
    assert (
        isinstance(ctx, type(billiard.get_context("spawn"))) and ctx.get_start_method() == "spawn"
    )
    assert multiprocess  # imported: the package the default is read from


def test_argument_validation_builds_with_the_context() -> None:
    """ctx_barrier raises TypeError without a context: counted as a rejection of parties=0
    before; with the context passed, the barrier's own validation is what is checked."""
    target = ad.resolve_target(f"{_SHAPES}:ctx_barrier")
    result = check_arguments(target, get_profile("multiprocessing"))
    assert result.status == "pass", result.note
    billiard_t = ad.resolve_target("billiard.synchronize:Barrier")  # asserts its ctx
    note = check_arguments(billiard_t, get_profile("multiprocessing")).note
    assert "AssertionError" not in note and "accepts parties=0" in note


def test_participants_are_the_context_own_processes() -> None:
    target = ad.resolve_target(f"{_SHAPES}:WhoRuns", context="billiard")
    with ad.make_driver(target, 1, 1) as driver:
        step = driver.perform(ad.WaitOp(0))
    assert step.returned[0] == ad.OpReturned(("barrierspec-p0", "billiard.context"))
    stdlib = ad.resolve_target(f"{_SHAPES}:WhoRuns")
    with ad.make_driver(stdlib, 1, 1) as driver:
        step = driver.perform(ad.WaitOp(0))
    assert step.returned[0] == ad.OpReturned(("MainProcess", "billiard.process"))


def test_attributes_reached_through_getattr_are_found() -> None:
    target = ad.resolve_target(f"{_SHAPES}:GetattrBarrier")
    caps = target.capabilities
    assert target.kind == "thread" and caps.has_timeout and caps.has_abort and caps.has_n_waiting
    with ad.make_driver(target, 2, 2) as driver:
        driver.perform(ad.WaitOp(0))
        assert driver.perform(ad.WaitOp(1)).returned == {0: ad.OpReturned(0), 1: ad.OpReturned(1)}


def test_a_map_respells_the_interface_and_declares_the_exception() -> None:
    target = ad.resolve_target(f"{_SHAPES}:SpelledBarrier", interface=shapes.SPELLED_MAP)
    caps = target.capabilities
    assert caps.has_timeout and caps.has_abort and caps.has_n_waiting and not caps.has_reset
    with ad.make_driver(target, 2, 2) as driver:
        step = driver.perform(ad.WaitOp(0))
        assert step.snapshot is not None and step.snapshot.n_waiting == 1
        step = driver.perform(ad.AbortOp(1))
    outcome = step.returned[0]
    assert isinstance(outcome, ad.OpRaised) and outcome.kind == "broken"
    assert f"{_SHAPES}.Broken" in outcome.message


def test_the_awaitable_form_is_an_asyncio_wait() -> None:
    target = ad.resolve_target(f"{_SHAPES}:AwaitableBarrier", interface=["wait=await"])
    assert target.kind == "asyncio"
    with ad.make_driver(target, 2, 2) as driver:
        driver.perform(ad.WaitOp(0))
        assert driver.perform(ad.WaitOp(1)).returned == {0: ad.OpReturned(0), 1: ad.OpReturned(1)}


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("n_waiting", "--map expects NAME=VALUE, got 'n_waiting'"),
        ("count=waiting", "unknown name 'count'"),
        ("abort=await", "'await' is only for wait=await"),
        ("broken=not an attr", "'not an attr' is not an attribute name"),
        ("broken_error=Broken", "expected broken_error=module:Class"),
        ("broken_error=threading:Barrier", "is not an exception class"),
        ("cancelled_error=no_such_mod:X", "ModuleNotFoundError"),
    ],
)
def test_a_bad_map_entry_is_a_usage_error_naming_it(entry: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        parse_map([entry])


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("wait=arrive", "--map wait=arrive: target 'threading:Barrier' has no attribute 'arrive'"),
        ("wait=await", "--map wait=await: target 'threading:Barrier' is not awaitable"),
        ("n_waiting=waiting", "--map n_waiting=waiting: target .* no attribute 'waiting'"),
    ],
)
def test_a_map_naming_an_absent_attribute_is_a_usage_error(entry: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        ad.resolve_target("threading:Barrier", interface=[entry])


@pytest.mark.parametrize(
    ("exc", "kind"),
    [
        (shapes.CancelledBarrierException("gone"), "cancelled_barrier"),
        (type("CancelledBarrierError", (Exception,), {})("gone"), "cancelled_barrier"),
        (type("Sub", (type("BrokenBarrierError", (Exception,), {}),), {})("x"), "broken"),
        (asyncio.CancelledError(), "cancelled"),
    ],
)
def test_exception_classes_are_recognised_by_name(exc: BaseException, kind: str) -> None:
    assert outcome_of(exc).kind == kind
