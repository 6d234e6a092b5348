"""`tribench analyze`: the headline table and per-task table in the terminal."""

from __future__ import annotations

from pathlib import Path

import typer

from tribench.cli.app import app
from tribench.constants import DEFAULT_RESULTS_DIR


@app.command()
def analyze(
    results: Path = typer.Argument(Path(DEFAULT_RESULTS_DIR), help="Results tree to analyze."),
) -> None:
    """Summarize a results tree: headline, leaderboard, per-task verdicts, data quality.

    Example: tribench analyze results/
    """
    raise NotImplementedError
