"""The barrierspec pytest plugin (registered through the ``pytest11`` entry point).

Thin by design: it imports nothing heavy at load time (no z3, no threads started). Options
are namespaced ``--barrierspec-...``.
"""

from __future__ import annotations

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    """Register the ``--barrierspec-...`` options."""
    group = parser.getgroup("barrierspec", "barrier conformance (barrierspec)")
    group.addoption(
        "--barrierspec-seed",
        action="store",
        type=int,
        default=None,
        help="seed for the barrierspec conformance programs (default: random)",
    )
