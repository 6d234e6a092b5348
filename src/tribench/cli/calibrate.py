"""`tribench calibrate`: A/A runs (baseline vs baseline) for each task's noise floor."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from tribench.analyze import fmt_ci, fmt_pct
from tribench.calibrate import calibrate as run_calibration
from tribench.cli.app import app
from tribench.terminal import make_console
from tribench.cli.run import progress_bar, run_config
from tribench.constants import DEFAULT_RESULTS_DIR, DEFAULT_TOLERANCE_PCT


@app.command()
def calibrate(
    tasks: Path = typer.Argument(..., help="Task file (JSONL or TOML)."),
    results: Path = typer.Option(Path(DEFAULT_RESULTS_DIR), "--results", help="Results tree (calibration.json goes beside it)."),
    trials: int = typer.Option(None, "--trials", min=2, help="Trials per arm (default: the task's)."),
    tolerance: float = typer.Option(DEFAULT_TOLERANCE_PCT, "--tolerance", help="Verdict tolerance, percent."),
) -> None:
    """Measure each task's baseline against itself: noise floor and false-verdict check.

    Example: tribench calibrate tasks.jsonl
    """
    console = make_console()
    config = run_config(results, "calibrate", trials, 1, tolerance)
    with progress_bar(console) as bar:
        task_id = bar.add_task("calibrate", total=None)
        found, path = run_calibration(tasks, config,
                                      progress=lambda done, total: bar.update(task_id, completed=done, total=total))
    table = Table(title=f"A/A calibration (tolerance ±{tolerance:g}%)", header_style="bold")
    for column in ("Task", "Metric", "A vs A", "95% CI", "Noise floor", "Verdict", "Note"):
        table.add_column(column)
    for c in found:
        table.add_row(c.task_id, c.metric or "—", fmt_pct(c.difference_pct), fmt_ci(c.ci_low, c.ci_high),
                      fmt_pct(c.noise_floor_pct, signed=False), c.verdict or "—", c.note or "")
    console.print(table)
    false = [c.task_id for c in found if c.false_verdict]
    console.print(f"false verdicts: {len(false)}{' (' + ', '.join(false) + ')' if false else ''}; wrote {path}")
