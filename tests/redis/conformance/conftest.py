"""Fixtures for conformance runs against Redis through participant processes.

``check()`` picks a driver by target kind (``conformance._drivers``); until the lead maps a
kind to :class:`NamedProcessDriver`, :func:`in_processes` routes named targets to it for the
duration of one test.
"""

from __future__ import annotations

import functools
import pathlib
import sys
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from _server import RedisServer  # on sys.path through tests/redis/conftest.py

from barrierspec import adapters
from barrierspec.adapters import NamedProcessDriver, Target, target_from
from barrierspec.conformance import _drivers
from barrierspec.reference import RedisNamedBarriers

HERE = pathlib.Path(__file__).resolve().parent
if str(HERE) not in sys.path:  # _broken_redis, importable by spawned participants too
    sys.path.insert(0, str(HERE))

LEASE = 1.0  # long enough for a loaded 2-core CI machine; a kill costs about one lease


@pytest.fixture
def in_processes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make check() drive named targets with NamedProcessDriver (one process each)."""
    monkeypatch.setattr(adapters, "NamedProcessDriver", NamedProcessDriver, raising=False)
    monkeypatch.setitem(_drivers._DRIVER_CLASS, "named", "NamedProcessDriver")


@pytest.fixture
def redis_target(redis_server: RedisServer, namespace: str) -> Iterator[Callable[..., Target]]:
    """Build a named Target for a registry class on the session's server (own namespace)."""

    def make(cls: type[Any] = RedisNamedBarriers, lease: float = LEASE) -> Target:
        factory = functools.partial(cls, redis_server.url, lease=lease, namespace=namespace)
        return target_from(
            factory,
            kind="named",
            name=cls.__name__,
            capabilities={"has_kill": True, "has_n_waiting": True},
        )

    yield make
