"""Shape "rerun": one Docker rerun of a task, all three arms in one file.

    {"commit_short", "commit_full", "parent_hash", "task_id", "model", "benchmark_type",
     "description", "timestamp", "baseline_command", "test_command", "is_asymmetric",
     "num_trials", "baseline": {"status", "metrics", "duration_s", "raw_output"},
     "human": {...}, "agent": {...},
     "analysis": {"primary_metric": "latency_avg_ms", "baseline_value", ...,
                  "human_improvement_pct": -0.27, "agent_improvement_pct": -0.58}}

A block may be absent when the rerun could not run that arm (the arm is then missing). The
baseline ran `baseline_command`, human and agent ran `test_command` (they differ when
`is_asymmetric`; compare.py then refuses to compare them). The `analysis` block is the source's
own claim: kept in `Result.reported_improvements` and audited, never used as a result.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tribench.constants import ARMS, Arm
from tribench.errors import UserError
from tribench.ingest.classify import classify
from tribench.ingest.source import (
    KIND_LABELS,
    LegacySource,
    SourceKind,
    agent_hint_for,
    check_commit,
    full_commit,
    optional_commit,
    optional_number,
    optional_text,
    output_tail,
    parse_metrics,
)
from tribench.metrics import UnknownMetricError, canonical_metric
from tribench.model import COMPARISONS, ArmResult

SHAPE = "rerun"


def matches(data: Any) -> bool:
    # A rerun that could not run an arm may lack its block: one block and a commit suffice.
    return (isinstance(data, dict) and ("commit_full" in data or "commit_short" in data)
            and any(isinstance(data.get(arm.value), dict) for arm in ARMS))


def _arm(path: Path, data: dict[str, Any], arm: Arm) -> ArmResult:
    block = data[arm.value]
    raw = block.get("metrics") or {}
    if not isinstance(raw, dict):
        raise UserError("`metrics` is not an object", path=path, field=f"{arm.value}.metrics")
    metrics, unknown = parse_metrics(raw, path=path, field_prefix=f"{arm.value}.metrics.")
    output = output_tail(block.get("raw_output"))
    status, error = classify(block.get("status"), block.get("error"), bool(metrics), output)
    command_key = "baseline_command" if arm == Arm.BASELINE else "test_command"
    return ArmResult(
        arm=arm, status=status, error=error, metrics=metrics,
        model=optional_text(data, "model"),
        command=optional_text(data, command_key),
        raw_output=output,
        duration_s=optional_number(block, "duration_s", path=path, field_prefix=f"{arm.value}."),
        timestamp=optional_text(data, "timestamp"),
        source=str(path),
        unknown_metrics=unknown,
    )


def _reported(path: Path, analysis: object) -> dict[str, float]:
    """`analysis.<comparison>_pct` of the primary metric, as "<comparison>.<canonical metric>"."""
    if not isinstance(analysis, dict) or not analysis.get("primary_metric"):
        return {}
    try:
        metric = canonical_metric(str(analysis["primary_metric"])).canonical
    except UnknownMetricError:
        return {}  # a claim about an unknown metric cannot be audited; the arms still ingest
    reported: dict[str, float] = {}
    for name in COMPARISONS:
        number = optional_number(analysis, f"{name}_pct", path=path, field_prefix="analysis.")
        if number is not None:
            reported[f"{name}.{metric}"] = number
    return reported


def parse(path: Path, data: dict[str, Any]) -> LegacySource:
    key = "commit_short" if data.get("commit_short") else "commit_full"
    commit = check_commit(data.get(key), path=path, field_name=key)
    timestamp = optional_text(data, "timestamp")
    return LegacySource(
        path=str(path),
        kind=SourceKind.RERUN,
        label=KIND_LABELS[SourceKind.RERUN],
        commit=commit,
        commit_full=full_commit(commit, data.get("commit_full"), path=path, field_name="commit_full"),
        parent_commit=optional_commit(data.get("parent_hash")),
        agent_hint=agent_hint_for(path),
        arms={arm: _arm(path, data, arm) for arm in ARMS if isinstance(data.get(arm.value), dict)},
        instance={
            "task_id": optional_text(data, "task_id"),
            "commit_subject": optional_text(data, "description"),
            "perf_command": optional_text(data, "test_command"),
        },
        result={"benchmark_date": timestamp[:10] if timestamp else None},
        reported=_reported(path, data.get("analysis")),
        declared_mode=optional_text(data, "benchmark_type"),
    )
