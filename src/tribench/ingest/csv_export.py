"""Shape "csv-export": rows of the seed's flat export (schema v3, 75 columns; v5 adds `data_source`).

One row is one task for one agent. Per-arm metric columns are `<arm>_<metric>` for the seed's
metrics (`ttft_mean` ... `itl_p99`, `latency_avg`, `throughput`), `<arm>_raw` keeps the tail of
the arm's output, and `<comparison>_<metric>` are the export's own improvement numbers (kept as
claims in `reported`, audited in `audit.py`, never used as results).

Quirks of the seed's writer, handled here:
- multi-line quoted fields (raw output, test scripts): read with the stdlib `csv` module;
- list columns written as Python reprs (`['a', 'b']`) *or* numpy reprs without commas
  (`['a'\\n 'b']`, which `ast.literal_eval` would silently concatenate): the quoted items are
  extracted one by one;
- "N/A" (also inside lists) means no value;
- `throughput` means *output tokens/s* in serving rows (the export's README: "Output tokens per
  second"; 22d33bac's baseline_throughput 2046.93 is the separate file's
  output_token_throughput_tok_s) and the offline benchmark's tokens/s in standalone and
  prefix-caching rows. It maps to `output_throughput` when the row's mode is serving and it has
  no `latency_avg` (the 99abb8b6 rerun row says serving but holds latency-benchmark numbers),
  else to `throughput`, as the same runs' JSON files do.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path

from tribench.constants import ARMS, Arm, Status
from tribench.errors import UserError
from tribench.ingest.source import (
    LegacySource,
    SourceKind,
    agent_hint_for,
    check_commit,
    optional_commit,
    parse_metrics,
    seed_throughput,
)
from tribench.metrics import UnknownMetricError, canonical_metric, to_float
from tribench.model import COMPARISONS, ArmResult

SHAPE = "csv-export"
REQUIRED_COLUMNS = ("commit_hash",)
# v3 exports have no data_source column: such rows are labelled by the file kind.
DEFAULT_LABEL = "csv"
_NON_METRIC_ARM_COLUMNS = {"raw"}
_LIST_ITEM = re.compile(r"'((?:[^'\\]|\\.)*)'|\"((?:[^\"\\]|\\.)*)\"")
_NO_VALUE = {"", "n/a", "na", "none", "null", "nan"}
# Raw-output cells can exceed the csv module's 128 KiB default field limit.
_FIELD_LIMIT = 1 << 26


@dataclass
class CsvRead:
    sources: list[LegacySource] = field(default_factory=list)
    problems: list[UserError] = field(default_factory=list)  # row-level: path is "<file>:row N"


def parse_list(text: str) -> list[str]:
    """Items of a list cell in any of the seed's spellings; 'N/A' items dropped."""
    text = text.strip()
    if not text or text.lower() in _NO_VALUE:
        return []
    if text.startswith("["):
        # Quoted items one by one: numpy reprs have no commas between them.
        items = [single or double for single, double in _LIST_ITEM.findall(text)]
    else:
        items = [part.strip() for part in text.split(",")]
    return [item for item in items if item.strip().lower() not in _NO_VALUE]


def _text(row: dict[str, str], column: str) -> str | None:
    value = (row.get(column) or "").strip()
    return None if value.lower() in _NO_VALUE else value


def _bool(row: dict[str, str], column: str) -> bool | None:
    value = (_text(row, column) or "").lower()
    return {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}.get(value)


def throughput_metric(row: dict[str, str]) -> str:
    """The canonical metric of the row's `throughput` columns (see the module docstring)."""
    has_latency = any(_text(row, f"{arm.value}_latency_avg") for arm in ARMS)
    return seed_throughput(_text(row, "benchmark_mode"), has_latency)


def _is_claim(column: str) -> bool:
    # `human_improvement_*` and `agent_vs_human_*` start like arm columns but are claims.
    return any(column.startswith(f"{name}_") for name in COMPARISONS)


def _canonical(metric: str, row: dict[str, str]) -> str:
    return throughput_metric(row) if metric == "throughput" else metric


def _arm(path: str, row: dict[str, str], arm: Arm, header: list[str]) -> ArmResult | None:
    prefix = f"{arm.value}_"
    cells = {c[len(prefix):]: row[c] for c in header
             if c.startswith(prefix) and not _is_claim(c) and c[len(prefix):] not in _NON_METRIC_ARM_COLUMNS
             and (row.get(c) or "").strip()}
    metrics, unknown = parse_metrics(cells, path=path, field_prefix=prefix)  # errors name the column
    metrics = {_canonical(name, row): value for name, value in metrics.items()}
    if not metrics:
        return None  # the row says nothing measured about this arm: absence, not failure
    return ArmResult(arm=arm, metrics=metrics, status=Status.OK, model=_text(row, "model"),
                     raw_output=_text(row, f"{arm.value}_raw"), source=path, unknown_metrics=unknown)


def _reported(path: str, row: dict[str, str], header: list[str]) -> dict[str, float]:
    """The export's own improvement columns, as "<comparison>.<canonical metric>"."""
    reported: dict[str, float] = {}
    for column in header:
        if not _is_claim(column):
            continue
        name = next(n for n in COMPARISONS if column.startswith(f"{n}_"))
        try:
            metric = canonical_metric(column[len(name) + 1:]).canonical
            value = to_float(row.get(column))
        except UnknownMetricError:
            continue  # a claim about an unknown metric cannot be audited
        except ValueError:
            raise UserError(f"improvement is not a number: {row.get(column)!r}", path=path, field=column) from None
        if value is not None:
            reported[f"{name}.{_canonical(metric, row)}"] = value
    return reported


def parse_row(path: str, row: dict[str, str], header: list[str], file_path: Path) -> LegacySource:
    commit = check_commit(_text(row, "commit_hash"), path=path, field_name="commit_hash")
    arms = {arm: found for arm in ARMS if (found := _arm(path, row, arm, header)) is not None}
    patch_path = _text(row, "patch_path")
    instance = {
        "commit_subject": _text(row, "commit_subject"), "repo": _text(row, "repo"),
        "pr_url": _text(row, "pr_url"), "perf_command": _text(row, "perf_command"),
        "files_changed": parse_list(row.get("files_changed") or ""),
        "models": parse_list(row.get("models") or ""),
        "gpu_config": _text(row, "gpu_config"), "test_script": _text(row, "test_script"),
    }
    return LegacySource(
        path=path, kind=SourceKind.CSV, label=_text(row, "data_source") or DEFAULT_LABEL,
        commit=commit, commit_full=commit if len(commit) == 40 else None,
        parent_commit=optional_commit(_text(row, "parent_commit")),
        agent_name=_text(row, "agent_name"), agent_model=_text(row, "agent_model"),
        agent_hint=agent_hint_for(file_path, patch_path),
        arms=arms, instance=instance,
        result={"benchmark_date": _text(row, "benchmark_date"), "has_agent_patch": _bool(row, "has_agent_patch"),
                "patch_path": patch_path},
        reported=_reported(path, row, header),
        declared_mode=_text(row, "benchmark_mode"),
        cells={k: v for k, v in row.items() if k and v and v.strip()},
    )


def read_export(file_path: Path) -> CsvRead:
    """Every row of an export; a bad row is a problem naming `<file>:row N` and the column."""
    csv.field_size_limit(max(csv.field_size_limit(), _FIELD_LIMIT))
    out = CsvRead()
    try:
        with open(file_path, newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            header = [c for c in (reader.fieldnames or []) if c]
            missing = [c for c in REQUIRED_COLUMNS if c not in header]
            if missing:
                raise UserError(f"missing required column {missing[0]!r}: not a seed export", path=file_path, field=missing[0])
            for index, row in enumerate(reader, start=1):
                path = f"{file_path}:row {index}"
                try:
                    out.sources.append(parse_row(path, row, header, file_path))
                except UserError as exc:
                    out.problems.append(exc)
    except csv.Error as exc:
        raise UserError(f"malformed CSV: {exc}", path=file_path) from None
    except UnicodeDecodeError as exc:
        raise UserError(f"not UTF-8 text ({exc.reason})", path=file_path) from None
    return out
