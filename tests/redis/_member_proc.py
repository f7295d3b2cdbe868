"""A member of a Redis named barrier in its own process, driven by lines on stdin.

    python _member_proc.py URL NAMESPACE NAME LEASE

Prints one JSON line per event: ``{"event": "ready", "id": ...}`` once the member exists, then
for each command (``wait SECONDS``, ``cancel``, ``exit``) ``{"event": "result", "value": ...,
"round": ...}`` where value is True/False or the name of the exception raised.
"""

from __future__ import annotations

import json
import sys

from barrierspec.reference import RedisNamedBarriers


def main() -> None:
    url, namespace, name, lease = sys.argv[1:5]
    registry = RedisNamedBarriers(url, lease=float(lease), namespace=namespace)
    member = registry.barrier(name)
    print(json.dumps({"event": "ready", "id": member.id}), flush=True)
    for line in sys.stdin:
        command, *args = line.split()
        value: object
        try:
            if command == "wait":
                value = member.wait(float(args[0]))
            elif command == "cancel":
                member.cancel()
                value = None
            else:
                break
        except Exception as exc:
            value = type(exc).__name__
        print(
            json.dumps({"event": "result", "value": value, "round": member.last_round}), flush=True
        )
    registry.close()


if __name__ == "__main__":
    main()
