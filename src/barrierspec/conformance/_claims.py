"""Properties shared among a supervised check's workers as they finish, by claim files.

Each worker, before it checks a property, claims it: it creates the property's file in the
check's claims directory, which succeeds for exactly one worker (``O_CREAT | O_EXCL``). So
the workers take the properties in the suite's order, each the next unclaimed one as soon as
it is free, whatever each one costs; a worker that dies leaves its claims, so nobody checks
a property twice (the supervisor reports the one it died in).
"""

from __future__ import annotations

import functools
import os
import urllib.parse
from collections.abc import Callable

__all__ = ["claimed", "claimer"]


def _path(directory: str, name: str) -> str:
    return os.path.join(directory, urllib.parse.quote(name, safe=""))


@functools.cache
def claimer(directory: str) -> Callable[[str], bool]:
    """This process's claim on a property: True if nobody had claimed it (it is now this
    process's) or this process had; False if another one has it. One per directory and
    process, so a check run again (its fallback to an observing driver) keeps its claims."""
    mine: set[str] = set()

    def claim(name: str) -> bool:
        if name in mine:
            return True
        try:
            os.close(os.open(_path(directory, name), os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        except FileExistsError:
            return False
        mine.add(name)
        return True

    return claim


def claimed(directory: str, name: str) -> bool:
    """Whether some worker claimed the property ``name``."""
    return os.path.exists(_path(directory, name))
