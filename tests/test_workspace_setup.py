"""A task's setup (build, install) fails loudly, with its log, and a hung one leaves nothing behind.

Setup runs once per arm in the arm's worktree. Failures these tests prevent:
- a failed build measured anyway (the arm would time the *previous* build, or nothing);
- a failure recorded without the log or the lines that say why (nobody can fix it), or with a
  token the setup printed (the error lands in the results);
- a hung setup whose children survive the timeout: a background compiler or server that keeps
  a GPU, a port or the CPU busy while the other arms are measured (DESIGN.md, protocol 4).
The kill is checked on a real grandchild process, whose pid is polled until it is gone.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from gitrepo import Repo, make_task

from tribench.constants import Arm, Status
from tribench.workspace import Workspace

KILL_DEADLINE_S = 15.0  # generous: SIGTERM, a grace period, then SIGKILL


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    repo = Repo(tmp_path / "source")
    repo.commit("parent", {"build.sh": "echo building\n"})
    repo.commit("human", {"build.sh": "echo building faster\n"})
    return repo


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    return Workspace(tmp_path / "cache", logs_dir=tmp_path / "logs")


def test_a_failing_setup_is_setup_failed_with_the_log_path_and_its_tail(repo, workspace, tmp_path):
    noise = "; ".join(f"echo noise-{i}" for i in range(50))
    task = make_task(repo, repo.head(), setup_command=f"{noise}; echo 'error: cannot compile' >&2; exit 3")

    prepared = workspace.prepare(task, Arm.HUMAN, run="r1")

    assert prepared.status == Status.SETUP_FAILED and prepared.path is None
    assert prepared.setup_log.is_file() and prepared.setup_log.is_relative_to(tmp_path / "logs")
    assert "noise-0\n" in prepared.setup_log.read_text()  # the log has everything
    assert "exited with 3" in prepared.error and str(prepared.setup_log) in prepared.error
    assert prepared.error.rstrip().endswith("error: cannot compile")  # the error has the tail
    assert "noise-49" in prepared.error and "noise-0\n" not in prepared.error


def test_a_token_printed_by_a_failing_setup_does_not_reach_the_error(repo, workspace, monkeypatch):
    monkeypatch.setenv("HF_TOKEN", "hf_abcdefghijklmnop")
    task = make_task(repo, repo.head(), setup_command='echo "auth with $HF_TOKEN $MY_API_KEY"; exit 1',
                     env={"MY_API_KEY": "sk-0123456789"})
    prepared = workspace.prepare(task, Arm.HUMAN, run="r1")
    assert prepared.status == Status.SETUP_FAILED
    assert "auth with <HF_TOKEN> <MY_API_KEY>" in prepared.error
    assert "hf_abc" not in prepared.error and "sk-012" not in prepared.error


def test_a_successful_setup_is_ok_and_keeps_its_log(repo, workspace):
    prepared = workspace.prepare(make_task(repo, repo.head(), setup_command="sh build.sh"), Arm.HUMAN, run="r1")
    assert prepared.status == Status.OK and prepared.error is None
    assert prepared.setup_log.read_text() == "building faster\n"


def test_no_setup_command_means_no_setup_log(repo, workspace):
    prepared = workspace.prepare(make_task(repo, repo.head()), Arm.BASELINE, run="r1")
    assert prepared.status == Status.OK and prepared.setup_log is None


def test_setup_does_not_run_when_the_patch_was_refused(repo, workspace, tmp_path):
    marker = tmp_path / "setup-ran"
    task = make_task(repo, repo.head(), setup_command=f"touch {marker}")
    prepared = workspace.prepare(task, Arm.AGENT, run="r1", patch="not a patch\n")
    assert prepared.status == Status.PATCH_FAILED and prepared.setup_log is None
    assert not marker.exists()


def _alive(pid: int) -> bool:
    """True while `pid` runs; a zombie (dead, not yet reaped by init) counts as gone."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state not in ("Z", "X")


def test_a_setup_timeout_kills_the_whole_process_tree(repo, workspace, tmp_path):
    pid_file = tmp_path / "grandchild.pid"
    # setup (sh) -> sh -> sleep: the sleep is a grandchild of the process tribench started.
    hang = f"sh -c 'sleep 300 & echo $! > {pid_file}; wait'"
    task = make_task(repo, repo.head(), setup_command=hang, timeouts={"setup": 1.0})

    prepared = workspace.prepare(task, Arm.BASELINE, run="r1")

    assert prepared.status == Status.SETUP_FAILED
    assert "timed out after 1s" in prepared.error and str(prepared.setup_log) in prepared.error
    grandchild = int(pid_file.read_text())
    deadline = time.monotonic() + KILL_DEADLINE_S
    while _alive(grandchild) and time.monotonic() < deadline:
        time.sleep(0.05)  # polling a condition with a deadline, not sleeping to synchronise
    assert not _alive(grandchild), f"grandchild {grandchild} survived the setup timeout"
