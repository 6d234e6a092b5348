"""The agent's clone must not contain the answer.

An agent that can run `git log --all`, `git show <sha>` or read a pack file in its workspace
could copy the human commit instead of optimising. tribench's arms are worktrees of a mirror
(sharing its objects and refs), so the agent gets a different thing: a fresh repository that
received only the parent's history. These tests make the source as leaky as it gets (a tag on
the human commit, a branch beyond it) and prove, with git itself, that nothing after the parent
is reachable, stored, referenced or remembered in the sandbox, and that no remote points back.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from agentkit import make_repo, make_task_spec
from gitrepo import run_git

from tribench.agent.sandbox import create_sandbox, seal_problems
from tribench.workspace import Workspace


@pytest.fixture(scope="module")
def sealed(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("sandbox")
    fixture = make_repo(tmp / "source")
    workspace = Workspace(tmp / "cache")
    mirror = workspace.mirror(str(fixture.repo.path))
    sandbox = create_sandbox(mirror, fixture.parent, tmp / "box" / "source")
    return fixture, mirror, sandbox


def git_fails(cwd: Path, *args: str) -> bool:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True).returncode != 0


def test_human_commit_object_is_absent_from_the_sandbox(sealed):
    fixture, _, sandbox = sealed
    assert git_fails(sandbox, "cat-file", "-e", fixture.human)
    assert git_fails(sandbox, "cat-file", "-e", fixture.later)
    assert git_fails(sandbox, "show", "v-human")


def test_every_ref_and_every_stored_commit_is_the_parent_or_its_ancestor(sealed):
    fixture, _, sandbox = sealed
    ancestors = set(run_git(sandbox, "rev-list", fixture.parent).split())
    assert set(run_git(sandbox, "rev-list", "--all").split()) == ancestors
    stored = run_git(sandbox, "cat-file", "--batch-all-objects", "--batch-check=%(objectname) %(objecttype)")
    commits = {line.split()[0] for line in stored.splitlines() if line.endswith(" commit")}
    assert commits == ancestors
    assert run_git(sandbox, "for-each-ref", "--format=%(refname) %(objectname)") == f"refs/heads/main {fixture.parent}"
    assert run_git(sandbox, "rev-parse", "HEAD") == fixture.parent
    assert run_git(sandbox, "status", "--porcelain") == ""


def test_no_pack_reflog_or_pointer_file_mentions_a_descendant(sealed):
    fixture, _, sandbox = sealed
    git_dir = sandbox / ".git"
    for pack in git_dir.glob("objects/pack/*.idx"):
        listed = run_git(sandbox, "verify-pack", "-v", str(pack))
        assert fixture.human not in listed and fixture.later not in listed
    assert run_git(sandbox, "reflog", "show", "--all") == ""
    for name in ("FETCH_HEAD", "ORIG_HEAD", "packed-refs", "objects/info/alternates"):
        text = (git_dir / name).read_text() if (git_dir / name).exists() else ""
        assert fixture.human not in text and fixture.later not in text, name
    for path in git_dir.rglob("*"):  # every text file git keeps: config, logs, refs, HEAD, ...
        if path.is_file() and "objects" not in path.parts:
            data = path.read_bytes()
            assert fixture.human.encode() not in data and fixture.later.encode() not in data, path


def test_no_remote_or_path_points_back_to_the_source_or_the_mirror(sealed):
    fixture, mirror, sandbox = sealed
    assert run_git(sandbox, "remote") == ""
    config = (sandbox / ".git" / "config").read_text()
    assert "url" not in config and "remote" not in config
    for path in (sandbox / ".git").rglob("*"):
        if path.is_file() and "objects" not in path.parts:
            data = path.read_bytes()
            assert str(fixture.repo.path).encode() not in data and str(mirror).encode() not in data, path


def test_seal_check_passes_the_sandbox_and_catches_a_worktree_of_the_mirror(sealed, tmp_path):
    fixture, mirror, sandbox = sealed
    assert seal_problems(sandbox, fixture.parent, fixture.human) == []
    # What `tribench run` gives its arms: a worktree sharing the mirror's objects and refs.
    worktree = tmp_path / "arm"
    run_git(mirror, "worktree", "add", "--detach", str(worktree), fixture.parent)
    try:
        problems = seal_problems(worktree, fixture.parent, fixture.human)
    finally:
        run_git(mirror, "worktree", "remove", "--force", str(worktree))
    assert any("human commit" in p for p in problems), problems
    assert any("not ancestors" in p for p in problems) and any("refs other than" in p for p in problems)


def test_workspace_for_a_task_is_a_parent_checkout(sealed, tmp_path):
    fixture, mirror, _ = sealed
    task = make_task_spec(fixture)
    human, parent = Workspace(tmp_path / "cache").resolve(task)
    assert (human, parent) == (fixture.human, fixture.parent)
    box = create_sandbox(mirror, parent, tmp_path / "box" / "repo")
    at_parent = run_git(fixture.repo.path, "show", f"{parent}:pkg/mod.py", strip=False)
    assert (box / "pkg" / "mod.py").read_text() == at_parent
