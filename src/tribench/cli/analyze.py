"""`tribench analyze`: the headline table and per-task table in the terminal."""

from __future__ import annotations

from pathlib import Path

import typer

from tribench.analyze import summarize
from tribench.cli.app import app, load_records
from tribench.constants import DEFAULT_RESULTS_DIR
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
    records = load_records(results, console)
    print_summary(summarize(records), console, tasks=tasks)
