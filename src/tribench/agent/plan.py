"""Everything checked before the first agent starts (STYLE.md, 28): tasks, commits, prompts, leaks.

Each task's commits are resolved through tribench's mirror cache, its prompt is rendered, and
the prompt is leak-checked against the human commit. One leaking prompt stops the whole run
before any agent is started, naming every offending task, what matched and the threshold.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from tribench.agent.adapters import Adapter, CommandAdapter
from tribench.agent.leak import HumanChange, prompt_leaks
from tribench.agent.prompt import load_template, render_prompt, template_source
from tribench.agent.supervise import describe_duration
from tribench.errors import UserError
from tribench.taskspec import TaskSpec, load_tasks


@dataclass
class AgentRunConfig:
    """One `tribench agent run`: which agent, on which tasks, under which limits."""

    tasks_path: Path
    adapter: Adapter
    agent_name: str  # the runs/<agent>/ folder and the predictions' label
    runs_dir: Path
    cache_dir: Path  # tribench's mirror cache (shared with `tribench run`)
    time_budget: str = "120m"  # as the user wrote it
    time_budget_s: float = 7200.0
    model: str | None = None
    jobs: int = 1
    prompt_template: Path | None = None
    leak_threshold: float = 0.2
    excludes: tuple[str, ...] = ()
    force: bool = False  # a new run folder: nothing is reused
    only: tuple[str, ...] = ()  # task ids to run (default: all)
    scratch_dir: Path | None = None  # where per-task scratch areas are made (default: the system temp)
    keep_scratch: bool = False

    @property
    def model_name_or_path(self) -> str:
        return f"{self.agent_name}/{self.model}" if self.model else self.agent_name


@dataclass
class TaskPlan:
    task: TaskSpec
    human: str
    parent: str
    mirror: Path
    prompt: str
    change: HumanChange
    input_key: str = ""


@dataclass
class Plan:
    tasks: list[TaskPlan]
    run_key: str
    template_sha256: str
    command: list[str] = field(default_factory=list)
    all_ids: list[str] = field(default_factory=list)  # every task of the file, selected or not (predictions)


def make_plan(config: AgentRunConfig) -> Plan:
    """Validated tasks with their commits and prompts; a leaking prompt is a UserError for the whole run."""
    from tribench.workspace import Workspace  # the prepare stage's mirror cache

    every = load_tasks(config.tasks_path)
    tasks = _selected(every, config.only, config.tasks_path)
    template = load_template(config.prompt_template)
    template_text = template_source(config.prompt_template)
    workspace = Workspace(config.cache_dir)
    mirrors = {repo: workspace.mirror(repo) for repo in dict.fromkeys(t.repo for t in tasks)}
    plans, leaks = [], []
    for task in tasks:
        human, parent = workspace.resolve(task)
        change = HumanChange.read(mirrors[task.repo], parent, human)
        prompt = render_prompt(template, task, describe_duration(config.time_budget_s))
        found = prompt_leaks(prompt, change, config.leak_threshold)
        leaks += [f"task {task.id!r}: {leak.describe()}" for leak in found]
        plans.append(TaskPlan(task, human, parent, mirrors[task.repo], prompt, change))
    if leaks:
        raise UserError("refusing to start: the prompt would show the agent the human change\n  "
                        + "\n  ".join(leaks) + "\nremove it from the task's description (or the template)",
                        path=config.tasks_path, field="description")
    template_sha = hashlib.sha256(template_text).hexdigest()
    run_key = _digest([config.agent_name, type(config.adapter).__name__, getattr(config.adapter, "template", None),
                       config.model, config.time_budget_s, template_sha, list(config.excludes)])
    for plan in plans:
        plan.input_key = _digest([run_key, plan.task.model_dump(mode="json"), plan.parent, plan.prompt])
    return Plan(plans, run_key, template_sha, _command(config), [t.id for t in every])


def _selected(tasks: list[TaskSpec], only: tuple[str, ...], path: Path) -> list[TaskSpec]:
    if not only:
        return tasks
    known = {t.id for t in tasks}
    if unknown := sorted(set(only) - known):
        raise UserError(f"no task with id {unknown} in the task file", path=path, field="--task")
    return [t for t in tasks if t.id in only]


def _command(config: AgentRunConfig) -> list[str]:
    if isinstance(config.adapter, CommandAdapter):
        return [config.adapter.template]
    from tribench.agent.adapters import AgentInput

    sample = AgentInput(binary=config.adapter.binary, prompt_file=Path("PROMPT"), workdir=Path("WORKDIR"),
                        scratch=Path("SCRATCH"), home=Path("HOME"), model=config.model)
    return config.adapter.invocation(sample).argv


def _digest(value) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()
