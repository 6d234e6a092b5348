"""The typer application every subcommand module registers on."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="tribench",
    help="Is a coding agent's performance optimisation as good as the human expert's?\n\n"
    "Three arms per task (baseline = parent, human = the commit, agent = patch on parent), "
    "measured, compared with uncertainty, reported and exported.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root() -> None:
    """tribench: three-way performance benchmarks of coding agents against human experts."""


def load_records(results, console) -> list:
    """The records of a results tree; files that do not load are shown, none at all is an error."""
    from tribench.errors import UserError
    from tribench.store import load_results

    loaded = load_results(results)
    for error in loaded.errors:
        console.print(f"[yellow]skipped[/] {error}", highlight=False)
    if not loaded.records:
        raise UserError("no benchmark_result.json records found; run `tribench ingest` or `tribench run` first",
                        path=results)
    return loaded.records
