"""The report stage: COMPREHENSIVE_BENCHMARK_ANALYSIS.md, METRIC_ANALYSIS.md and the figure.

Both documents are generated deterministically from the records (and, for the metric document,
from the export schema): same records, same bytes. No timestamp is written for that reason.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import jinja2

from tribench import __version__
from tribench.analyze import Summary, fmt_ci, fmt_pct, summarize
from tribench.constants import ARMS, SCHEMA_VERSION, Flag, Status
from tribench.figures import agent_vs_human_figure
from tribench.model import BenchmarkRecord
from tribench.store import atomic_write_text
from tribench.terminal import headline_rows

ANALYSIS_FILENAME = "COMPREHENSIVE_BENCHMARK_ANALYSIS.md"
METRICS_FILENAME = "METRIC_ANALYSIS.md"


@dataclass
class FailureRow:
    commit: str
    agent: str
    owner: str
    arm: str
    status: str
    error: str


def md_cell(value: object, width: int = 80) -> str:
    """A value safe inside a Markdown table cell, shortened to `width` characters."""
    text = " ".join(str(value or "").split()).replace("|", "\\|")
    return text if len(text) <= width else text[: width - 1] + "…"


def fmt_p(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


def _environment(env_name: str) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("tribench", "templates"),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=False,
        autoescape=False,
    )
    env.filters["md_cell"] = md_cell
    env.globals.update(fmt_pct=fmt_pct, fmt_ci=fmt_ci, fmt_p=fmt_p, headline_rows=headline_rows)
    return env


def failures(summary: Summary) -> list[FailureRow]:
    rows = []
    for record in summary.records:
        for arm in ARMS:
            result = record.result.arm(arm)
            if result.status in (Status.OK, Status.MISSING):
                continue
            rows.append(FailureRow(record.instance.commit_short, record.result.agent_name or "—",
                                   result.owner.value, arm.value, result.status.value, result.error or ""))
    return rows


def environments(records: list[BenchmarkRecord]) -> dict[str, list[str]]:
    seen: dict[str, set[str]] = defaultdict(set)
    for record in records:
        for arm in record.result.arms.values():
            for key, value in arm.env.items():
                seen[key].add(value)
    return {key: sorted(values) for key, values in sorted(seen.items())}


def limitations(summary: Summary) -> list[str]:
    head, counts = summary.overall, summary.flag_counts
    items = []
    if head.point_estimate_verdicts:
        items.append(f"{head.point_estimate_verdicts} verdict(s) rest on a single trial per arm (point estimate, "
                     "no interval): a 5% difference cannot be told from noise at n=1.")
    for flag, text in [
        (Flag.MODEL_MISMATCH, "task(s) ran different models in different arms; those arms are not compared."),
        (Flag.MODE_MISMATCH, "task(s) ran serving metrics in one arm and standalone in another; not compared."),
        (Flag.COMMAND_MISMATCH, "task(s) ran different commands in different arms; not compared."),
        (Flag.MISSING_ARM, "task(s) lack at least one arm."),
        (Flag.IMPLAUSIBLE_VALUE, "task(s) show a change beyond ±300%; check the raw outputs before trusting them."),
        (Flag.DUPLICATE_TASK, "record(s) duplicate a task of the same agent."),
        (Flag.ARMS_MEASURED_APART, "task(s) compare arms measured by different pipelines, apart in time: "
                                   "their comparisons carry drift the protocol exists to remove."),
        (Flag.IMPROVEMENT_MISMATCH, "record(s) disagree with the improvement their source file claimed."),
        (Flag.MIXED_GPU_MODELS, "record(s) come from tasks measured on different GPU models: each task's arms "
                                "shared one machine, but compare verdicts across tasks with care."),
    ]:
        if counts.get(flag.value):
            items.append(f"{counts[flag.value]} {text}")
    if head.evaluable < 30:
        items.append(f"Only {head.evaluable} evaluable task(s): percentages move by "
                     f"{100 / head.evaluable if head.evaluable else 100:.0f} points per task.")
    if head.infra_failures:
        items.append(f"{head.infra_failures} task(s) failed on infrastructure (baseline broken) and say nothing "
                     "about the agent.")
    return items or ["None detected by the automatic checks."]


def render_analysis(summary: Summary, *, results_name: str, figure: str | None) -> str:
    template = _environment("analysis").get_template("comprehensive.md.j2")
    return template.render(
        summary=summary, version=__version__, schema_version=SCHEMA_VERSION, results_name=results_name,
        figure=figure, failures=failures(summary), environments=environments(summary.records),
        limitations=limitations(summary),
    )


def render_metric_analysis() -> str:
    from tribench.schema import render_schema_markdown  # the export schema owns its columns

    return render_schema_markdown()


@dataclass
class ReportPaths:
    analysis: Path
    metrics: Path
    figure: Path | None


def write_reports(records: list[BenchmarkRecord], out_dir: Path, *, results_name: str = "results") -> ReportPaths:
    summary = summarize(records)
    figure = agent_vs_human_figure(summary, out_dir / "figures")
    figure_ref = figure.relative_to(out_dir).as_posix() if figure else None
    analysis = out_dir / ANALYSIS_FILENAME
    atomic_write_text(analysis, render_analysis(summary, results_name=results_name, figure=figure_ref))
    metrics = out_dir / METRICS_FILENAME
    atomic_write_text(metrics, render_metric_analysis())
    return ReportPaths(analysis, metrics, figure)
