"""A private Mosquitto broker for tests, `scripts/develop` and benchmarks.

    with Mosquitto() as broker:
        connect_somewhere(broker.host, broker.port)
        broker.restart()  # same port: clients see the broker die and come back

The broker listens on 127.0.0.1 only, allows anonymous clients, keeps nothing on disk
between runs (persistence off) and logs to `mosquitto.log` in its own temporary
directory (`log_path`), which is removed by `stop()` unless `keep_files` is set.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
import shutil
import socket
import subprocess
import tempfile
import time
from types import TracebackType
from typing import Final, Self

HOST: Final = "127.0.0.1"
_DEBIAN_PATH: Final = Path("/usr/sbin/mosquitto")
_POLL_INTERVAL_S: Final = 0.01
_STOP_TIMEOUT_S: Final = 5.0


class MosquittoNotInstalledError(RuntimeError):
    """No mosquitto executable was found."""

    def __init__(self) -> None:
        """Say how to get one."""
        super().__init__(
            "mosquitto is not installed: install it with `apt-get install -y mosquitto`"
            " (Debian/Ubuntu) or put a `mosquitto` executable on PATH"
        )


class MosquittoStartError(RuntimeError):
    """Mosquitto exited or did not accept connections in time."""


def find_mosquitto() -> Path:
    """Return the mosquitto executable: Debian's path first, then PATH."""
    if os.access(_DEBIAN_PATH, os.X_OK):
        return _DEBIAN_PATH
    if found := shutil.which("mosquitto"):
        return Path(found)
    raise MosquittoNotInstalledError


def free_port(host: str = HOST) -> int:
    """Return a TCP port on `host` that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def _accepts_connections(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.2):
            return True
    except OSError:
        return False


class Mosquitto:
    """One mosquitto process on a loopback port, restartable on the same port."""

    def __init__(
        self,
        *,
        port: int | None = None,
        extra_config: str = "",
        start_timeout: float = 10.0,
        keep_files: bool = False,
    ) -> None:
        """Prepare a broker; nothing runs before `start()`.

        `extra_config` is appended to the generated mosquitto.conf, e.g.
        "max_queued_messages 100000" for a benchmark subscriber that falls behind.
        """
        self._executable = find_mosquitto()
        self._port = port if port is not None else free_port()
        self._extra_config = extra_config
        self._start_timeout = start_timeout
        self._keep_files = keep_files
        self._dir: Path | None = None
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def host(self) -> str:
        """The address clients connect to."""
        return HOST

    @property
    def port(self) -> int:
        """The TCP port; it stays the same across `restart()`."""
        return self._port

    @property
    def log_path(self) -> Path | None:
        """Mosquitto's log file while the broker's directory exists."""
        return None if self._dir is None else self._dir / "mosquitto.log"

    @property
    def running(self) -> bool:
        """Whether the mosquitto process is alive."""
        return self._process is not None and self._process.poll() is None

    def _write_config(self, directory: Path) -> Path:
        lines = [
            f"listener {self._port} {HOST}",
            "allow_anonymous true",
            "persistence false",
            f"log_dest file {directory / 'mosquitto.log'}",
            "log_type error",
            "log_type warning",
            "log_type notice",
            "log_type information",
        ]
        # Started as root, mosquitto would switch to the `mosquitto` user, which cannot
        # write its log into our private temporary directory.
        if os.geteuid() == 0:
            lines.append("user root")
        config = directory / "mosquitto.conf"
        config.write_text("\n".join([*lines, self._extra_config, ""]), encoding="utf-8")
        return config

    def start(self) -> Self:
        """Start mosquitto and return once it accepts connections."""
        if self.running:
            return self
        if self._dir is None:
            self._dir = Path(tempfile.mkdtemp(prefix="future-fish-mosquitto-"))
        config = self._write_config(self._dir)
        # Errors before the log file is open (bad config, port taken) go to stderr; a
        # file rather than a pipe, so that nothing can block on a full pipe buffer.
        stderr_path = self._dir / "stderr.log"
        with stderr_path.open("ab") as stderr:
            self._process = subprocess.Popen(  # noqa: S603 - fixed executable, our config
                [str(self._executable), "-c", str(config)],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
            )
        deadline = time.monotonic() + self._start_timeout
        while not _accepts_connections(HOST, self._port):
            if (code := self._process.poll()) is not None:
                self._process = None
                errors = stderr_path.read_text(encoding="utf-8", errors="replace")
                raise MosquittoStartError(
                    f"mosquitto exited with code {code} before accepting connections "
                    f"on {HOST}:{self._port}: {errors.strip()} (log: {self.log_path})"
                )
            if time.monotonic() > deadline:
                self._terminate()
                raise MosquittoStartError(
                    f"mosquitto did not accept connections on {HOST}:{self._port} "
                    f"within {self._start_timeout} s (log: {self.log_path})"
                )
            time.sleep(_POLL_INTERVAL_S)
        return self

    def _terminate(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(_STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def restart(self) -> None:
        """Stop and start again on the same port, keeping the log file."""
        self._terminate()
        self.start()

    def stop(self) -> None:
        """Stop mosquitto and remove its files (unless `keep_files`)."""
        self._terminate()
        if self._dir is not None and not self._keep_files:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None

    def read_log(self) -> str:
        """Return what mosquitto logged so far ("" when there is no log)."""
        if self.log_path is None:
            return ""
        with contextlib.suppress(FileNotFoundError):
            return self.log_path.read_text(encoding="utf-8", errors="replace")
        return ""

    def __enter__(self) -> Self:
        """Start the broker."""
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Stop the broker."""
        self.stop()
