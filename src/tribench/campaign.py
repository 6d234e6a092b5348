"""A campaign: every task of a task file against its predictions, into a results tree.

Validates everything before the first measurement (STYLE.md, 28), hands task units to an
executor, and writes each finished unit's records atomically as soon as it arrives (STYLE.md,
19). `resume=False` forgets the run's saved progress; `resume=True` keeps every finished arm
and every finished trial whose cache key still matches.
"""

from __future__ import annotations

import shutil
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from tribench.execute import Executor, LocalExecutor, RunConfig, TaskUnit, UnitResult, planned_trials
from tribench.model import BenchmarkRecord
from tribench.paths import slug
from tribench.store import write_record
from tribench.taskspec import Prediction, TaskSpec, load_predictions, load_tasks


@dataclass
class CampaignReport:
    records: list[BenchmarkRecord] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)
    measured_trials: int = 0
    warnings: list[str] = field(default_factory=list)


def plan(tasks: list[TaskSpec], predictions: list[Prediction], config: RunConfig) -> tuple[list[TaskUnit], list[str]]:
    """Task units (one per task, with that task's predictions) and warnings about the inputs."""
    by_task: dict[str, list[Prediction]] = defaultdict(list)
    for prediction in predictions:
        by_task[prediction.instance_id].append(prediction)
    known = {t.id for t in tasks}
    warnings = [f"prediction for unknown task {iid!r} ignored" for iid in sorted(set(by_task) - known)]
    units = []
    for task in tasks:
        agents = [p.model_name_or_path for p in by_task.get(task.id, [])]
        duplicates = {a for a in agents if agents.count(a) > 1}
        if duplicates:
            warnings.append(f"task {task.id!r}: several predictions of {sorted(duplicates)}; the last one is used")
            last = {p.model_name_or_path: p for p in by_task[task.id]}
            by_task[task.id] = list(last.values())
        units.append(TaskUnit(task, by_task.get(task.id, []), config))
    return units, warnings


def derived_mode_notes(tasks_path: Path) -> list[str]:
    """Seed-shaped rows get their mode from the command: say so (issue #3, task spec)."""
    import json

    notes = []
    if tasks_path.suffix == ".jsonl":
        for line in tasks_path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line) if line.strip() else {}
            if "commit_hash" in row and "mode" not in row:
                from tribench.taskspec import derive_mode

                mode = derive_mode(row.get("perf_command") or "")
                notes.append(f"task {str(row['commit_hash'])[:8]}: mode {mode.value!r} derived from perf_command")
    return notes


def run_campaign(
    tasks_path: Path,
    predictions_path: Path | None,
    config: RunConfig,
    *,
    executor: Executor | None = None,
    resume: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> CampaignReport:
    """Measure every task; `progress(done, total)` is called as trials finish."""
    tasks = load_tasks(tasks_path)
    predictions = load_predictions(predictions_path) if predictions_path else []
    units, warnings = plan(tasks, predictions, config)
    report = CampaignReport(warnings=warnings + derived_mode_notes(Path(tasks_path)))
    state_dir = config.results_dir / ".state" / slug(config.run)
    if not resume and state_dir.exists():
        shutil.rmtree(state_dir)
    executor = executor or LocalExecutor()
    total = sum(planned_trials(u) for u in units)
    done = 0

    def advance(n: int) -> None:
        nonlocal done
        done = min(total, done + n)
        if progress:
            progress(done, total)

    def collect(result: UnitResult) -> None:
        for record in result.records:
            report.written.append(write_record(config.results_dir, record))
            report.records.append(record)
        report.measured_trials += result.measured_trials
        if result.error:
            report.warnings.append(f"task {result.task_id}: {result.error}")

    executor.run(units, collect, advance)
    return report

