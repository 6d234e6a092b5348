"""The "separate" pipeline's own shapes (`results/separate_agent/`, `results/separate_baseline/`).

Three shapes, all one arm per file, the arm named by the file name (and, when present, by
`benchmark_source`, which must agree):

- "separate-commit": hand-written summaries with vLLM's metric names (`mean_ttft_ms`):
  `{"commit", "commit_full", "parent_commit", "model", "benchmark_type", "benchmark_source":
  "AGENT (...)", "status", "metrics": {...}, "agent_patch", "docker_image",
  "benchmark_command", "dataset", "model_note", "notes", "timestamp"}`
- "separate-flat": metrics at top level, null when the run produced none:
  `{"human_commit", ..., "status": "error", "error": "No throughput metrics in output",
  "ttft_mean": null, ..., "throughput_tok_s": null, "raw_output"}`
- "separate-minimal": `{"commit", "model", "benchmark_type", "image", "status", "error", "logs"}`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tribench.constants import Arm
from tribench.errors import UserError
from tribench.ingest.classify import classify
from tribench.ingest.source import (
    KIND_LABELS,
    LegacySource,
    SourceKind,
    agent_hint_for,
    arm_from_filename,
    check_commit,
    check_same_commit,
    full_commit,
    optional_commit,
    optional_number,
    optional_text,
    output_tail,
    parse_metrics,
)
from tribench.model import ArmResult

SHAPE_COMMIT = "separate-commit"
SHAPE_FLAT = "separate-flat"
SHAPE_MINIMAL = "separate-minimal"

# Keys of the flat shape that are not metrics; every other top-level key is a metric candidate.
_FLAT_FIELDS = {
    "human_commit", "human_commit_full", "parent_commit", "status", "benchmark_type", "model",
    "duration_s", "error", "timestamp", "raw_output",
}
_ENV_KEYS = {"docker_image": "docker_image", "image": "docker_image", "dataset": "dataset",
             "model_note": "model_note", "notes": "note"}


def shape_of(data: Any) -> str | None:
    if not isinstance(data, dict):
        return None
    if "human_commit" in data and not isinstance(data.get("metrics"), dict):
        return SHAPE_FLAT
    if "commit" in data and isinstance(data.get("metrics"), dict):
        return SHAPE_COMMIT
    if "commit" in data and "status" in data:
        return SHAPE_MINIMAL
    return None


def _arm_checked(path: Path, data: dict[str, Any], commit: str) -> Arm:
    named_commit, arm = arm_from_filename(path)
    check_same_commit(named_commit, commit, path=path, field_name="commit")
    stated = optional_text(data, "benchmark_source")
    if stated and not stated.lower().startswith(arm.value):
        raise UserError(f"benchmark_source {stated!r} contradicts the file name's arm {arm.value!r}",
                        path=path, field="benchmark_source")
    return arm


def _env(data: dict[str, Any]) -> dict[str, str]:
    return {name: str(data[key]) for key, name in _ENV_KEYS.items() if data.get(key) not in (None, "")}


def parse(path: Path, data: dict[str, Any]) -> LegacySource:
    shape = shape_of(data)
    commit_key = "human_commit" if shape == SHAPE_FLAT else "commit"
    commit = check_commit(data.get(commit_key), path=path, field_name=commit_key)
    arm = _arm_checked(path, data, commit)
    if shape == SHAPE_FLAT:
        raw_metrics = {k: v for k, v in data.items() if k not in _FLAT_FIELDS}
        metrics, unknown = parse_metrics(raw_metrics, path=path)
    elif shape == SHAPE_COMMIT:
        metrics, unknown = parse_metrics(data["metrics"], path=path, field_prefix="metrics.")
    else:
        metrics, unknown = {}, []
    output = output_tail(data.get("raw_output")) or output_tail(data.get("logs"))
    status, error = classify(data.get("status"), data.get("error"), bool(metrics), output)
    patch = optional_text(data, "agent_patch")
    arm_result = ArmResult(
        arm=arm, status=status, error=error, metrics=metrics,
        model=optional_text(data, "model"),
        command=optional_text(data, "benchmark_command"),
        raw_output=output,
        env=_env(data),
        duration_s=optional_number(data, "duration_s", path=path),
        timestamp=optional_text(data, "timestamp"),
        source=str(path),
        unknown_metrics=unknown,
    )
    return LegacySource(
        path=str(path),
        kind=SourceKind.SEPARATE,
        label=KIND_LABELS[SourceKind.SEPARATE],
        commit=commit,
        commit_full=full_commit(commit, data.get("commit_full") or data.get("human_commit_full"), path=path,
                                field_name="commit_full"),
        parent_commit=optional_commit(data.get("parent_commit")),
        agent_hint=agent_hint_for(path, patch),
        arms={arm: arm_result},
        result={"patch_path": patch, "has_agent_patch": True} if patch else {},
        declared_mode=optional_text(data, "benchmark_type"),
    )
