"""The flat export row: one definition for the Parquet/JSONL columns, the dataset card and the docs.

Every column tribench exports is declared once here, in order, with its type, unit, better
direction, group and meaning. The exporters (`tribench.export`) write exactly these columns, the
dataset card's `dataset_info.features` is generated from them, and so is `METRIC_ANALYSIS.md`
(`render_schema_markdown`), so the three can never disagree.

Layout (history of `constants.EXPORT_SCHEMA_VERSION`):
  v5: the seed's published layout, in its order and with its types: schema v3's 75 columns plus
      `data_source` (76 columns). tribench keeps those 76 columns first, byte for byte in name
      and type, and appends its own columns after them *in the same file*: a seed reader that
      selects the seed's columns reads a tribench export unchanged, and one file carries the
      verdict, its interval and the statuses beside the numbers they qualify.

The `*_throughput` columns: the seed put *output* token throughput there for serving rows and the
offline throughput for standalone rows. tribench's registry keeps the two apart (`throughput`,
standalone, tok/s; `output_throughput`, serving, tok/s). The export fills `*_throughput` from
`throughput` when any arm of the row has it, else from `output_throughput`, the same metric for
all arms and improvements of a row, and says which in the `throughput_metric` column.

Importing this module is cheap: pyarrow is only loaded by `arrow_schema`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from tribench.constants import EXPORT_SCHEMA_VERSION, Arm, Direction
from tribench.metrics import METRICS, SEED_METRICS

if TYPE_CHECKING:
    import pyarrow as pa


class ColumnType(StrEnum):
    """Arrow type of a column, spelled as `datasets` spells its feature dtype."""

    STRING = "string"
    FLOAT64 = "float64"
    INT64 = "int64"
    BOOL = "bool"
    STRING_LIST = "list<string>"


class ColumnGroup(StrEnum):
    METADATA = "metadata"
    METRIC = "metric"
    IMPROVEMENT = "improvement"
    RAW = "raw"
    EXTRA = "tribench_extra"


@dataclass(frozen=True)
class Column:
    name: str
    type: ColumnType
    group: ColumnGroup
    meaning: str
    unit: str | None = None
    direction: Direction | None = None
    seed: bool = False  # one of the seed's 76 columns (same name, type and position)


# The seed's improvement columns, in its (irregular) order: (comparison, metric).
SEED_IMPROVEMENT_COLUMNS: tuple[tuple[str, str], ...] = (
    *((c, f"{m}_mean") for c in ("human_improvement", "agent_improvement", "agent_vs_human")
      for m in ("ttft", "tpot", "itl")),
    ("human_improvement", "ttft_median"), ("human_improvement", "ttft_p99"),
    ("agent_improvement", "ttft_median"), ("agent_improvement", "ttft_p99"),
    ("agent_vs_human", "ttft_median"), ("agent_vs_human", "ttft_p99"),
    *((c, m) for c in ("human_improvement", "agent_improvement", "agent_vs_human")
      for m in ("latency_avg", "throughput")),
)

_ARM_TEXT = {
    Arm.BASELINE: "Baseline arm (parent commit)",
    Arm.HUMAN: "Human arm (the commit)",
    Arm.AGENT: "Agent arm (patch on the parent)",
}
_COMPARISON_TEXT = {
    "human_improvement": "Human over baseline",
    "agent_improvement": "Agent over baseline",
    "agent_vs_human": "Agent over human (positive = agent better)",
}
_IMPROVEMENT_RULE = "percent, positive = better; null when a value is missing or the reference is 0"
_THROUGHPUT_TEXT = (
    "tokens per second: `throughput` (standalone, total tok/s) when the row has it, else "
    "`output_throughput` (serving, output tok/s), see throughput_metric"
)


def _s(name: str, type_: ColumnType, meaning: str, group: ColumnGroup = ColumnGroup.METADATA) -> Column:
    return Column(name, type_, group, meaning, seed=True)


def _seed_metadata() -> list[Column]:
    S, L = ColumnType.STRING, ColumnType.STRING_LIST
    return [
        _s("commit_hash", S, "Full hash of the human (optimising) commit."),
        _s("commit_short", S, "First 8 characters of commit_hash."),
        _s("commit_subject", S, "First line of the human commit message."),
        _s("repo", S, "Repository of the task: owner/name or a local path."),
        _s("perf_command", S, "Performance command the three arms ran."),
        _s("files_changed", L, "Files the human commit changed."),
        _s("pr_url", S, "Pull request of the human commit, when known."),
        _s("models", L, "Models the task's command may use."),
        _s("parent_commit", S, "Baseline commit: the parent of the human commit."),
        _s("gpu_config", S, "Accelerators the task needs, e.g. H100:1."),
        _s("benchmark_mode", S, "serving, standalone or command (legacy rows: e.g. prefix_caching)."),
        _s("agent_name", S, "Agent that wrote the patch."),
        _s("agent_model", S, "Model behind the agent."),
        _s("benchmark_date", S, "Date the task was measured."),
        _s("model", S, "Model the performance command ran (baseline arm's, else human's, else agent's)."),
        _s("has_agent_patch", ColumnType.BOOL, "Whether the agent produced a patch."),
        _s("patch_path", S, "Path of the agent's patch, as recorded."),
    ]


def _seed_metrics() -> list[Column]:
    columns = []
    for arm in (Arm.BASELINE, Arm.HUMAN, Arm.AGENT):
        for metric in SEED_METRICS:
            spec = METRICS[metric]
            if metric == "throughput":
                meaning = f"{_ARM_TEXT[arm]}: {_THROUGHPUT_TEXT}; median over trials."
            else:
                meaning = f"{_ARM_TEXT[arm]}: {spec.description.rstrip('.')}; median over trials."
            columns.append(Column(f"{arm.value}_{metric}", ColumnType.FLOAT64, ColumnGroup.METRIC,
                                  meaning, spec.unit, spec.direction, seed=True))
    return columns


def _seed_improvements() -> list[Column]:
    columns = []
    for comparison, metric in SEED_IMPROVEMENT_COLUMNS:
        subject = "throughput (see throughput_metric)" if metric == "throughput" else metric
        meaning = f"{_COMPARISON_TEXT[comparison]} on {subject}: {_IMPROVEMENT_RULE}."
        columns.append(Column(f"{comparison}_{metric}", ColumnType.FLOAT64, ColumnGroup.IMPROVEMENT,
                              meaning, "%", Direction.HIGHER, seed=True))
    return columns


def _seed_tail() -> list[Column]:
    S, raw = ColumnType.STRING, ColumnGroup.RAW
    return [
        *(_s(f"{arm.value}_raw", S, f"{_ARM_TEXT[arm]}: tail of its output, as the source kept it.", raw)
          for arm in (Arm.BASELINE, Arm.HUMAN, Arm.AGENT)),
        _s("test_script", S, "Script the performance command runs, if any.", raw),
        _s("data_source", S, "Source of the record: modal, separate, docker, merged or a tribench run name."),
    ]


def _x(name: str, type_: ColumnType, meaning: str, unit: str | None = None,
       direction: Direction | None = None) -> Column:
    return Column(name, type_, ColumnGroup.EXTRA, meaning, unit, direction)


def _extras() -> list[Column]:
    S, F, I, B = ColumnType.STRING, ColumnType.FLOAT64, ColumnType.INT64, ColumnType.BOOL
    arms = (Arm.BASELINE, Arm.HUMAN, Arm.AGENT)
    return [
        _x("export_schema_version", S, f"Layout of this row ({EXPORT_SCHEMA_VERSION}): the seed's 76 columns, then tribench's."),
        _x("record_schema_version", I, "Version of the canonical record the row was flattened from."),
        _x("harness_version", S, "tribench version that measured or ingested the task."),
        _x("task_id", S, "The task's id in its suite."),
        _x("executor", S, "Engine that measured the task: local, ray, modal (null for ingested rows)."),
        _x("result_status", S, "success (all three arms measured), partial or error."),
        *(_x(f"{arm.value}_status", S, f"{_ARM_TEXT[arm]}: ok, or why it has no numbers "
             "(setup_failed, timeout, server_failed, no_metrics, crash, incorrect, patch_failed, "
             "needs_build, missing).") for arm in arms),
        *(_x(f"{arm.value}_n_trials", I, f"{_ARM_TEXT[arm]}: measured trials (1 for a legacy single value).")
          for arm in arms),
        _x("failure_owner", S, "Who is charged with a failure: none, infra (baseline), task (human) or agent."),
        _x("evaluable", B, "Baseline and human measured under identical conditions."),
        _x("primary_metric", S, "Metric the verdict is decided on."),
        _x("primary_metric_unit", S, "Unit of primary_metric and of the *_primary arm columns."),
        _x("primary_metric_direction", S, "lower or higher: which way primary_metric is better."),
        *(_x(f"{arm.value}_primary", F, f"{_ARM_TEXT[arm]}: median of primary_metric "
             "(in primary_metric_unit).") for arm in arms),
        _x("human_improvement_primary", F, f"Human over baseline on primary_metric: {_IMPROVEMENT_RULE}.", "%", Direction.HIGHER),
        _x("agent_improvement_primary", F, f"Agent over baseline on primary_metric: {_IMPROVEMENT_RULE}.", "%", Direction.HIGHER),
        _x("agent_vs_human_primary", F, f"Agent over human on primary_metric: {_IMPROVEMENT_RULE}.", "%", Direction.HIGHER),
        _x("agent_vs_human_primary_ci_low", F, "Lower end of the 95% bootstrap interval of agent_vs_human_primary.", "%", Direction.HIGHER),
        _x("agent_vs_human_primary_ci_high", F, "Upper end of the 95% bootstrap interval of agent_vs_human_primary.", "%", Direction.HIGHER),
        _x("agent_vs_human_primary_p_value", F, "Two-sided Mann-Whitney U p-value, agent vs human trials on primary_metric."),
        _x("verdict", S, "Agent vs human from the interval: beats, matches, loses or inconclusive; null without a value."),
        _x("point_verdict", S, "The seed's point-estimate verdict: win (> +t), match (within ±t) or loss (< -t)."),
        _x("verdict_method", S, "bootstrap_ci, or point_estimate when an arm has a single trial."),
        _x("verdict_reason", S, "Why there is no verdict, or how it was reached."),
        _x("tolerance_pct", F, "Tolerance t of the verdict rule, percent.", "%"),
        _x("flags", ColumnType.STRING_LIST, "Data-quality flags of the record (model_mismatch, single_trial, ...)."),
        _x("throughput_metric", S, "Registry metric in the *_throughput columns: throughput or output_throughput; null if neither."),
        _x("agent_patch_hash", S, "Hash of the agent's patch, when known."),
    ]


COLUMNS: tuple[Column, ...] = (*_seed_metadata(), *_seed_metrics(), *_seed_improvements(),
                               *_seed_tail(), *_extras())
COLUMN_NAMES: tuple[str, ...] = tuple(c.name for c in COLUMNS)
SEED_COLUMN_COUNT = 76
SEED_COLUMNS: tuple[Column, ...] = COLUMNS[:SEED_COLUMN_COUNT]
_BY_NAME = {c.name: c for c in COLUMNS}
assert len(_BY_NAME) == len(COLUMNS), "duplicate column name in the export schema"
assert all(c.seed for c in SEED_COLUMNS) and not any(c.seed for c in COLUMNS[SEED_COLUMN_COUNT:])

# Key of the Parquet file's schema metadata that carries the export schema version.
PARQUET_VERSION_KEY = b"tribench.export_schema_version"


def column(name: str) -> Column:
    """The column called `name`; KeyError naming it otherwise."""
    return _BY_NAME[name]


def _arrow_type(type_: ColumnType) -> pa.DataType:
    import pyarrow as pa

    return {
        ColumnType.STRING: pa.string(),
        ColumnType.FLOAT64: pa.float64(),
        ColumnType.INT64: pa.int64(),
        ColumnType.BOOL: pa.bool_(),
        ColumnType.STRING_LIST: pa.list_(pa.string()),
    }[type_]


def arrow_schema() -> pa.Schema:
    """The Parquet schema, with the export schema version in its metadata."""
    import pyarrow as pa

    fields = [pa.field(c.name, _arrow_type(c.type), nullable=True) for c in COLUMNS]
    return pa.schema(fields, metadata={PARQUET_VERSION_KEY: EXPORT_SCHEMA_VERSION.encode()})


def hf_features() -> list[dict[str, str]]:
    """`dataset_info.features` of the dataset card, as the seed's card spells them."""
    return [
        {"name": c.name, "list": "string"} if c.type == ColumnType.STRING_LIST
        else {"name": c.name, "dtype": c.type.value}
        for c in COLUMNS
    ]


_GROUP_TITLES = {
    ColumnGroup.METADATA: "Metadata",
    ColumnGroup.METRIC: "Per-arm metrics (medians over trials)",
    ColumnGroup.IMPROVEMENT: "Improvements (percent, positive = better)",
    ColumnGroup.RAW: "Raw outputs",
    ColumnGroup.EXTRA: "tribench columns (appended after the seed's 76)",
}


def columns_table(columns: tuple[Column, ...] | list[Column] = COLUMNS) -> str:
    """A Markdown table of columns: position, name, type, unit, better direction, meaning."""
    lines = ["| # | Column | Type | Unit | Better | Meaning |", "|---|---|---|---|---|---|"]
    for column_ in columns:
        position = COLUMN_NAMES.index(column_.name) + 1
        better = column_.direction.value if column_.direction else ""
        lines.append(f"| {position} | `{column_.name}` | {column_.type.value} | {column_.unit or ''} | "
                     f"{better} | {column_.meaning.replace('|', '/')} |")
    return "\n".join(lines)


def schema_notes() -> list[str]:
    """How to read the columns: Markdown bullets shared by METRIC_ANALYSIS.md and the dataset card."""
    return [
        "- **Benchmark modes are exclusive.** Serving rows fill the TTFT/TPOT/ITL columns (ms, lower is "
        "better); standalone rows fill `latency_avg` (ms, lower) and `throughput` (tok/s, higher). "
        "Columns of the other mode are null by design, not missing data.",
        "- **`*_throughput`** holds " + _THROUGHPUT_TEXT + ".",
        "- **Improvement** = `(b - o) / b * 100` when lower is better, `(o - b) / b * 100` when higher "
        "is better, on per-arm medians; `agent_vs_human_*` uses the human arm as `b`. 0.0 is a value; "
        "null means undefined (a missing arm, or `b` = 0).",
        "- **Verdict** (`verdict`) comes from the bootstrap interval of `agent_vs_human_primary` against "
        "the tolerance `tolerance_pct`; `point_verdict` is the seed's point-estimate rule, kept for "
        "comparability.",
    ]


def schema_summary() -> str:
    return (f"Export schema version **{EXPORT_SCHEMA_VERSION}**, {len(COLUMNS)} columns: the seed's "
            f"{SEED_COLUMN_COUNT} columns first (same names, order and types), then "
            f"{len(COLUMNS) - SEED_COLUMN_COUNT} tribench columns.")


def render_schema_markdown() -> str:
    """METRIC_ANALYSIS.md: the export schema, generated from `COLUMNS` (no timestamp: stable bytes)."""
    parts = ["# Export schema (METRIC_ANALYSIS)", "",
             schema_summary() + " Generated from `tribench/schema.py`.", "", *schema_notes(), ""]
    for group in ColumnGroup:
        members = [c for c in COLUMNS if c.group == group]
        parts += [f"## {_GROUP_TITLES[group]} ({len(members)})", "", columns_table(members), ""]
    return "\n".join(parts)
