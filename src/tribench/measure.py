"""The measure stage: one arm, one block — fresh processes, parsed metrics, a status.

Standalone and command modes run the performance command once per trial. Serving mode starts
the arm's server on a free port for the block, waits for health, runs the client for each trial
of the block, then kills the server's whole process group and checks that the port is free
(DESIGN.md, protocol 4). A non-zero exit is a failed measurement, never a time (STYLE.md, 17).
"""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from tribench import process
from tribench.constants import Mode, Status
from tribench.errors import UserError
from tribench.model import Trial
from tribench.taskspec import TaskSpec

_HEALTH_POLL_S = 0.05
_PORT_RELEASE_S = 5.0
_TAIL_CHARS = 2000


@dataclass
class BlockOutcome:
    """What one block of one arm produced: warm-ups, measured trials, or the failure."""

    warmups: list[Trial] = field(default_factory=list)
    trials: list[Trial] = field(default_factory=list)
    status: Status = Status.OK
    error: str | None = None
    log: Path | None = None


def fill_port(command: str, port: int) -> str:
    # str.replace, not str.format: commands may carry JSON braces of their own.
    return command.replace("{port}", str(port))


def default_metric_source(task: TaskSpec) -> str:
    if task.metric_source:
        return task.metric_source
    return "vllm-serve" if task.mode == Mode.SERVING else "auto"


def parse_metrics(task: TaskSpec, output: str, *, name: str) -> dict[str, float]:
    """Canonical metrics of one command's output; UserError when none can be attributed."""
    from tribench.parsers import parse_output  # parsers load lazily: most runs need one

    parsed = parse_output(output, default_metric_source(task), custom_metrics=set(task.metrics), name=name)
    return dict(parsed.metrics)


def _tail(text: str) -> str:
    return text[-_TAIL_CHARS:].strip()


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


def _trial(task: TaskSpec, command: str, *, cwd: Path, env: dict[str, str], log: Path,
           index: int, block: int) -> tuple[Trial | None, Status, str | None]:
    started = _now()
    result = process.run(command, cwd=cwd, env=env, timeout_s=task.timeouts.trial, log=log)
    trial = Trial(index=index, block=block, exit_code=result.exit_code, duration_s=round(result.duration_s, 6),
                  log=str(log), started_at=started)
    if result.timed_out:
        return None, Status.TIMEOUT, f"killed after {task.timeouts.trial:g}s trial timeout (log: {log})"
    if result.exit_code != 0:
        return None, Status.CRASH, f"exit code {result.exit_code}: {_tail(result.output)}"
    try:
        metrics = {} if task.mode == Mode.COMMAND and not task.metric_source else parse_metrics(task, result.output, name=str(log))
    except UserError as exc:
        return None, Status.NO_METRICS, f"{exc} (log: {log})"
    if task.mode == Mode.COMMAND:
        metrics.setdefault("wall_time", result.duration_s)
    trial.metrics = metrics
    return trial, Status.OK, None


def _run_trials(task: TaskSpec, command: str, *, cwd: Path, env: dict[str, str], logs: LogNamer,
                block: int, first_index: int, warmups: int, trials: int) -> BlockOutcome:
    outcome = BlockOutcome()
    for n in range(warmups + trials):
        warm = n < warmups
        index = n if warm else first_index + n - warmups
        log = logs.trial(f"warmup-{n}" if warm else index)
        trial, status, error = _trial(task, command, cwd=cwd, env=env, log=log, index=index, block=block)
        if trial is None:
            outcome.status, outcome.error, outcome.log = status, error, log
            return outcome
        (outcome.warmups if warm else outcome.trials).append(trial)
    return outcome


@dataclass
class LogNamer:
    """Builds `logs/<run>/<task>/<arm>/<trial>.log` through paths.trial_log_path."""

    logs_dir: Path
    run: str
    task: str
    arm: str

    def trial(self, name: str | int) -> Path:
        from tribench.paths import trial_log_path

        return trial_log_path(self.logs_dir, self.run, self.task, self.arm, name)


def measure_block(task: TaskSpec, *, cwd: Path, env: dict[str, str], logs: LogNamer, block: int,
                  first_index: int, warmups: int, trials: int) -> BlockOutcome:
    """Warm-ups (discarded) then `trials` measured trials of one arm, in fresh processes."""
    if task.mode != Mode.SERVING:
        return _run_trials(task, task.perf_command or "", cwd=cwd, env=env, logs=logs, block=block,
                           first_index=first_index, warmups=warmups, trials=trials)
    port = process.free_port()
    server_log = logs.trial(f"block-{block}-server")
    server = process.start(fill_port(task.server_command or "", port), cwd=cwd, env=env, log=server_log)
    try:
        error = wait_healthy(server, port, task.health_path, task.timeouts.server_start)
        if error:
            outcome = BlockOutcome(status=Status.SERVER_FAILED, error=f"{error} (server log: {server_log})",
                                   log=server_log)
        else:
            outcome = _run_trials(task, fill_port(task.client_command or "", port), cwd=cwd, env=env, logs=logs,
                                  block=block, first_index=first_index, warmups=warmups, trials=trials)
    finally:
        process.kill_tree(server)
    if not wait_port_free(port) and outcome.status == Status.OK:
        # Something outlived the server's process group and still holds the port: it would
        # load the machine during the next arm's block. The block is not trusted.
        return BlockOutcome(status=Status.SERVER_FAILED, log=server_log,
                            error=f"port {port} still in use after the server's process group was killed")
    return outcome


def wait_healthy(server, port: int, path: str, timeout_s: float) -> str | None:
    """None once GET path answers 200; else why not (server exited, or deadline passed)."""
    deadline = time.monotonic() + timeout_s
    url = f"http://127.0.0.1:{port}{path}"
    while time.monotonic() < deadline:
        if server.poll() is not None:
            return f"server exited with code {server.returncode} before becoming healthy"
        try:
            with urllib.request.urlopen(url, timeout=1.0) as response:
                if response.status == 200:
                    return None
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            pass
        time.sleep(_HEALTH_POLL_S)  # polling an external server, not synchronising our own code
    return f"server not healthy at {path} within {timeout_s:g}s"


def wait_port_free(port: int) -> bool:
    deadline = time.monotonic() + _PORT_RELEASE_S
    while time.monotonic() < deadline:
        if process.port_is_free(port):
            return True
        time.sleep(_HEALTH_POLL_S)
    return False


def run_correctness(task: TaskSpec, *, cwd: Path, env: dict[str, str], log: Path) -> tuple[Status, str | None, str]:
    """(status, error, stdout) of the task's correctness command; OK with its output on success."""
    result = process.run(task.correctness_command or "", cwd=cwd, env=env, timeout_s=task.timeouts.trial, log=log)
    if result.timed_out:
        return Status.TIMEOUT, f"correctness check killed after {task.timeouts.trial:g}s (log: {log})", ""
    if result.exit_code != 0:
        return Status.CRASH, f"correctness check exit code {result.exit_code}: {_tail(result.output)}", ""
    return Status.OK, None, result.output
