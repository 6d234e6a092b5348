"""A/A calibration: the baseline against itself gives each task's noise floor.

Both arms run the parent commit, interleaved exactly as in `run`. Any beats/loses verdict
between them is a false verdict; the widest edge of the A/A interval on the primary metric is
the task's noise floor: a real effect must exceed it to be told from noise.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from tribench import stats
from tribench.compare import primary_metric_for
from tribench.constants import Arm, Verdict
from tribench.execute import RunConfig, TaskUnit, measure_task, planned_trials
from tribench.store import atomic_write_text
from tribench.taskspec import load_tasks

CALIBRATION_FILENAME = "calibration.json"


@dataclass
class Calibration:
    task_id: str
    metric: str | None
    difference_pct: float | None
    ci_low: float | None
    ci_high: float | None
    noise_floor_pct: float | None
    verdict: str | None
    false_verdict: bool
    note: str | None = None


def _calibrate_task(unit: TaskUnit, tolerance_pct: float, progress: Callable[[int], None]) -> Calibration:
    from tribench.workspace import Workspace

    task = unit.task
    _, parent = Workspace(unit.config.cache_dir).resolve(task)
    # "human" is the parent too: an A/A pair measured like any run.
    aa = task.model_copy(update={"human_commit": parent, "parent": parent, "correctness_command": None})
    record = measure_task(TaskUnit(aa, [], unit.config), progress).records[0]
    baseline, copy = record.result.arm(Arm.BASELINE), record.result.arm(Arm.HUMAN)
    metric = primary_metric_for(task.mode.value, copy, baseline, task.primary_metric)
    comparison = record.result.comparisons.get("human_improvement", {}).get(metric or "")
    if comparison is None or comparison.ci_low is None or comparison.ci_high is None:
        why = baseline.error or copy.error or "fewer than two trials per arm"
        return Calibration(task.id, metric, None, None, None, None, None, False, note=why)
    verdict = stats.verdict_from_ci(comparison.ci_low, comparison.ci_high, tolerance_pct)
    return Calibration(
        task.id, metric, comparison.improvement, comparison.ci_low, comparison.ci_high,
        max(abs(comparison.ci_low), abs(comparison.ci_high)), verdict.value,
        verdict in (Verdict.BEATS, Verdict.LOSES),
    )


def calibrate(tasks_path: Path, config: RunConfig, *, progress: Callable[[int, int], None] | None = None,
              out: Path | None = None) -> tuple[list[Calibration], Path]:
    tasks = load_tasks(tasks_path)
    units = [TaskUnit(t, [], config) for t in tasks]
    total, done = sum(planned_trials(u) for u in units), 0

    def advance(n: int) -> None:
        nonlocal done
        done += n
        if progress:
            progress(min(done, total), total)

    results = [_calibrate_task(u, config.tolerance_pct, advance) for u in units]
    path = out or config.results_dir.resolve().parent / CALIBRATION_FILENAME
    payload = {"tolerance_pct": config.tolerance_pct, "tasks": [asdict(c) for c in results]}
    atomic_write_text(path, json.dumps(payload, indent=2) + "\n")
    return results, path


def load_noise_floors(path: Path) -> dict[str, float]:
    """Task id -> noise floor (percent) from a calibration.json; UserError naming the file otherwise."""
    from tribench.errors import UserError

    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        return {t["task_id"]: float(t["noise_floor_pct"]) for t in data["tasks"] if t.get("noise_floor_pct") is not None}
    except OSError as exc:
        raise UserError(f"cannot read: {exc.strerror}", path=path) from None
    except (ValueError, KeyError, TypeError) as exc:
        raise UserError(f"not a calibration file ({exc})", path=path, field="tasks") from None
