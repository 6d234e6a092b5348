"""Rich rendering of an analysis summary, shared by `analyze`, `upload --dry-run` and `demo`."""

from __future__ import annotations

import os

from rich.console import Console
from rich.table import Table

from tribench.analyze import Headline, Summary, fmt_ci, fmt_pct


# Output piped to a file or a CI log has no terminal width; rich would assume 80 columns and
# squeeze the per-task table's columns to nothing.
PIPED_WIDTH = 160


def make_console() -> Console:
    console = Console()
    if not console.is_terminal and "COLUMNS" not in os.environ:
        return Console(width=PIPED_WIDTH)
    return console


def _ratio(part: int, whole: int, pct: float | None) -> str:
    return f"{fmt_pct(pct, signed=False)} ({part}/{whole})" if whole else "— (0 evaluable)"


def headline_rows(head: Headline) -> list[tuple[str, str]]:
    """The headline table's rows; the report renders the same rows as Markdown."""
    return [
        ("Total tasks", str(head.total_tasks)),
        *([("Task × agent pairs (each counted below)", str(head.pairs))] if head.pairs != head.total_tasks else []),
        ("Evaluable (baseline + human, identical conditions)", str(head.evaluable)),
        ("Agent matches or beats human", _ratio(head.matches_or_beats, head.evaluable, head.matches_or_beats_pct)),
        ("Agent failure rate", _ratio(head.agent_failures, head.evaluable, head.agent_failure_rate_pct)),
        ("Verdicts: beats / matches / loses / inconclusive",
         f"{head.beats} / {head.matches} / {head.loses} / {head.inconclusive}"),
        ("Evaluable without an agent verdict (agent arm missing or not comparable)", str(head.no_verdict)),
        ("Point-estimate verdicts (single trial per arm)", str(head.point_estimate_verdicts)),
        ("Infra failures (never charged to the agent)", str(head.infra_failures)),
        ("Task failures (human arm broken)", str(head.task_failures)),
        ("Human–agent comparable, any baseline (seed's wider count)", str(head.comparable)),
    ]


def headline_table(head: Headline, title: str = "Headline") -> Table:
    table = Table(title=title, show_header=True, header_style="bold")
    table.add_column("Metric")
    table.add_column("Value", justify="right")
    for name, value in headline_rows(head):
        table.add_row(name, value)
    return table


def leaderboard_table(summary: Summary) -> Table:
    table = Table(title="Leaderboard (by agent)", header_style="bold")
    for column in ("Agent", "Tasks", "Evaluable", "Matches or beats", "Failure rate", "B/M/L/I"):
        table.add_column(column, justify="left" if column == "Agent" else "right")
    for head in summary.leaderboard:
        table.add_row(
            head.agent, str(head.total_tasks), str(head.evaluable),
            fmt_pct(head.matches_or_beats_pct, signed=False), fmt_pct(head.agent_failure_rate_pct, signed=False),
            f"{head.beats}/{head.matches}/{head.loses}/{head.inconclusive}",
        )
    return table


def tasks_table(summary: Summary) -> Table:
    table = Table(title="Per task: agent (A) vs human (H) vs baseline (B), primary metric", header_style="bold")
    table.add_column("Commit", no_wrap=True)
    table.add_column("Agent", min_width=10)
    table.add_column("Metric", min_width=11)
    for name in ("H vs B", "A vs B", "A vs H"):
        table.add_column(name, justify="right", no_wrap=True)
    table.add_column("95% CI", no_wrap=True)
    table.add_column("Verdict", no_wrap=True)
    table.add_column("n B/H/A", no_wrap=True)
    table.add_column("Failure")
    for row in summary.rows:
        verdict = (row.verdict or "—") + (" (n=1)" if row.method == "point_estimate" else "")
        table.add_row(
            row.commit_short, row.agent, row.primary_metric or "—", fmt_pct(row.human_improvement),
            fmt_pct(row.agent_improvement), fmt_pct(row.agent_vs_human), fmt_ci(row.ci_low, row.ci_high),
            verdict, row.trials, row.failure,
        )
    return table


def print_summary(summary: Summary, console: Console, *, tasks: bool = True) -> None:
    console.print(headline_table(summary.overall))
    if len(summary.leaderboard) > 1:
        console.print(leaderboard_table(summary))
    if tasks:
        console.print(tasks_table(summary))
    if summary.flag_counts:
        quality = Table(title="Data quality flags", header_style="bold")
        quality.add_column("Flag")
        quality.add_column("Tasks", justify="right")
        for flag, count in summary.flag_counts.items():
            quality.add_row(flag, str(count))
        console.print(quality)
