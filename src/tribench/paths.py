"""Every artifact path tribench reads or writes is built here, and only here."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from tribench.constants import RESULT_FILENAME

_UNSAFE = re.compile(r"[^A-Za-z0-9._+-]+")


def slug(text: str) -> str:
    """A file-system-safe name: `anthropic/claude 4` -> `anthropic_claude_4`."""
    cleaned = _UNSAFE.sub("_", text.strip()).strip("._")
    return cleaned or "unnamed"


def record_path(results_dir: Path, source: str, commit: str) -> Path:
    """`results/<source>/<commit>/benchmark_result.json` (DESIGN.md, "Data, schema")."""
    return Path(results_dir) / slug(source) / slug(commit) / RESULT_FILENAME


def trial_log_path(logs_dir: Path, run: str, task: str, arm: str, trial: str | int) -> Path:
    """`logs/<run>/<task>/<arm>/<trial>.log` (issue #3, Measurement)."""
    return Path(logs_dir) / slug(run) / slug(task) / slug(arm) / f"{slug(str(trial))}.log"


def exports_dir(results_dir: Path) -> Path:
    """Exports sit beside the results tree, as in the seed layout."""
    return Path(results_dir).resolve().parent / "exports"


def reports_dir(results_dir: Path) -> Path:
    return Path(results_dir).resolve().parent



def mirrors_dir(cache_dir: Path) -> Path:
    """`<cache>/mirrors`: the bare mirrors every run shares."""
    return Path(cache_dir) / "mirrors"


def mirror_path(cache_dir: Path, repo_key: str) -> Path:
    """`<cache>/mirrors/<name>-<hash>.git`: one bare mirror per repository.

    `repo_key` is the absolute path or the URL; the hash keeps two repositories that share a
    name (`a/vllm`, `b/vllm`) apart.
    """
    name = repo_key.rstrip("/").rsplit("/", 1)[-1].rsplit(":", 1)[-1].removesuffix(".git")
    digest = hashlib.sha256(repo_key.encode("utf-8")).hexdigest()[:12]
    return mirrors_dir(cache_dir) / f"{slug(name)}-{digest}.git"


def run_worktrees_dir(cache_dir: Path, run: str) -> Path:
    """`<cache>/worktrees/<run>`: everything `Workspace.cleanup(run)` removes."""
    return Path(cache_dir) / "worktrees" / slug(run)


def worktree_path(cache_dir: Path, run: str, task: str, arm: str, agent: str | None = None) -> Path:
    """`<cache>/worktrees/<run>/<task>/<arm>[--<agent>]/src`: one arm's git worktree.

    Its parent folder is the arm's private area (per-arm TMPDIR, preparation state); one arm of
    one agent never shares it with another.
    """
    label = slug(str(arm)) if agent is None else f"{slug(str(arm))}--{slug(agent)}"
    return run_worktrees_dir(cache_dir, run) / slug(task) / label / "src"


# -- `tribench agent run` ----------------------------------------------------------------------


def agent_runs_dir(runs_dir: Path, agent: str, model: str | None) -> Path:
    """`runs/<agent>/<model>`: every run of one agent with one model (`default` when none is named)."""
    return Path(runs_dir) / slug(agent) / slug(model or "default")


def agent_run_dir(runs_dir: Path, agent: str, model: str | None, run_id: str) -> Path:
    """`runs/<agent>/<model>/<run id>`: one run (its `run.json` and `predictions.jsonl`)."""
    return agent_runs_dir(runs_dir, agent, model) / slug(run_id)


def agent_task_dir(run_dir: Path, task: str) -> Path:
    """`<run>/<task>`: prompt.md, agent.log, trajectory.*, patch.diff and meta.json of one task."""
    return Path(run_dir) / slug(task)
