"""The prepare stage must measure the code it claims to measure.

A benchmark of three arms is only meaningful if each arm's worktree holds exactly its code:
baseline the human commit's parent, human the human commit, agent the parent plus the agent's
patch. Failures that would silently corrupt a comparison, and that these tests prevent:
- an arm checked out at the wrong commit (e.g. the *second* parent of a merge commit),
- two arms sharing a worktree, so one arm's build leaks into the other's measurement,
- a stale mirror that never sees a commit pushed after it was cloned, or a mirror re-cloned
  for every arm (minutes per task for a repository like vLLM),
- a resumed run reusing a worktree someone edited, or rebuilding one that was intact,
- the user's git config (`apply.whitespace=error`, a leaked `GIT_DIR`) changing the result,
- a missing repository or commit crashing the run instead of naming the task and field.
Real repositories, real commits, real worktrees; nothing is mocked.
"""

from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from gitrepo import Repo, make_task, run_git, status

from tribench.constants import Arm, Status
from tribench.errors import UserError
from tribench.paths import mirrors_dir, worktree_path
from tribench.workspace import Workspace


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    repo = Repo(tmp_path / "source")
    repo.commit("initial", {"app.py": "speed = 0\n", "README": "demo\n"})
    repo.commit("parent", {"app.py": "speed = 1\n"})
    repo.commit("human: faster", {"app.py": "speed = 2\n", "fast.py": "cache = {}\n"})
    return repo


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    return Workspace(tmp_path / "cache")


AGENT_PATCH = """\
diff --git a/app.py b/app.py
--- a/app.py
+++ b/app.py
@@ -1 +1 @@
-speed = 1
+speed = 3
"""


def head(worktree: Path) -> str:
    return run_git(worktree, "rev-parse", "HEAD")


def test_each_arm_is_checked_out_at_its_own_commit_with_its_own_files(repo, workspace):
    task = make_task(repo, repo.head())
    parent, human = repo.head("HEAD~1"), repo.head()

    baseline = workspace.prepare(task, Arm.BASELINE, run="r1")
    human_arm = workspace.prepare(task, Arm.HUMAN, run="r1")
    agent = workspace.prepare(task, Arm.AGENT, run="r1", patch=AGENT_PATCH, agent="claude")

    assert [a.status for a in (baseline, human_arm, agent)] == [Status.OK] * 3
    assert (baseline.commit, human_arm.commit, agent.commit) == (parent, human, parent)
    assert (head(baseline.path), head(human_arm.path), head(agent.path)) == (parent, human, parent)
    assert (baseline.path / "app.py").read_text() == "speed = 1\n"
    assert not (baseline.path / "fast.py").exists()
    assert (human_arm.path / "app.py").read_text() == "speed = 2\n"
    assert (human_arm.path / "fast.py").read_text() == "cache = {}\n"
    assert (agent.path / "app.py").read_text() == "speed = 3\n"
    assert agent.patch_hash == hashlib.sha256(AGENT_PATCH.encode()).hexdigest()
    assert baseline.patch_hash is None and human_arm.patch_hash is None
    assert status(baseline.path) == status(human_arm.path) == ""
    assert status(agent.path) == "M app.py"  # the patch is in the working tree, HEAD stays the parent
    assert len({baseline.path, human_arm.path, agent.path}) == 3  # two arms never share a worktree
    assert baseline.path == worktree_path(workspace.cache_dir, "r1", task.id, "baseline")
    assert agent.path == worktree_path(workspace.cache_dir, "r1", task.id, "agent", "claude")


def test_two_agents_get_two_worktrees_and_share_the_baseline(repo, workspace):
    task = make_task(repo, repo.head())
    other_patch = AGENT_PATCH.replace("speed = 3", "speed = 4")
    first = workspace.prepare(task, Arm.AGENT, run="r1", patch=AGENT_PATCH, agent="model/a")
    second = workspace.prepare(task, Arm.AGENT, run="r1", patch=other_patch, agent="model/b")
    assert first.path != second.path
    assert (first.path / "app.py").read_text() == "speed = 3\n"
    assert (second.path / "app.py").read_text() == "speed = 4\n"
    # An agent name passed for baseline is ignored: every agent is compared to the same baseline.
    assert workspace.prepare(task, Arm.BASELINE, run="r1", agent="model/a").path == \
        worktree_path(workspace.cache_dir, "r1", task.id, "baseline")


def test_parent_defaults_to_the_first_parent_of_a_merge_commit(tmp_path, workspace):
    repo = Repo(tmp_path / "merge")
    repo.commit("base", {"a.txt": "a\n"})
    repo.git("checkout", "--quiet", "-b", "side")
    side = repo.commit("side work", {"side.txt": "side\n"})
    repo.git("checkout", "--quiet", "main")
    mainline = repo.commit("mainline work", {"main.txt": "main\n"})
    repo.git("merge", "--quiet", "--no-ff", "-m", "merge side", "side")
    merge = repo.head()
    task = make_task(repo, merge)

    assert workspace.resolve(task) == (merge, mainline)
    baseline = workspace.prepare(task, Arm.BASELINE, run="r1")
    assert baseline.commit == mainline != side
    assert (baseline.path / "main.txt").exists() and not (baseline.path / "side.txt").exists()


def test_an_explicit_parent_overrides_the_first_parent(repo, workspace):
    initial = repo.head("HEAD~2")
    task = make_task(repo, repo.head()[:12], parent=initial[:10])  # short shas resolve to full ones
    assert workspace.resolve(task) == (repo.head(), initial)
    assert (workspace.prepare(task, Arm.BASELINE, run="r1").path / "app.py").read_text() == "speed = 0\n"


def test_the_mirror_is_cloned_once_and_reused_by_every_arm(repo, workspace):
    first = workspace.mirror(str(repo.path))
    sentinel = first / "tribench-test-sentinel"
    sentinel.write_text("a re-clone would remove me\n")
    inode = first.stat().st_ino

    task = make_task(repo, repo.head())
    for arm in (Arm.BASELINE, Arm.HUMAN):
        workspace.prepare(task, arm, run="r1")
    again = Workspace(workspace.cache_dir).mirror(str(repo.path))  # a new session, same cache

    assert again == first and again.stat().st_ino == inode and sentinel.exists()
    assert sorted(p.name for p in mirrors_dir(workspace.cache_dir).glob("*.git")) == [first.name]


def test_arms_prepared_at_once_from_a_cold_cache_share_one_mirror(repo, workspace):
    # The run engine may prepare arms (and tasks on one repository) in parallel threads.
    task = make_task(repo, repo.head(), setup_command="echo built > build.out")
    jobs = [(Arm.BASELINE, None, None), (Arm.HUMAN, None, None)]
    jobs += [(Arm.AGENT, AGENT_PATCH.replace("speed = 3", f"speed = {n}"), f"agent-{n}") for n in range(3, 7)]
    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        prepared = list(pool.map(lambda job: Workspace(workspace.cache_dir).prepare(
            task, job[0], run="r1", patch=job[1], agent=job[2]), jobs))

    assert [p.status for p in prepared] == [Status.OK] * len(jobs), [p.error for p in prepared]
    assert [(p.path / "app.py").read_text() for p in prepared[2:]] == [f"speed = {n}\n" for n in range(3, 7)]
    assert len(list(mirrors_dir(workspace.cache_dir).glob("*.git"))) == 1


def test_the_mirror_picks_up_a_commit_added_to_the_source_after_cloning(repo, workspace):
    mirror = workspace.mirror(str(repo.path))
    newer = repo.commit("even faster", {"app.py": "speed = 5\n"})
    with pytest.raises(AssertionError):
        run_git(mirror, "cat-file", "-e", f"{newer}^{{commit}}")

    assert workspace.mirror(str(repo.path)) == mirror
    run_git(mirror, "cat-file", "-e", f"{newer}^{{commit}}")


def test_resolve_fetches_a_commit_the_cached_mirror_does_not_have_yet(repo, workspace):
    workspace.mirror(str(repo.path))
    newer = repo.commit("even faster", {"app.py": "speed = 5\n"})
    task = make_task(repo, newer)
    assert workspace.resolve(task) == (newer, repo.head("HEAD~1"))
    # A branch name moves: a later session sees where it points now, not where it pointed.
    newest = repo.commit("fastest", {"app.py": "speed = 6\n"})
    assert Workspace(workspace.cache_dir).resolve(make_task(repo, "main"))[0] == newest


def test_a_repository_path_that_does_not_exist_is_a_user_error_naming_it(tmp_path, workspace):
    missing = tmp_path / "no-such-repo"
    with pytest.raises(UserError) as caught:
        workspace.mirror(str(missing))
    assert str(missing) in str(caught.value) and caught.value.field == "repo"

    task = make_task(missing, "abc123")
    with pytest.raises(UserError, match="does not exist"):
        workspace.prepare(task, Arm.BASELINE, run="r1")


def test_a_folder_that_is_not_a_git_repository_is_a_user_error(tmp_path, workspace):
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "file.txt").write_text("not a repo\n")
    with pytest.raises(UserError) as caught:
        workspace.mirror(str(plain))
    assert str(plain) in str(caught.value) and "git repository" in str(caught.value)
    assert not list(mirrors_dir(workspace.cache_dir).glob("*.git"))  # no half mirror left behind


@pytest.mark.parametrize("field", ["human_commit", "parent"])
def test_a_commit_that_does_not_exist_is_a_user_error_naming_task_and_field(repo, workspace, field):
    fields = {"human_commit": repo.head(), field: "0123456789abcdef0123456789abcdef01234567"}
    task = make_task(repo, **fields)
    with pytest.raises(UserError) as caught:
        workspace.resolve(task)
    assert caught.value.field == field
    assert "task-1" in str(caught.value) and "0123456789abcdef" in str(caught.value)


def test_a_root_commit_without_parent_is_a_user_error_asking_for_parent(repo, workspace):
    task = make_task(repo, repo.head("HEAD~2"))
    with pytest.raises(UserError, match="root commit") as caught:
        workspace.resolve(task)
    assert caught.value.field == "parent"


def test_cleanup_removes_the_runs_worktrees_and_only_them(repo, workspace):
    task = make_task(repo, repo.head(), setup_command="echo built")
    kept = workspace.prepare(task, Arm.BASELINE, run="other-run")
    removed = [workspace.prepare(task, arm, run="r1") for arm in (Arm.BASELINE, Arm.HUMAN)]
    removed.append(workspace.prepare(task, Arm.AGENT, run="r1", patch=AGENT_PATCH))
    mirror = workspace.mirror(str(repo.path))

    workspace.cleanup("r1")

    assert not any(arm.path.exists() for arm in removed)
    assert all(arm.setup_log.is_file() for arm in removed)  # the record's log paths stay valid
    assert kept.path.is_dir() and head(kept.path) == kept.commit
    listed = run_git(mirror, "worktree", "list", "--porcelain")
    assert str(kept.path) in listed and not any(str(arm.path) in listed for arm in removed)
    workspace.cleanup("r1")  # cleaning twice is harmless


def test_resume_reuses_an_intact_worktree_without_running_setup_again(repo, workspace, tmp_path):
    counter = tmp_path / "setup-runs"
    task = make_task(repo, repo.head(), setup_command=f"echo ran >> {counter}; echo built > build.out",
                     env={"X": "1"})
    first = workspace.prepare(task, Arm.AGENT, run="r1", patch=AGENT_PATCH)
    again = Workspace(workspace.cache_dir).prepare(task, Arm.AGENT, run="r1", patch=AGENT_PATCH)

    assert (first.reused, again.reused) == (False, True)
    assert again.status == Status.OK and again.path == first.path and again.setup_log == first.setup_log
    assert counter.read_text() == "ran\n"


@pytest.mark.parametrize("change", ["edit tracked file", "move HEAD", "other patch", "other setup env"])
def test_resume_recreates_a_worktree_whose_code_or_inputs_changed(repo, workspace, tmp_path, change):
    counter = tmp_path / "setup-runs"
    task = make_task(repo, repo.head(), setup_command=f"echo ran >> {counter}")
    patch = AGENT_PATCH
    first = workspace.prepare(task, Arm.AGENT, run="r1", patch=patch)
    if change == "edit tracked file":
        (first.path / "README").write_text("edited by hand\n")
    elif change == "move HEAD":
        run_git(first.path, "reset", "--quiet", "--hard", repo.head())
    elif change == "other patch":
        patch = AGENT_PATCH.replace("speed = 3", "speed = 4")
    else:
        task = task.model_copy(update={"env": {"CUDA_VISIBLE_DEVICES": "1"}})

    again = workspace.prepare(task, Arm.AGENT, run="r1", patch=patch)

    assert again.status == Status.OK and not again.reused
    assert head(again.path) == repo.head("HEAD~1")
    assert (again.path / "README").read_text() == "demo\n"
    expected = "speed = 4\n" if change == "other patch" else "speed = 3\n"
    assert (again.path / "app.py").read_text() == expected
    assert counter.read_text() == "ran\nran\n"


def test_a_failed_preparation_is_never_reused(repo, workspace, tmp_path):
    flag = tmp_path / "fail-once"
    flag.write_text("")
    task = make_task(repo, repo.head(), setup_command=f"if [ -e {flag} ]; then rm {flag}; exit 1; fi")
    assert workspace.prepare(task, Arm.HUMAN, run="r1").status == Status.SETUP_FAILED
    retried = workspace.prepare(task, Arm.HUMAN, run="r1")
    assert retried.status == Status.OK and not retried.reused


def test_each_arm_sets_up_in_its_own_worktree_env_and_tmpdir(repo, workspace):
    report = 'printf "%s\\n" "$(pwd)" "$TRIBENCH_ARM" "$TMPDIR" "$TASK_VAR" > "$TMPDIR/seen"'
    task = make_task(repo, repo.head(), setup_command=report, env={"TASK_VAR": "from-task"})
    seen = {}
    for arm in (Arm.BASELINE, Arm.HUMAN, Arm.AGENT):
        prepared = workspace.prepare(task, arm, run="r1", patch=AGENT_PATCH if arm == Arm.AGENT else None)
        tmp = prepared.path.parent / "tmp"
        cwd, arm_var, tmpdir, task_var = (tmp / "seen").read_text().splitlines()
        assert Path(cwd).resolve() == prepared.path.resolve()
        assert (arm_var, tmpdir, task_var) == (arm.value, str(tmp), "from-task")
        assert not Path(tmpdir).is_relative_to(prepared.path)  # setup's temp files never dirty the tree
        seen[arm] = tmpdir
    assert len(set(seen.values())) == 3


def test_the_users_git_config_and_a_leaked_git_dir_change_nothing(repo, workspace, tmp_path, monkeypatch):
    config = tmp_path / "hostile.gitconfig"
    config.write_text("[apply]\n\twhitespace = error\n[core]\n\tautocrlf = true\n")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    monkeypatch.setenv("GIT_DIR", str(tmp_path / "not-this-repo"))
    trailing_space = AGENT_PATCH.replace("+speed = 3", "+speed = 3   ")

    prepared = workspace.prepare(make_task(repo, repo.head()), Arm.AGENT, run="r1", patch=trailing_space)

    assert prepared.status == Status.OK, prepared.error
    assert (prepared.path / "app.py").read_bytes() == b"speed = 3   \n"


def test_a_patch_for_a_non_agent_arm_is_a_programming_error(repo, workspace):
    with pytest.raises(ValueError, match="agent arm"):
        workspace.prepare(make_task(repo, repo.head()), Arm.HUMAN, run="r1", patch=AGENT_PATCH)
