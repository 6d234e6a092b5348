"""A campaign: every task of a task file against its predictions, into a results tree.

Validates everything before the first measurement (STYLE.md, 28), hands task units to an
executor, and writes each finished unit's records atomically as soon as it arrives (STYLE.md,
19). `resume=False` forgets the run's saved progress; `resume=True` keeps every finished arm
and every finished trial whose cache key still matches.

Resume works at two levels. A task whose records are all in the results tree, with the cache
keys and trial counts this run would produce, is not handed to the executor at all (task
level: the only level a remote executor has, since its workers' saved progress dies with
them). Any other task is measured, and the local executor keeps the finished trials of its
saved progress (trial level).
"""

from __future__ import annotations

import re
import shutil
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from tribench.constants import Arm, Status
from tribench.errors import UserError
from tribench.execute import Executor, LocalExecutor, RunConfig, TaskUnit, UnitResult, cache_key, planned_trials
from tribench.model import BenchmarkRecord
from tribench.paths import record_path, slug
from tribench.store import read_record, write_record
from tribench.taskspec import Prediction, TaskSpec, load_predictions, load_tasks

_FULL_SHA = re.compile(r"^(?:[0-9a-f]{40}|[0-9a-f]{64})$")


@dataclass
class CampaignReport:
    records: list[BenchmarkRecord] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)
    measured_trials: int = 0
    warnings: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # task ids whose records a resumed run kept as they were
    lost: list[str] = field(default_factory=list)  # task ids the executor lost: rerun with --resume
    executions: list[dict] = field(default_factory=list)  # remote executors: where each unit ran, GPU-seconds, cost


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
    executor = executor or LocalExecutor()
    check = getattr(executor, "check", None)
    if check is not None:
        check(units)  # before anything is written: a remote executor that cannot run fails here
    state_dir = config.results_dir / ".state" / slug(config.run)
    if not resume and state_dir.exists():
        shutil.rmtree(state_dir)
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
        if result.execution:
            report.executions.append(result.execution)
        if result.lost:
            report.lost.append(result.task_id)
            report.warnings.append(f"task {result.task_id}: not recorded ({result.error}); rerun with --resume")
        elif result.error:
            report.warnings.append(f"task {result.task_id}: {result.error}")

    pending = []
    for unit in units:
        kept = recorded(unit) if resume else None
        if kept is None:
            pending.append(unit)
            continue
        report.records.extend(kept)
        report.skipped.append(unit.task.id)
        advance(planned_trials(unit))
    executor.run(pending, collect, advance)
    return report


def recorded(unit: TaskUnit) -> list[BenchmarkRecord] | None:
    """The task's records already in the results tree, if every agent's record (or the no-agent
    record) is there and complete, with the cache keys this run would give each arm; else None.

    Only a task named by its full commit sha can be found without resolving it in git: a
    branch or short sha is measured again (its local saved progress still applies).
    """
    from tribench.patches import patch_hash

    task, config = unit.task, unit.config
    human = task.human_commit.lower()
    if not _FULL_SHA.match(human):
        return None
    n_trials = config.trials or task.trials
    kept = []
    for prediction in unit.predictions or [None]:
        path = record_path(config.results_dir, prediction.model_name_or_path if prediction else "no-agent", human)
        try:
            record = read_record(path) if path.is_file() else None
        except UserError:
            record = None  # a record that does not load is measured again, never trusted
        if record is None or record.instance.commit_hash != human:
            return None
        parent = record.instance.parent_commit or ""
        if task.parent and not parent.startswith(task.parent.lower()):
            return None
        wanted = {Arm.BASELINE: cache_key(task, Arm.BASELINE, parent, None),
                  Arm.HUMAN: cache_key(task, Arm.HUMAN, human, None)}
        if prediction is not None:
            wanted[Arm.AGENT] = cache_key(task, Arm.AGENT, parent, patch_hash(prediction.model_patch or ""))
        for arm, key in wanted.items():
            result = record.result.arm(arm)
            if result.cache_key != key or (result.status == Status.OK and len(result.trials) < n_trials):
                return None
        tolerance = record.result.verdict.tolerance_pct
        if tolerance is not None and tolerance != config.tolerance_for(task.id):
            return None
        kept.append(record)
    return kept

