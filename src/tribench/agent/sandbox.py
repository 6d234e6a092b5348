"""The agent's workspace: a fresh repository at the parent commit that cannot reveal the human commit.

A git worktree of the mirror (what `tribench run` uses for arms) shares the mirror's object
store, refs and packs: `git log --all` or `git cat-file -p <human sha>` there would show the
agent the answer. So the sandbox is a new repository that receives *only* the objects reachable
from the parent:

1. `git init` (no remote is ever configured, so nothing points back at the source);
2. `git fetch --no-tags --no-write-fetch-head <mirror> <parent sha>`: the pack sent holds the
   parent's history and nothing else (a descendant is never reachable from its ancestor), and
   no FETCH_HEAD records where it came from;
3. one branch, `main`, at the parent, checked out; reflogs expired, ORIG_HEAD removed.

`seal_problems` then proves it: the human commit is absent, every commit object in the store is
an ancestor of the parent (or the parent), the only ref is `main`, and there are no remotes, no
alternates and no FETCH_HEAD/ORIG_HEAD. A non-empty answer refuses the task.
"""

from __future__ import annotations

from pathlib import Path

from tribench.gitcmd import git

BRANCH = "main"
# Files in .git that name another repository or another commit.
_POINTERS = ("FETCH_HEAD", "ORIG_HEAD", "objects/info/alternates", "objects/info/http-alternates")


class SandboxError(Exception):
    """The sandbox could not be made (git failed); the message says which step."""


def create_sandbox(mirror: Path, parent: str, dest: Path) -> Path:
    """A fresh repository at `dest` with branch `main` checked out at `parent` (a full sha)."""
    dest = Path(dest)
    dest.mkdir(parents=True)
    _step(git("init", "--quiet", f"--initial-branch={BRANCH}", str(dest)), "git init")
    _step(git("fetch", "--quiet", "--no-tags", "--no-write-fetch-head", str(Path(mirror).resolve()), parent, cwd=dest),
          f"git fetch of {parent} from the mirror")
    _step(git("update-ref", f"refs/heads/{BRANCH}", parent, cwd=dest), "git update-ref")
    _step(git("reset", "--hard", "--quiet", cwd=dest), "git reset --hard (checkout)")
    # The reflog would say "update by ..." with our commands; the agent needs none of it.
    _step(git("reflog", "expire", "--expire=all", "--all", cwd=dest), "git reflog expire")
    for name in _POINTERS:
        (dest / ".git" / name).unlink(missing_ok=True)
    return dest


def seal_problems(sandbox: Path, parent: str, human: str) -> list[str]:
    """Why the sandbox could reveal the human commit (empty: it cannot)."""
    problems = []
    if git("cat-file", "-e", f"{human}^{{commit}}", cwd=sandbox).ok:
        problems.append(f"the human commit {human} is in the sandbox's object store")
    ancestors = set(_lines(git("rev-list", parent, cwd=sandbox)))
    objects = git("cat-file", "--batch-all-objects", "--batch-check=%(objectname) %(objecttype)", cwd=sandbox)
    commits = {line.split()[0] for line in _lines(objects) if line.endswith(" commit")}
    if strangers := sorted(commits - ancestors):
        problems.append(f"{len(strangers)} commit object(s) that are not ancestors of the parent: {strangers[:3]}")
    refs = _lines(git("for-each-ref", "--format=%(refname) %(objectname)", cwd=sandbox))
    if refs != [f"refs/heads/{BRANCH} {parent}"]:
        problems.append(f"refs other than {BRANCH} at the parent: {refs[:5]}")
    if remotes := _lines(git("remote", cwd=sandbox)):
        problems.append(f"remotes configured: {remotes}")
    for name in _POINTERS:
        if (Path(sandbox) / ".git" / name).exists():
            problems.append(f".git/{name} exists")
    return problems


def _lines(result) -> list[str]:
    return [line for line in result.out.splitlines() if line.strip()] if result.ok else []


def _step(result, what: str) -> None:
    if not result.ok:
        raise SandboxError(f"{what} failed: {result.reason()}")
