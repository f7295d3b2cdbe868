"""Soak (CI size): 16 workers with random timeouts and cancels, recorded by the Recorder around
the Redis registry; the history checker (library and command) finds no violation and nothing
hangs. The full 10,000-round soak is benchmarks/redis_soak.py."""

from __future__ import annotations

import concurrent.futures

from _server import RedisServer
from _soak import coordinate, soak_worker

from barrierspec._cli import main
from barrierspec.conformance import Recorder, check_history, dump_history, write_report

WORKERS, ROUNDS = 16, 300


def test_soak_16_workers_history_is_consistent(redis_server: RedisServer, tmp_path) -> None:
    namespace = "soak"
    recorder = Recorder()
    pool = concurrent.futures.ThreadPoolExecutor(WORKERS)
    try:
        futures = [
            pool.submit(soak_worker, redis_server.url, namespace, i, 7, recorder)
            for i in range(WORKERS)
        ]
        released = coordinate(redis_server.url, namespace, ROUNDS, deadline=60.0)
        _, hung = concurrent.futures.wait(futures, timeout=30.0)
        assert not hung, f"{len(hung)} workers did not stop"
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    for future in futures:
        future.result()  # a worker's exception fails the test here
    history = recorder.history()
    assert released >= ROUNDS
    verdict = check_history(history)
    if not verdict.valid:
        write_report(history, verdict, tmp_path / "soak.html", tmp_path / "soak.json")
    assert verdict.valid is True, (verdict.violations[:3], tmp_path)
    outcomes = {op.outcome.value for op in history}
    assert {"ok", "timeout"} <= outcomes  # the run exercised releases and timeouts
    assert sum(op.kind.value == "cancel" for op in history) > WORKERS  # and cancels
    assert verdict.methods and set(verdict.methods.values()) == {"rounds"}
    dump_history(history, tmp_path / "soak.jsonl")  # and the command agrees
    assert main(["history", "check", "--quiet", str(tmp_path / "soak.jsonl")]) == 0
