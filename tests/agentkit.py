"""Shared by tests/test_agent*.py: the stand-in agent on PATH, a small repository with a human
commit, task files, and a helper to run `tribench agent run` in-process or through the CLI.

The repository (`make_repo`) has history parent -> human -> later, a tag on the human commit
and a branch at `later`, so that "nothing after the parent reaches the sandbox" is a real claim.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from gitrepo import Repo

from tribench.agent import AgentRunConfig, CommandAdapter, get_adapter, run_agents
from tribench.agent.constants import DEFAULT_EXCLUDES
from tribench.agent.meta import TaskMeta
from tribench.taskspec import TaskSpec

STANDIN = Path(__file__).resolve().parent / "agent_standin.py"
FAKE_KEY = "sk-ant-test-" + "k3y" * 12  # never a real key; must appear in no file under runs/

SLOW_MOD = """\
def total(values):
    result = 0
    for value in list(values):
        result = result + int(str(value))
    return result
"""
FAST_MOD = """\
def total(values):
    # integers are summed in C: no string round trip per element
    return sum(values_as_integers_without_conversion(values))


def values_as_integers_without_conversion(values):
    return (value for value in values)
"""
HUMAN_MESSAGE = ("mod: sum the integers in C instead of a Python loop\n\n"
                 "total() converted every value to a string and back before adding it up one at a time.\n")


@dataclass
class Fixture:
    repo: Repo
    parent: str
    human: str
    later: str


def install_standin(bin_dir: Path) -> Path:
    """`claude` and `codex` executables in `bin_dir` that run the stand-in as that CLI."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    for name in ("claude", "codex"):
        wrapper = bin_dir / name
        wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{STANDIN}" --as {name} "$@"\n')
        wrapper.chmod(0o755)
    return bin_dir


def use_standin(monkeypatch, bin_dir: Path) -> Path:
    """The stand-in first on PATH and a fake key in the environment, for in-process runs."""
    install_standin(bin_dir)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    monkeypatch.setenv("ANTHROPIC_API_KEY", FAKE_KEY)
    return bin_dir


def make_repo(path: Path, extra_parent_files: dict[str, str] | None = None) -> Fixture:
    repo = Repo(path)
    files = {"README.md": "# demo\n", "pkg/mod.py": SLOW_MOD, "obsolete.txt": "old\n",
             "bench.py": "import pkg.mod\nprint(pkg.mod.total(range(1000)))\n", **(extra_parent_files or {})}
    parent = repo.commit("base", files)
    human = repo.commit(HUMAN_MESSAGE, {"pkg/mod.py": FAST_MOD})
    later = repo.commit("later work", {"README.md": "# demo\n\nlater\n"})
    repo.git("tag", "v-human", human)
    repo.git("branch", "feature", later)
    return Fixture(repo, parent, human, later)


def write_tasks(path: Path, fixture: Fixture, tasks: list[dict]) -> Path:
    """One task row per dict (id, description, ...) on `fixture`, all with the same commits."""
    rows = [{"repo": str(fixture.repo.path), "human_commit": fixture.human, "parent": fixture.parent,
             "mode": "command", "perf_command": "python bench.py", "subject": HUMAN_MESSAGE.splitlines()[0],
             **task} for task in tasks]
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def make_task_spec(fixture: Fixture, **fields) -> TaskSpec:
    row = {"id": "t1", "repo": str(fixture.repo.path), "human_commit": fixture.human, "mode": "command",
           "perf_command": "python bench.py", **fields}
    return TaskSpec.model_validate(row)


def config(tmp: Path, tasks: Path, *, agent: str = "claude-code", agent_cmd: str | None = None,
           **fields) -> AgentRunConfig:
    adapter = CommandAdapter(agent_cmd, "custom") if agent_cmd else get_adapter(agent)
    values = dict(tasks_path=tasks, adapter=adapter, agent_name=adapter.name, runs_dir=tmp / "runs",
                  cache_dir=tmp / "cache", time_budget="30s", time_budget_s=30.0, excludes=DEFAULT_EXCLUDES,
                  scratch_dir=tmp / "scratch")
    values.update(fields)
    (tmp / "scratch").mkdir(exist_ok=True)
    return AgentRunConfig(**values)


def run(cfg: AgentRunConfig) -> dict[str, TaskMeta]:
    report = run_agents(cfg)
    return {m.task_id: m for m in report.metas} | {"_report": report}


def cli(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """`python -m tribench ...` in a subprocess (the real CLI, its exit code and output)."""
    return subprocess.run([sys.executable, "-m", "tribench", *args], capture_output=True, text=True,
                          env=env, cwd=cwd, timeout=300)


def env_with(bin_dir: Path | None, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    if bin_dir is not None:
        env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    env.update(extra)
    return env


def files_containing(root: Path, needle: str) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and needle.encode() in p.read_bytes()]
