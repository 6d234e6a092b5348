"""Running commands as process trees: fresh process, full log, whole-tree kill on timeout.

Every command tribench runs (setup, trial, server, client) starts in a new session, so that a
timeout or a stop kills the command *and everything it spawned* (DESIGN.md, protocol 4).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

_KILL_GRACE_S = 3.0


@dataclass
class CommandResult:
    command: str
    exit_code: int | None
    duration_s: float
    timed_out: bool
    output: str
    log: Path | None

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 and not self.timed_out


def kill_tree(process: subprocess.Popen, grace_s: float = _KILL_GRACE_S) -> None:
    """SIGTERM the process group, then SIGKILL what is left after `grace_s`."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(process.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            process.wait(timeout=grace_s)
            # The leader is gone; stragglers in the group still get the SIGKILL below.
        except subprocess.TimeoutExpired:
            continue
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _env(extra: dict[str, str] | None) -> dict[str, str]:
    env = dict(os.environ)
    env.update(extra or {})
    return env


def start(command: str, *, cwd: Path, env: dict[str, str] | None, log: Path) -> subprocess.Popen:
    """Start `sh -c command` in its own session, stdout and stderr into `log`."""
    log.parent.mkdir(parents=True, exist_ok=True)
    handle = open(log, "wb")  # noqa: SIM115 - owned by the child; closed below
    try:
        return subprocess.Popen(
            ["sh", "-c", command], cwd=cwd, env=_env(env), stdout=handle, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True,
        )
    finally:
        handle.close()


def run(command: str, *, cwd: Path, env: dict[str, str] | None = None, timeout_s: float, log: Path) -> CommandResult:
    """Run a command to completion or timeout; its whole tree is killed on timeout."""
    began = time.perf_counter()
    process = start(command, cwd=cwd, env=env, log=log)
    timed_out = False
    try:
        process.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        timed_out = True
    except BaseException:
        kill_tree(process)
        raise
    finally:
        # Also reaps children that outlived a leader which exited on its own.
        if timed_out:
            kill_tree(process)
    duration = time.perf_counter() - began
    output = log.read_text(encoding="utf-8", errors="replace")
    exit_code = None if timed_out else process.returncode
    return CommandResult(command, exit_code, duration, timed_out, output, log)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True
