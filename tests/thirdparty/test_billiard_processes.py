"""``--kind process`` on billiard's Barrier drives billiard's own processes."""

from __future__ import annotations

import billiard
import billiard.process

from barrierspec import adapters as ad


def test_billiard_barrier_participants_are_billiard_processes() -> None:
    target = ad.resolve_target("billiard:Barrier", kind="process")
    with ad.make_driver(target, 2, 2) as driver:
        assert isinstance(driver, ad.ProcessDriver)
        assert all(isinstance(p, billiard.process.BaseProcess) for p in driver._procs)
        assert isinstance(driver.ctx, type(billiard.get_context("fork")))
        assert type(driver.barrier).__module__ == "billiard.synchronize"
        assert driver.perform(ad.WaitOp(0)).blocked == {0}
        step = driver.perform(ad.WaitOp(1))
    assert sorted(o.value for o in step.returned.values()) == [0, 1]  # type: ignore[union-attr]


def test_inside_a_participant_billiard_is_the_running_process() -> None:
    """The participant itself reports billiard's current process: its own, not the parent's."""
    target = ad.resolve_target("tests.adapters.target_shapes:WhoRuns", context="billiard")
    with ad.make_driver(target, 1, 1) as driver:
        step = driver.perform(ad.WaitOp(0))
    assert step.returned[0] == ad.OpReturned(("barrierspec-p0", "billiard.context"))
