"""`tribench ingest`: what the user sees, and the exit code scripts rely on.

The story: an ingest that prints "done" while half the files were skipped, or exits 0 when
nothing could be read, hides lost data. The command prints the counts, a table of every
file it did not ingest with the reason, and the list of claimed improvements that disagree
with tribench's; it exits 0 when anything was ingested and 1 when nothing was.
"""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

import tribench.cli.ingest  # noqa: F401  (registers the subcommand)
from tribench.cli.app import app
from tribench.errors import UserError

RUNNER = CliRunner()


def _run(*args: str):
    return RUNNER.invoke(app, ["ingest", *args], env={"COLUMNS": "250"})


def test_help_shows_an_example():
    result = _run("--help")
    assert result.exit_code == 0
    assert "Example: tribench ingest" in result.output and "--results" in result.output


def test_ingesting_the_seed_tree_prints_counts_skips_and_disagreements(isobench_dir: Path, tmp_path: Path):
    result = _run(str(isobench_dir), "--results", str(tmp_path / "results"))
    assert result.exit_code == 0, result.output
    assert "ingested 99 file(s) (116 source(s)), skipped 15, failed 0; wrote 44 record(s)" in result.output
    assert "not a result file: markdown" in result.output and "RERUN_REPORT.md" in result.output
    assert "29 agree within 0.01 pp, 12 disagree" in result.output
    assert "human_improvement.output_throughput" in result.output and "3161.47" in result.output
    assert len(list((tmp_path / "results").rglob("benchmark_result.json"))) == 44


def test_nothing_ingestable_exits_1(tmp_path: Path):
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "README.md").write_text("# not results")
    (folder / "broken_agent_result.json").write_text('{"human_commit": ')
    result = _run(str(folder), "--results", str(tmp_path / "results"))
    assert result.exit_code == 1
    assert "not valid JSON" in result.output and "nothing could be ingested" in result.output
    assert not (tmp_path / "results").exists()


def test_missing_path_is_a_user_error_for_the_cli_boundary(tmp_path: Path):
    result = _run(str(tmp_path / "nowhere"), "--results", str(tmp_path / "results"))
    assert isinstance(result.exception, UserError) and "no such file or folder" in str(result.exception)
