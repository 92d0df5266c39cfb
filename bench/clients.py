"""The orchestrator's side of the fleet and bridge processes."""

from __future__ import annotations

import json
from pathlib import Path
import subprocess
import sys
import threading
import time
from typing import Any

from .processes import Child

ROOT = Path(__file__).resolve().parent.parent


class ChildError(RuntimeError):
    """A child process died or did not answer."""


class FleetClient:
    """`bench.fleet` in its own process, steered one request at a time."""

    def __init__(
        self,
        *,
        port: int,
        count: int,
        prefixes: list[str],
        probes: list[str],
        workdir: Path,
    ) -> None:
        """Start the fleet process (no controller runs before `start`)."""
        self.probe_log = workdir / "probe-messages.tsv"
        self.child = Child(
            "fleet",
            [
                sys.executable,
                "-m",
                "bench.fleet",
                "--port",
                str(port),
                "--count",
                str(count),
                *(argument for prefix in prefixes for argument in ("--prefix", prefix)),
                "--probe-log",
                str(self.probe_log),
                *(argument for device in probes for argument in ("--probe", device)),
            ],
            log_path=workdir / "fleet.log",
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout_pipe=True,
        )

    def request(self, op: str, **arguments: Any) -> dict[str, Any]:
        """Send one request and wait for its answer."""
        process = self.child.process
        if process.stdin is None or process.stdout is None:
            raise ChildError("fleet has no pipes")
        try:
            process.stdin.write(json.dumps({"op": op, **arguments}).encode() + b"\n")
            process.stdin.flush()
        except BrokenPipeError as err:
            raise ChildError(f"fleet exited; see {self.child.log_path}") from err
        line = process.stdout.readline()
        if not line:
            raise ChildError(f"fleet exited; see {self.child.log_path}")
        answer: dict[str, Any] = json.loads(line)
        if "error" in answer:
            raise ChildError(f"fleet: {answer['error']}")
        return answer

    def close(self) -> None:
        """Stop the controllers cleanly, then the process."""
        if self.child.running:
            try:
                process = self.child.process
                if process.stdin is not None:
                    process.stdin.write(b'{"op": "quit"}\n')
                    process.stdin.flush()
                process.wait(30)
            except OSError, subprocess.TimeoutExpired:
                pass  # stop() below terminates it
        self.child.stop()


class BridgeClient:
    """The peer's bridge (`bench.translator`), with its latest status line."""

    def __init__(
        self, *, port: int, entities: Path, prefixes: list[str], workdir: Path
    ) -> None:
        """Start the bridge and follow its status lines in a thread."""
        self.child = Child(
            "bridge",
            [
                sys.executable,
                "-m",
                "bench.translator",
                "--port",
                str(port),
                "--entities",
                str(entities),
                *(argument for prefix in prefixes for argument in ("--prefix", prefix)),
            ],
            log_path=workdir / "bridge.log",
            cwd=ROOT,
            stdout_pipe=True,
        )
        self.latest: dict[str, Any] = {}
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._follow, daemon=True)
        self._thread.start()

    def _follow(self) -> None:
        stdout = self.child.process.stdout
        if stdout is None:
            return
        for line in stdout:
            with self._changed:
                self.latest = json.loads(line)
                self._changed.notify_all()

    def wait_for(self, condition: Any, timeout: float, what: str) -> dict[str, Any]:
        """Wait until `condition(status)` holds for a status line; return it."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not (self.latest and condition(self.latest)):
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not self.child.running:
                    raise ChildError(f"bridge: {what} not reached: {self.latest}")
                self._changed.wait(remaining)
            return dict(self.latest)

    def status(self) -> dict[str, Any]:
        """Return a fresh status line (at most 0.5 s old when returned)."""
        seen = self.latest.get("time", 0.0)
        return self.wait_for(lambda s: s["time"] > seen, 10, "a status line")

    def close(self) -> None:
        """Stop the bridge."""
        self.child.stop()
        self._thread.join(5)
