"""`tribench report`: the analysis and schema documents, generated from the records."""

from __future__ import annotations

from pathlib import Path

import typer

from tribench.cli.app import app, load_records
from tribench.terminal import make_console
from tribench.constants import DEFAULT_RESULTS_DIR
from tribench.paths import reports_dir
from tribench.report import write_reports


@app.command()
def report(
    results: Path = typer.Argument(Path(DEFAULT_RESULTS_DIR), help="Results tree to report on."),
    out: Path = typer.Option(None, "--out", help="Folder for the documents (default: beside RESULTS)."),
) -> None:
    """Write COMPREHENSIVE_BENCHMARK_ANALYSIS.md (with its figure) and METRIC_ANALYSIS.md.

    Example: tribench report results/ --out .
    """
    console = make_console()
    records = load_records(results, console)
    paths = write_reports(records, out or reports_dir(results), results_name=Path(results).name)
    for path in (paths.analysis, paths.metrics, paths.figure):
        if path:
            console.print(f"wrote {path}", highlight=False)
