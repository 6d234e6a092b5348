"""The closed sets and fixed names of `tribench agent run` (what lands in meta.json and run.json).

Kept beside the stage rather than in `tribench.constants` while the stage is new; the values
are on disk, so renaming one is a format change (bump META_FORMAT_VERSION).
"""

from __future__ import annotations

from enum import StrEnum

# History of meta.json / run.json (the `format_version` key):
#   1: first version.
META_FORMAT_VERSION = 1

PROMPT_FILENAME = "prompt.md"
AGENT_LOG_FILENAME = "agent.log"
PATCH_FILENAME = "patch.diff"
REFUSED_PATCH_FILENAME = "refused.diff"  # kept for inspection, never submitted
META_FILENAME = "meta.json"
RUN_FILENAME = "run.json"
PREDICTIONS_FILENAME = "predictions.jsonl"
DEFAULT_RUNS_DIR = "runs"
DEFAULT_TIME_BUDGET = "120m"
DEFAULT_PROMPT_TEMPLATE = "agent_prompt.md.j2"  # in src/tribench/templates/
GENERIC_AGENT_NAME = "custom"

# A prompt is refused when this fraction (or more) of the human commit's distinctive added
# lines, or of its message, is found in it (`--leak-threshold`).
DEFAULT_LEAK_THRESHOLD = 0.2

# Files an agent leaves behind that are its own bookkeeping, never part of its change. Patterns
# follow .gitignore: a name without "/" matches at any depth, a leading "/" anchors at the root.
# `--exclude` adds to them.
DEFAULT_EXCLUDES: tuple[str, ...] = (
    ".aider*",  # aider: chat/input/llm history, tags cache, config
    "__pycache__",
    "*.pyc",
    ".claude",  # Claude Code: project-local settings and memory
    ".codex",
    ".openhands",
    ".openhands_instructions",
    "/trajectory.json",
    "/trajectory.jsonl",
    "/trajectories",
    "/trae_trajectory*.json",
    "/.tribench-agent",
)


class AgentStatus(StrEnum):
    """How one task's agent run ended (meta.json `status`)."""

    OK = "ok"  # the agent exited 0 and left a change: submitted
    NO_PATCH = "no_patch"  # nothing changed in the workspace (after the exclude list)
    TIMEOUT = "timeout"  # the time budget ran out; its process tree was killed; a change is submitted
    AGENT_FAILED = "agent_failed"  # non-zero exit; a change it left is still submitted
    OUTSIDE_WRITE = "outside_write"  # it wrote outside its workspace: change refused
    SECRET_IN_PATCH = "secret_in_patch"  # the change contains a credential's value: refused, not written
    LEAK_REFUSED = "leak_refused"  # the workspace would reveal the human change: agent never started
    ERROR = "error"  # tribench could not prepare or capture (infra): rerun


class FirstEditMethod(StrEnum):
    """How `time_to_first_edit_s` was measured."""

    POLL = "poll"  # seen by polling the workspace while the agent ran (resolution: the poll interval)
    MTIME = "mtime"  # the agent finished between polls: the earliest mtime among the changed files
