"""`tribench ingest`: the seed system's legacy result files into canonical records."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from tribench.cli.app import app
from tribench.constants import DEFAULT_RESULTS_DIR

if TYPE_CHECKING:  # the ingest stage is imported only when the command runs
    from tribench.ingest import IngestReport


def _shortener(paths: list[Path]) -> Callable[[str], str]:
    """Paths printed relative to the folder holding the inputs: the table stays readable."""
    roots = [Path(p).absolute() for p in paths]
    base = Path(os.path.commonpath([r if r.is_dir() else r.parent for r in roots])).parent

    def short(text: str) -> str:
        return text.replace(f"{base}{os.sep}", "", 1) if text.startswith(f"{base}{os.sep}") else text

    return short


def _reported_table(report: IngestReport, short: Callable[[str], str]) -> Table:
    table = Table(title="Files not ingested", show_lines=False, expand=False)
    table.add_column("outcome")
    table.add_column("file", overflow="fold")
    table.add_column("field")
    table.add_column("reason", overflow="fold")
    for item in sorted(report.reported, key=lambda r: (r.outcome != "failed", r.path)):
        style = "red" if item.outcome == "failed" else "dim"
        # Legacy text is data, never markup: "[rank0]: Traceback" must print as written.
        table.add_row(f"[{style}]{item.outcome}[/]", escape(short(item.path)), escape(item.field or ""),
                      escape(item.reason))
    return table


def _audit_table(report: IngestReport, short: Callable[[str], str]) -> Table:
    audit = report.audit
    table = Table(title=f"Claimed improvements that disagree with ours (> {audit.tolerance} pp)")
    table.add_column("source", overflow="fold")
    table.add_column("claim", overflow="fold")
    table.add_column("ours", justify="right")
    table.add_column("theirs", justify="right")
    table.add_column("reason", overflow="fold")
    for entry in audit.disagreements:
        ours = "—" if entry.ours is None else f"{entry.ours:+.4f}"
        reason = entry.reason or ""
        for path in {p for p in reason.split() if os.sep in p}:
            reason = reason.replace(path, short(path))
        table.add_row(escape(short(entry.source)), f"{entry.comparison}.{entry.metric}", ours,
                      f"{entry.theirs:+.4f}", escape(reason))
    return table


def print_summary(console: Console, report: IngestReport, paths: list[Path]) -> None:
    short = _shortener(paths)
    audit = report.audit
    rows = sum(item.sources for item in report.ingested)
    console.print(
        f"ingested {len(report.ingested)} file(s) ({rows} source(s)), skipped {len(report.skipped)}, "
        f"failed {len(report.failed)}; wrote {len(report.records)} record(s)",
        highlight=False,
    )
    if report.reported:
        console.print(_reported_table(report, short))
    console.print(
        f"audit of claimed improvements: {len(audit.agreements)} agree within {audit.tolerance} pp, "
        f"{len(audit.disagreements)} disagree",
        highlight=False,
    )
    if audit.disagreements:
        console.print(_audit_table(report, short))


@app.command()
def ingest(
    paths: list[Path] = typer.Argument(..., help="Legacy result files or folders (searched recursively)."),
    results: Path = typer.Option(Path(DEFAULT_RESULTS_DIR), "--results", help="Results tree to write records to."),
) -> None:
    """Read the seed system's legacy result files into one record per task and agent.

    Reads the Docker, separate and rerun JSON shapes and the export CSVs; writes RESULTS/<source>/<commit>/benchmark_result.json.

    Every file is ingested or reported with its reason, and the export's own improvement numbers are audited against tribench's. Exits 1 when nothing could be ingested.

    Example: tribench ingest iso_bench_results_3way_claude_code/ --results results/
    """
    from tribench.ingest import ingest_paths  # the stage is only loaded when used

    console = Console(soft_wrap=False)
    report = ingest_paths(paths, results)
    print_summary(console, report, paths)
    if not report.ingested:
        console.print("[bold red]nothing could be ingested[/]")
        raise typer.Exit(1)
