"""Bad legacy input is reported by file (and field), and never stops the rest of the ingest.

The story: legacy trees get truncated by interrupted copies, hand-edited, exported by
another tool version. DESIGN.md: bad input gives a clear error naming the file and field,
and nothing else is lost; "N/A" is no value, not an error; an unknown metric name is kept
out of the metrics, listed, and flagged. Each test corrupts one file of a copy of the real
tree and checks that the file is reported precisely while every other file still ingests.
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest

from tribench.constants import Arm, Flag
from tribench.errors import UserError
from tribench.ingest import Outcome, ingest_paths
from tribench.store import read_record

TREE = "omniperf_results_3way_claude_code"


@pytest.fixture()
def tree(isobench_dir: Path, tmp_path: Path) -> Path:
    """A writable copy of the real tree, under its own name (the name says which agent it is)."""
    copy = tmp_path / TREE
    shutil.copytree(isobench_dir / TREE, copy)
    for path in copy.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)  # the fixtures are read-only
    return copy


@pytest.fixture(scope="module")
def clean_counts(isobench_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[int, int]:
    report = ingest_paths([isobench_dir / TREE], tmp_path_factory.mktemp("clean"))
    return len(report.ingested), len(report.records)


def _edit_json(path: Path, edit) -> None:
    data = json.loads(path.read_text())
    edit(data)
    path.write_text(json.dumps(data))


def _failed(report, name: str):
    return [r for r in report.failed if Path(r.path.split(":row ")[0]).name == name]


def _record(report, commit_short: str):
    return next(read_record(p) for p in report.records if p.parent.name.startswith(commit_short))


def test_truncated_json_is_reported_and_the_rest_still_ingests(tree: Path, tmp_path: Path, clean_counts):
    target = tree / "results" / "22d33bac_agent_result.json"
    target.write_text(target.read_text()[:400])
    report = ingest_paths([tree], tmp_path / "results")
    (problem,) = _failed(report, target.name)
    assert problem.path == str(target) and problem.reason.startswith("not valid JSON (")
    assert len(report.ingested) == clean_counts[0] - 1
    assert len(report.records) == clean_counts[1]  # 22d33bac still has its CSV and separate sources
    agent = _record(report, "22d33bac").result.arms[Arm.AGENT]
    assert agent.source.endswith("updated_rows_only.csv:row 1")  # the next source in priority


def test_csv_without_commit_hash_column_is_reported_with_the_column(tree: Path, tmp_path: Path, clean_counts):
    target = tree / "hf_export" / "updated_rows.csv"
    with open(target, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    header = [c for c in rows[0] if c != "commit_hash"]
    with open(target, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=header, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    report = ingest_paths([tree], tmp_path / "results")
    (problem,) = _failed(report, "updated_rows.csv")
    assert problem.field == "commit_hash" and "missing required column" in problem.reason
    assert any(Path(i.path).name == "updated_rows_only.csv" for i in report.ingested)
    assert len(report.ingested) == clean_counts[0] - 1


def test_a_metric_that_is_not_a_number_names_file_and_field(tree: Path, tmp_path: Path, clean_counts):
    target = tree / "results" / "6e36f4fa_agent_result.json"
    _edit_json(target, lambda d: d["metrics"].update(ttft_mean_ms="fast"))
    report = ingest_paths([tree], tmp_path / "results")
    (problem,) = _failed(report, target.name)
    assert problem.field == "metrics.ttft_mean_ms" and "'fast'" in problem.reason
    assert len(report.ingested) == clean_counts[0] - 1


def test_a_bad_csv_cell_rejects_that_row_only(tree: Path, tmp_path: Path, clean_counts):
    target = tree / "hf_export" / "updated_rows_only.csv"
    with open(target, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        header, rows = reader.fieldnames, list(reader)
    rows[2]["human_throughput"] = "fast"
    with open(target, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows)
    report = ingest_paths([tree], tmp_path / "results")
    (problem,) = _failed(report, target.name)
    assert problem.path == f"{target}:row 3" and problem.field == "human_throughput"
    (csv_file,) = [i for i in report.ingested if i.path == str(target)]
    assert csv_file.sources == 10  # the other rows of the file still ingest
    assert len(report.ingested) == clean_counts[0]


def test_na_metric_is_no_value_not_an_error(tree: Path, tmp_path: Path, clean_counts):
    target = tree / "results" / "6e36f4fa_agent_result.json"
    _edit_json(target, lambda d: d["metrics"].update(ttft_mean_ms="N/A"))
    report = ingest_paths([tree], tmp_path / "results")
    assert not report.failed and len(report.ingested) == clean_counts[0]
    agent = _record(report, "6e36f4fa").result.arms[Arm.AGENT]
    assert agent.source == str(target)
    assert "ttft_mean" not in agent.metrics and agent.metrics["tpot_mean"] == 30.52


def test_unknown_metric_name_is_listed_and_flagged_and_ingest_continues(tree: Path, tmp_path: Path, clean_counts):
    target = tree / "results" / "6e36f4fa_agent_result.json"
    _edit_json(target, lambda d: d["metrics"].update(warp_factor_ms=9.5))
    report = ingest_paths([tree], tmp_path / "results")
    assert not report.failed and len(report.ingested) == clean_counts[0]
    record = _record(report, "6e36f4fa")
    agent = record.result.arms[Arm.AGENT]
    assert agent.unknown_metrics == ["warp_factor_ms"] and "warp_factor_ms" not in agent.metrics
    assert record.result.has_flag(Flag.UNKNOWN_METRIC)


def test_unknown_json_shape_is_reported_not_guessed(tree: Path, tmp_path: Path, clean_counts):
    (tree / "results" / "mystery.json").write_text(json.dumps({"hello": "world", "n": 3}))
    (tree / "results" / "list.json").write_text("[1, 2]")
    report = ingest_paths([tree], tmp_path / "results")
    reasons = {Path(r.path).name: r.reason for r in report.failed}
    assert reasons["mystery.json"].startswith("unknown JSON shape (top level: hello, n)")
    assert reasons["list.json"].startswith("unknown JSON shape (top level: list)")
    assert len(report.ingested) == clean_counts[0]


def test_per_arm_file_whose_name_does_not_say_the_arm_is_reported(tree: Path, tmp_path: Path):
    source = tree / "results" / "22d33bac_agent_result.json"
    source.rename(tree / "results" / "22d33bac_result_copy.json")
    report = ingest_paths([tree], tmp_path / "results")
    (problem,) = _failed(report, "22d33bac_result_copy.json")
    assert problem.reason.startswith("cannot attribute this file to an arm")


def test_a_missing_input_path_is_a_user_error(tmp_path: Path):
    with pytest.raises(UserError, match="no such file or folder"):
        ingest_paths([tmp_path / "nowhere"], tmp_path / "results")


def test_a_tree_with_only_bad_files_ingests_nothing_but_reports_everything(tmp_path: Path):
    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "a_agent_result.json").write_text("{")
    (folder / "notes.md").write_text("# notes")
    report = ingest_paths([folder], tmp_path / "results")
    assert not report.ingested and not report.records
    assert {r.outcome for r in report.reported} == {Outcome.FAILED, Outcome.SKIPPED}
