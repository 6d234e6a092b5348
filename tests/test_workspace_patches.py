"""An agent patch is applied whole or refused whole, and never writes outside its worktree.

The agent arm is "the parent plus the agent's patch". Failures these tests prevent:
- half a patch applied (the first file changed, the second refused) and then measured as if it
  were the agent's code: after any refusal the worktree must be exactly the parent
  (`git status --porcelain` empty);
- a patch that writes outside the worktree: `../evil`, `/abs/path`, `.git/` internals, or a
  path through a symlink that leaves the tree; refused as "unsafe path: <path>", with nothing
  written anywhere;
- a binary change (`git diff --binary`) that is dropped or corrupted;
- an empty patch measured as if the agent had produced the parent;
- a patch hash that changes between runs, so resume can never find an earlier result;
- a hunk whose *content* looks like a header (`--- /x`) mistaken for an unsafe path.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from gitrepo import Repo, make_task, run_git, status

from tribench.constants import Arm, Status
from tribench.paths import worktree_path
from tribench.workspace import Workspace, check_patch, patch_hash

GOOD = """\
diff --git a/app.py b/app.py
--- a/app.py
+++ b/app.py
@@ -1,2 +1,2 @@
-speed = 1
+speed = 3
 mode = "slow"
"""
# The first file's hunk is fine, the second file's context does not match: nothing may change.
HALF_GOOD = GOOD + """\
diff --git a/lib.py b/lib.py
--- a/lib.py
+++ b/lib.py
@@ -1 +1 @@
-def work(): pass  # not what the file says
+def work(): return 42
"""


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    repo = Repo(tmp_path / "source")
    repo.commit("parent", {"app.py": 'speed = 1\nmode = "slow"\n', "lib.py": "def work(): return 0\n",
                           "notes.sql": "-- /etc/passwd is not a path here\nselect 1;\n"})
    repo.commit("human", {"app.py": 'speed = 2\nmode = "slow"\n'})
    return repo


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    return Workspace(tmp_path / "cache")


def prepare_agent(workspace: Workspace, repo: Repo, patch: str | None, agent: str = "agent-x"):
    task = make_task(repo, repo.head())
    prepared = workspace.prepare(task, Arm.AGENT, run="r1", patch=patch, agent=agent)
    worktree = worktree_path(workspace.cache_dir, "r1", task.id, "agent", agent)
    return prepared, worktree


def assert_is_the_parent(worktree: Path, repo: Repo) -> None:
    assert run_git(worktree, "rev-parse", "HEAD") == repo.head("HEAD~1")
    assert status(worktree) == ""
    assert run_git(worktree, "status", "--porcelain", "--ignored") == ""


def test_a_good_patch_is_applied_to_the_parent(repo, workspace):
    prepared, worktree = prepare_agent(workspace, repo, GOOD)
    assert prepared.status == Status.OK and prepared.path == worktree
    assert (worktree / "app.py").read_text() == 'speed = 3\nmode = "slow"\n'
    assert prepared.commit == repo.head("HEAD~1")


def test_a_patch_that_does_not_apply_leaves_the_parent_untouched_with_gits_reason(repo, workspace):
    prepared, worktree = prepare_agent(workspace, repo, GOOD.replace("-speed = 1", "-speed = 9"))
    assert prepared.status == Status.PATCH_FAILED and prepared.path is None
    assert prepared.error.startswith("does not apply:") and "patch does not apply" in prepared.error
    assert_is_the_parent(worktree, repo)


def test_a_patch_is_never_half_applied(repo, workspace):
    prepared, worktree = prepare_agent(workspace, repo, HALF_GOOD)
    assert prepared.status == Status.PATCH_FAILED and "lib.py" in prepared.error
    assert (worktree / "app.py").read_text() == 'speed = 1\nmode = "slow"\n'
    assert_is_the_parent(worktree, repo)


def _new_file(path: str) -> str:
    return f"diff --git a/{path} b/{path}\nnew file mode 100644\n--- /dev/null\n+++ b/{path}\n@@ -0,0 +1 @@\n+pwned\n"


@pytest.mark.parametrize("kind", ["dotdot", "absolute", "git internals", "rename out", "traditional absolute"])
def test_a_path_outside_the_repository_is_refused_and_nothing_is_written(repo, workspace, tmp_path, kind):
    outside = tmp_path / "outside"
    outside.mkdir()
    patch, shown = {
        "dotdot": (_new_file("../../../outside/evil"), "../../../outside/evil"),
        "absolute": (f"--- /dev/null\n+++ {outside}/evil\n@@ -0,0 +1 @@\n+pwned\n", f"{outside}/evil"),
        "git internals": (_new_file(".git/hooks/post-checkout"), ".git/hooks/post-checkout"),
        "rename out": ("diff --git a/lib.py b/../lib.py\nsimilarity index 100%\nrename from lib.py\n"
                       "rename to ../lib.py\n", "../lib.py"),
        "traditional absolute": ("--- /etc/passwd\n+++ /etc/passwd\n@@ -1 +1 @@\n-root\n+pwned\n", "/etc/passwd"),
    }[kind]
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if "cache" not in p.parts)

    prepared, worktree = prepare_agent(workspace, repo, patch)

    assert prepared.status == Status.PATCH_FAILED
    assert prepared.error.startswith("unsafe path: ") and shown in prepared.error
    assert prepared.patch_hash == patch_hash(patch)
    assert not list(outside.iterdir()) and not (worktree.parent / "lib.py").exists()
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if "cache" not in p.parts) == before
    assert_is_the_parent(worktree, repo)


def test_a_path_through_a_symlink_that_leaves_the_worktree_is_refused(tmp_path, workspace):
    outside = tmp_path / "outside"
    outside.mkdir()
    repo = Repo(tmp_path / "source")
    repo.commit("parent", {"a.txt": "a\n"}, symlinks={"escape": str(outside)})
    repo.commit("human", {"a.txt": "b\n"})

    prepared, worktree = prepare_agent(workspace, repo, _new_file("escape/pwned"))

    assert prepared.status == Status.PATCH_FAILED and prepared.error == "unsafe path: escape/pwned"
    assert not list(outside.iterdir())
    assert_is_the_parent(worktree, repo)


def test_a_symlink_made_by_the_patch_itself_cannot_be_written_through(repo, workspace, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    target = str(outside)
    patch = (f"diff --git a/link b/link\nnew file mode 120000\n--- /dev/null\n+++ b/link\n@@ -0,0 +1 @@\n"
             f"+{target}\n\\ No newline at end of file\n" + _new_file("link/pwned"))

    prepared, worktree = prepare_agent(workspace, repo, patch)

    assert prepared.status == Status.PATCH_FAILED and "beyond a symbolic link" in prepared.error
    assert not list(outside.iterdir())
    assert_is_the_parent(worktree, repo)


def test_a_binary_patch_from_git_diff_binary_applies_byte_for_byte(tmp_path, workspace):
    old_blob = bytes(range(256)) * 8
    new_blob = bytes(reversed(range(256))) * 8 + b"\x00\xff tail"
    added = b"\x89PNG\r\n\x1a\n" + bytes(range(0, 256, 3))
    repo = Repo(tmp_path / "source")
    parent = repo.commit("parent", {"model.bin": old_blob, "a.txt": "a\n"})
    repo.commit("human", {"a.txt": "b\n"})
    repo.git("checkout", "--quiet", "-b", "agent", parent)
    agent_commit = repo.commit("agent", {"model.bin": new_blob, "icon.png": added, "a.txt": "c\n"})
    repo.git("checkout", "--quiet", "main")
    patch = repo.diff(parent, agent_commit, "--binary")
    assert "GIT binary patch" in patch

    prepared, worktree = prepare_agent(workspace, repo, patch)

    assert prepared.status == Status.OK, prepared.error
    assert (worktree / "model.bin").read_bytes() == new_blob
    assert (worktree / "icon.png").read_bytes() == added
    assert (worktree / "a.txt").read_text() == "c\n"


@pytest.mark.parametrize("patch", ["", "   \n\t\n", None])
def test_an_empty_patch_is_a_patch_failure_not_the_parent(repo, workspace, patch):
    prepared, worktree = prepare_agent(workspace, repo, patch)
    assert (prepared.status, prepared.error, prepared.path) == (Status.PATCH_FAILED, "empty patch", None)
    # A given text is hashed, even an empty one; no text at all has no hash.
    assert prepared.patch_hash == (None if patch is None else hashlib.sha256(patch.encode()).hexdigest())
    assert_is_the_parent(worktree, repo)


def test_the_patch_hash_is_the_sha256_of_the_text_and_stable(repo, workspace):
    expected = hashlib.sha256(GOOD.encode("utf-8")).hexdigest()
    assert patch_hash(GOOD) == patch_hash(str(GOOD)) == expected
    assert patch_hash(GOOD + "\n") != expected
    assert prepare_agent(workspace, repo, GOOD)[0].patch_hash == expected
    assert prepare_agent(workspace, repo, HALF_GOOD, agent="other")[0].patch_hash == patch_hash(HALF_GOOD)


def test_check_patch_reports_without_writing(repo, workspace, tmp_path):
    baseline = workspace.prepare(make_task(repo, repo.head()), Arm.BASELINE, run="r1").path
    assert check_patch(baseline, GOOD) is None
    assert "lib.py" in check_patch(baseline, HALF_GOOD)
    assert check_patch(baseline, " ") == "empty patch"
    assert status(baseline) == ""


def test_hunk_lines_that_look_like_headers_are_content_not_paths(repo, workspace):
    # Removing the SQL comment "-- /etc/passwd ..." gives the hunk line "--- /etc/passwd ...".
    patch = ("diff --git a/notes.sql b/notes.sql\n--- a/notes.sql\n+++ b/notes.sql\n@@ -1,2 +1,2 @@\n"
             "--- /etc/passwd is not a path here\n+-- harmless\n select 1;\n")
    prepared, worktree = prepare_agent(workspace, repo, patch)
    assert prepared.status == Status.OK, prepared.error
    assert (worktree / "notes.sql").read_text() == "-- harmless\nselect 1;\n"


def test_a_patch_missing_its_final_newline_still_applies(repo, workspace):
    prepared, worktree = prepare_agent(workspace, repo, GOOD.rstrip("\n"))
    assert prepared.status == Status.OK, prepared.error
    assert prepared.patch_hash == patch_hash(GOOD.rstrip("\n"))  # the hash is of the text as given


def test_quoted_non_ascii_file_names_are_read_and_applied(tmp_path, workspace):
    repo = Repo(tmp_path / "source")
    parent = repo.commit("parent", {"données/tést.txt": "un\n"})
    repo.commit("human", {"données/tést.txt": "deux\n"})
    repo.git("checkout", "--quiet", "-b", "agent", parent)
    agent_commit = repo.commit("agent", {"données/tést.txt": "trois\n", "new file.txt": "x\n"})
    repo.git("checkout", "--quiet", "main")
    patch = repo.diff(parent, agent_commit)
    assert '"a/donn\\303\\251es/t\\303\\251st.txt"' in patch  # git quoted it

    prepared, worktree = prepare_agent(workspace, repo, patch)

    assert prepared.status == Status.OK, prepared.error
    assert (worktree / "données/tést.txt").read_text() == "trois\n"
    assert (worktree / "new file.txt").read_text() == "x\n"
