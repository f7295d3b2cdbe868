"""Fixtures for the reference-barrier tests: a thread runner, contexts, process cleanup."""

from __future__ import annotations

import multiprocessing
import pathlib
import sys
from collections.abc import Iterator

import pytest

sys.path.insert(0, str(pathlib.Path(__file__).parent))

from ref_helpers import Runner


@pytest.fixture
def runner() -> Iterator[Runner]:
    yield Runner()


@pytest.fixture
def fork() -> multiprocessing.context.BaseContext:
    return multiprocessing.get_context("fork")


@pytest.fixture
def reaper() -> Iterator[list[multiprocessing.process.BaseProcess]]:
    """Processes a test started; any left alive at teardown are killed."""
    procs: list[multiprocessing.process.BaseProcess] = []
    yield procs
    for proc in procs:
        if proc.is_alive():
            proc.kill()
        proc.join(5)
