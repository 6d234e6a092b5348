"""Running one agent process under a wall-clock budget, in its own environment.

The agent starts in a new session (its own process group). tribench waits on it in slices:
each slice is a `wait(timeout=...)` on the process, so an exit is seen at once; between slices
the workspace is scanned for the first edit until one is seen. At the deadline the whole
process tree is killed (`tribench.process.kill_tree`: SIGTERM to the group, SIGKILL after a
grace period), and the group is killed again after a normal exit, so a server or watcher the
agent left behind dies with it.

Time to first edit (meta.json `time_to_first_edit_s`): measured by that polling (method
`poll`, resolution one slice: 0.5 s, longer when a scan is slow, at most 5 s); an agent that
finishes between two scans gets the earliest mtime of its changed files instead (method `mtime`).

The environment: the user's, minus GIT_* variables that would point the agent's git elsewhere,
with HOME, XDG_* and TMPDIR set to per-task scratch folders (so no saved login, config or cache
of the user's is used or changed) and PYTHONUSERBASE kept at the real one (so agents installed
with `pip install --user` still import).
"""

from __future__ import annotations

import os
import re
import site
import subprocess
import threading
import time
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from tribench.agent.adapters.base import Invocation
from tribench.agent.constants import FirstEditMethod
from tribench.agent.guard import WorkspaceWatch
from tribench.errors import UserError
from tribench.process import kill_tree

_POLL_MIN_S = 0.5
_POLL_MAX_S = 5.0
_SCAN_SHARE = 10  # a slice lasts at least 10x the last scan: scanning stays under ~10% of a core
_KEPT_GIT = ("GIT_SSH", "GIT_SSL_", "GIT_PROXY_", "GIT_HTTP_", "GIT_ASKPASS")
_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*(h|m|s)")


class Cancelled(Exception):
    """The run was interrupted (Ctrl-C): the agent was killed and its task is left for a rerun."""


@dataclass
class ProcessOutcome:
    exit_code: int | None  # None when killed at the deadline
    timed_out: bool
    duration_s: float
    first_edit_s: float | None
    first_edit_method: FirstEditMethod | None


def parse_duration(text: str) -> float:
    """`120m`, `2h`, `1h30m`, `90s`, `1.5m` or a plain number of seconds -> seconds (> 0)."""
    cleaned = text.strip().lower()
    try:
        seconds = float(cleaned)
    except ValueError:
        parts = _DURATION.findall(cleaned)
        if not parts or _DURATION.sub("", cleaned).strip():
            raise UserError(f"{text!r} is not a duration; write e.g. 120m, 2h, 1h30m or 90s",
                            field="--time-budget") from None
        seconds = sum(float(n) * {"h": 3600, "m": 60, "s": 1}[unit] for n, unit in parts)
    if seconds <= 0:
        raise UserError(f"{text!r}: the time budget must be positive", field="--time-budget")
    return seconds


def describe_duration(seconds: float) -> str:
    """`7200` -> `2 hours`, `5400` -> `90 minutes`, `45` -> `45 seconds` (for the prompt)."""
    for unit, size in (("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            n = int(seconds // size)
            return f"{n} {unit}{'s' if n != 1 else ''}"
    return f"{seconds:g} seconds"


def agent_env(home: Path, tmp: Path, extra: dict[str, str]) -> dict[str, str]:
    """The agent's environment: the user's credentials and PATH, a scratch HOME and TMPDIR."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_") or k.startswith(_KEPT_GIT)}
    env.setdefault("PYTHONUSERBASE", site.getuserbase())
    env.update({
        "HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config"), "XDG_CACHE_HOME": str(home / ".cache"),
        "XDG_DATA_HOME": str(home / ".local" / "share"), "XDG_STATE_HOME": str(home / ".local" / "state"),
        "TMPDIR": str(tmp), "TMP": str(tmp), "TEMP": str(tmp),
        "GIT_TERMINAL_PROMPT": "0",
    })
    env.update(extra)
    return env


def supervise(invocation: Invocation, *, cwd: Path, env: dict[str, str], budget_s: float,
              watch: WorkspaceWatch, stop: threading.Event | None = None) -> ProcessOutcome:
    """Run the agent to its exit or its deadline; its whole process tree is gone on return.

    `stop` (set on Ctrl-C) kills the agent within one slice and raises Cancelled.
    """
    with ExitStack() as files:
        stdin = files.enter_context(open(invocation.stdin, "rb")) if invocation.stdin else subprocess.DEVNULL
        stdout = files.enter_context(open(invocation.stdout, "wb"))
        same = invocation.stderr == invocation.stdout
        stderr = stdout if same else files.enter_context(open(invocation.stderr, "wb"))
        began, began_wall_ns = time.monotonic(), time.time_ns()
        process = subprocess.Popen(invocation.argv, cwd=cwd, env=env, stdin=stdin, stdout=stdout, stderr=stderr,
                                   start_new_session=True)
    timed_out, first_edit = False, None
    try:
        timed_out, first_edit = _wait(process, began + budget_s, began, watch, stop or threading.Event())
    finally:
        kill_tree(process)  # on the deadline, on an exception, and stragglers after a normal exit
    duration = time.monotonic() - began
    method = FirstEditMethod.POLL if first_edit is not None else None
    if first_edit is None and (earliest := watch.earliest_change_ns()) is not None:
        first_edit, method = max(0.0, (earliest - began_wall_ns) / 1e9), FirstEditMethod.MTIME
    return ProcessOutcome(None if timed_out else process.returncode, timed_out, duration, first_edit, method)


def _wait(process: subprocess.Popen, deadline: float, began: float, watch: WorkspaceWatch,
          stop: threading.Event) -> tuple[bool, float | None]:
    """(timed out, seconds to the first edit seen by polling) once the process exits or the deadline passes."""
    first_edit, interval = None, _POLL_MIN_S
    while True:
        if stop.is_set():
            raise Cancelled("interrupted")
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return True, first_edit
        try:
            process.wait(timeout=min(interval, remaining))
            return False, first_edit
        except subprocess.TimeoutExpired:
            pass
        if first_edit is None:
            scan_began = time.monotonic()
            if watch.changed():
                first_edit = scan_began - began
            interval = min(_POLL_MAX_S, max(_POLL_MIN_S, _SCAN_SHARE * (time.monotonic() - scan_began)))
