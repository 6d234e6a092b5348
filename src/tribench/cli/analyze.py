"""`tribench analyze`: the headline table and per-task table in the terminal."""

from __future__ import annotations

from pathlib import Path

import typer

from tribench.analyze import summarize
from tribench.cli.app import app
from tribench.constants import DEFAULT_RESULTS_DIR
from tribench.errors import UserError
from tribench.store import load_results
from tribench.terminal import make_console, print_summary


@app.command()
def analyze(
    results: Path = typer.Argument(Path(DEFAULT_RESULTS_DIR), help="Results tree to analyze."),
    tasks: bool = typer.Option(True, "--tasks/--no-tasks", help="Show the per-task table."),
) -> None:
    """Summarize a results tree: headline, leaderboard, per-task verdicts, data quality.

    Example: tribench analyze results/
    """
    console = make_console()
    loaded = load_results(results)
    for error in loaded.errors:
        console.print(f"[yellow]skipped[/] {error}", highlight=False)
    if not loaded.records:
        raise UserError("no benchmark_result.json records found; run `tribench ingest` or `tribench run`", path=results)
    print_summary(summarize(loaded.records), console, tasks=tasks)
