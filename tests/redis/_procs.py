"""Member processes for the fault tests: start, command, signal, and always clean up."""

from __future__ import annotations

import json
import os
import pathlib
import queue
import signal
import subprocess
import sys
import threading
from typing import Any

from _util import WAIT

SCRIPT = pathlib.Path(__file__).with_name("_member_proc.py")


class MemberProcess:
    """One member in a child process (one simulated host)."""

    def __init__(self, url: str, namespace: str, name: str, lease: float) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, str(SCRIPT), url, namespace, name, str(lease)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        ready = self.expect("ready")
        self.id = ready["id"]

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line)

    def expect(self, event: str, timeout: float = WAIT) -> dict[str, Any]:
        try:
            line = self.lines.get(timeout=timeout)
        except queue.Empty:
            err = ""
            if self.proc.poll() is not None and self.proc.stderr is not None:
                err = self.proc.stderr.read()
            raise AssertionError(f"no {event!r} from member process in {timeout} s {err}") from None
        message: dict[str, Any] = json.loads(line)
        assert message["event"] == event, message
        return message

    def send(self, command: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()

    def result(self, timeout: float = WAIT) -> Any:
        return self.expect("result", timeout)["value"]

    def signal(self, sig: signal.Signals) -> None:
        os.kill(self.proc.pid, sig)

    def kill(self) -> None:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGCONT)  # a stopped process must be able to die
            self.proc.kill()
        self.proc.wait(timeout=WAIT)
        for stream in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()
