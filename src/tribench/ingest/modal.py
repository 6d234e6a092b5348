"""Shape "modal": the seed's Modal pipeline result, `results/modal/<commit>/benchmark_result.json`.

Documented by the seed's README (the files themselves are not in the fixtures):

    {"instance": {"commit_hash", "commit_subject", "perf_command", ...},
     "result": {"status": "success", "benchmark_mode": "serving",
                "baseline_metrics": {"ttft_mean": 100.0, ...}, "human_metrics": {...},
                "agent_metrics": {...}, "human_improvement": {"ttft_mean": 10.0},
                "agent_improvement": {...}, "agent_vs_human": {...}}}

An arm with metrics is measured; an arm without is missing (the file does not say which arm
failed, so no failure is attributed). The improvement dicts are claims, audited like the CSV's.
A tribench record has the same two keys plus `schema_version`: `discover` skips those.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tribench.constants import ARMS, Arm, Status
from tribench.errors import UserError
from tribench.ingest.source import (
    KIND_LABELS,
    LegacySource,
    SourceKind,
    agent_hint_for,
    check_commit,
    optional_commit,
    optional_number,
    optional_text,
    parse_metrics,
    seed_throughput,
)
from tribench.metrics import UnknownMetricError, canonical_metric
from tribench.model import COMPARISONS, ArmResult

SHAPE = "modal"
_INSTANCE_TEXT = ("commit_subject", "repo", "pr_url", "perf_command", "gpu_config", "test_script", "task_id")


def matches(data: Any) -> bool:
    return (isinstance(data, dict) and isinstance(data.get("instance"), dict)
            and isinstance(data.get("result"), dict) and "schema_version" not in data)


def _rename_throughput(metrics: dict[str, float], canonical: str) -> dict[str, float]:
    return {canonical if name == "throughput" else name: value for name, value in metrics.items()}


def _arms(path: Path, result: dict[str, Any]) -> dict[Arm, ArmResult]:
    parsed = {}
    for arm in ARMS:
        raw = result.get(f"{arm.value}_metrics")
        if raw is None:
            continue
        if not isinstance(raw, dict):
            raise UserError("not an object", path=path, field=f"result.{arm.value}_metrics")
        parsed[arm] = parse_metrics(raw, path=path, field_prefix=f"result.{arm.value}_metrics.")
    throughput = seed_throughput(result.get("benchmark_mode"), any("latency_avg" in m for m, _ in parsed.values()))
    return {
        arm: ArmResult(arm=arm, status=Status.OK, metrics=_rename_throughput(metrics, throughput),
                       model=optional_text(result, "model"), source=str(path), unknown_metrics=unknown)
        for arm, (metrics, unknown) in parsed.items() if metrics
    }


def _reported(path: Path, result: dict[str, Any], arms: dict[Arm, ArmResult]) -> dict[str, float]:
    throughput = seed_throughput(result.get("benchmark_mode"), any("latency_avg" in a.metrics for a in arms.values()))
    reported: dict[str, float] = {}
    for name in COMPARISONS:
        claims = result.get(name)
        for metric in claims if isinstance(claims, dict) else {}:
            try:
                canonical = canonical_metric(metric).canonical
            except UnknownMetricError:
                continue  # a claim about an unknown metric cannot be audited
            value = optional_number(claims, metric, path=path, field_prefix=f"result.{name}.")
            if value is not None:
                reported[f"{name}.{throughput if canonical == 'throughput' else canonical}"] = value
    return reported


def parse(path: Path, data: dict[str, Any]) -> LegacySource:
    instance, result = data["instance"], data["result"]
    commit = check_commit(instance.get("commit_hash"), path=path, field_name="instance.commit_hash")
    arms = _arms(path, result)
    lists = {k: v for k in ("files_changed", "models") if isinstance(v := instance.get(k), list)}
    patch = optional_text(result, "patch_path")
    return LegacySource(
        path=str(path), kind=SourceKind.MODAL, label=KIND_LABELS[SourceKind.MODAL], commit=commit,
        commit_full=commit if len(commit) == 40 else None,
        parent_commit=optional_commit(instance.get("parent_commit")),
        agent_name=optional_text(result, "agent_name"), agent_model=optional_text(result, "agent_model"),
        agent_hint=agent_hint_for(path, patch),
        arms=arms,
        instance={**{k: optional_text(instance, k) for k in _INSTANCE_TEXT}, **lists},
        result={"benchmark_date": optional_text(result, "benchmark_date"), "patch_path": patch,
                "has_agent_patch": result.get("has_agent_patch") if isinstance(result.get("has_agent_patch"), bool) else None},
        reported=_reported(path, result, arms),
        declared_mode=optional_text(result, "benchmark_mode"),
    )
