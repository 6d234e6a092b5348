"""`tribench export`: the results tree as JSON, JSONL, Parquet and a dataset card."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from tribench.cli.app import app
from tribench.constants import DEFAULT_RESULTS_DIR


def human_size(size: int) -> str:
    for unit in ("B", "KiB", "MiB"):
        if size < 1024 or unit == "MiB":
            return f"{size} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GiB"  # pragma: no cover - the loop always returns


@app.command()
def export(
    results: Path = typer.Argument(Path(DEFAULT_RESULTS_DIR), help="Results tree to export."),
    out: Path = typer.Option(None, "--out", help="Export folder (default: `exports/` beside RESULTS)."),
) -> None:
    """Write schema_v2_results.json, the JSONL rows, the Parquet (Hub layout) and README.md.

    Example: tribench export results/ --out exports/
    """
    from tribench.export import export_results  # the export stage is only loaded when used

    console = Console()  # soft_wrap below: paths are printed whole, never folded
    report = export_results(results, out)
    for error in report.errors:
        console.print(f"[yellow]skipped[/] {error}", highlight=False, soft_wrap=True)
    for item in report.files:
        console.print(f"wrote {item.path}  ({human_size(item.size)})", highlight=False, soft_wrap=True)
    for rel in report.removed:
        console.print(f"removed stale {report.out_dir / rel}", highlight=False, soft_wrap=True)
    agents = ", ".join(f"{name} ({n})" for name, n in report.agents.items())
    console.print(f"{report.n_records} row(s), {report.tasks} task(s), agents: {agents}", highlight=False)
