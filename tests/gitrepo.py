"""Real git repositories for the workspace tests: real commits, built with git itself.

Shared by tests/test_workspace*.py. Git runs with a fixed identity and without the user's
config, so the repositories are the same on every machine.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tribench.taskspec import TaskSpec

_ENV = {
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_AUTHOR_NAME": "Test",
    "GIT_AUTHOR_EMAIL": "test@localhost",
    "GIT_COMMITTER_NAME": "Test",
    "GIT_COMMITTER_EMAIL": "test@localhost",
    "GIT_AUTHOR_DATE": "2024-01-01T00:00:00Z",
    "GIT_COMMITTER_DATE": "2024-01-01T00:00:00Z",
}


def run_git(cwd: Path, *args: str, input: bytes | None = None, strip: bool = True) -> str:  # noqa: A002
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")} | _ENV
    done = subprocess.run(["git", *args], cwd=cwd, env=env, input=input, capture_output=True, check=False)
    if done.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed: {done.stderr.decode()}")
    text = done.stdout.decode("utf-8", errors="replace")
    return text.strip() if strip else text


class Repo:
    """A non-bare repository on branch `main`."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.mkdir(parents=True, exist_ok=True)
        run_git(self.path, "init", "--quiet", "--initial-branch=main")

    def git(self, *args: str, input: bytes | None = None) -> str:  # noqa: A002
        return run_git(self.path, *args, input=input)

    def commit(self, message: str, files: dict[str, str | bytes | None] | None = None,
               symlinks: dict[str, str] | None = None) -> str:
        """Write (str/bytes), delete (None) files and make symlinks, commit everything; the full sha."""
        for name, content in (files or {}).items():
            target = self.path / name
            if content is None:
                target.unlink()
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                target.write_bytes(content)
            else:
                target.write_text(content, encoding="utf-8")
        for name, destination in (symlinks or {}).items():
            (self.path / name).symlink_to(destination)
        self.git("add", "--all")
        self.git("commit", "--quiet", "--allow-empty", "-m", message)
        return self.head()

    def head(self, rev: str = "HEAD") -> str:
        return self.git("rev-parse", rev)

    def diff(self, old: str, new: str, *args: str) -> str:
        """`git diff` text (the way an agent's patch is made); `--binary` etc. via args."""
        return run_git(self.path, "diff", *args, old, new, strip=False)


def make_task(repo: Repo | Path, human_commit: str, **fields) -> TaskSpec:
    """A `command`-mode task on `repo`; setup_command, env, parent, timeouts via fields."""
    path = repo.path if isinstance(repo, Repo) else repo
    data = {"id": "task-1", "repo": str(path), "human_commit": human_commit, "mode": "command",
            "perf_command": "true"}
    data.update(fields)
    return TaskSpec.model_validate(data)


def status(worktree: Path) -> str:
    """`git status --porcelain` including untracked files: empty iff the tree is exactly HEAD."""
    return run_git(worktree, "status", "--porcelain", "--untracked-files=all")
