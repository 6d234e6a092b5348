"""What `tribench agent run` writes about a run (run.json) and each task (meta.json), and reads back.

Both carry `format_version` (history in tribench.agent.constants). Neither ever holds a
credential: argv and errors pass through the redactor, and only the *names* of the credential
variables the agent received are recorded.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError

from tribench import __version__
from tribench.agent.constants import META_FORMAT_VERSION, PATCH_FILENAME, AgentStatus, FirstEditMethod
from tribench.store import atomic_write_text


class RunInfo(BaseModel):
    """run.json: what was run, written when the run starts (STYLE.md, 20)."""

    format_version: int = META_FORMAT_VERSION
    run_key: str = Field(description="sha256 of agent, command, model, budget, prompt template and excludes.")
    agent: str = Field(description="Adapter name, or --agent-name for --agent-cmd.")
    model: str | None = None
    model_name_or_path: str = Field(description="What the predictions are labelled with: <agent>[/<model>].")
    command: list[str] = Field(description="The adapter's argv for a placeholder task, or the --agent-cmd template.")
    time_budget_s: float
    prompt_template: str = Field(description="Path of --prompt-template, or `default`.")
    prompt_template_sha256: str
    excludes: list[str]
    tasks_path: str
    started_at: str
    tribench_version: str = __version__


class TaskMeta(BaseModel):
    """meta.json of one task: how the agent's run went, and what it left."""

    format_version: int = META_FORMAT_VERSION
    task_id: str
    model_name_or_path: str
    input_key: str = Field(description="sha256 of the run key, the task, the parent and the prompt (resume).")
    status: AgentStatus
    reason: str | None = Field(None, description="Why, for every status but ok.")
    parent: str | None = Field(None, description="The commit the workspace started from.")
    started_at: str | None = None
    duration_s: float | None = None
    time_budget_s: float | None = None
    timed_out: bool = False
    exit_code: int | None = None
    time_to_first_edit_s: float | None = None
    first_edit_method: FirstEditMethod | None = None
    files_changed: list[str] = Field(default_factory=list)
    patch_bytes: int = 0
    patch_sha256: str | None = None
    submitted: bool = Field(False, description="True when patch.diff is in predictions.jsonl.")
    outside_writes: list[str] = Field(default_factory=list, description="Paths written outside the workspace.")
    leaks: list[str] = Field(default_factory=list, description="What the leak check found (leak_refused).")
    cost_usd: float | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    cached_input_tokens: int | None = None
    turns: int | None = None
    argv: list[str] = Field(default_factory=list, description="The command run (credentials redacted).")
    credential_vars: list[str] = Field(default_factory=list, description="Names (only) of credentials passed.")
    trajectory: str | None = Field(None, description="File name of the copied trajectory, if any.")
    tribench_version: str = __version__

    def finished(self, task_dir: Path, input_key: str) -> bool:
        """True when a rerun may keep this result: same inputs, a final outcome, its patch intact.

        An agent that failed without leaving a change (a bad key, an API outage) and tribench's
        own errors are not final: they run again.
        """
        if self.format_version != META_FORMAT_VERSION or self.input_key != input_key:
            return False
        if self.submitted:
            patch = task_dir / PATCH_FILENAME
            return patch.is_file() and hashlib.sha256(patch.read_bytes()).hexdigest() == self.patch_sha256
        if self.status == AgentStatus.NO_PATCH:
            return self.timed_out or self.exit_code == 0
        return self.status in (AgentStatus.OUTSIDE_WRITE, AgentStatus.SECRET_IN_PATCH)


def read_meta(path: Path) -> TaskMeta | None:
    """A task's meta.json, or None when it is missing or unreadable (the task then runs again)."""
    try:
        return TaskMeta.model_validate_json(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValidationError, ValueError):
        return None


def write_json_model(path: Path, model: BaseModel) -> None:
    atomic_write_text(path, json.dumps(model.model_dump(mode="json"), indent=2, sort_keys=False) + "\n")
