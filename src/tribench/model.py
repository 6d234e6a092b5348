"""The canonical per-task record: what tribench writes to `results/<source>/<commit>/`.

One `BenchmarkRecord` holds a task (the instance), the three arms with their raw trials, the
comparisons computed from them, the verdict and the data-quality flags. The seed's fields
(`baseline_metrics`, `human_metrics`, `agent_metrics`, `human_improvement`,
`agent_improvement`, `agent_vs_human`) are derived from the arms and comparisons and always
written, so a seed reader can read a tribench record.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, computed_field, model_validator

from tribench.constants import (
    SCHEMA_VERSION,
    Arm,
    Flag,
    Owner,
    PointVerdict,
    Status,
    Verdict,
    VerdictMethod,
)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", use_enum_values=False)


class Instance(_Model):
    """What the task is: the human commit, its parent and how it is measured."""

    commit_hash: str = Field(description="Full (or the longest known) hash of the human commit.")
    commit_short: str = Field("", description="First 8 characters of commit_hash.")
    commit_subject: str | None = Field(None, description="First line of the human commit message.")
    repo: str | None = Field(None, description="Repository, `owner/name` or a local path.")
    pr_url: str | None = Field(None, description="Pull request of the human commit, when known.")
    parent_commit: str | None = Field(None, description="Hash of the baseline (parent) commit.")
    files_changed: list[str] = Field(default_factory=list, description="Files the human commit changed.")
    models: list[str] = Field(default_factory=list, description="Models the task's command may use.")
    perf_command: str | None = Field(None, description="The task's performance command.")
    benchmark_mode: str | None = Field(None, description="serving, standalone, command (or a legacy mode).")
    gpu_config: str | None = Field(None, description="Accelerators the task needs, e.g. `H100:1`.")
    test_script: str | None = Field(None, description="Script run by the performance command, if any.")
    task_id: str | None = Field(None, description="The task's id in its suite.")

    @model_validator(mode="after")
    def _short_hash(self) -> Instance:
        if not self.commit_short:
            self.commit_short = self.commit_hash[:8]
        return self


class Trial(_Model):
    """One measured (or warm-up) execution of the performance command in a fresh process."""

    index: int
    block: int | None = Field(None, description="Interleaved block the trial ran in.")
    metrics: dict[str, float] = Field(default_factory=dict)
    exit_code: int | None = None
    duration_s: float | None = None
    log: str | None = Field(None, description="Path of the trial's stdout/stderr log.")
    started_at: str | None = None


class ArmResult(_Model):
    """One arm of a task: its outcome, its raw trials and their summary."""

    arm: Arm
    status: Status = Status.MISSING
    owner: Owner = Owner.NONE
    error: str | None = None
    metrics: dict[str, float] = Field(
        default_factory=dict, description="Median over the measured trials (legacy: the one value)."
    )
    trials: list[Trial] = Field(default_factory=list)
    warmups: list[Trial] = Field(default_factory=list)
    model: str | None = None
    command: str | None = None
    server_command: str | None = None
    raw_output: str | None = Field(None, description="Tail of the output, as the source kept it.")
    raw_output_ref: str | None = Field(None, description="Path of the full output.")
    patch_hash: str | None = None
    env: dict[str, str] = Field(default_factory=dict)
    duration_s: float | None = None
    timestamp: str | None = None
    source: str | None = Field(None, description="File this arm's data came from.")
    unknown_metrics: list[str] = Field(default_factory=list)
    cache_key: str | None = Field(
        None, description="Hash of task, arm, commit, patch, commands and harness version (resume key)."
    )

    @property
    def ok(self) -> bool:
        return self.status == Status.OK and bool(self.metrics)

    @property
    def n_trials(self) -> int:
        return len(self.trials) if self.trials else (1 if self.metrics else 0)

    def samples(self, metric: str) -> list[float]:
        """Raw per-trial values of a metric; the summary value alone for legacy single runs."""
        values = [t.metrics[metric] for t in self.trials if metric in t.metrics]
        if not values and metric in self.metrics:
            values = [self.metrics[metric]]
        return values


class MetricComparison(_Model):
    """Candidate arm against reference arm on one metric (positive = candidate better)."""

    metric: str
    improvement: float | None = Field(None, description="Seed formula, percent.")
    reason: str | None = Field(None, description="Why improvement is null.")
    ci_low: float | None = None
    ci_high: float | None = None
    p_value: float | None = Field(None, description="Two-sided Mann-Whitney U p-value.")
    n_reference: int = 0
    n_candidate: int = 0


class VerdictResult(_Model):
    """Agent vs human on the task's primary metric."""

    primary_metric: str | None = None
    verdict: Verdict | None = None
    point_verdict: PointVerdict | None = None
    method: VerdictMethod | None = None
    improvement: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    p_value: float | None = None
    tolerance_pct: float | None = None
    reason: str | None = Field(None, description="Why there is no verdict, or how it was reached.")


class FlagEntry(_Model):
    flag: Flag
    detail: str


COMPARISONS = {
    "human_improvement": (Arm.BASELINE, Arm.HUMAN),
    "agent_improvement": (Arm.BASELINE, Arm.AGENT),
    "agent_vs_human": (Arm.HUMAN, Arm.AGENT),
}

_DERIVED = ("baseline_metrics", "human_metrics", "agent_metrics", *COMPARISONS)


class Result(_Model):
    """The measured outcome of a task for one agent."""

    status: str = Field(description="success (all three arms measured), partial or error.")
    benchmark_mode: str | None = None
    agent_name: str | None = None
    agent_model: str | None = None
    benchmark_date: str | None = None
    has_agent_patch: bool | None = None
    patch_path: str | None = None
    arms: dict[Arm, ArmResult]
    comparisons: dict[str, dict[str, MetricComparison]] = Field(default_factory=dict)
    verdict: VerdictResult = Field(default_factory=VerdictResult)
    flags: list[FlagEntry] = Field(default_factory=list)
    evaluable: bool = Field(False, description="Baseline and human measured under identical conditions.")
    failure_owner: Owner = Owner.NONE
    reported_improvements: dict[str, float] = Field(
        default_factory=dict,
        description="Improvements the source file claimed (`<comparison>.<metric>`), kept to audit ours.",
    )

    @model_validator(mode="before")
    @classmethod
    def _drop_derived(cls, data: Any) -> Any:
        if isinstance(data, dict):
            data = {k: v for k, v in data.items() if k not in _DERIVED}
        return data

    def arm(self, arm: Arm) -> ArmResult:
        return self.arms.get(arm) or ArmResult(arm=arm)

    @computed_field
    @property
    def baseline_metrics(self) -> dict[str, float]:
        return self.arm(Arm.BASELINE).metrics

    @computed_field
    @property
    def human_metrics(self) -> dict[str, float]:
        return self.arm(Arm.HUMAN).metrics

    @computed_field
    @property
    def agent_metrics(self) -> dict[str, float]:
        return self.arm(Arm.AGENT).metrics

    def _improvements(self, name: str) -> dict[str, float | None]:
        return {m: c.improvement for m, c in self.comparisons.get(name, {}).items()}

    @computed_field
    @property
    def human_improvement(self) -> dict[str, float | None]:
        return self._improvements("human_improvement")

    @computed_field
    @property
    def agent_improvement(self) -> dict[str, float | None]:
        return self._improvements("agent_improvement")

    @computed_field
    @property
    def agent_vs_human(self) -> dict[str, float | None]:
        return self._improvements("agent_vs_human")

    def has_flag(self, flag: Flag) -> bool:
        return any(f.flag == flag for f in self.flags)


class BenchmarkRecord(_Model):
    """One task, one agent: the file `results/<source>/<commit>/benchmark_result.json`."""

    schema_version: int = SCHEMA_VERSION
    harness_version: str
    source: str = Field(description="Data source: modal, separate, docker, merged, or a run name.")
    sources: list[str] = Field(default_factory=list, description="Files this record was built from.")
    executor: str | None = Field(None, description="Engine that measured the task (local, ray, modal).")
    instance: Instance
    result: Result

    @property
    def key(self) -> tuple[str, str]:
        """Identity of a task for one agent: (commit, agent)."""
        return (self.instance.commit_hash, self.result.agent_name or "")
