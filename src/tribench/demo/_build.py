"""Building a demo suite: a local git repository, its task file and its predictions file.

The repository is made the same way on every machine, so its commit hashes are the same on
every build: fixed author, committer and dates, and no influence from the user's or the
system's git configuration (HOME is a temporary folder, GIT_CONFIG_NOSYSTEM and
GIT_CONFIG_GLOBAL shut out the config files, and inherited GIT_* variables are dropped).
"""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tribench.demo._suite import SuiteDefinition, TaskDefinition, load_suite
from tribench.errors import UserError

TASKS_FILENAME = "tasks.jsonl"
PREDICTIONS_FILENAME = "predictions.jsonl"
REPO_DIRNAME = "repo"
# Written into .git of a built repository, so that a rebuild only ever deletes our own build.
_MARKER = "tribench-demo-suite"
_PYTHON_PLACEHOLDER = "{python}"

# Options that make `git commit` independent of any configuration it could still find.
_GIT_OPTIONS = (
    "-c", "core.autocrlf=false",
    "-c", "core.filemode=true",
    "-c", "core.hooksPath=/dev/null",
    "-c", "commit.gpgsign=false",
)


@dataclass
class DemoSuite:
    """A built demo suite, ready for `tribench run <tasks_path> --patches <predictions_path>`."""

    repo: Path  # the built local git repository
    tasks_path: Path  # <out_dir>/tasks.jsonl: TaskSpec rows, `repo` the absolute path of `repo`
    predictions_path: Path  # <out_dir>/predictions.jsonl: {instance_id, model_name_or_path, model_patch}
    # (task id, agent name) -> the designed outcome: a verdict (beats, matches, loses) or the
    # agent arm's status (patch_failed, crash, incorrect, timeout).
    expected: dict[tuple[str, str], str]
    name: str = "demo"
    commits: dict[str, str] = field(default_factory=dict)  # task id -> human commit (full sha)


def build_demo_suite(out_dir: Path, *, name: str = "demo") -> DemoSuite:
    """Build the suite `name` into `out_dir`: `repo/`, `tasks.jsonl` and `predictions.jsonl`.

    A previous build of a demo suite in `out_dir` is replaced; any other existing `repo/`
    is an error, never deleted.
    """
    suite = load_suite(name)
    from tribench.demo._engine_suite import build_engine_suite, engine_table

    if engine_table(name) is not None:  # the codebase is an installed engine's sources
        return build_engine_suite(out_dir, name=name)
    out_dir = Path(out_dir).resolve()
    repo = out_dir / REPO_DIRNAME
    with new_repository(repo, suite, name) as git:
        commits = _make_history(git, suite)

    tasks_path = out_dir / TASKS_FILENAME
    predictions_path = out_dir / PREDICTIONS_FILENAME
    python = shlex.quote(sys.executable)
    rows = [_task_row(task, repo, commits[task.id], python) for task in suite.tasks]
    _write_jsonl(tasks_path, rows)
    _write_jsonl(predictions_path, [
        {"instance_id": task.id, "model_name_or_path": patch.agent,
         "model_patch": suite.read_text(patch.patch)}
        for task in suite.tasks for patch in task.agents
    ])
    return DemoSuite(
        repo=repo,
        tasks_path=tasks_path,
        predictions_path=predictions_path,
        expected=suite.expected,
        name=name,
        commits={task.id: commits[task.id].sha for task in suite.tasks},
    )


@contextlib.contextmanager
def new_repository(repo: Path, suite: SuiteDefinition, name: str) -> Iterator[_Git]:
    """A fresh, marked git repository for a suite build, with git isolated from user config."""
    _clear_previous_build(repo)
    repo.mkdir(parents=True)
    with tempfile.TemporaryDirectory(prefix="tribench-demo-home-") as home:
        git = _Git(repo, suite, Path(home))
        git("init", "--quiet", f"--initial-branch={suite.branch}")
        # Marked at once: a build that fails half-way is still ours to replace.
        (repo / ".git" / _MARKER).write_text(f"{name}\n", encoding="utf-8")
        yield git


class _Git:
    """git in one repository, isolated from every configuration but its own options."""

    def __init__(self, repo: Path, suite: SuiteDefinition, home: Path):
        if shutil.which("git") is None:
            raise UserError("git is not installed; the demo suite builds a git repository (install git)")
        self.repo = repo
        env = {key: value for key, value in os.environ.items() if not key.startswith("GIT_")}
        env.update(
            HOME=str(home),
            XDG_CONFIG_HOME=str(home),
            GIT_CONFIG_NOSYSTEM="1",
            GIT_CONFIG_GLOBAL=os.devnull,
            GIT_TERMINAL_PROMPT="0",
            GIT_AUTHOR_NAME=suite.author_name,
            GIT_AUTHOR_EMAIL=suite.author_email,
            GIT_COMMITTER_NAME=suite.author_name,
            GIT_COMMITTER_EMAIL=suite.author_email,
            LC_ALL="C",
        )
        self.env = env
        self.identity = ("-c", f"user.name={suite.author_name}", "-c", f"user.email={suite.author_email}")

    def __call__(self, *args: str, date: str | None = None, stdin: str | None = None) -> str:
        env = self.env
        if date is not None:
            env = {**env, "GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date}
        command = ["git", *_GIT_OPTIONS, *self.identity, *args]
        done = subprocess.run(command, cwd=self.repo, env=env, input=stdin, capture_output=True,
                              text=True, check=False)
        if done.returncode != 0:
            # The suite's own data is inconsistent (a diff that no longer applies): a bug of
            # the package, not of the user's input.
            raise RuntimeError(f"demo build: `git {' '.join(args)}` failed in {self.repo} "
                               f"(exit {done.returncode}): {done.stderr.strip()}")
        return done.stdout

    def commit(self, message: str, date: str) -> str:
        self("add", "--all")
        self("commit", "--quiet", "--no-verify", "--cleanup=whitespace", "--file=-",
             date=date, stdin=message.strip() + "\n")
        return self("rev-parse", "HEAD").strip()


@dataclass(frozen=True)
class _HumanCommit:
    parent: str
    sha: str
    files_changed: list[str]


def _make_history(git: _Git, suite: SuiteDefinition) -> dict[str, _HumanCommit]:
    """Commit the base, then each task's human commit in order; task id -> its commit."""
    for path, content in suite.base_files():
        target = git.repo / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
        target.chmod(0o644)  # git records the executable bit: keep it off everywhere
    parent = git.commit(suite.base_message, suite.base_date)
    commits: dict[str, _HumanCommit] = {}
    for task in suite.tasks:
        git("apply", "--index", "--whitespace=nowarn", "-", stdin=suite.read_text(task.diff))
        sha = git.commit(task.message, task.date)
        changed = git("diff", "--name-only", parent, sha).splitlines()
        commits[task.id] = _HumanCommit(parent=parent, sha=sha, files_changed=changed)
        parent = sha
    return commits


def _task_row(task: TaskDefinition, repo: Path, commit: _HumanCommit, python: str) -> dict[str, Any]:
    row: dict[str, Any] = {"id": task.id, "repo": str(repo), "human_commit": commit.sha,
                           "parent": commit.parent}
    for key, value in task.spec.items():
        row[key] = value.replace(_PYTHON_PLACEHOLDER, python) if isinstance(value, str) else value
    row["subject"] = task.message.strip().splitlines()[0]
    row["files_changed"] = commit.files_changed
    return row


def _clear_previous_build(repo: Path) -> None:
    if not repo.exists():
        return
    if not (repo / ".git" / _MARKER).is_file():
        if repo.is_dir() and not any(repo.iterdir()):
            repo.rmdir()
            return
        raise UserError(f"{repo} exists and is not a demo suite build; choose another output folder")
    shutil.rmtree(repo)


def _write_jsonl(path: Path, rows: list[dict[str, Any]]) -> None:
    """Write atomically: a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
