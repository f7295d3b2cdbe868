"""Load for the loaded-machine tests: busy processes that keep the cores occupied.

:func:`busy_processes` starts ``count`` real processes that spin on the CPU for as long as
the ``with`` block runs, and ends them (terminate, then kill) on the way out, each wait with
a timeout. It yields the processes; a test can check they were alive throughout.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

from barrierspec.conformance import CheckSettings, check

__all__ = ["busy_processes", "seeded_verdict"]

_SPIN = "while True:\n    pass\n"
_END_BOUND = 10.0  # seconds to wait for a terminated (then killed) process


@contextlib.contextmanager
def busy_processes(count: int = 2) -> Iterator[list[subprocess.Popen[bytes]]]:
    """Run ``count`` CPU-bound processes for the duration of the block."""
    procs = [
        subprocess.Popen([sys.executable, "-c", _SPIN], stdin=subprocess.DEVNULL)
        for _ in range(count)
    ]
    try:
        yield procs
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(_END_BOUND)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(_END_BOUND)


def seeded_verdict(
    target: object, settings: CheckSettings
) -> tuple[list[str], list[tuple[str, str, str]], str]:
    """Check ``target``: (the programs run, in order; each property's row; the driver line),
    what a loaded-machine test compares between an idle and a loaded run."""
    programs: list[str] = []

    def listen(event: dict[str, Any]) -> None:
        if event["event"] == "program":
            programs.append(f"{event['property']}: {event['program']}")

    result = check(target, settings_=settings, listener=listen)
    table = [(p.name, p.status, p.exercised or p.note) for p in result.properties]
    return programs, table, result.driver
