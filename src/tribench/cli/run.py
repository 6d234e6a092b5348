"""`tribench run`: measure baseline, human and agent arms of every task, into a results tree."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from tribench.analyze import summarize
from tribench.campaign import run_campaign
from tribench.cli.app import app
from tribench.constants import DEFAULT_RESULTS_DIR, DEFAULT_TOLERANCE_PCT
from tribench.execute import LocalExecutor, RunConfig
from tribench.terminal import make_console, print_summary


def progress_bar(console: Console) -> Progress:
    return Progress(TextColumn("[bold]measuring"), BarColumn(), MofNCompleteColumn(), TextColumn("arm-blocks"),
                    TimeElapsedColumn(), console=console, transient=False)


def run_config(results: Path, run_name: str, trials: int | None, retries: int, tolerance: float,
               executor: str = "local") -> RunConfig:
    root = Path(results).resolve().parent
    return RunConfig(run=run_name, results_dir=Path(results), logs_dir=root / "logs", cache_dir=root / ".tribench-cache",
                     trials=trials, infra_retries=retries, tolerance_pct=tolerance, executor=executor)


@app.command()
def run(
    tasks: Path = typer.Argument(..., help="Task file (JSONL or TOML)."),
    patches: Path = typer.Option(None, "--patches", help="Predictions JSONL: {instance_id, model_name_or_path, model_patch}."),
    results: Path = typer.Option(Path(DEFAULT_RESULTS_DIR), "--results", help="Results tree to write."),
    trials: int = typer.Option(None, "--trials", min=1, help="Measured trials per arm (default: the task's, 5)."),
    jobs: int = typer.Option(1, "--jobs", min=1, help="Tasks measured at once, each on its own cores."),
    share_cores: bool = typer.Option(False, "--share-cores", help="Allow more jobs than cores (noisier)."),
    resume: bool = typer.Option(False, "--resume", help="Keep finished arms and trials of an interrupted run."),
    run_name: str = typer.Option("run", "--run-name", help="Names the run's logs and saved progress."),
    retries: int = typer.Option(1, "--retries", min=0, help="Retries of a failed baseline/human block (infra)."),
    tolerance: float = typer.Option(DEFAULT_TOLERANCE_PCT, "--tolerance", help="Verdict tolerance, percent."),
    calibration: Path = typer.Option(None, "--calibration",
                                     help="calibration.json of `tribench calibrate`: a task's tolerance is at least its noise floor."),
) -> None:
    """Measure every task's three arms, interleaved, with repeated trials.

    Example: tribench run tasks.jsonl --patches predictions.jsonl --trials 5
    """
    console = make_console()
    config = run_config(results, run_name, trials, retries, tolerance)
    if calibration:
        from tribench.calibrate import load_noise_floors

        config.noise_floors = load_noise_floors(calibration)
    executor = LocalExecutor(jobs=jobs, share_cores=share_cores)
    try:
        with progress_bar(console) as bar:
            task_id = bar.add_task("measure", total=None)
            report = run_campaign(tasks, patches, config, executor=executor, resume=resume,
                                  progress=lambda done, total: bar.update(task_id, completed=done, total=total))
    except KeyboardInterrupt:
        console.print("[yellow]interrupted[/]: finished trials are saved; rerun with --resume to finish.")
        raise typer.Exit(130) from None
    for warning in report.warnings:
        console.print(f"[yellow]note[/] {warning}", highlight=False)
    console.print(f"{report.measured_trials} trial(s) measured, {len(report.written)} record(s) written under {results}")
    print_summary(summarize(report.records), console)
