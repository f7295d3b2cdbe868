"""A real redis-server on a free loopback port, for the tests and the benchmarks."""

from __future__ import annotations

import contextlib
import os
import pathlib
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import redis


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class RedisServer:
    """Start, kill -9 and restart one redis-server (no persistence) in a temporary directory."""

    def __init__(self, port: int | None = None, extra_args: tuple[str, ...] = ()) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not on PATH (CI installs it with apt-get)")
        self.binary = binary
        self.port = port or free_port()
        self.dir = pathlib.Path(tempfile.mkdtemp(prefix="barrierspec-redis-"))
        self.proc: subprocess.Popen[bytes] | None = None
        self.extra_args = extra_args
        self.password: str | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, deadline: float = 10.0) -> None:
        args = [
            self.binary,
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(self.dir),
            "--daemonize",
            "no",
            "--loglevel",
            "warning",
            *self.extra_args,
        ]
        log = open(self.dir / "server.log", "ab")  # noqa: SIM115 - lives as long as the server
        self.proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        self.wait_ready(deadline)

    def wait_ready(self, deadline: float) -> None:
        client = redis.Redis(
            host="127.0.0.1", port=self.port, socket_timeout=1, password=self.password
        )
        end = time.monotonic() + deadline
        try:
            while True:
                if self.proc is not None and self.proc.poll() is not None:
                    log = (self.dir / "server.log").read_text()
                    raise RuntimeError(f"redis-server exited: {log}")
                try:
                    if client.ping():
                        return
                except redis.exceptions.ConnectionError:
                    pass
                if time.monotonic() > end:
                    raise RuntimeError(f"redis-server :{self.port} not ready in {deadline} s")
                time.sleep(0.02)
        finally:
            client.close()

    def kill(self) -> None:
        """kill -9 the server (its state is lost: no persistence)."""
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()
        self.proc = None

    def close(self) -> None:
        self.stop()
        with contextlib.suppress(OSError):
            shutil.rmtree(self.dir)
