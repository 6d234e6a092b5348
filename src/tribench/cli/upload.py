"""`tribench upload`: publish the export folder to a Hub dataset repository, in one commit."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console

from tribench.cli.app import app
from tribench.constants import DEFAULT_RESULTS_DIR
from tribench.errors import UserError
from tribench.paths import exports_dir
from tribench.terminal import make_console

# Shown by a dry run without --repo-id: where the files would go, with the repository left to fill in.
DRY_RUN_REPO_ID = "ORG/NAME"

if TYPE_CHECKING:
    from tribench.publish import UploadPlan


def _print_summary(results: Path, console: Console) -> None:
    """The headline of `tribench analyze` for the results the export came from."""
    from tribench.analyze import summarize
    from tribench.store import load_results
    from tribench.terminal import print_summary

    if not Path(results).is_dir():
        console.print(f"no results tree at {results}: summary skipped", highlight=False, soft_wrap=True)
        return
    loaded = load_results(results)
    if loaded.records:
        print_summary(summarize(loaded.records), console, tasks=False)


def print_plan(plan: UploadPlan, console: Console) -> None:
    console.print(f"{len(plan.files)} file(s), {plan.total_size} bytes, to dataset {plan.repo_id}"
                  f"{' (private)' if plan.private else ''} in one commit:", highlight=False, soft_wrap=True)
    for item in plan.files:  # sha256sum-like lines, never wrapped, so they can be checked
        console.print(f"  {item.sha256}  {item.size:>12}  {item.path_in_repo}", highlight=False, soft_wrap=True)


@app.command()
def upload(
    results: Path = typer.Argument(Path(DEFAULT_RESULTS_DIR), help="Results tree the export came from."),
    repo_id: str = typer.Option(None, "--repo-id", help="Dataset repository, ORG/NAME (optional with --dry-run)."),
    private: bool = typer.Option(False, "--private", help="Create the repository private (an existing one keeps its visibility)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Print the summary and what would be uploaded; no network, no token."),
    exports: Path = typer.Option(None, "--exports", help="Export folder (default: `exports/` beside RESULTS)."),
) -> None:
    """Publish the export folder (Parquet, JSONL, JSON, dataset card) to the Hub in one commit.

    The token comes from HF_TOKEN or `huggingface-cli login`; it is never printed or stored.
    The export is made first if the export folder does not exist. HF_ENDPOINT selects another Hub.

    Example: tribench upload results/ --repo-id my-org/tribench-results --dry-run
    """
    from tribench.publish import check_repo_id, plan_upload, publish, resolve_token

    console = make_console()
    if repo_id is None:
        if not dry_run:
            raise UserError("--repo-id ORG/NAME is required to upload (a --dry-run can do without)", field="--repo-id")
        repo_id = DRY_RUN_REPO_ID
    check_repo_id(repo_id)
    token = None if dry_run else resolve_token()  # fail before any export or network call
    folder = exports or exports_dir(results)
    if not folder.is_dir():
        from tribench.export import export_results

        report = export_results(results, folder)
        console.print(f"exported {report.n_records} row(s) to {folder}", highlight=False, soft_wrap=True)
    plan = plan_upload(folder, repo_id, private=private)
    if dry_run:
        _print_summary(results, console)
        print_plan(plan, console)
        console.print("dry run: nothing uploaded", highlight=False)
        return
    print_plan(plan, console)
    result = publish(plan, token=token)
    console.print(f"committed {result.commit_oid} to {result.repo_url}", highlight=False, soft_wrap=True)
    console.print(result.commit_url, highlight=False, soft_wrap=True)
