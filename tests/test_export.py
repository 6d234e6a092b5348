"""Exports: what a reader of the published dataset gets must be what the records say.

The seed published a 76-column dataset whose types drifted between files (lists as Python
reprs in CSV, empty strings for missing numbers) and whose card was written by hand. These
tests build a real results tree (tests/records_tree.py: serving and standalone tasks, a failed
agent, zero values, None values, two agents), export it, and read it back the way users do:
with the real `datasets.load_dataset` on the export folder, with pyarrow, and as JSON. They
pin that the seed's 76 columns keep their names, order and types with tribench's columns
appended, that 0.0 stays 0.0 and None stays None, that every file names its schema version,
that the same records give the same bytes, and that stale or unloadable files never slip
through silently.
"""

from __future__ import annotations

import csv
import json
import random
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml
from typer.testing import CliRunner

from records_tree import FAILED, SERVING, STANDALONE, build_results_tree
from tribench.constants import EXPORT_SCHEMA_VERSION
from tribench.errors import UserError
from tribench.export import export_records, export_results
from tribench.export.rows import flat_row
from tribench.model import BenchmarkRecord
from tribench.schema import COLUMN_NAMES, COLUMNS, PARQUET_VERSION_KEY, SEED_COLUMN_COUNT, arrow_schema, hf_features
from tribench.store import load_results

PARQUET = "data/train-00000-of-00001.parquet"


@pytest.fixture
def results(tmp_path: Path) -> Path:
    return build_results_tree(tmp_path)


@pytest.fixture
def exported(results: Path) -> Path:
    return export_results(results).out_dir


def front_matter(card: Path) -> dict:
    text = card.read_text(encoding="utf-8")
    assert text.startswith("---\n")
    return yaml.safe_load(text.split("---\n")[1])


def jsonl_rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def by_key(rows: list[dict]) -> dict[tuple[str, str], dict]:
    return {(row["commit_hash"], row["agent_name"]): row for row in rows}


# --- the seed's layout is kept -------------------------------------------------------------

def test_seed_columns_keep_their_names_order_and_types(isobench_dir: Path):
    seed_export = isobench_dir / "omniperf_results_3way_claude_code" / "hf_export"  # the seed's published rows
    with open(seed_export / "updated_rows.csv", newline="", encoding="utf-8") as handle:
        seed_header = next(csv.reader(handle))
    seed_features = front_matter(seed_export / "README.md")["dataset_info"]["features"]
    assert list(COLUMN_NAMES[:SEED_COLUMN_COUNT]) == seed_header
    assert hf_features()[:SEED_COLUMN_COUNT] == seed_features
    assert all(c.seed for c in COLUMNS[:SEED_COLUMN_COUNT])


def test_every_row_has_exactly_the_schema_columns_in_schema_order(results: Path):
    for record in load_results(results).records:
        assert list(flat_row(record)) == list(COLUMN_NAMES)


# --- read back with the real readers --------------------------------------------------------

def test_datasets_reads_the_export_folder_with_the_cards_types_and_values(exported: Path, tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    import datasets

    monkeypatch.setattr(datasets.config, "HF_HUB_OFFLINE", True)
    cache = str(tmp_path / "hf-cache")
    folder = datasets.load_dataset(str(exported), split="train", cache_dir=cache)
    direct = datasets.load_dataset("parquet", data_files=str(exported / PARQUET), split="train", cache_dir=cache)

    card_features = datasets.Features._from_yaml_list(front_matter(exported / "README.md")["dataset_info"]["features"])
    assert folder.features == card_features
    assert direct.features == card_features
    assert folder.features["baseline_ttft_mean"] == datasets.Value("float64")
    assert folder.features["agent_vs_human_primary_ci_low"] == datasets.Value("float64")
    assert folder.features["has_agent_patch"] == datasets.Value("bool")
    assert folder.features["baseline_n_trials"] == datasets.Value("int64")
    assert folder.num_rows == 4 and direct.num_rows == 4

    rows = by_key(list(folder))
    serving = rows[(SERVING, "claude_code")]
    assert serving["files_changed"] == ["vllm/a.py", "vllm/b.py"]
    assert serving["flags"] == [] and isinstance(serving["flags"], list)
    assert serving["commit_subject"] == "[Perf] Faster sampler — résumé"
    assert serving["verdict"] == "beats" and serving["agent_vs_human_tpot_mean"] == pytest.approx(25.0)
    standalone = rows[(STANDALONE, "claude_code")]
    assert standalone["commit_subject"] is None and standalone["pr_url"] is None  # None stays None
    assert standalone["files_changed"] == []
    assert standalone["agent_vs_human_latency_avg"] == 0.0  # 0.0 stays 0.0, not null
    assert standalone["baseline_throughput"] == 0.0
    assert standalone["human_improvement_throughput"] is None  # baseline 0: undefined, not 0
    assert standalone["baseline_ttft_mean"] is None  # the other mode's columns stay null
    failed = rows[(FAILED, "claude_code")]
    assert failed["agent_status"] == "patch_failed" and failed["failure_owner"] == "agent"
    assert failed["agent_tpot_mean"] is None and failed["has_agent_patch"] is False
    assert failed["agent_raw"] == "error: patch failed: vllm/a.py:12\n"


def test_parquet_rows_equal_the_jsonl_rows(exported: Path):
    table = pq.read_table(exported / PARQUET)
    assert table.to_pylist() == jsonl_rows(exported / "tribench_results.jsonl")


def test_parquet_has_the_schema_types_even_for_all_null_columns(exported: Path):
    schema = pq.read_schema(exported / PARQUET)
    assert schema.equals(arrow_schema(), check_metadata=False)
    # No task here has a test script or an executor: still string, never Arrow's `null` type.
    table = pq.read_table(exported / PARQUET, columns=["test_script", "executor", "flags"])
    assert table.schema.field("test_script").type == pa.string()
    assert table.schema.field("flags").type == pa.list_(pa.string())


def test_every_export_file_names_its_schema_version(exported: Path):
    data = json.loads((exported / "schema_v2_results.json").read_text(encoding="utf-8"))
    assert data["export_schema_version"] == EXPORT_SCHEMA_VERSION
    assert all(row["export_schema_version"] == EXPORT_SCHEMA_VERSION
               for row in jsonl_rows(exported / "tribench_results.jsonl"))
    metadata = pq.read_schema(exported / PARQUET).metadata
    assert metadata[PARQUET_VERSION_KEY] == EXPORT_SCHEMA_VERSION.encode()
    assert f"Export schema | {EXPORT_SCHEMA_VERSION}" in (exported / "README.md").read_text(encoding="utf-8")


# --- content and determinism -----------------------------------------------------------------

def test_same_records_in_any_order_give_byte_identical_json_jsonl_and_card(results: Path, tmp_path: Path):
    records = load_results(results).records
    shuffled = records[:]
    random.Random(7).shuffle(shuffled)
    first = export_records(records, tmp_path / "one")
    second = export_records(shuffled, tmp_path / "two")
    for a, b in zip(first.files, second.files, strict=True):
        assert a.relpath == b.relpath
        if not a.relpath.endswith(".parquet"):
            assert a.path.read_bytes() == b.path.read_bytes(), a.relpath
    assert pq.read_table(first.out_dir / PARQUET).equals(pq.read_table(second.out_dir / PARQUET))


def test_json_export_keeps_every_canonical_record_with_the_seed_fields(results: Path, exported: Path):
    data = json.loads((exported / "schema_v2_results.json").read_text(encoding="utf-8"))
    assert data["n_records"] == len(data["records"]) == 4
    loaded = {(r.instance.commit_hash, r.result.agent_name): r for r in load_results(results).records}
    for item in data["records"]:
        for seed_field in ("baseline_metrics", "human_metrics", "agent_metrics",
                           "human_improvement", "agent_improvement", "agent_vs_human"):
            assert seed_field in item["result"]
        again = BenchmarkRecord.model_validate(item)
        assert again == loaded[(again.instance.commit_hash, again.result.agent_name)]


def test_serving_throughput_column_is_output_throughput_and_says_so(exported: Path):
    rows = by_key(jsonl_rows(exported / "tribench_results.jsonl"))
    serving = rows[(SERVING, "claude_code")]
    assert serving["throughput_metric"] == "output_throughput"
    assert serving["baseline_throughput"] == 2000.0 and serving["human_throughput"] == 2500.0
    assert serving["human_improvement_throughput"] == pytest.approx(25.0)
    assert rows[(STANDALONE, "claude_code")]["throughput_metric"] == "throughput"


def test_two_agents_get_one_jsonl_each_and_a_dropped_agents_file_is_removed(results: Path):
    first = export_results(results)
    by_agent = sorted(p.name for p in (first.out_dir / "by_agent").iterdir())
    assert by_agent == ["claude_code__sonnet-4.5.jsonl", "codex__gpt-5.jsonl"]
    assert [r["agent_name"] for r in jsonl_rows(first.out_dir / "by_agent" / "codex__gpt-5.jsonl")] == ["codex"]

    for path in (results / "codex_run").rglob("*.json"):
        path.unlink()
    second = export_results(results)
    assert sorted(second.removed) == ["by_agent/claude_code__sonnet-4.5.jsonl", "by_agent/codex__gpt-5.jsonl"]
    assert not list((second.out_dir / "by_agent").glob("*.jsonl"))  # one agent: no per-agent files
    assert len(jsonl_rows(second.out_dir / "tribench_results.jsonl")) == 3


def test_card_declares_the_default_config_and_the_schema_features(exported: Path):
    meta = front_matter(exported / "README.md")
    assert meta["configs"] == [{"config_name": "default",
                                "data_files": [{"split": "train", "path": "data/train-*"}]}]
    assert meta["dataset_info"]["features"] == hf_features()
    assert meta["dataset_info"]["splits"] == [{"name": "train", "num_examples": 4}]
    body = (exported / "README.md").read_text(encoding="utf-8")
    assert "| Rows | 4 |" in body and "| Tasks | 3 |" in body and "| Agents | 2 |" in body


# --- failures are loud ---------------------------------------------------------------------

def test_unloadable_result_file_is_reported_not_silently_dropped(results: Path):
    broken = results / "modal" / "deadbeef" / "benchmark_result.json"
    broken.parent.mkdir(parents=True)
    broken.write_text("{not json", encoding="utf-8")
    report = export_results(results)
    assert len(report.errors) == 1 and str(broken) in str(report.errors[0])
    assert report.n_records == 4


def test_empty_results_tree_is_a_user_error_not_an_empty_dataset(tmp_path: Path):
    (tmp_path / "results").mkdir()
    with pytest.raises(UserError, match="no benchmark records"):
        export_results(tmp_path / "results")
    assert not (tmp_path / "exports").exists()


def test_export_cli_prints_every_file_it_wrote(results: Path, tmp_path: Path):
    from tribench.cli import app

    out = tmp_path / "out"
    outcome = CliRunner().invoke(app, ["export", str(results), "--out", str(out)])
    assert outcome.exit_code == 0, outcome.output
    for rel in ("schema_v2_results.json", "tribench_results.jsonl", PARQUET, "README.md"):
        assert (out / rel).is_file()
        assert rel.split("/")[-1] in outcome.output
    assert "4 row(s), 3 task(s)" in outcome.output


def test_metric_analysis_document_lists_every_column():
    from tribench.schema import render_schema_markdown

    text = render_schema_markdown()
    assert all(f"`{name}`" in text for name in COLUMN_NAMES)
    assert render_schema_markdown() == text  # no timestamp: regenerates byte for byte


def test_importing_export_and_publish_loads_neither_pyarrow_nor_huggingface_hub():
    code = ("import sys, tribench.export, tribench.schema, tribench.publish; "
            "print(sorted(m for m in ('pyarrow', 'huggingface_hub', 'datasets') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
