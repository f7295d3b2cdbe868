"""The supervised worker: ``python -m barrierspec.conformance._worker FD``.

Reads one request (JSON on stdin: target spelling, kind, capabilities, target options such
as the start method, context and interface map, profile name, settings), runs
:func:`~barrierspec.conformance.check` in this process, and writes its progress to file
descriptor ``FD`` as JSON lines: ``start`` (the seed), ``property``, ``program``,
``result``, ``findings``, and finally ``done`` with the whole result, or ``usage`` /
``error`` when the check could not run. The target's own output goes to stderr, so nothing
it prints can corrupt the events. Everything else -- the target exiting, crashing, hanging
or leaking -- is the supervisor's to notice (``_supervise``).
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from typing import Any

# imported before the request is read: a worker started ahead (``_prespawn``) does this
# while the command line is still starting
from barrierspec.adapters import resolve_target
from barrierspec.conformance._check import CheckSettings, check
from barrierspec.errors import BarrierSpecError, UsageError

__all__ = ["main"]


def _settings(data: dict[str, Any]) -> CheckSettings:
    data = dict(data)
    data["only"] = tuple(data.get("only", ()))
    return CheckSettings(**data)


def main(argv: list[str]) -> int:
    """Run the requested check, reporting on the descriptor named by ``argv[0]``."""
    out = os.fdopen(int(argv[0]), "w", buffering=1)

    def emit(event: dict[str, Any]) -> None:
        out.write(json.dumps(event) + "\n")
        out.flush()

    os.dup2(2, 1)  # the target's prints go to stderr, never into the report
    text = sys.stdin.read()
    if not text.strip():  # started ahead (``_prespawn``) and not needed
        return 0
    request = json.loads(text)
    sys.path[:0] = request.get("path", [])
    try:
        target = resolve_target(
            request["target"],
            kind=request.get("kind"),
            capabilities=request.get("capabilities"),
            **request.get("options", {}),
        )
        result = check(
            target,
            request.get("profile"),
            settings_=_settings(request["settings"]),
            listener=emit,
            command=request.get("command"),
        )
    except UsageError as exc:
        emit({"event": "usage", "message": str(exc)})
        return 2
    except BarrierSpecError as exc:
        emit({"event": "error", "message": str(exc)})
        return 2
    except Exception as exc:  # a crash of the suite itself: reported, not hidden
        emit({"event": "error", "message": f"{type(exc).__name__}: {exc}"})
        traceback.print_exc()
        return 2
    emit({"event": "done", "result": result.to_json()})
    out.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
