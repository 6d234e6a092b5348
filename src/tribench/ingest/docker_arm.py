"""Shape "docker-arm": one arm per file, `results/<c8>_{human,agent}_result.json`.

Written by the seed's Docker pipeline (and by the separate pipeline's later runs, which used
the same writer; `source.kind_from_location` tells them apart by folder):

    {"human_commit": "22d33bac", "human_commit_full": "22d33bac...", "parent_commit": "b0e9...",
     "model": "meta-llama/Llama-3.1-8B-Instruct", "status": "success", "error": null,
     "duration_s": 335.6, "metrics": {"ttft_mean_ms": 651.12, ...}, "raw_output": "...",
     "timestamp": "2026-01-19 10:20:32"}

The file never names its arm: the file name does.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tribench.errors import UserError
from tribench.ingest.classify import classify
from tribench.ingest.source import (
    KIND_LABELS,
    LegacySource,
    agent_hint_for,
    arm_from_filename,
    check_commit,
    check_same_commit,
    full_commit,
    kind_from_location,
    optional_commit,
    optional_number,
    optional_text,
    output_tail,
    parse_metrics,
)
from tribench.model import ArmResult

SHAPE = "docker-arm"


def matches(data: Any) -> bool:
    return isinstance(data, dict) and "human_commit" in data and isinstance(data.get("metrics"), dict)


def parse(path: Path, data: dict[str, Any]) -> LegacySource:
    named_commit, arm = arm_from_filename(path)
    commit = check_commit(data.get("human_commit"), path=path, field_name="human_commit")
    check_same_commit(named_commit, commit, path=path, field_name="human_commit")
    if not isinstance(data.get("metrics"), dict):
        raise UserError("`metrics` is not an object", path=path, field="metrics")
    metrics, unknown = parse_metrics(data["metrics"], path=path, field_prefix="metrics.")
    output = output_tail(data.get("raw_output"))
    status, error = classify(data.get("status"), data.get("error"), bool(metrics), output)
    kind = kind_from_location(path)
    arm_result = ArmResult(
        arm=arm,
        status=status,
        error=error,
        metrics=metrics,
        model=optional_text(data, "model"),
        raw_output=output,
        duration_s=optional_number(data, "duration_s", path=path),
        timestamp=optional_text(data, "timestamp"),
        source=str(path),
        unknown_metrics=unknown,
    )
    return LegacySource(
        path=str(path),
        kind=kind,
        label=KIND_LABELS[kind],
        commit=commit,
        commit_full=full_commit(commit, data.get("human_commit_full"), path=path, field_name="human_commit_full"),
        parent_commit=optional_commit(data.get("parent_commit")),
        agent_hint=agent_hint_for(path),
        arms={arm: arm_result},
    )
