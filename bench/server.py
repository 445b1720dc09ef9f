"""A `peie serve` process on a free port of 127.0.0.1, for the benchmark and the tests:
started, waited for until it answers, and stopped when the block ends."""

from __future__ import annotations

import os
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from .measure import BenchError, peie_command

READY_SECONDS = 60.0  # a loaded machine takes seconds to import the stack


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def running_service(*options: str, cwd: str | os.PathLike[str] | None = None,
                    env: Mapping[str, str] | None = None, port: int | None = None
                    ) -> Iterator[str]:
    """`peie serve OPTIONS` listening on 127.0.0.1 (a host or port in OPTIONS is overridden);
    yields its base URL. Its log goes to a temporary file (a pipe nobody reads would fill
    and stop it), shown if it fails to start."""
    port = port or free_port()
    with tempfile.TemporaryFile("w+") as log:
        process = subprocess.Popen(
            [*peie_command(), "serve", *options, "--host", "127.0.0.1", "--port", str(port)],
            cwd=cwd, env=None if env is None else dict(env), stdin=subprocess.DEVNULL,
            stdout=log, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        try:
            _wait_until_answering(url, process, log)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_until_answering(url: str, process: subprocess.Popen[bytes],
                          log: tempfile._TemporaryFileWrapper[str]) -> None:
    deadline = time.monotonic() + READY_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log.seek(0)
            raise BenchError(f"peie serve exited with {process.returncode}:\n{log.read()}")
        try:
            with urllib.request.urlopen(url + "/openapi.json", timeout=5):
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.1)
    raise BenchError(f"peie serve did not answer at {url} within {READY_SECONDS:g} s")
