"""The common form every legacy-shape parser returns: one `LegacySource` per file (or CSV row).

A source says what *one* file knows about a task: some arms (never guessed: an arm comes from
the file's own block, its file name or its column prefix), instance metadata, the agent, and
the improvements the file claims. `merge` turns the sources of a task into one record.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import IntEnum
from pathlib import Path
from typing import Any

from tribench.constants import Arm
from tribench.errors import UserError
from tribench.metrics import UnknownMetricError, canonical_metric, to_float
from tribench.model import ArmResult


class SourceKind(IntEnum):
    """Kinds of legacy source, in merge priority order (lowest value wins; see `merge`)."""

    RERUN = 0  # reruns/<set>/<c8>_result.json: one Docker rerun, all three arms
    DOCKER = 1  # results/<c8>_<arm>_result.json: the Docker pipeline, one arm per file
    MODAL = 2  # results/modal/<commit>/benchmark_result.json: the Modal pipeline's 3-way result
    CSV = 3  # hf_export/*.csv: rows of the seed's flat export (modal / merged / ... rows)
    SEPARATE = 4  # results/separate_{agent,baseline}/: the "separate" pipeline


# The data_source label of each kind; a CSV row carries its own (`data_source` column).
KIND_LABELS = {
    SourceKind.RERUN: "docker",  # the seed calls its local Docker reruns "docker" (METRIC_ANALYSIS.md)
    SourceKind.DOCKER: "docker",
    SourceKind.MODAL: "modal",
    SourceKind.SEPARATE: "separate",
}


@dataclass
class LegacySource:
    """What one legacy file (or CSV row) says about one task."""

    path: str  # the file, plus ":row N" (1-based data row) for CSV rows
    kind: SourceKind
    label: str  # data_source of the rows built from it
    commit: str  # as written: 8 characters or the full hash
    arms: dict[Arm, ArmResult] = field(default_factory=dict)
    commit_full: str | None = None
    parent_commit: str | None = None
    agent_name: str | None = None  # stated by the file
    agent_model: str | None = None
    agent_hint: str | None = None  # inferred from evidence in the file or its tree (see agent_hint_for)
    instance: dict[str, Any] = field(default_factory=dict)  # Instance fields the file knows
    result: dict[str, Any] = field(default_factory=dict)  # benchmark_date, has_agent_patch, patch_path
    reported: dict[str, float] = field(default_factory=dict)  # "<comparison>.<metric>" -> percent
    declared_mode: str | None = None
    cells: dict[str, str] = field(default_factory=dict)  # non-empty raw cells (CSV rows), for dedupe

    @property
    def best_commit(self) -> str:
        return self.commit_full or self.commit


_HEX = re.compile(r"^[0-9a-fA-F]{7,40}$")
_ARM_FILE = re.compile(r"^(?P<commit>[0-9a-fA-F]{7,40})_(?P<arm>baseline|human|agent)_result\.json$")
# `perf-agents-bench/state/runs/vllm/claude_code/default/<date>/<task>/model_patch.diff`
_RUNS_AGENT = re.compile(r"/runs/[^/]+/(?P<agent>[^/]+)/")
# The seed names a results tree after its agent: `iso_bench_results_3way_claude_code`.
_TREE_AGENT = re.compile(r"_3way_(?P<agent>[A-Za-z0-9._-]+)$")


def is_full_hash(text: str | None) -> bool:
    return bool(text) and len(text) == 40 and bool(_HEX.match(text))


def check_commit(value: object, *, path: Path | str, field_name: str) -> str:
    """A commit hash from a file, or UserError naming the field."""
    if not isinstance(value, str) or not _HEX.match(value.strip()):
        raise UserError(f"not a commit hash: {value!r}", path=path, field=field_name)
    return value.strip().lower()


def optional_commit(value: object) -> str | None:
    return value.strip().lower() if isinstance(value, str) and _HEX.match(value.strip()) else None


def full_commit(commit: str, value: object, *, path: Path | str, field_name: str) -> str | None:
    """The file's full hash of `commit`, which must extend it (else the file contradicts itself)."""
    full = optional_commit(value)
    if full is not None and not full.startswith(commit):
        raise UserError(f"full hash {full} does not extend the commit {commit}", path=path, field=field_name)
    return full if is_full_hash(full) else None


def seed_throughput(mode: str | None, has_latency_avg: bool) -> str:
    """The canonical metric of the seed's `throughput` field (export rows, Modal results).

    The seed's README: in serving mode `throughput` is output tokens/s; in standalone and
    prefix-caching modes it is the offline benchmark's tokens/s (our `throughput`). A row that
    says serving but holds `latency_avg` (the 99abb8b6 rerun row) holds latency-benchmark numbers.
    """
    serving = (mode or "").strip().lower() == "serving"
    return "output_throughput" if serving and not has_latency_avg else "throughput"


def arm_from_filename(path: Path) -> tuple[str, Arm]:
    """`<commit>_<arm>_result.json` -> (commit, arm): the only arm attribution per-arm files have."""
    match = _ARM_FILE.match(path.name)
    if match is None:
        raise UserError(
            "cannot attribute this file to an arm: per-arm result files are named "
            "<commit>_<baseline|human|agent>_result.json",
            path=path,
        )
    return match["commit"].lower(), Arm(match["arm"])


def check_same_commit(named: str, stated: str, *, path: Path, field_name: str) -> None:
    """The commit in the file name and the one inside the file must be the same task."""
    if not (stated.startswith(named) or named.startswith(stated)):
        raise UserError(f"commit {stated} does not match the file name's {named}", path=path, field=field_name)


def parse_metrics(raw: Mapping[str, object], *, path: Path | str, field_prefix: str = "") -> tuple[dict[str, float], list[str]]:
    """Canonical metrics of a legacy dict, and the names that are not in the registry.

    A value that is not a number is an error naming the field (DESIGN.md: "a number that cannot be attributed is an error, never a guess"), while
    the spellings of "no value" ("N/A", null, "") are simply absent.
    """
    metrics: dict[str, float] = {}
    unknown: list[str] = []
    for name, value in raw.items():
        try:
            alias = canonical_metric(name)
        except UnknownMetricError:
            unknown.append(name)
            continue
        try:
            number = to_float(value)
        except ValueError:
            raise UserError(f"metric value is not a number: {value!r}", path=path, field=f"{field_prefix}{name}") from None
        if number is not None and alias.canonical not in metrics:
            metrics[alias.canonical] = number * alias.scale
    return metrics, unknown


def optional_number(data: Mapping[str, object], key: str, *, path: Path | str, field_prefix: str = "") -> float | None:
    try:
        return to_float(data.get(key))
    except ValueError:
        raise UserError(f"not a number: {data.get(key)!r}", path=path, field=f"{field_prefix}{key}") from None


def optional_text(data: Mapping[str, object], key: str) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def agent_key(name: str) -> str:
    """One agent, one key: the seed spells Claude Code both `claude-code` and `claude_code`."""
    return re.sub(r"[\s_]+", "-", name.strip().lower())


def agent_hint_for(path: Path, patch_path: str | None = None) -> str | None:
    """The agent a file belongs to, from evidence only: its patch path, else its results tree.

    Never a default: a file outside an agent's tree, with no patch path, has no agent.
    """
    if patch_path:
        match = _RUNS_AGENT.search(patch_path)
        if match:
            return agent_key(match["agent"])
    for parent in Path(path).absolute().parents:
        match = _TREE_AGENT.search(parent.name)
        if match:
            return agent_key(match["agent"])
    return None


def kind_from_location(path: Path) -> SourceKind:
    """Per-arm files of both pipelines share shapes; the folder says which pipeline wrote them."""
    return SourceKind.SEPARATE if Path(path).parent.name.startswith("separate") else SourceKind.DOCKER


def output_tail(text: object) -> str | None:
    return text if isinstance(text, str) and text else None
