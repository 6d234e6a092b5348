"""Merging the legacy sources of one task into ONE record, with a declared priority.

The story: the seed's results for one commit are spread over a rerun file, per-arm Docker
files, two CSV exports (whose rows repeat each other) and the separate pipeline's files, some
naming the commit by 8 characters and some in full. Merged carelessly, a task appears twice,
a failed Docker run hides a measured CSV arm, the result depends on the order of the command
line, or a second ingest rewrites the records differently. These tests pin the priority
(rerun > Docker > CSV > separate, measured before failed), the deduplication with its
DUPLICATE_TASK flag, the commit unification, and that ingest is idempotent and its records
round-trip through `store.read_record`.
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest

from tribench.constants import Arm, Flag, Status
from tribench.ingest import ingest_paths
from tribench.store import read_record

TREE = "omniperf_results_3way_claude_code"


@pytest.fixture(scope="module")
def ingested(isobench_dir: Path, tmp_path_factory: pytest.TempPathFactory):
    results = tmp_path_factory.mktemp("results")
    report = ingest_paths([isobench_dir], results)
    return report, [read_record(p) for p in report.records]


def _by_commit(records):
    return {r.instance.commit_short: r for r in records}


def test_one_record_per_commit_and_agent(ingested):
    _, records = ingested
    keys = [r.key for r in records]
    assert len(keys) == len(set(keys)) == 44
    commits = [r.instance.commit_hash for r in records]
    assert len(commits) == len(set(commits))  # one agent per commit in this tree


def test_short_hashes_are_unified_on_the_full_hash(ingested):
    _, records = ingested
    assert all(len(r.instance.commit_hash) == 40 for r in records)
    by = _by_commit(records)
    # The CSV rows name 2deb029d and 19d98e0c by 8 characters; the Docker files know them in full.
    assert by["2deb029d"].instance.commit_hash == "2deb029d115dadd012ce5ea70487a207cb025493"
    assert by["19d98e0c"].instance.commit_hash == "19d98e0c7db96713f0e2201649159431177a56e2"
    assert any(s.endswith("updated_rows_only.csv:row 10") for s in by["19d98e0c"].sources)


def test_rerun_outranks_docker_csv_and_separate_files(ingested):
    _, records = ingested
    record = _by_commit(records)["99abb8b6"]
    assert record.sources[0].endswith("reruns/4_fixable/99abb8b6_result.json")
    assert all(a.source == record.sources[0] for a in record.result.arms.values())
    assert record.source == "docker"
    # The outranked files are still listed as sources of the record.
    assert any(s.endswith("separate_agent/99abb8b6_agent_result.json") for s in record.sources)


def test_docker_file_outranks_the_csv_row_for_the_same_arm(ingested):
    _, records = ingested
    record = _by_commit(records)["22d33bac"]
    arms = record.result.arms
    assert arms[Arm.AGENT].source.endswith(f"{TREE}/results/22d33bac_agent_result.json")
    assert arms[Arm.BASELINE].source.endswith("hf_export/updated_rows_only.csv:row 1")  # CSV outranks separate
    assert record.source == "merged"


def test_a_measured_arm_beats_a_higher_priority_failed_one(ingested):
    _, records = ingested
    human = _by_commit(records)["7c01f706"].result.arms[Arm.HUMAN]
    # results/7c01f706_human_result.json crashed; the export row has the human measured.
    assert human.status == Status.OK and human.metrics == {"output_throughput": 2229.44}
    assert human.source.endswith("updated_rows_only.csv:row 4")


def test_a_failed_arm_is_kept_when_no_source_measured_it(ingested):
    _, records = ingested
    human = _by_commit(records)["80aa7e91"].result.arms[Arm.HUMAN]
    assert human.status == Status.SERVER_FAILED and human.error == "Server crashed during startup"


def test_command_line_order_does_not_change_the_winner(isobench_dir: Path, tmp_path: Path):
    docker = isobench_dir / TREE / "results" / "e206b543_human_result.json"
    separate = isobench_dir / TREE / "results" / "separate_agent" / "e206b543_human_result.json"
    outputs = []
    for order, name in (([separate, docker], "a"), ([docker, separate], "b")):
        report = ingest_paths(order, tmp_path / name)
        (path,) = report.records
        outputs.append(path.read_text())
        human = read_record(path).result.arms[Arm.HUMAN]
        assert human.metrics["output_throughput"] == 3161.47  # Docker's, not the separate 3105.08
    assert outputs[0] == outputs[1]


def test_duplicate_export_rows_become_one_record_with_a_duplicate_task_flag(ingested):
    _, records = ingested
    flagged = {r.instance.commit_short: r for r in records if r.result.has_flag(Flag.DUPLICATE_TASK)}
    # Every task of updated_rows.csv but 2deb029d is also in updated_rows_only.csv.
    assert set(flagged) == {"22d33bac", "6e36f4fa", "89a84b0b", "9badee53", "e206b543", "19d98e0c", "99abb8b6"}
    detail = next(f.detail for f in flagged["22d33bac"].result.flags if f.flag == Flag.DUPLICATE_TASK)
    assert "kept" in detail and "updated_rows_only.csv:row 1" in detail
    assert "dropped" in detail and "updated_rows.csv:row 1" in detail and "agent_ttft_median" in detail
    assert not any(s.endswith("updated_rows.csv:row 1") for s in flagged["22d33bac"].sources)


def test_ingesting_twice_writes_identical_files(isobench_dir: Path, tmp_path: Path):
    def snapshot(root: Path) -> dict[str, bytes]:
        return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}

    first = ingest_paths([isobench_dir], tmp_path / "results")
    before = snapshot(tmp_path / "results")
    second = ingest_paths([isobench_dir], tmp_path / "results")
    assert snapshot(tmp_path / "results") == before
    assert first.records == second.records and len(before) == 44
    assert not [p for p in (tmp_path / "results").rglob("*.tmp")]  # atomic writes leave no debris


def test_records_round_trip_through_the_store(ingested):
    report, records = ingested
    for path, record in zip(report.records, records):
        assert path.name == "benchmark_result.json"
        assert path.parent.name == record.instance.commit_hash and path.parent.parent.name == record.source
        again = read_record(path)
        assert again.model_dump(mode="json") == record.model_dump(mode="json")
        # The seed's fields are always present.
        dumped = again.model_dump(mode="json")["result"]
        assert {"baseline_metrics", "human_metrics", "agent_metrics", "agent_vs_human"} <= set(dumped)


def test_labels_follow_the_sources_of_the_chosen_arms(ingested):
    _, records = ingested
    by = _by_commit(records)
    assert by["015069b0"].source == "separate"  # all three arms from the separate pipeline
    assert by["19d98e0c"].source == "docker"  # human and agent from Docker files
    assert by["35fad35a"].source == "merged"  # separate baseline + Docker human
    assert {r.source for r in records} <= {"docker", "separate", "merged"}


def test_ingest_of_a_copied_tree_keeps_the_agent_from_the_tree_name(isobench_dir: Path, tmp_path: Path):
    copy = tmp_path / TREE
    shutil.copytree(isobench_dir / TREE / "results", copy / "results")
    report = ingest_paths([copy], tmp_path / "results_out")
    agents = {read_record(p).result.agent_name for p in report.records}
    assert agents == {"claude-code"}


def test_a_row_repeated_inside_one_csv_is_deduplicated_and_flagged(isobench_dir: Path, tmp_path: Path):
    source = isobench_dir / TREE / "hf_export" / "updated_rows.csv"
    with open(source, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        header, rows = reader.fieldnames, list(reader)
    target = tmp_path / "rows.csv"
    with open(target, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows + [dict(rows[1])])  # 2deb029d again, as row 9
    report = ingest_paths([target], tmp_path / "results")
    record = next(read_record(p) for p in report.records if p.parent.name.startswith("2deb029d"))
    (flag,) = [f for f in record.result.flags if f.flag == Flag.DUPLICATE_TASK]
    assert f"kept {target}:row 2" in flag.detail and f"dropped {target}:row 9 (identical)" in flag.detail
    assert len(report.records) == 8


def test_arms_from_different_pipelines_are_flagged_as_measured_apart(ingested):
    _, records = ingested
    by_commit = _by_commit(records)
    apart = {c for c, r in by_commit.items() if r.result.has_flag(Flag.ARMS_MEASURED_APART)}
    # ca7a2d5f: a Docker human run against a separate-pipeline agent run.
    assert "ca7a2d5f" in apart
    detail = next(f.detail for f in by_commit["ca7a2d5f"].result.flags if f.flag == Flag.ARMS_MEASURED_APART)
    assert "human from docker" in detail and "agent from separate" in detail
    # The rerun file measured all three arms in one run: never flagged.
    assert "99abb8b6" not in apart
