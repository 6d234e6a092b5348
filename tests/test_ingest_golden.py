"""Golden tests of the legacy ingest on the seed system's real results tree (fixtures/isobench).

The story: the seed published its results as a pile of differently shaped files — per-arm
Docker files with `ttft_mean_ms`, hand-written "separate" files with `mean_ttft_ms`, flat files
whose metrics are top-level nulls, a rerun file with all three arms, and CSV exports with
multi-line cells and numpy list reprs — next to markdown reports and logs. A reader that
guesses at any of that silently produces wrong numbers. These tests pin, shape by shape, known
values of the real files, the status and owner of each legacy failure string, and that every
file of the tree is either ingested or reported with a reason.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tribench.constants import Arm, Flag, Owner, Status
from tribench.ingest import ingest_paths
from tribench.ingest.csv_export import parse_list
from tribench.store import read_record

TREE = "omniperf_results_3way_claude_code"


@pytest.fixture(scope="module")
def ingested(isobench_dir: Path, tmp_path_factory: pytest.TempPathFactory):
    results = tmp_path_factory.mktemp("results")
    report = ingest_paths([isobench_dir], results)
    records = {read_record(p).instance.commit_short: read_record(p) for p in report.records}
    return report, records


def test_no_file_of_the_tree_is_silently_dropped(ingested, isobench_dir: Path):
    report, _ = ingested
    every_file = {str(p) for p in isobench_dir.rglob("*") if p.is_file()}
    assert report.accounted_files() == every_file
    ingested_paths = {i.path for i in report.ingested}
    reported_paths = {r.path for r in report.reported}
    assert not ingested_paths & reported_paths
    assert all(r.reason for r in report.reported)
    assert not report.failed  # the real tree holds no corrupt file


def test_markdown_logs_and_runner_summary_are_reported_as_skipped_with_reasons(ingested, isobench_dir: Path):
    report, _ = ingested
    reasons = {Path(r.path).name: r.reason for r in report.skipped}
    assert reasons["METRIC_ANALYSIS.md"] == "not a result file: markdown"
    assert reasons["dataset_schema.md"] == "not a result file: markdown"
    assert reasons["rerun_log_v8_parallel15.txt"] == "not a result file: text log"
    runner = reasons["native_benchmark_report_vllm.json"]
    assert "no arm attribution" in runner and "0ec82edda59a" in runner and "timed ou" in runner


def test_every_legacy_shape_is_recognised(ingested):
    report, _ = ingested
    shapes = {i.shape for i in report.ingested}
    assert shapes == {"docker-arm", "separate-commit", "separate-flat", "separate-minimal", "rerun", "csv-export"}
    csvs = {Path(i.path).name: i.sources for i in report.ingested if i.shape == "csv-export"}
    assert csvs == {"updated_rows.csv": 8, "updated_rows_only.csv": 11}


def test_docker_arm_file_keeps_its_unit_suffixed_metrics(ingested):
    _, records = ingested
    agent = records["22d33bac"].result.arms[Arm.AGENT]
    assert agent.source.endswith(f"{TREE}/results/22d33bac_agent_result.json")
    assert agent.metrics["ttft_mean"] == 651.12
    assert agent.metrics["itl_p99"] == 410.71
    assert agent.metrics["output_throughput"] == 2813.8
    assert agent.status == Status.OK and agent.model == "meta-llama/Llama-3.1-8B-Instruct"
    assert agent.duration_s == pytest.approx(335.64113688468933)
    assert agent.timestamp == "2026-01-19 10:20:32"
    assert agent.raw_output and agent.raw_output.startswith("etions HTTP/1.1")


def test_separate_commit_shape_reads_vllm_metric_names_command_and_notes(ingested):
    _, records = ingested
    baseline = records["015069b0"].result.arms[Arm.BASELINE]
    assert baseline.metrics["ttft_mean"] == 10.47  # spelled mean_ttft_ms in the file
    assert baseline.metrics["tpot_p99"] == 4.08
    assert baseline.command.endswith("--request-rate 1 --num-prompts 50")
    assert baseline.env == {
        "docker_image": "anonymous/vllm-baseline:baseline-fbefc8a78d22",
        "dataset": "sharegpt",
        "model_note": "Corrected from Qwen/Qwen3-7B-Instruct per user",
        "note": "Model corrected from Qwen/Qwen3-7B-Instruct to Qwen/Qwen3-1.7B",
    }
    agent = records["015069b0"].result
    assert agent.patch_path.endswith("vllm_core-0000/model_patch.diff") and agent.has_agent_patch is True


def test_flat_file_with_null_metrics_is_a_failed_baseline_charged_to_infra(ingested):
    _, records = ingested
    result = records["35fad35a"].result
    baseline = result.arms[Arm.BASELINE]
    assert baseline.status == Status.NO_METRICS and baseline.metrics == {}
    assert baseline.error == "No throughput metrics in output"
    assert baseline.owner == Owner.INFRA and result.failure_owner == Owner.INFRA
    assert baseline.unknown_metrics == []  # ttft_mean ... throughput_tok_s are all known names


def test_minimal_separate_file_gets_the_full_commit_from_the_other_files(ingested):
    _, records = ingested
    record = records["fc7b8d1e"]
    assert record.instance.commit_hash == "fc7b8d1eefcbe837a56b7c080509417fe5167e6c"
    baseline = record.result.arms[Arm.BASELINE]
    assert baseline.source.endswith("separate_baseline/fc7b8d1e_baseline_result.json")
    assert baseline.status == Status.NO_METRICS
    assert baseline.env == {"docker_image": "anonymous/vllm-baseline:baseline-67abdbb42fdb"}
    assert "unrecognized arguments" in baseline.raw_output


def test_rerun_file_gives_three_arms_their_commands_and_its_claims(ingested):
    _, records = ingested
    record = records["99abb8b6"]
    arms = record.result.arms
    assert {a.source.split(f"{TREE}/")[1] for a in arms.values()} == {"reruns/4_fixable/99abb8b6_result.json"}
    assert arms[Arm.BASELINE].metrics == {"latency_avg": 2174.039090000345, "throughput": 2635.1}
    assert arms[Arm.AGENT].metrics["latency_avg"] == 2186.5847636334365
    assert arms[Arm.BASELINE].command.startswith("python benchmarks/benchmark_latency.py")
    assert record.instance.task_id == "vllm_core-0051"
    assert record.instance.benchmark_mode == "standalone"  # the arms' metrics, not the CSV's "serving"
    # The rerun's own analysis outranks the export row's claim for the same key.
    assert record.result.reported_improvements["human_improvement.latency_avg"] == -0.27
    assert record.result.reported_improvements["agent_improvement.latency_avg"] == -0.58


def test_csv_rows_keep_instance_metadata_lists_and_agent(ingested):
    _, records = ingested
    instance = records["89a84b0b"].instance
    assert instance.files_changed == [
        "vllm/model_executor/layers/sampler.py", "vllm/model_executor/sampling_metadata.py", "vllm/sequence.py",
    ]
    assert instance.models == []  # "['N/A']"
    assert instance.pr_url == "https://github.com/vllm-project/vllm/pull/6779"
    result = records["9badee53"].result
    assert result.agent_name == "claude-code" and result.agent_model == "sonnet-4.5"
    assert result.benchmark_date == "2026-01-14"
    baseline = result.arms[Arm.BASELINE]
    assert baseline.source.endswith("hf_export/updated_rows_only.csv:row 6")
    assert baseline.metrics["ttft_mean"] == 2894.68
    # A serving row's `throughput` is output tokens/s (the export README's definition).
    assert baseline.metrics["output_throughput"] == 10588.27 and "throughput" not in baseline.metrics


def test_numpy_and_python_list_reprs_parse_to_the_same_items(isobench_dir: Path):
    import csv

    cells = []
    for name in ("updated_rows.csv", "updated_rows_only.csv"):
        with open(isobench_dir / TREE / "hf_export" / name, newline="", encoding="utf-8") as handle:
            cells += [row["files_changed"] for row in csv.DictReader(handle) if row["commit_short"] == "89a84b0b"]
    numpy_repr, python_repr = cells
    assert "\n" in numpy_repr and "," not in numpy_repr.split("'\n")[0]
    assert parse_list(numpy_repr) == parse_list(python_repr) and len(parse_list(numpy_repr)) == 3
    assert parse_list("['N/A']") == [] and parse_list("[]") == [] and parse_list("N/A") == []


@pytest.mark.parametrize(("commit", "arm", "status", "owner"), [
    # "Server crashed during startup" on the human arm: the task is invalid on this machine.
    ("80aa7e91", Arm.HUMAN, Status.SERVER_FAILED, Owner.TASK),
    # "Server crashed after applying patch" with the parent's vLLM unable to load llama3's RoPE:
    # the same error crashes the human arm, so it is the environment's, not the agent's.
    ("7c01f706", Arm.AGENT, Status.SETUP_FAILED, Owner.INFRA),
    # "No metrics in agent output" because the baseline image does not exist (manifest unknown).
    ("d7740ea4", Arm.AGENT, Status.SETUP_FAILED, Owner.INFRA),
    # undefined symbol in the image's compiled extension after the patch: environment again.
    ("3092375e", Arm.AGENT, Status.SETUP_FAILED, Owner.INFRA),
    # A crash the patch can cause (NameError), baseline failed: not charged to the agent.
    ("ad8d696a", Arm.AGENT, Status.CRASH, Owner.INFRA),
    ("35fad35a", Arm.BASELINE, Status.NO_METRICS, Owner.INFRA),
    ("22d33bac", Arm.AGENT, Status.OK, Owner.NONE),
])
def test_legacy_error_strings_map_to_status_and_owner(ingested, commit, arm, status, owner):
    _, records = ingested
    found = records[commit].result.arms[arm]
    assert (found.status, found.owner) == (status, owner), found.error


def test_agent_arm_environment_failure_is_never_the_agents(ingested):
    _, records = ingested
    for record in records.values():
        agent = record.result.arms[Arm.AGENT]
        if agent.status == Status.SETUP_FAILED:
            assert agent.owner != Owner.AGENT and record.result.failure_owner != Owner.AGENT, record.instance.commit_short


def test_agent_comes_from_the_data_never_a_default(ingested):
    _, records = ingested
    # No CSV row for 015069b0: its agent comes from the patch path runs/vllm/claude_code/.
    assert records["015069b0"].result.agent_name == "claude-code"
    assert records["015069b0"].result.agent_model is None
    # The rerun row states another spelling and model: kept as stated.
    assert (records["99abb8b6"].result.agent_name, records["99abb8b6"].result.agent_model) == (
        "claude_code", "claude-sonnet-4-20250514")


def test_unknown_metric_flag_is_absent_on_the_real_tree(ingested):
    _, records = ingested
    assert not [r.instance.commit_short for r in records.values() if r.result.has_flag(Flag.UNKNOWN_METRIC)]
