"""The target options through each front: CLI usage errors (exit 2), ``check()``'s
``target_options``, the conformance classes' attributes, aiologic's ``with_(timeout)``."""

from __future__ import annotations

import asyncio

import aiologic
import pytest

from barrierspec import adapters as ad
from barrierspec._cli import main
from barrierspec.adapters._interface_map import parse_map, wrap
from barrierspec.conformance import BarrierConformanceTests, CheckSettings, check
from barrierspec.errors import UsageError


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["check", "threading:Barrier", "--kind", "asyncio"], "is not a coroutine function"),
        (["check", "aiologic:Barrier", "--kind", "asyncio"], "add --map wait=await"),
        (["check", "threading:Barrier", "--map", "count=x"], "unknown name 'count'"),
        (["check", "threading:Barrier", "--map", "wait=arrive"], "no attribute 'arrive'"),
        (["check", "threading:Barrier", "--context", "billiard"], "applies to process targets"),
        (["check", "multiprocessing", "--context", "nope_xyz"], "'nope_xyz' does not import"),
        (["check", "threading", "--kind", "process"], "its kind cannot be changed"),
    ],
)
def test_a_wrong_option_is_a_usage_error_exit_2(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_an_unknown_kind_is_refused_by_the_parser(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["check", "threading:Barrier", "--kind", "greenlet"])
    assert exit_.value.code == 2 and "invalid choice: 'greenlet'" in capsys.readouterr().err


def test_check_takes_the_target_options() -> None:
    cfg = CheckSettings(seed=3, seeded_examples=3, generated=False, only=("release count",))
    options = {"kind": "asyncio", "interface": ["wait=await", "n_waiting=waiting"]}
    result = check("aiologic:Barrier", settings_=cfg, target_options=options)
    assert result.profile == "asyncio"
    assert [(p.name, p.status) for p in result.properties] == [("release count", "pass")]
    with pytest.raises(UsageError, match="unknown target option 'ctx'"):
        check("aiologic:Barrier", settings_=cfg, target_options={"ctx": "billiard"})


class _AiologicAsync(BarrierConformanceTests):
    barriertype = "aiologic:Barrier"
    kind = "asyncio"
    interface = ("wait=await", "n_waiting=waiting")


class _BilliardSpawned(BarrierConformanceTests):
    barriertype = "billiard:Barrier"
    kind = "process"
    context = "billiard"


def test_the_conformance_classes_carry_the_options() -> None:
    target = _AiologicAsync.barrier_target()
    assert target.kind == "asyncio" and target.interface.spelled() == (
        "n_waiting=waiting",
        "wait=await",
    )
    instance = _BilliardSpawned()
    instance.barrierspec_start_method = "spawn"  # what --barrierspec-start-method sets
    driven = instance.driven_target()
    assert driven.context == "billiard" and driven.start_method == "spawn"
    assert "billiard" in type(driven.process_context()).__module__


def test_a_timeout_method_is_the_timed_wait() -> None:
    """``timeout=with_``: a timed wait is ``await barrier.with_(timeout)``; aiologic breaks
    the barrier when it times out (its documented contract)."""
    mapping = parse_map(["wait=await", "timeout=with_", "n_waiting=waiting"])

    async def timed() -> tuple[object, bool]:
        lone = wrap(aiologic.Barrier(2), mapping)
        assert isinstance(lone, ad._interface_map.AsyncMappedBarrier)
        try:
            await lone.wait(0.01)
        except Exception as exc:
            return type(exc).__name__, lone.broken
        return None, lone.broken

    assert asyncio.run(asyncio.wait_for(timed(), 10.0)) == ("BrokenBarrierError", True)

    async def untimed() -> object:
        single = wrap(aiologic.Barrier(1), mapping)
        return await single.wait()  # type: ignore[attr-defined]

    assert asyncio.run(asyncio.wait_for(untimed(), 10.0)) == 0
