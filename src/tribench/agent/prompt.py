"""The agent's prompt: the task in words, from a jinja2 template the user can replace.

The template sees only what the agent may know: the task's `description` (the bottleneck),
how performance is measured (commands, metric), the correctness command, the opt-in
`target_files` and the time budget. It never sees the task id (seed ids are human-commit sha
prefixes), the subject, `files_changed`, the PR or the human commit: they are the answer.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tribench.agent.constants import DEFAULT_PROMPT_TEMPLATE
from tribench.errors import UserError
from tribench.taskspec import TaskSpec


def prompt_context(task: TaskSpec, time_budget: str) -> dict[str, Any]:
    """The variables a prompt template may use (and nothing that reveals the human change)."""
    return {
        "description": (task.description or "").strip(),
        "mode": task.mode.value,
        "perf_command": task.perf_command,
        "server_command": task.server_command,
        "client_command": task.client_command,
        "health_path": task.health_path,
        "setup_command": task.setup_command,
        "correctness_command": task.correctness_command,
        "primary_metric": task.primary_metric,
        "target_files": list(task.target_files),
        "time_budget": time_budget,
    }


def load_template(path: Path | None):
    """The user's template file, or the one shipped in tribench/templates; syntax errors name the file."""
    import jinja2  # only `tribench agent run` renders prompts

    env = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True, autoescape=False,
                             loader=jinja2.PackageLoader("tribench", "templates"))
    try:
        if path is None:
            return env.get_template(DEFAULT_PROMPT_TEMPLATE)
        return env.from_string(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise UserError(f"cannot read the prompt template: {exc.strerror}", path=path,
                        field="--prompt-template") from None
    except jinja2.TemplateSyntaxError as exc:
        raise UserError(f"template syntax error on line {exc.lineno}: {exc.message}",
                        path=path or DEFAULT_PROMPT_TEMPLATE, field="--prompt-template") from None


def template_source(path: Path | None) -> bytes:
    """The template's bytes (its hash is part of the run key: a new template is a new run)."""
    if path is not None:
        return Path(path).read_bytes()
    from importlib.resources import files

    return (files("tribench") / "templates" / DEFAULT_PROMPT_TEMPLATE).read_bytes()


def render_prompt(template, task: TaskSpec, time_budget: str) -> str:
    """The prompt for `task`; an unknown variable in the template is a UserError naming it."""
    import jinja2

    try:
        text = template.render(**prompt_context(task, time_budget))
    except jinja2.UndefinedError as exc:
        raise UserError(f"task {task.id!r}: the prompt template uses an unknown variable ({exc.message}); "
                        f"known: {', '.join(sorted(prompt_context(task, time_budget)))}",
                        field="--prompt-template") from None
    return text.strip() + "\n"
