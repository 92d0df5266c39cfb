"""Child processes that never outlive the benchmark.

Every child gets its own session, so a Ctrl-C in the terminal reaches only the
orchestrator, which then stops the children in order (Home Assistant first, so that
it can still talk to the broker). `setpriv --pdeathsig` makes the kernel send SIGTERM
to a child if the orchestrator dies without cleaning up (e.g. SIGKILL).
"""

from __future__ import annotations

from collections.abc import Sequence
import contextlib
import os
from pathlib import Path
import shutil
import signal
import subprocess
from types import FrameType
from typing import IO

_STOP_TIMEOUT_S = 60.0
_SETPRIV = shutil.which("setpriv")


class Child:
    """One child process with its output in a log file."""

    def __init__(
        self,
        name: str,
        command: Sequence[str],
        *,
        log_path: Path,
        cwd: Path,
        env: dict[str, str] | None = None,
        stdin: int | None = subprocess.DEVNULL,
        stdout_pipe: bool = False,
    ) -> None:
        """Start `command`; stderr (and stdout unless piped) go to `log_path`."""
        self.name = name
        self.log_path = log_path
        self._log: IO[bytes] = log_path.open("ab")
        prefix = [_SETPRIV, "--pdeathsig", "TERM", "--"] if _SETPRIV else []
        self.process = subprocess.Popen(  # noqa: S603 - our own commands
            [*prefix, *command],
            cwd=cwd,
            env=env,
            stdin=stdin,
            stdout=subprocess.PIPE if stdout_pipe else self._log,
            stderr=self._log,
            start_new_session=True,
        )
        self._paused = False

    @property
    def pid(self) -> int:
        """The process id (setpriv execs the command, so it is the command's)."""
        return self.process.pid

    @property
    def running(self) -> bool:
        """Whether the process has not exited."""
        return self.process.poll() is None

    def pause(self) -> None:
        """Freeze the process (SIGSTOP)."""
        os.kill(self.pid, signal.SIGSTOP)
        self._paused = True

    def resume(self) -> None:
        """Let a frozen process run again (SIGCONT)."""
        os.kill(self.pid, signal.SIGCONT)
        self._paused = False

    def stop(self, timeout: float = _STOP_TIMEOUT_S) -> int | None:
        """Ask the process to stop (SIGTERM), kill it after `timeout`; return its code."""
        if self.running:
            if self._paused:
                self.resume()
            with contextlib.suppress(ProcessLookupError):
                self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()
        if self.process.stdin is not None:
            with contextlib.suppress(BrokenPipeError):
                self.process.stdin.close()
        self._log.close()
        return self.process.returncode

    def rss_bytes(self) -> int:
        """Return the resident memory of the process."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        return 0

    def cpu_seconds(self) -> float:
        """Return user + system CPU time so far (all threads)."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks = os.sysconf("SC_CLK_TCK")
        # Fields 14 and 15 of stat (utime, stime); fields[0] here is field 3.
        return (int(fields[11]) + int(fields[12])) / ticks


def raise_keyboard_interrupt_on_sigterm() -> None:
    """Treat SIGTERM and SIGHUP like Ctrl-C, so that the same cleanup runs."""

    def interrupt(_signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)
    signal.signal(signal.SIGHUP, interrupt)
