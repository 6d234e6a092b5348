"""The Modal pipeline's `benchmark_result.json`, as the seed's README documents it.

The story: the seed's primary results (`results/modal/<commit>/benchmark_result.json`) are
not in the fixture tree, only documented in seed/RESULTS_README.md. A reader built without
them would reject the seed's main data as "unknown shape" — or, worse, read tribench's own
records (same two top-level keys) as legacy input. The README's example is used as is (its
"abc123..." placeholder hash replaced by a real-looking one). Its `agent_vs_human` (-2.0)
is agent_improvement - human_improvement, not the improvement over the human arm (-2.22):
the audit must say so rather than agree or fail silently.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tribench.constants import Arm, Flag
from tribench.ingest import Outcome, ingest_paths
from tribench.store import read_record

COMMIT = "abc123" + "0" * 34


@pytest.fixture()
def modal_file(fixtures_dir: Path, tmp_path: Path) -> Path:
    readme = (fixtures_dir.parent / "seed" / "RESULTS_README.md").read_text()
    example = re.search(r"## Result Format.*?```json\n(.*?)```", readme, re.S).group(1)
    target = tmp_path / "iso_bench_results_3way_claude_code" / "results" / "modal" / COMMIT / "benchmark_result.json"
    target.parent.mkdir(parents=True)
    target.write_text(example.replace("abc123...", COMMIT))
    return target


def test_readme_modal_result_ingests_as_a_modal_record(modal_file: Path, tmp_path: Path):
    report = ingest_paths([modal_file.parents[2]], tmp_path / "results")
    (path,) = report.records
    record = read_record(path)
    assert record.source == "modal" and path.parent.parent.name == "modal"
    assert record.instance.commit_subject == "[Perf] Optimization description"
    arms = record.result.arms
    assert arms[Arm.BASELINE].metrics == {"ttft_mean": 100.0, "tpot_mean": 10.0}
    assert arms[Arm.AGENT].metrics["tpot_mean"] == 9.2
    assert record.result.agent_name == "claude-code"  # from the tree's name, *_3way_claude_code
    assert record.result.reported_improvements == {
        "agent_improvement.ttft_mean": 8.0, "agent_vs_human.ttft_mean": -2.0, "human_improvement.ttft_mean": 10.0}


def test_readme_agent_vs_human_is_a_difference_of_improvements(modal_file: Path, tmp_path: Path):
    report = ingest_paths([modal_file], tmp_path / "results")
    assert {(e.comparison, e.theirs) for e in report.audit.agreements} == {
        ("human_improvement", 10.0), ("agent_improvement", 8.0)}
    (entry,) = report.audit.disagreements
    assert entry.comparison == "agent_vs_human" and entry.ours == pytest.approx(-2.2222, abs=1e-4)
    assert entry.reason.startswith("the source's agent_vs_human is agent_improvement - human_improvement")
    record = read_record(report.records[0])
    assert record.result.has_flag(Flag.IMPROVEMENT_MISMATCH)


def test_tribench_records_are_not_read_back_as_legacy_input(modal_file: Path, tmp_path: Path):
    first = ingest_paths([modal_file], tmp_path / "results")
    again = ingest_paths([tmp_path / "results"], tmp_path / "other")
    assert not again.ingested and not again.records
    (skipped,) = again.reported
    assert skipped.path == str(first.records[0]) and skipped.outcome == Outcome.SKIPPED
    assert skipped.reason.startswith("already a tribench record")


def test_rerun_without_an_arm_block_leaves_that_arm_missing(isobench_dir: Path, tmp_path: Path):
    source = isobench_dir / "omniperf_results_3way_claude_code" / "reruns" / "4_fixable" / "99abb8b6_result.json"
    data = json.loads(source.read_text())
    del data["human"]  # RERUN_REPORT.md: in another rerun the human arm failed to run at all
    target = tmp_path / "99abb8b6_result.json"
    target.write_text(json.dumps(data))
    report = ingest_paths([target], tmp_path / "results")
    record = read_record(report.records[0])
    assert record.result.arms[Arm.HUMAN].status == "missing"
    assert record.result.arms[Arm.AGENT].metrics["latency_avg"] == 2186.5847636334365
    assert record.result.has_flag(Flag.MISSING_ARM)
