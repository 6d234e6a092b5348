"""`tribench run`: measure baseline, human and agent arms of every task, into a results tree."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from tribench.analyze import summarize
from tribench.campaign import run_campaign
from tribench.cli.app import app
from tribench.constants import DEFAULT_RESULTS_DIR, DEFAULT_TOLERANCE_PCT, ExecutorName
from tribench.execute import RunConfig
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
    executor_name: ExecutorName = typer.Option(ExecutorName.LOCAL, "--executor",
                                               help="Where tasks are measured: this machine, a Ray cluster or Modal."),
    address: str = typer.Option("local", "--address",
                                help="ray: cluster address (auto, ray://host:10001), or local for a private one."),
    ray_max_retries: int = typer.Option(1, "--ray-max-retries", min=0,
                                        help="ray: re-runs of a task whose worker or node died."),
    gpu: str = typer.Option(None, "--gpu", help="modal: GPU type, pinned exactly (H100 runs on an H100, never an H200)."),
    max_containers: int = typer.Option(16, "--max-containers", min=1, help="modal: tasks measured at once."),
    modal_retries: int = typer.Option(2, "--modal-retries", min=0,
                                      help="modal: retries of a task whose container failed (infrastructure only)."),
    modal_call: str = typer.Option("remote", "--modal-call",
                                   help="modal: remote, or local to run the Modal function body here (no credentials)."),
) -> None:
    """Measure every task's three arms, interleaved, with repeated trials.

    Example: tribench run tasks.jsonl --patches predictions.jsonl --trials 5

    Example: tribench run tasks.jsonl --patches predictions.jsonl --executor ray --address auto --jobs 8

    Example: tribench run tasks.jsonl --patches predictions.jsonl --executor modal --gpu H100 --max-containers 16
    """
    console = make_console()
    config = run_config(results, run_name, trials, retries, tolerance, executor=executor_name.value)
    if calibration:
        from tribench.calibrate import load_noise_floors

        config.noise_floors = load_noise_floors(calibration)
    executor = _executor(executor_name, jobs=jobs, share_cores=share_cores, address=address,
                         ray_max_retries=ray_max_retries, gpu=gpu, max_containers=max_containers,
                         modal_retries=modal_retries, modal_call=modal_call)
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
    if report.skipped:
        console.print(f"{len(report.skipped)} task(s) already recorded with the same inputs, kept (--resume)")
    console.print(f"{report.measured_trials} trial(s) measured, {len(report.written)} record(s) written under {results}")
    _print_executions(report.executions, console)
    print_summary(summarize(report.records), console)
    if report.lost:
        console.print(f"[red]{len(report.lost)} task(s) were lost by the {executor_name.value} executor "
                      f"({', '.join(report.lost)}): rerun the same command with --resume", highlight=False)
        raise typer.Exit(1)


def _executor(name: ExecutorName, *, jobs: int, share_cores: bool, address: str, ray_max_retries: int,
              gpu: str | None, max_containers: int, modal_retries: int, modal_call: str):
    from tribench.executors import make_executor

    if name == ExecutorName.RAY:
        return make_executor(name, address=address, jobs=jobs, max_retries=ray_max_retries)
    if name == ExecutorName.MODAL:
        return make_executor(name, gpu=gpu, max_containers=max_containers, retries=modal_retries, call=modal_call)
    return make_executor(name, jobs=jobs, share_cores=share_cores)


def _print_executions(executions: list[dict], console: Console) -> None:
    """Remote executors: units, GPU-seconds and the estimated GPU cost (each unit's execution.json)."""
    if not executions:
        return
    gpu_seconds = sum(e.get("gpu_seconds") or 0.0 for e in executions)
    costs = [e.get("cost_usd") for e in executions]
    known = [c for c in costs if c is not None]
    line = f"{len(executions)} unit(s) ran remotely; {gpu_seconds:.1f} GPU-second(s)"
    if known:
        line += f", estimated GPU cost ${sum(known):.4f}"
        if len(known) < len(costs):
            line += f" ({len(costs) - len(known)} unit(s) without a price)"
    models = sorted({e.get("gpu_model") for e in executions if e.get("gpu_model")})
    if models:
        line += f"; GPU model(s): {', '.join(models)}"
    console.print(line, highlight=False)
