"""`tribench agent run`: run a coding agent on every task and collect its patches as predictions."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from tribench.cli.app import app
from tribench.errors import UserError

agent_app = typer.Typer(name="agent", help="Run coding agents on tasks and collect their patches, leak-proof.",
                        no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
app.add_typer(agent_app, name="agent")

_COLUMNS = ("Task", "Status", "Time", "First edit", "Files", "Patch", "Cost", "Tokens in/out", "Note")


@agent_app.callback()
def _agent_root() -> None:
    """Run coding agents (Claude Code, Codex, OpenHands, TRAE, Aider, or your own) on tasks."""


@agent_app.command("run")
def run(
    tasks: Path = typer.Argument(..., help="Task file (JSONL or TOML)."),
    agent: str = typer.Option(None, "--agent", help="claude-code, codex, openhands, trae or aider."),
    agent_cmd: str = typer.Option(None, "--agent-cmd", help="Your agent's command: {prompt_file} {workdir} {model} "
                                  "{trajectory_file} {home} are replaced; run with sh -c in the workspace."),
    agent_name: str = typer.Option(None, "--agent-name", help="Label of an --agent-cmd agent (default: custom)."),
    model: str = typer.Option(None, "--model", help="Model passed to the agent (default: the agent's own)."),
    time_budget: str = typer.Option("120m", "--time-budget", help="Wall-clock budget per task: 120m, 2h, 90s."),
    jobs: int = typer.Option(1, "--jobs", min=1, help="Tasks run at once."),
    runs: Path = typer.Option(Path("runs"), "--runs", help="Folder of runs/<agent>/<model>/<run id>/."),
    prompt_template: Path = typer.Option(None, "--prompt-template", help="A jinja2 prompt template (default: "
                                         "tribench/templates/agent_prompt.md.j2)."),
    leak_threshold: float = typer.Option(0.2, "--leak-threshold", min=0.01, max=1.0,
                                         help="Refuse when this share of the human diff or message is found."),
    exclude: list[str] = typer.Option([], "--exclude", help="More scratch files to leave out of the patch "
                                      "(.gitignore pattern; repeatable)."),
    only: list[str] = typer.Option([], "--task", help="Run only this task id (repeatable)."),
    force: bool = typer.Option(False, "--force", help="Start a new run: rerun tasks that already have a patch."),
    cache: Path = typer.Option(None, "--cache", help="Mirror cache (default: .tribench-cache beside RUNS)."),
    scratch_dir: Path = typer.Option(None, "--scratch-dir", help="Where per-task sandboxes go (default: temp)."),
    keep_scratch: bool = typer.Option(False, "--keep-scratch", help="Keep each task's sandbox and HOME (debug)."),
) -> None:
    """Run an agent on every task from its parent commit, under a time budget; write predictions.jsonl.

    Each task: a fresh clone at the parent with no trace of the human commit, a scratch HOME, a prompt.

    Prompt and workspace are leak-checked before the agent starts; keys come from the environment only.

    Rerunning skips tasks that already have a finished patch (--force starts over).

    Example: tribench agent run tasks.jsonl --agent claude-code --model claude-sonnet-4-5 --time-budget 60m
    """
    from tribench.agent import AgentRunConfig, run_agents
    from tribench.agent.constants import DEFAULT_EXCLUDES
    from tribench.agent.supervise import parse_duration
    from tribench.terminal import make_console

    adapter = _adapter(agent, agent_cmd, agent_name)
    runs = runs.resolve()
    config = AgentRunConfig(
        tasks_path=tasks, adapter=adapter, agent_name=adapter.name, runs_dir=runs,
        cache_dir=(cache or runs.parent / ".tribench-cache").resolve(), time_budget=time_budget,
        time_budget_s=parse_duration(time_budget), model=model, jobs=jobs, prompt_template=prompt_template,
        leak_threshold=leak_threshold, excludes=(*DEFAULT_EXCLUDES, *exclude), force=force, only=tuple(only),
        scratch_dir=scratch_dir, keep_scratch=keep_scratch)
    console = make_console()

    def announce(meta, resumed: bool) -> None:
        note = "kept from the earlier run" if resumed else (meta.reason or "")
        console.print(f"{meta.task_id}: [bold]{meta.status.value}[/] {escape(note)}", highlight=False, soft_wrap=True)

    try:
        report = run_agents(config, on_task=announce)
    except KeyboardInterrupt:
        console.print("[yellow]interrupted[/]: running agents were killed; finished tasks are kept. "
                      "Rerun the same command to continue.")
        raise typer.Exit(130) from None
    _print_report(console, report, tasks)
    if any(m.status.value in ("error", "leak_refused") for m in report.metas):
        raise typer.Exit(1)


def _adapter(agent: str | None, agent_cmd: str | None, agent_name: str | None):
    """The registered adapter, or the generic one for --agent-cmd (its template checked first)."""
    from tribench.agent import CommandAdapter, get_adapter
    from tribench.agent.adapters import check_template
    from tribench.agent.constants import GENERIC_AGENT_NAME

    if (agent is None) == (agent_cmd is None):
        raise UserError("give exactly one of --agent NAME or --agent-cmd 'COMMAND'", field="--agent")
    if agent_cmd is None:
        return get_adapter(agent)
    check_template(agent_cmd)
    return CommandAdapter(agent_cmd, agent_name or GENERIC_AGENT_NAME)


def _print_report(console, report, tasks: Path) -> None:
    console.print(_table(report.metas, set(report.resumed)))
    submitted = sum(m.submitted for m in report.metas)
    for line in (f"run folder: {report.run_dir}",
                 f"predictions: {report.predictions_path} ({submitted} of {len(report.metas)} task(s) submitted)",
                 f"next: tribench run {tasks} --patches {report.predictions_path}"):
        console.print(line, highlight=False, soft_wrap=True)


def _table(metas, resumed: set[str]) -> Table:
    table = Table(title="Agent runs", header_style="bold")
    for column in _COLUMNS:
        table.add_column(column, overflow="fold")
    for m in metas:
        tokens = f"{m.input_tokens or '—'}/{m.output_tokens or '—'}" if m.input_tokens or m.output_tokens else "—"
        table.add_row(
            m.task_id, m.status.value, _secs(m.duration_s), _secs(m.time_to_first_edit_s), str(len(m.files_changed)),
            f"{m.patch_bytes} B", f"${m.cost_usd:.4f}" if m.cost_usd is not None else "—", tokens,
            "resumed" if m.task_id in resumed else "")
    return table


def _secs(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}s"
