"""From canonical records to flat export rows, one per task and agent, in `schema.COLUMNS` order.

The row is built by hand rather than by one callable per column: 100,000 records times 110
columns of Python calls would dominate the export (benchmarks/pipeline_scale.py). The test
suite checks that every row has exactly `schema.COLUMN_NAMES`, in order.
"""

from __future__ import annotations

from typing import Any

from tribench.constants import ARMS, EXPORT_SCHEMA_VERSION, Arm
from tribench.metrics import METRICS, SEED_METRICS
from tribench.model import ArmResult, BenchmarkRecord, MetricComparison
from tribench.schema import SEED_IMPROVEMENT_COLUMNS

_EMPTY_ARM: dict[Arm, ArmResult] = {arm: ArmResult(arm=arm) for arm in ARMS}
_PREFIX = {arm: arm.value for arm in ARMS}  # Enum.value is a descriptor call: hoisted out of the row loop
# (column, metric) of each arm's seed metric columns, `throughput` apart (its metric varies per row).
_METRIC_COLUMNS = {arm: tuple((f"{arm.value}_{m}", m) for m in SEED_METRICS if m != "throughput") for arm in ARMS}
_IMPROVEMENT_COLUMNS = tuple((f"{name}_{metric}", name, metric) for name, metric in SEED_IMPROVEMENT_COLUMNS)


def sort_key(record: BenchmarkRecord) -> tuple[str, str, str, str]:
    """Deterministic export order: task, then agent, then source."""
    result = record.result
    return (record.instance.commit_hash, result.agent_name or "", result.agent_model or "", record.source)


def throughput_metric(arms: list[ArmResult]) -> str | None:
    """Which registry metric fills the seed's `*_throughput` columns of a row (schema.py docstring)."""
    for name in ("throughput", "output_throughput"):
        for arm in arms:
            if name in arm.metrics:
                return name
    return None


def _improvement(comparisons: dict[str, dict[str, MetricComparison]], name: str, metric: str | None) -> float | None:
    found = comparisons.get(name, {}).get(metric or "")
    return found.improvement if found is not None else None


def flat_row(record: BenchmarkRecord) -> dict[str, Any]:
    """One export row: the seed's 76 columns, then tribench's (see `tribench.schema`)."""
    inst, res = record.instance, record.result
    arms = [res.arms.get(arm) or _EMPTY_ARM[arm] for arm in ARMS]
    baseline, human, agent = arms
    row: dict[str, Any] = {
        "commit_hash": inst.commit_hash,
        "commit_short": inst.commit_short,
        "commit_subject": inst.commit_subject,
        "repo": inst.repo,
        "perf_command": inst.perf_command,
        "files_changed": list(inst.files_changed),
        "pr_url": inst.pr_url,
        "models": list(inst.models),
        "parent_commit": inst.parent_commit,
        "gpu_config": inst.gpu_config,
        "benchmark_mode": res.benchmark_mode or inst.benchmark_mode,
        "agent_name": res.agent_name,
        "agent_model": res.agent_model,
        "benchmark_date": res.benchmark_date,
        "model": baseline.model or human.model or agent.model,
        "has_agent_patch": res.has_agent_patch,
        "patch_path": res.patch_path,
    }
    tput = throughput_metric(arms)
    for arm in arms:
        metrics = arm.metrics
        for column, metric in _METRIC_COLUMNS[arm.arm]:
            row[column] = metrics.get(metric)
        row[f"{_PREFIX[arm.arm]}_throughput"] = metrics.get(tput) if tput else None
    comparisons = res.comparisons
    for column, name, metric in _IMPROVEMENT_COLUMNS:
        found = comparisons.get(name, {}).get(tput if metric == "throughput" else metric)
        row[column] = found.improvement if found is not None else None
    for arm in arms:
        row[f"{_PREFIX[arm.arm]}_raw"] = arm.raw_output
    row["test_script"] = inst.test_script
    row["data_source"] = record.source
    _extras(record, arms, tput, row)
    return row


def _extras(record: BenchmarkRecord, arms: list[ArmResult], tput: str | None, row: dict[str, Any]) -> None:
    res, verdict = record.result, record.result.verdict
    primary = verdict.primary_metric
    spec = METRICS.get(primary or "")
    row["export_schema_version"] = EXPORT_SCHEMA_VERSION
    row["record_schema_version"] = record.schema_version
    row["harness_version"] = record.harness_version
    row["task_id"] = record.instance.task_id
    row["executor"] = record.executor
    row["result_status"] = res.status
    for arm in arms:
        row[f"{_PREFIX[arm.arm]}_status"] = arm.status.value
    for arm in arms:
        row[f"{_PREFIX[arm.arm]}_n_trials"] = arm.n_trials
    row["failure_owner"] = res.failure_owner.value
    row["evaluable"] = res.evaluable
    row["primary_metric"] = primary
    row["primary_metric_unit"] = spec.unit if spec else None
    row["primary_metric_direction"] = spec.direction.value if spec and spec.direction else None
    for arm in arms:
        row[f"{_PREFIX[arm.arm]}_primary"] = arm.metrics.get(primary) if primary else None
    row["human_improvement_primary"] = _improvement(res.comparisons, "human_improvement", primary)
    row["agent_improvement_primary"] = _improvement(res.comparisons, "agent_improvement", primary)
    row["agent_vs_human_primary"] = verdict.improvement
    row["agent_vs_human_primary_ci_low"] = verdict.ci_low
    row["agent_vs_human_primary_ci_high"] = verdict.ci_high
    row["agent_vs_human_primary_p_value"] = verdict.p_value
    row["verdict"] = verdict.verdict.value if verdict.verdict else None
    row["point_verdict"] = verdict.point_verdict.value if verdict.point_verdict else None
    row["verdict_method"] = verdict.method.value if verdict.method else None
    row["verdict_reason"] = verdict.reason
    row["tolerance_pct"] = verdict.tolerance_pct
    row["flags"] = [entry.flag.value for entry in res.flags]
    row["throughput_metric"] = tput
    row["agent_patch_hash"] = arms[2].patch_hash
