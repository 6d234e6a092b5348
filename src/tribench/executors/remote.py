"""Running a task unit on another machine, and bringing its records and logs home.

    client                                       worker (a Ray task, a Modal container)
    WorkOrder.from_unit(unit) ── JSON ──▶        run_unit(order)
                                                   scratch/logs, scratch/results/.state  (its own)
                                                   measure_task(...): records + log files
    unpack_unit_result(blob, config) ◀── zip ──   pack_unit_result(...)
      log files  → <logs>/<run>/<task>/...  (atomic; size-capped on the worker)
      log paths in the records → the local copies
      execution.json (where, how long, GPU-seconds, cost) beside the logs
    on_result(UnitResult) → the campaign writes the records (atomic)

The worker never writes into the client's results tree, so it makes no difference whether it
shares the client's file system (a one-machine Ray cluster) or not (Modal, multi-node Ray):
the logs always travel back. Its saved progress (`.state`) lives and dies with its scratch
folder; a unit that a dead worker leaves unfinished is measured again, whole, by a resumed run
(campaign.recorded skips the tasks whose records are complete).

Exceptions on the worker are sorted so that only infrastructure is retried: a UserError (bad
input, the same on every try) and a bug (any other exception) come back as a lost unit with
the reason; OSError and MemoryError (disk, memory, a vanished mount) are raised for the
executor's retry policy.
"""

from __future__ import annotations

import io
import json
import os
import platform
import shutil
import stat
import tempfile
import time
import traceback
import zipfile
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from tribench.errors import UserError
from tribench.execute import RunConfig, TaskUnit, UnitResult, measure_task
from tribench.model import BenchmarkRecord
from tribench.paths import slug
from tribench.store import atomic_write_bytes, atomic_write_text
from tribench.taskspec import Prediction, TaskSpec

# History of the work order and of the packed result (bump on any change to either):
#   1: first version (order: task, predictions, run settings; result: unit.json + logs/).
WIRE_FORMAT = 1
# Exceptions the executors retry: the machine failed, not the task or tribench.
INFRA_EXCEPTIONS: tuple[type[BaseException], ...] = (OSError, MemoryError)
# A log over this is shipped as its last bytes (the end says why a command failed).
MAX_LOG_FILE_BYTES = 8 << 20
# Logs over this, in all, stay on the worker; the records still reference them, and the
# unit's execution.json lists them.
MAX_UNIT_LOG_BYTES = 256 << 20
EXECUTION_FILENAME = "execution.json"
_TRUNCATED = b"[tribench: the start of this log was cut by the remote executor's %d-byte cap]\n"


class WorkOrder(BaseModel):
    """Everything a worker needs to measure one unit; plain JSON, so any transport carries it."""

    model_config = ConfigDict(extra="forbid")
    format: int = WIRE_FORMAT
    task: TaskSpec
    predictions: list[Prediction]
    run: str
    trials: int | None = None
    infra_retries: int = 1
    tolerance_pct: float = 5.0
    noise_floors: dict[str, float] = Field(default_factory=dict)
    executor: str
    cache_dir: str | None = Field(None, description="Worker's mirror/worktree cache; None: its scratch folder.")
    gpus: int = Field(0, description="GPUs the unit holds: its GPU-seconds are wall time x gpus.")
    env: dict[str, str] = Field(default_factory=dict, description="Executor facts added to every arm's env.")

    @classmethod
    def from_unit(cls, unit: TaskUnit, *, executor: str, cache_dir: Path | None = None, gpus: int = 0,
                  env: dict[str, str] | None = None) -> WorkOrder:
        config = unit.config
        return cls(task=unit.task, predictions=unit.predictions, run=config.run, trials=config.trials,
                   infra_retries=config.infra_retries, tolerance_pct=config.tolerance_pct,
                   noise_floors={k: v for k, v in config.noise_floors.items() if k == unit.task.id},
                   executor=executor, cache_dir=str(Path(cache_dir).resolve()) if cache_dir else None,
                   gpus=gpus, env=env or {})


def run_unit(order_json: str) -> bytes:
    """Worker side: measure one unit in scratch folders; the packed result (see pack_unit_result)."""
    order = WorkOrder.model_validate_json(order_json)
    if order.format != WIRE_FORMAT:
        raise UserError(f"work order format {order.format} is not {WIRE_FORMAT}: the worker runs another tribench")
    cache = _shared_cache(order)
    # Under the cache when there is one: a worker killed mid-unit leaves its scratch there, not in /tmp.
    scratch = Path(tempfile.mkdtemp(prefix="tribench-unit-", dir=_mkdir(cache / "scratch") if cache else None))
    started, clock = _now(), time.monotonic()
    try:
        config = RunConfig(run=order.run, results_dir=scratch / "results", logs_dir=scratch / "logs",
                           cache_dir=cache or scratch / "cache", trials=order.trials,
                           infra_retries=order.infra_retries, tolerance_pct=order.tolerance_pct,
                           executor=order.executor, noise_floors=order.noise_floors)
        try:
            result = measure_task(TaskUnit(order.task, order.predictions, config))
        except UserError as exc:
            result = UnitResult(order.task.id, [], 0, f"{exc} (not retried: bad input)")
        except INFRA_EXCEPTIONS:
            raise
        except Exception:  # noqa: BLE001 - a bug: reported with its traceback, not retried
            result = UnitResult(order.task.id, [], 0, f"tribench failed on the worker:\n{traceback.format_exc()}")
        for record in result.records:
            for arm in record.result.arms.values():
                if arm.env:
                    arm.env.update(order.env)
        wall = time.monotonic() - clock
        execution = {"executor": order.executor, "task_id": order.task.id, "host": platform.node(),
                     "started_at": started, "finished_at": _now(), "wall_s": round(wall, 3), "gpus": order.gpus,
                     "gpu_seconds": round(wall * order.gpus, 3), **_worker_facts(), **order.env}
        return pack_unit_result(result, logs_dir=config.logs_dir, run=order.run, execution=execution)
    finally:
        _remove(scratch)


def _shared_cache(order: WorkOrder) -> Path | None:
    """The client's cache folder when this worker can write it (same machine, or the same path
    on a node), so mirrors are cloned once per node; None in a fresh container."""
    if order.cache_dir:
        try:
            cache = _mkdir(Path(order.cache_dir))
            if os.access(cache, os.W_OK):
                return cache
        except OSError:
            pass
    return None


def _mkdir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


def _worker_facts() -> dict[str, Any]:
    """What the worker knows about itself: the GPU model it measured on, Modal's region."""
    from tribench.environment import fingerprint

    env = fingerprint()
    facts: dict[str, Any] = {"gpu_model": env.get("gpu_model")}
    for name in ("MODAL_REGION", "MODAL_CLOUD_PROVIDER"):
        if os.environ.get(name):
            facts[name.lower()] = os.environ[name]
    return facts


def pack_unit_result(result: UnitResult, *, logs_dir: Path, run: str, execution: dict[str, Any]) -> bytes:
    """A zip: `unit.json` (records, counts, error, execution, the worker's logs root) and
    `logs/<run>/<task>/...`, every log of the unit, each at most MAX_LOG_FILE_BYTES."""
    logs_dir = Path(logs_dir)
    unit_logs = logs_dir / slug(run) / slug(result.task_id)
    budget, truncated, left = MAX_UNIT_LOG_BYTES, [], []
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(p for p in unit_logs.rglob("*") if p.is_file()) if unit_logs.is_dir() else []:
            rel = path.relative_to(logs_dir).as_posix()
            data = path.read_bytes()
            if len(data) > MAX_LOG_FILE_BYTES:
                data = _TRUNCATED % MAX_LOG_FILE_BYTES + data[-MAX_LOG_FILE_BYTES:]
                truncated.append(rel)
            if len(data) > budget:
                left.append(rel)
                continue
            budget -= len(data)
            archive.writestr(f"logs/{rel}", data)
        manifest = {"format": WIRE_FORMAT, "task_id": result.task_id, "run": run, "logs_root": str(logs_dir),
                    "measured_trials": result.measured_trials, "error": result.error,
                    "execution": {**execution, "logs_truncated": truncated, "logs_left_on_worker": left},
                    "records": [record.model_dump(mode="json") for record in result.records]}
        archive.writestr("unit.json", json.dumps(manifest))
    return buffer.getvalue()


def unpack_unit_result(blob: bytes, config: RunConfig, *, execution: dict[str, Any] | None = None) -> UnitResult:
    """Client side: the worker's logs into `config.logs_dir` (atomically), its records with every
    log path pointing at the local copy, and `execution.json` beside the logs.

    `execution` adds client-side facts (attempts, cost). A blob that is not a packed result of
    this format, or a log path outside `<run>/<task>/`, raises UserError: nothing is trusted
    because it came from our own worker.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(blob))
        manifest = json.loads(archive.read("unit.json"))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise UserError(f"the remote executor returned no packed unit result ({exc})") from None
    if manifest.get("format") != WIRE_FORMAT:
        raise UserError(f"packed unit result format {manifest.get('format')} is not {WIRE_FORMAT}: "
                        "the worker runs another tribench; install the same version there")
    task_id = manifest["task_id"]
    prefix = PurePosixPath(slug(config.run), slug(task_id))
    with archive:
        for name in archive.namelist():
            if not name.startswith("logs/"):
                continue
            rel = PurePosixPath(name[len("logs/"):])
            if rel.is_absolute() or ".." in rel.parts or rel.parts[:2] != prefix.parts:
                raise UserError(f"task {task_id}: the remote executor shipped a log outside its unit: {name!r}")
            atomic_write_bytes(Path(config.logs_dir) / rel, archive.read(name), durable=False)
    records = [_relocated(record, manifest["logs_root"], config.logs_dir) for record in manifest["records"]]
    info = {**manifest["execution"], **(execution or {})}
    info["cost_usd"] = estimate_cost(info)
    info["execution_json"] = str(execution_path(config.logs_dir, config.run, task_id))
    atomic_write_text(execution_path(config.logs_dir, config.run, task_id), json.dumps(info, indent=1) + "\n")
    return UnitResult(task_id, records, manifest["measured_trials"], manifest["error"], execution=info)


def _relocated(record: dict[str, Any], remote_root: str, local_root: Path) -> BenchmarkRecord:
    """The record with the worker's logs root replaced by ours, wherever it appears (trial `log`,
    `raw_output_ref`, and the log paths quoted in error messages)."""
    text = json.dumps(record)
    old, new = json.dumps(remote_root.rstrip("/") + "/")[1:-1], json.dumps(str(local_root).rstrip("/") + "/")[1:-1]
    return BenchmarkRecord.model_validate_json(text.replace(old, new))


def estimate_cost(execution: dict[str, Any]) -> float | None:
    """GPU cost of one unit: gpu_seconds x usd_per_gpu_second (None when either is unknown)."""
    price, seconds = execution.get("usd_per_gpu_second"), execution.get("gpu_seconds")
    if price is None or seconds is None:
        return None
    return round(float(price) * float(seconds), 6)


def execution_path(logs_dir: Path, run: str, task_id: str) -> Path:
    """`logs/<run>/<task>/execution.json`: where and how long a remote unit ran, and its cost."""
    return Path(logs_dir) / slug(run) / slug(task_id) / EXECUTION_FILENAME


def lost_unit(unit: TaskUnit, why: str) -> UnitResult:
    """A unit the executor could not bring back: no record is written, a resumed run measures it."""
    return UnitResult(unit.task.id, [], 0, why)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _remove(path: Path) -> None:
    """Remove the scratch folder, worktrees made read-only by a build included."""
    def writable(_func, failed: str, _exc) -> None:
        for folder in (failed, os.path.dirname(failed)):
            try:
                os.chmod(folder, os.stat(folder).st_mode | stat.S_IRWXU)
            except OSError:
                pass

    shutil.rmtree(path, onerror=writable)
    shutil.rmtree(path, ignore_errors=True)
