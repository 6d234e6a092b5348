"""The prepare stage: one git worktree per arm, from one cached mirror per repository.

    <cache>/mirrors/<name>-<hash>.git                      bare mirror (clone --mirror once, then fetch)
    <cache>/worktrees/<run>/<task>/<arm>[--<agent>]/src    the arm's worktree, detached at its commit
                                                   .../tmp    the arm's TMPDIR during setup
                                                   .../prepared.json   what was prepared, for resume
    <logs>/<run>/<task>/<arm>[--<agent>]/setup.log         the setup command's output (kept by cleanup)

baseline and agent start at the parent, human at the human commit; the agent arm then gets its
patch (`tribench.patches`: whole or refused); then the task's setup command runs in the
worktree with the task's env, `TRIBENCH_ARM` and a private TMPDIR.

Resume: an arm prepared before with the same inputs (commit, patch hash, setup command and env)
whose tree is exactly as tribench left it (same HEAD, same `git status`, same bytes in every
changed or untracked file) is reused and its setup is not run again; anything else is removed
and prepared from scratch. Failed preparations are never reused.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path

from tribench.constants import Arm, Status
from tribench.errors import UserError
from tribench.gitcmd import git, is_url
from tribench.patches import apply_patch, check_patch, compiled_paths_touched, patch_hash
from tribench.paths import mirror_path, mirrors_dir, run_worktrees_dir, trial_log_path, worktree_path
from tribench.process import run as run_command
from tribench.files import locked, remove_tree
from tribench.store import atomic_write_text
from tribench.taskspec import TaskSpec

__all__ = ["PreparedArm", "Workspace", "check_patch", "patch_hash"]

log = logging.getLogger(__name__)

_STATE_FILE = "prepared.json"
_STATE_VERSION = 1  # history: 1: inputs + fingerprint of the tree after setup
_FULL_SHA = re.compile(r"^(?:[0-9a-f]{40}|[0-9a-f]{64})$")
_TAIL_LINES = 20
_TAIL_CHARS = 2000
# DESIGN.md, "Tokens (HF, API keys) never reach results": values of variables named like these.
_SECRET_NAME = re.compile(r"TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|API_?KEY|ACCESS_?KEY", re.IGNORECASE)
_MIN_SECRET_LEN = 8  # shorter values would blank out ordinary words


@dataclass
class PreparedArm:
    """One arm, ready to measure (status OK) or the reason it cannot be."""

    arm: Arm
    path: Path | None  # the arm's worktree; None when preparation failed
    commit: str  # full sha the worktree is at (the parent for baseline and agent)
    status: Status  # OK, PATCH_FAILED or SETUP_FAILED
    error: str | None  # what went wrong, for the record
    patch_hash: str | None  # sha256 of the agent's patch text (agent arm, whenever a patch was given)
    setup_log: Path | None  # the setup command's log (None when the task has no setup command)
    reused: bool = False  # True when an earlier identical preparation was found intact (resume)


class Workspace:
    """Mirrors and worktrees under `cache_dir`; setup logs under `logs_dir` (default `cache_dir/logs`).

    Safe to use from several threads or processes at once: a mirror and an arm's area are each
    changed under a file lock.
    """

    def __init__(self, cache_dir: Path, *, logs_dir: Path | None = None):
        self.cache_dir = Path(cache_dir)
        self.logs_dir = Path(logs_dir) if logs_dir is not None else self.cache_dir / "logs"
        self._fetched: set[Path] = set()  # mirrors refreshed by this instance

    # -- mirrors and commits ---------------------------------------------------------------

    def mirror(self, repo: str) -> Path:
        """The bare mirror of `repo`: cloned the first time, fetched on every later call."""
        return self._mirror(repo, refresh=True)

    def resolve(self, task: TaskSpec) -> tuple[str, str]:
        """(human sha, parent sha); the parent defaults to the human commit's first parent."""
        mirror = self._mirror(task.repo, refresh=False)
        human = self._commit(task, mirror, task.human_commit, "human_commit")
        if task.parent:
            return human, self._commit(task, mirror, task.parent, "parent")
        parent = _rev_parse(mirror, f"{human}^1")
        if parent is None:
            raise UserError(f"task {task.id!r}: human commit {human} is a root commit with no parent; "
                            "give `parent` explicitly", field="parent")
        return human, parent

    def _mirror(self, repo: str, *, refresh: bool) -> Path:
        source, network = _source(repo)
        path = mirror_path(self.cache_dir, source)
        with _locked(path):
            if path.is_dir():
                if refresh:
                    self._fetch(repo, path, network)
            else:
                _clone(repo, source, path, network)
                self._fetched.add(path)
        return path

    def _fetch(self, repo: str, mirror: Path, network: bool) -> None:
        fetched = git("fetch", "--prune", "--quiet", "origin", cwd=mirror, network=network, user_config=network)
        if fetched.ok:
            self._fetched.add(mirror)
        elif network:
            # Offline with a cached mirror: the commits it has are still the right commits.
            log.warning("could not fetch %s, using the cached mirror %s: %s", repo, mirror, fetched.reason())
        else:
            raise UserError(f"cannot fetch from {repo}: {fetched.reason()}", path=repo, field="repo")

    def _commit(self, task: TaskSpec, mirror: Path, rev: str, field: str) -> str:
        sha = _rev_parse(mirror, rev)
        if sha is not None and _FULL_SHA.match(rev.lower()):
            return sha  # a full sha names the same commit forever: no fetch needed
        # Fetch when the commit is missing (pushed since), or once per session for a name that moves.
        if sha is None or mirror not in self._fetched:
            with _locked(mirror):
                self._fetch(task.repo, mirror, _needs_network(task.repo))
            sha = _rev_parse(mirror, rev)
        if sha is None:
            raise UserError(f"task {task.id!r}: {field} {rev!r} is not a commit of {task.repo}; "
                            "check the sha, or push the commit to that repository", field=field)
        return sha

    # -- arms --------------------------------------------------------------------------------

    def prepare(self, task: TaskSpec, arm: Arm, *, run: str, patch: str | None = None,
                agent: str | None = None) -> PreparedArm:
        """A worktree for one arm of one task in `run`, patched (agent) and set up.

        `agent` names the agent arm's worktree (one per agent) and is ignored for baseline and
        human, which all agents share. A patch for any other arm than agent is a bug (ValueError).
        The agent arm with `patch=None` is refused as an empty patch, with no patch hash.
        Raises UserError when the repository or a commit does not exist.
        """
        arm = Arm(arm)
        if arm != Arm.AGENT:
            if patch is not None:
                raise ValueError(f"a patch is only applied to the agent arm, not to {arm.value}")
            agent = None
        human, parent = self.resolve(task)
        commit = human if arm == Arm.HUMAN else parent
        digest = patch_hash(patch) if patch is not None else None
        src = worktree_path(self.cache_dir, run, task.id, arm.value, agent)
        setup_log = None
        if task.setup_command:
            setup_log = trial_log_path(self.logs_dir, run, task.id, src.parent.name, "setup")
        inputs = {"commit": commit, "patch_hash": digest, "setup": _setup_key(task, arm)}
        result = PreparedArm(arm, src, commit, Status.OK, None, digest, None)
        with _locked(src.parent):
            if _reusable(src, inputs):
                result.reused = True
                result.setup_log = setup_log if setup_log and setup_log.is_file() else None
                return result
            error = self._fresh_worktree(self._mirror(task.repo, refresh=False), src, commit)
            if error:
                return _failed(result, Status.SETUP_FAILED, error)
            if arm == Arm.AGENT and task.compiled_paths and patch:
                touched = compiled_paths_touched(patch, task.compiled_paths)
                if touched:
                    return _failed(result, Status.NEEDS_BUILD, f"needs build: the patch changes compiled "
                                   f"source(s) {', '.join(touched)}; this task measures Python-only overlays "
                                   "of the installed engine and never drops part of a patch")
            if arm == Arm.AGENT:
                reason = apply_patch(src, patch or "")
                if reason:
                    return _failed(result, Status.PATCH_FAILED, reason)
            if task.setup_command:
                result.setup_log = setup_log
                error = _run_setup(task, arm, src, setup_log)
                if error:
                    return _failed(result, Status.SETUP_FAILED, error)
            _write_state(src, inputs)
        return result

    def _fresh_worktree(self, mirror: Path, src: Path, commit: str) -> str | None:
        """Remove whatever is at the arm's area and add a detached worktree at `commit`."""
        area = src.parent
        if area.exists() or area.is_symlink():
            remove_tree(area)
        with _locked(mirror):
            git("worktree", "prune", cwd=mirror)
            area.mkdir(parents=True)
            added = git("worktree", "add", "--detach", "--quiet", str(src), commit, cwd=mirror)
        if not added.ok:
            return f"git worktree add {src} at {commit} failed: {added.reason()}"
        return None

    def cleanup(self, run: str) -> None:
        """Remove every worktree of `run` (setup logs stay) and prune them from the mirrors."""
        root = run_worktrees_dir(self.cache_dir, run)
        if root.exists():
            remove_tree(root)
        mirrors = mirrors_dir(self.cache_dir)
        for mirror in sorted(mirrors.glob("*.git")) if mirrors.is_dir() else []:
            with _locked(mirror):
                git("worktree", "prune", cwd=mirror)


# -- helpers -----------------------------------------------------------------------------------


def _source(repo: str) -> tuple[str, bool]:
    """(what git clones, whether that needs the network); a missing local path is a UserError."""
    if is_url(repo):
        return repo.rstrip("/"), _needs_network(repo)
    path = Path(repo).expanduser()
    if not path.exists():
        raise UserError(f"repository {repo} does not exist; give an existing local path or a git URL",
                        path=repo, field="repo")
    return str(path.resolve()), False


def _needs_network(repo: str) -> bool:
    return is_url(repo) and not repo.startswith("file://")


def _clone(repo: str, source: str, mirror: Path, network: bool) -> None:
    """`git clone --mirror` into a temporary name, renamed into place: never half a mirror."""
    mirror.parent.mkdir(parents=True, exist_ok=True)
    partial = mirror.with_name(f".{mirror.name}.partial-{os.getpid()}")
    if partial.exists():
        remove_tree(partial)
    cloned = git("clone", "--mirror", "--quiet", "--", source, str(partial), network=network, user_config=network)
    if not cloned.ok:
        if partial.exists():
            remove_tree(partial)
        raise UserError(f"cannot clone {repo}: {cloned.reason()}; is it a git repository?", path=repo, field="repo")
    os.rename(partial, mirror)


def _rev_parse(repo: Path, rev: str) -> str | None:
    found = git("rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}", cwd=repo)
    return found.out if found.ok and found.out else None


def _setup_key(task: TaskSpec, arm: Arm) -> str:
    text = json.dumps({"command": task.setup_command, "env": task.env, "arm": arm.value}, sort_keys=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _run_setup(task: TaskSpec, arm: Arm, src: Path, setup_log: Path) -> str | None:
    """Run the setup command in the worktree; None if it succeeded, else the error with the log tail."""
    tmp = src.parent / "tmp"
    tmp.mkdir(exist_ok=True)
    env = {**task.env, "TRIBENCH_ARM": arm.value, "TMPDIR": str(tmp), "TMP": str(tmp), "TEMP": str(tmp)}
    done = run_command(task.setup_command, cwd=src, env=env, timeout_s=task.timeouts.setup, log=setup_log)
    if done.ok:
        return None
    if done.timed_out:
        what = f"setup timed out after {task.timeouts.setup:g}s (its process tree was killed)"
    else:
        what = f"setup exited with {done.exit_code}"
    return f"{what}; log: {setup_log}\n{_redact(_tail(done.output), {**os.environ, **task.env})}"


def _tail(text: str) -> str:
    return "\n".join(text.rstrip("\n").split("\n")[-_TAIL_LINES:])[-_TAIL_CHARS:]


def _redact(text: str, env: dict[str, str]) -> str:
    """The error lands in results: a secret a setup script printed is replaced by its variable's name."""
    for name, value in env.items():
        if _SECRET_NAME.search(name) and len(value) >= _MIN_SECRET_LEN:
            text = text.replace(value, f"<{name}>")
    return text


def _failed(result: PreparedArm, status: Status, error: str) -> PreparedArm:
    result.path, result.status, result.error = None, status, error
    return result


def _fingerprint(src: Path) -> str | None:
    """HEAD, `git status` and the bytes of every file it lists: changes iff the tree changed."""
    head = git("rev-parse", "--verify", "HEAD", cwd=src)
    status = git("status", "--porcelain=v1", "-z", "--untracked-files=all", cwd=src)
    if not (head.ok and status.ok):
        return None
    digest = hashlib.sha256(head.stdout + b"\0" + status.stdout)
    entries = status.stdout.split(b"\0")
    skip_next = False
    for entry in entries:
        if skip_next or len(entry) < 4:
            skip_next = False
            continue
        skip_next = entry[:1] in (b"R", b"C")  # a staged rename is followed by its old name
        digest.update(_file_digest(src / os.fsdecode(entry[3:])))
    return digest.hexdigest()


def _file_digest(path: Path) -> bytes:
    if path.is_symlink():
        return b"link:" + os.fsencode(os.readlink(path))
    if not path.is_file():
        return b"absent"
    hasher = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            hasher.update(block)
    return hasher.digest() + oct(path.stat().st_mode & 0o111).encode()


def _reusable(src: Path, inputs: dict) -> bool:
    state_file = src.parent / _STATE_FILE
    if not (state_file.is_file() and (src / ".git").exists()):
        return False
    try:
        state = json.loads(state_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False  # a state file that does not parse is never trusted
    return (state.get("version") == _STATE_VERSION and state.get("inputs") == inputs
            and state.get("fingerprint") is not None and state.get("fingerprint") == _fingerprint(src))


def _write_state(src: Path, inputs: dict) -> None:
    state = {"version": _STATE_VERSION, "inputs": inputs, "fingerprint": _fingerprint(src)}
    atomic_write_text(src.parent / _STATE_FILE, json.dumps(state, indent=1, sort_keys=True) + "\n")


def _locked(thing: Path):
    """An exclusive lock on `thing` (flock on `<thing>.lock` beside it)."""
    return locked(thing.with_name(thing.name + ".lock"))
