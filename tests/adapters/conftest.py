"""Import paths for the adapter tests: this folder (``adapter_helpers``) and the repository
root, so ``tests.broken`` resolves as a target module (``module:attr``) here and in spawned
participant processes alike."""

from __future__ import annotations

import pathlib
import sys

HERE = pathlib.Path(__file__).resolve().parent
for path in (str(HERE), str(HERE.parents[1])):
    if path not in sys.path:
        sys.path.insert(0, path)
