"""The execute stage: one task's interleaved three-way measurement, and the executors that run it.

The unit of work is one task on one machine — baseline, human and every agent's arm, measured
in rotated blocks (B H A, H A B, A B H, ...) so that drift hits all arms equally (DESIGN.md,
protocol 2). Arms are never split across machines. An executor only decides *where* units run
(in this process, a local pool, later Ray or Modal); what is recorded does not change.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from pydantic import BaseModel, Field

from tribench import __version__
from tribench.compare import assign_owners, build_result
from tribench.constants import Arm, Status
from tribench.environment import engine_fingerprint, fingerprint
from tribench.errors import UserError
from tribench.measure import LogNamer, measure_block, run_correctness
from tribench.model import ArmResult, BenchmarkRecord, Instance, Trial
from tribench.paths import slug
from tribench.stats import median
from tribench.store import atomic_write_text
from tribench.taskspec import Prediction, TaskSpec


@dataclass
class RunConfig:
    run: str
    results_dir: Path
    logs_dir: Path
    cache_dir: Path
    trials: int | None = None  # overrides the task's own count
    infra_retries: int = 1
    tolerance_pct: float = 5.0
    executor: str = "local"
    # Per-task noise floors from `tribench calibrate`: a task's tolerance is never below its floor.
    noise_floors: dict[str, float] = field(default_factory=dict)

    def tolerance_for(self, task_id: str) -> float:
        return max(self.tolerance_pct, self.noise_floors.get(task_id, 0.0))


@dataclass
class TaskUnit:
    task: TaskSpec
    predictions: list[Prediction]
    config: RunConfig


@dataclass
class UnitResult:
    task_id: str
    records: list[BenchmarkRecord]
    measured_trials: int = 0
    error: str | None = None
    # Remote executors: where and how long the unit ran (GPU-seconds, cost); see executors/remote.py.
    execution: dict[str, Any] | None = None

    @property
    def lost(self) -> bool:
        """The executor lost the unit (worker died, remote call failed): nothing was recorded."""
        return not self.records and self.error is not None


class VariantState(BaseModel):
    """One arm's progress, persisted after every block so a killed run resumes where it was."""

    key: str
    arm: Arm
    agent: str | None = None
    status: Status = Status.OK
    error: str | None = None
    commit: str | None = None
    patch_hash: str | None = None
    trials: list[Trial] = Field(default_factory=list)
    warmups: list[Trial] = Field(default_factory=list)
    setup_log: str | None = None
    correctness_digest: str | None = Field(None, description="sha256 of the correctness command's output.")

    @property
    def label(self) -> str:
        return self.arm.value if self.agent is None else f"agent-{slug(self.agent)}"


class TaskState(BaseModel):
    task_id: str
    variants: dict[str, VariantState] = Field(default_factory=dict)


def cache_key(task: TaskSpec, arm: Arm, commit: str | None, patch_hash: str | None) -> str:
    """A result is reused only when task, arm, code, patch, command and harness all match."""
    commands = [task.perf_command, task.server_command, task.client_command, task.correctness_command,
                task.setup_command, task.metric_source, sorted(task.env.items())]
    payload = json.dumps([task.id, arm.value, commit, patch_hash, commands, __version__], sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def state_path(config: RunConfig, task_id: str) -> Path:
    return config.results_dir / ".state" / slug(config.run) / f"{slug(task_id)}.json"


def _load_state(path: Path, task_id: str) -> TaskState:
    if path.is_file():
        try:
            return TaskState.model_validate_json(path.read_text(encoding="utf-8"))
        except ValueError:
            pass  # a state file that does not parse is re-measured, never trusted
    return TaskState(task_id=task_id)


def _variant_env(task: TaskSpec, label: str) -> dict[str, str]:
    return {**task.env, "TRIBENCH_ARM": label, "PYTHONHASHSEED": "0"}


def _complete(variant: VariantState, n_trials: int) -> bool:
    return variant.status != Status.OK or len(variant.trials) >= n_trials


def _prepare_variants(unit: TaskUnit, workspace, state: TaskState, shas: tuple[str, str]) -> list[tuple[VariantState, Path | None]]:
    """Every arm's worktree, or its finished state from an interrupted run (no re-preparing)."""
    from tribench.workspace import patch_hash

    task, n_trials = unit.task, unit.config.trials or unit.task.trials
    human_sha, parent_sha = shas
    wanted: list[tuple[Arm, Prediction | None]] = [(Arm.BASELINE, None), (Arm.HUMAN, None)]
    wanted += [(Arm.AGENT, p) for p in unit.predictions]
    variants = []
    for arm, prediction in wanted:
        agent = prediction.model_name_or_path if prediction else None
        patch = (prediction.model_patch or "") if prediction else None
        commit = human_sha if arm == Arm.HUMAN else parent_sha
        key = cache_key(task, arm, commit, patch_hash(patch) if patch is not None else None)
        label = VariantState(key=key, arm=arm, agent=agent).label
        old = state.variants.get(label)
        if old is not None and old.key == key and _complete(old, n_trials):
            variants.append((old, None))
            continue
        prepared = workspace.prepare(task, arm, run=unit.config.run, patch=patch, agent=agent)
        variant = old if old is not None and old.key == key else VariantState(
            key=key, arm=arm, agent=agent, commit=prepared.commit, patch_hash=prepared.patch_hash,
            setup_log=str(prepared.setup_log) if prepared.setup_log else None)
        if prepared.status != Status.OK:
            variant.status, variant.error = prepared.status, prepared.error
        state.variants[label] = variant
        variants.append((variant, prepared.path))
    return variants


def _check_correctness(unit: TaskUnit, variants: list[tuple[VariantState, Path | None]], logs: Path) -> None:
    """Each arm's correctness output must equal the baseline's; a mismatch is `incorrect`, not timed."""
    task = unit.task
    if not task.correctness_command:
        return
    for variant, path in variants:  # the baseline comes first: it is the reference
        if variant.status != Status.OK or path is None or variant.correctness_digest:
            continue
        log = LogNamer(logs, unit.config.run, task.id, variant.label).trial("correctness")
        status, error, output = run_correctness(task, cwd=path, env=_variant_env(task, variant.label), log=log)
        if status != Status.OK:
            variant.status, variant.error = status, error
            continue
        variant.correctness_digest = hashlib.sha256(output.encode()).hexdigest()
    reference = variants[0][0].correctness_digest
    for variant, _ in variants[1:]:
        if variant.status == Status.OK and reference and variant.correctness_digest != reference:
            variant.status = Status.INCORRECT
            variant.error = "correctness output differs from the baseline's (see the correctness log)"


def _rotations(n: int, block: int) -> list[int]:
    return [(block + i) % n for i in range(n)]


def _measure_blocks(unit: TaskUnit, variants: list[tuple[VariantState, Path | None]], on_block: Callable[[], None],
                    progress: Callable[[int], None]) -> int:
    task, config = unit.task, unit.config
    n_trials = config.trials or task.trials
    measured = 0
    for block in range(n_trials):
        for i in _rotations(len(variants), block):
            variant, path = variants[i]
            progress(1)  # every (block, arm) is done once passed: measured, resumed or failed earlier
            if variant.status != Status.OK or path is None or len(variant.trials) > block:
                continue
            logs = LogNamer(config.logs_dir, config.run, task.id, variant.label)
            warmups = task.warmups if not variant.warmups and block == 0 else 0
            for attempt in range(1 + (config.infra_retries if variant.arm != Arm.AGENT else 0)):
                outcome = measure_block(task, cwd=path, env=_variant_env(task, variant.label), logs=logs,
                                        block=block, first_index=len(variant.trials), warmups=warmups, trials=1)
                if outcome.status == Status.OK:
                    break
            variant.warmups += outcome.warmups
            variant.trials += outcome.trials
            measured += len(outcome.trials)
            if outcome.status != Status.OK:
                variant.status, variant.error = outcome.status, outcome.error
            on_block()
    return measured


def arm_result(variant: VariantState, task: TaskSpec, env: dict[str, str]) -> ArmResult:
    ok = variant.status == Status.OK and variant.trials
    metrics = {}
    if ok:
        names = sorted({m for t in variant.trials for m in t.metrics})
        metrics = {m: median([t.metrics[m] for t in variant.trials if m in t.metrics]) for m in names}
    command = task.perf_command if task.server_command is None else f"{task.server_command} && {task.client_command}"
    return ArmResult(
        arm=variant.arm, status=variant.status if ok or variant.status != Status.OK else Status.NO_METRICS,
        error=variant.error, metrics=metrics, trials=variant.trials, warmups=variant.warmups,
        model=(task.models[0] if task.models else None), command=command, server_command=task.server_command,
        raw_output_ref=variant.trials[-1].log if variant.trials else variant.setup_log,
        patch_hash=variant.patch_hash, env={**env, "git_sha": variant.commit or ""},
        duration_s=sum(t.duration_s or 0.0 for t in variant.trials + variant.warmups) or None,
        cache_key=variant.key,
    )


def build_records(unit: TaskUnit, variants: list[VariantState], human_sha: str | None, parent_sha: str | None) -> list[BenchmarkRecord]:
    task, config = unit.task, unit.config
    env = {**fingerprint(), **engine_fingerprint(task.engine)}
    instance = Instance(
        commit_hash=human_sha or task.human_commit, commit_subject=task.subject, repo=task.repo, pr_url=task.pr_url,
        parent_commit=parent_sha or task.parent, files_changed=task.files_changed, models=task.models,
        perf_command=task.perf_command or task.client_command, benchmark_mode=task.mode.value, task_id=task.id,
        gpu_config=task.resources.gpu_config if task.resources else None,
    )
    by_label = {v.label: v for v in variants}
    baseline = arm_result(by_label["baseline"], task, env)
    human = arm_result(by_label["human"], task, env)
    agents = [v for v in variants if v.arm == Arm.AGENT] or [None]
    records = []
    for variant in agents:
        agent_arm = arm_result(variant, task, env) if variant else ArmResult(arm=Arm.AGENT)
        arms = assign_owners({Arm.BASELINE: baseline, Arm.HUMAN: human, Arm.AGENT: agent_arm})
        result = build_result(instance, arms, tolerance_pct=config.tolerance_for(task.id), primary_metric=task.primary_metric,
                              agent_name=variant.agent if variant else None, has_agent_patch=variant is not None)
        records.append(BenchmarkRecord(harness_version=__version__, source=variant.agent if variant else "no-agent",
                                       executor=config.executor, instance=instance, result=result))
    return records


def measure_task(unit: TaskUnit, progress: Callable[[int], None] = lambda n: None) -> UnitResult:
    """Prepare, check and measure every arm of one task; one record per agent."""
    from tribench.workspace import Workspace

    task, config = unit.task, unit.config
    path = state_path(config, task.id)
    state = _load_state(path, task.id)
    workspace = Workspace(config.cache_dir, logs_dir=config.logs_dir)
    try:
        human_sha, parent_sha = workspace.resolve(task)
    except UserError as exc:
        return _unresolvable(unit, str(exc))
    variants = _prepare_variants(unit, workspace, state, (human_sha, parent_sha))
    save = lambda: atomic_write_text(path, state.model_dump_json(indent=1))  # noqa: E731
    _check_correctness(unit, variants, config.logs_dir)
    save()
    measured = _measure_blocks(unit, variants, save, progress)
    return UnitResult(task.id, build_records(unit, [v for v, _ in variants], human_sha, parent_sha), measured)


def _unresolvable(unit: TaskUnit, error: str) -> UnitResult:
    """The repository or a commit is missing: every arm is setup_failed (infra), the run goes on."""
    variants = [VariantState(key="", arm=Arm.BASELINE, status=Status.SETUP_FAILED, error=error),
                VariantState(key="", arm=Arm.HUMAN, status=Status.SETUP_FAILED, error=error)]
    variants += [VariantState(key="", arm=Arm.AGENT, agent=p.model_name_or_path, status=Status.SETUP_FAILED,
                              error=error) for p in unit.predictions]
    return UnitResult(unit.task.id, build_records(unit, variants, None, None), 0, error)


def planned_trials(unit: TaskUnit) -> int:
    """Blocks × arms: the progress bar's total for one unit."""
    return (unit.config.trials or unit.task.trials) * (2 + len(unit.predictions))


class Executor(Protocol):
    """Where units run. `run` calls `on_result` in the calling process for every finished unit,
    so the results tree is only ever written by the client (atomically)."""

    name: str

    def check(self, units: list[TaskUnit]) -> None:
        """Raise UserError when the units cannot run here (missing extra, credentials, resources),
        before anything is measured or written."""

    def run(self, units: Iterable[TaskUnit], on_result: Callable[[UnitResult], None],
            progress: Callable[[int], None]) -> None: ...


@dataclass
class LocalExecutor:
    """In this process (jobs=1) or a pool of `jobs` processes, each pinned to its own cores."""

    jobs: int = 1
    share_cores: bool = False
    name: str = "local"
    cores: list[int] = field(default_factory=lambda: sorted(os.sched_getaffinity(0)))

    def __post_init__(self) -> None:
        if self.jobs < 1:
            raise UserError("--jobs must be at least 1", field="jobs")
        if self.jobs > len(self.cores) and not self.share_cores:
            raise UserError(
                f"--jobs {self.jobs} exceeds the {len(self.cores)} core(s) available: timed trials would share "
                "cores. Lower --jobs or pass --share-cores to accept the noise.", field="jobs")

    def core_sets(self) -> list[list[int]]:
        if self.share_cores:
            return [self.cores] * self.jobs
        size = len(self.cores) // self.jobs
        return [self.cores[i * size:(i + 1) * size] for i in range(self.jobs)]

    def check(self, units) -> None:
        """Nothing to check: this machine is where the units run."""

    def run(self, units, on_result, progress) -> None:
        units = list(units)
        if self.jobs == 1:
            for unit in units:
                on_result(measure_task(unit, progress))
            return
        self._run_pool(units, on_result, progress)

    def _run_pool(self, units, on_result, progress) -> None:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor, as_completed

        context = multiprocessing.get_context("spawn")
        slots = context.Queue()
        for cores in self.core_sets():
            slots.put(cores)
        with ProcessPoolExecutor(self.jobs, mp_context=context, initializer=_pin_worker, initargs=(slots,)) as pool:
            futures = {pool.submit(measure_task, unit): unit for unit in units}
            for future in as_completed(futures):
                result = future.result()
                progress(planned_trials(futures[future]))
                on_result(result)


def _pin_worker(slots) -> None:
    """Each pool worker takes one disjoint set of cores for all its trials."""
    os.sched_setaffinity(0, slots.get())
