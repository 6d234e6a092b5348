"""What every agent adapter provides: how to invoke the CLI headless, and how to read its log.

An adapter never handles credentials: each CLI reads its own key from the environment, which
tribench passes through untouched (and redacts from everything it copies to runs/). Adapters
only add non-secret variables (e.g. the model name for OpenHands).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from tribench.errors import UserError


@dataclass(frozen=True)
class AgentInput:
    """Everything an adapter needs to build one task's command line."""

    binary: str  # absolute path of the agent's executable (resolved by `Adapter.locate`)
    prompt_file: Path  # the rendered prompt, outside the workspace
    workdir: Path  # the sandbox: the agent's current directory
    scratch: Path  # a private folder outside the workspace for the agent's log and trajectory
    home: Path  # the per-task HOME the agent runs with
    model: str | None
    target_files: tuple[str, ...] = ()


@dataclass
class Invocation:
    """One agent process: argv (never through a shell unless the user's template is one), and its files."""

    argv: list[str]
    stdout: Path  # the trajectory (JSONL CLIs) or the log
    stderr: Path  # the log (may be the same file as stdout)
    stdin: Path | None = None  # the prompt, for CLIs that read it on stdin; else /dev/null
    env: dict[str, str] = field(default_factory=dict)  # non-secret additions (model selection)
    trajectory: Path | None = None  # the trajectory file, when the agent writes one
    trajectory_name: str = "trajectory.jsonl"  # its name under runs/<task>/


@dataclass
class Usage:
    """Cost and tokens as the agent reported them (None: it did not say)."""

    cost_usd: float | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    cached_input_tokens: int | None = None
    turns: int | None = None

    def add_tokens(self, field_name: str, value) -> None:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            setattr(self, field_name, (getattr(self, field_name) or 0) + int(value))


class Adapter:
    """Base of the registered agents (`--agent NAME`)."""

    name: str = ""
    binary: str = ""  # the executable looked up on PATH
    install: str = ""  # how to install it (shown when it is missing)

    def locate(self, path_env: str | None) -> str:
        """The executable's absolute path; missing is a UserError naming it and how to install it."""
        found = shutil.which(self.binary, path=path_env)
        if found is None:
            raise UserError(f"the {self.name} agent needs `{self.binary}`, which is not on PATH; "
                            f"install it with: {self.install}", field="--agent")
        return found

    def invocation(self, run: AgentInput) -> Invocation:
        raise NotImplementedError

    def usage(self, log_text: str, trajectory_text: str | None) -> Usage:
        """Cost/tokens from what the agent wrote; the default knows none."""
        return Usage()


def json_lines(text: str | None) -> Iterator[dict]:
    """The JSON objects of a JSONL text; other lines (banners, warnings) are skipped."""
    for line in (text or "").splitlines():
        line = line.strip()
        if not line.startswith("{"):
            continue
        try:
            value = json.loads(line)
        except ValueError:
            continue
        if isinstance(value, dict):
            yield value


def number(value) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None
