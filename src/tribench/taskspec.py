"""Task and prediction files: what `tribench run` measures, validated before any measurement.

A task file is JSONL (one task per line) or TOML (`[[task]]` tables). Two row shapes are read:
- tribench's own (`id`, `repo`, `human_commit`, `mode`, ...; see `TaskSpec`), and
- the seed's task shape (`commit_hash`, `parent_commit`, `perf_command`, `models`,
  `files_changed`, as in the seed's CSV export), whose mode is derived from the command.
Predictions use the field's common format `{instance_id, model_name_or_path, model_patch}`.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from tribench.constants import Direction, Mode
from tribench.errors import UserError


class Timeouts(BaseModel):
    model_config = ConfigDict(extra="forbid")
    setup: float = Field(600.0, gt=0, description="Seconds for the setup/build command.")
    server_start: float = Field(120.0, gt=0, description="Seconds for the server to become healthy.")
    trial: float = Field(600.0, gt=0, description="Seconds for one trial's command.")


class CustomMetric(BaseModel):
    """A metric the registry does not know, declared by the task so it can be compared."""

    model_config = ConfigDict(extra="forbid")
    direction: Direction
    unit: str = ""


class Resources(BaseModel):
    """What one task's unit needs on a remote executor (Ray, Modal); the local executor ignores it."""

    model_config = ConfigDict(extra="forbid")
    cpus: float = Field(1.0, gt=0, description="CPU cores reserved for the task (Ray `num_cpus`).")
    gpus: int = Field(0, ge=0, description="GPUs reserved for the task (Ray `num_gpus`; Modal: the count of `--gpu`).")
    gpu_type: str | None = Field(
        None, description="GPU model the task must run on, e.g. `H100`; `--gpu` overrides it. Modal pins it exactly.")
    memory_mb: int | None = Field(None, gt=0, description="Memory reserved for the task, MiB.")
    timeout_s: float | None = Field(
        None, gt=0, description="Limit for the whole task on Modal; default: derived from `timeouts` and the trial count.")

    @property
    def gpu_config(self) -> str | None:
        """`H100:1`, as in the record's `instance.gpu_config`; None when no GPU is asked for."""
        if not self.gpus and not self.gpu_type:
            return None
        return f"{self.gpu_type or 'GPU'}:{self.gpus or 1}"


class EnvironmentSpec(BaseModel):
    """The software a remote container needs to run the task (Modal builds its image from this)."""

    model_config = ConfigDict(extra="forbid")
    base_image: str | None = Field(
        None, description="Registry image to start from, e.g. `nvidia/cuda:12.4.1-devel-ubuntu22.04`; default: Debian slim.")
    python: str | None = Field(None, description="Python version in the image, e.g. `3.11`; default: the client's.")
    apt: list[str] = Field(default_factory=list, description="Debian packages (git is always added).")
    pip: list[str] = Field(default_factory=list, description="pip requirements, e.g. `vllm==0.6.3`.")
    commands: list[str] = Field(default_factory=list, description="Shell commands run last while building the image.")
    env: dict[str, str] = Field(default_factory=dict, description="Environment variables baked into the image.")


class TaskSpec(BaseModel):
    """One task. Commands run in the arm's worktree with `sh -c`; `{port}` is replaced by a free port."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1)
    repo: str = Field(min_length=1, description="Local path or git URL of the repository.")
    human_commit: str = Field(min_length=1)
    parent: str | None = Field(None, description="Baseline commit; default: the human commit's first parent.")
    mode: Mode
    perf_command: str | None = Field(None, description="standalone/command modes: the measured command.")
    server_command: str | None = Field(None, description="serving mode: starts the server on {port}.")
    client_command: str | None = Field(None, description="serving mode: the load client against {port}.")
    health_path: str = Field("/health", description="serving mode: GET path that answers 200 when ready.")
    setup_command: str | None = Field(None, description="Run once per arm before measuring.")
    correctness_command: str | None = Field(
        None, description="Its stdout must equal the baseline's, or the arm is `incorrect`."
    )
    primary_metric: str | None = None
    metric_source: str | None = Field(
        None,
        description="A parser name, `json:<dotted.path>=<metric>[,...]` or `regex:<metric>=<pattern>`; "
        "default: the mode's parser (vllm-serve for serving, auto for the others); "
        "`command` mode always records wall_time.",
    )
    metrics: dict[str, CustomMetric] = Field(default_factory=dict, description="Metrics not in the registry.")
    env: dict[str, str] = Field(default_factory=dict)
    timeouts: Timeouts = Field(default_factory=Timeouts)
    warmups: int = Field(1, ge=0)
    trials: int = Field(5, ge=1)
    # Metadata carried into the record.
    subject: str | None = None
    models: list[str] = Field(default_factory=list)
    files_changed: list[str] = Field(default_factory=list)
    pr_url: str | None = None
    # What a coding agent is told (`tribench agent run`). Never derived from `subject` or the
    # human commit's message: that would hand the agent the answer.
    description: str | None = Field(None, description="The bottleneck, in words, as given to an agent.")
    target_files: list[str] = Field(
        default_factory=list, description="Files the agent is pointed at (opt-in; never files_changed)."
    )
    # Engine suites (issue "Real vLLM on CPU"): arms are source overlays of an installed engine.
    engine: str | None = Field(None, description="Installed engine the task runs (`tribench engines`); "
                               "its versions and model hash join every arm's environment.")
    compiled_paths: list[str] = Field(
        default_factory=list, description="Globs of compiled sources: an agent patch touching one is "
        "`needs_build` (the overlay shares the installed kernels and cannot rebuild them).")
    # Where the task can run (remote executors only; `tribench run --executor ray|modal`).
    resources: Resources | None = Field(None, description="CPUs, GPUs and limits the task needs on a remote executor.")
    environment: EnvironmentSpec | None = Field(None, description="Software of the remote container (Modal image).")

    @model_validator(mode="after")
    def _commands_for_mode(self) -> TaskSpec:
        if self.mode == Mode.SERVING:
            missing = [n for n in ("server_command", "client_command") if not getattr(self, n)]
            if missing:
                raise ValueError(f"serving mode needs {' and '.join(missing)}")
        elif not self.perf_command:
            raise ValueError(f"{self.mode.value} mode needs perf_command")
        return self


class Prediction(BaseModel):
    model_config = ConfigDict(extra="ignore")
    instance_id: str = Field(min_length=1)
    model_name_or_path: str = Field(min_length=1)
    model_patch: str | None = None


_SERVING_HINTS = ("benchmark_serving", "bench serve", "bench_serving", "serving")
_STANDALONE_HINTS = ("benchmark_latency", "benchmark_throughput", "bench latency", "bench throughput",
                     "bench_one_batch", "benchmark_prefix_caching")


def derive_mode(command: str) -> Mode:
    """The mode a seed-shaped task's command implies (shown to the user by `tribench run`)."""
    lowered = command.lower()
    if any(h in lowered for h in _SERVING_HINTS):
        return Mode.SERVING
    if any(h in lowered for h in _STANDALONE_HINTS):
        return Mode.STANDALONE
    return Mode.COMMAND


def _parse_listish(value: Any) -> list[str]:
    """A list field in any of the seed's spellings (JSON list, Python or numpy repr, comma text)."""
    if isinstance(value, list):
        return [str(v) for v in value]
    from tribench.ingest.csv_export import parse_list  # the one parser of the seed's list cells

    return parse_list(str(value or ""))


def from_seed_row(row: dict[str, Any]) -> dict[str, Any]:
    """A seed-shaped task row (`commit_hash`, `perf_command`, ...) in tribench's task shape."""
    command = row.get("perf_command") or ""
    mode = row.get("mode") or derive_mode(command)
    task: dict[str, Any] = {
        "id": row.get("id") or row.get("task_id") or str(row.get("commit_hash", ""))[:8],
        "repo": row.get("repo") or "",
        "human_commit": row.get("commit_hash") or "",
        "parent": row.get("parent_commit") or None,
        "mode": mode,
        "subject": row.get("commit_subject"),
        "models": _parse_listish(row.get("models")),
        "files_changed": _parse_listish(row.get("files_changed")),
        "pr_url": row.get("pr_url") or None,
    }
    if mode == Mode.SERVING and not row.get("server_command"):
        # A seed serving command is the client only; the server must be given.
        task["client_command"] = command
    else:
        task["perf_command"] = command
    for key in ("server_command", "client_command", "setup_command", "metric_source", "primary_metric",
                "correctness_command", "env", "timeouts", "warmups", "trials", "description", "target_files",
                "resources", "environment", "engine", "compiled_paths"):
        if key in row:
            task[key] = row[key]
    return task


def _rows(path: Path) -> list[tuple[str, dict[str, Any]]]:
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".toml":
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise UserError(f"not valid TOML: {exc}", path=path) from None
        tasks = data.get("task")
        if not isinstance(tasks, list):
            raise UserError("expected [[task]] tables", path=path, field="task")
        return [(f"task[{i}]", t) for i, t in enumerate(tasks)]
    rows = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise UserError(f"not valid JSON: {exc.msg}", path=path, field=f"line {number}") from None
        if not isinstance(row, dict):
            raise UserError("expected a JSON object", path=path, field=f"line {number}")
        rows.append((f"line {number}", row))
    return rows


def load_tasks(path: Path) -> list[TaskSpec]:
    """All tasks of a file, validated together; the first problem raises UserError with its field."""
    path = Path(path)
    if not path.is_file():
        raise UserError("task file does not exist", path=path)
    tasks: list[TaskSpec] = []
    seen: set[str] = set()
    for where, row in _rows(path):
        if "commit_hash" in row and "human_commit" not in row:
            row = from_seed_row(row)
        try:
            task = TaskSpec.model_validate(row)
        except ValidationError as exc:
            first = exc.errors()[0]
            field = ".".join(str(p) for p in first["loc"]) or "task"
            raise UserError(f"{first['msg']}", path=path, field=f"{where}: {field}") from None
        if task.id in seen:
            raise UserError(f"duplicate task id {task.id!r}", path=path, field=f"{where}: id")
        seen.add(task.id)
        tasks.append(task)
    if not tasks:
        raise UserError("no tasks in file", path=path)
    return tasks


def load_predictions(path: Path) -> list[Prediction]:
    path = Path(path)
    if not path.is_file():
        raise UserError("predictions file does not exist", path=path)
    predictions = []
    for where, row in _rows(path):
        try:
            predictions.append(Prediction.model_validate(row))
        except ValidationError as exc:
            first = exc.errors()[0]
            field = ".".join(str(p) for p in first["loc"])
            raise UserError(first["msg"], path=path, field=f"{where}: {field}") from None
    return predictions
