"""Watching files: the workspace for the first edit, the areas outside it for forbidden writes.

Both compare stat snapshots (size, mtime, mode of every file; no content is read), so a scan of
a large tree costs a directory walk.

- `Guard`: areas the agent must not write, snapshotted before it starts and compared after it
  stopped: the folder that holds the workspace (with a sentinel file in it) and the source
  repository (its `.git/index` excepted: any `git status` there refreshes it). A difference
  refuses the patch (status `outside_write`). Writes to the per-task HOME and TMPDIR are allowed:
  they are scratch, deleted afterwards. What this cannot see: reads, and writes to places
  nobody watches (use a container for that); the user's real HOME is not watched, the agent's
  HOME points elsewhere.
- `WorkspaceWatch`: files of the workspace (not .git, not excluded scratch files). Directories
  are not compared: Python writing `__pycache__` would change their mtime without any edit.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

Entry = tuple[int, int, int]  # (mtime_ns, size, mode)
SENTINEL_NAME = "DO-NOT-EDIT.tribench-sentinel"


def snapshot(root: Path, skip: Callable[[str], bool] = lambda rel: False, *,
             files_only: bool = False) -> dict[str, Entry]:
    """relative path -> (mtime_ns, size, mode) for everything under `root` (symlinks not followed)."""
    found: dict[str, Entry] = {}
    root = Path(root)
    if not root.exists():
        return found
    for folder, dirs, files in os.walk(root, followlinks=False):
        rel_folder = os.path.relpath(folder, root)
        prefix = "" if rel_folder == "." else rel_folder.replace(os.sep, "/") + "/"
        dirs[:] = [d for d in dirs if not skip(prefix + d)]
        names = files if files_only else files + dirs
        for name in names:
            rel = prefix + name
            if skip(rel):
                continue
            try:
                info = os.lstat(os.path.join(folder, name))
            except FileNotFoundError:  # removed while we walked: absent
                continue
            found[rel] = (info.st_mtime_ns, info.st_size, info.st_mode)
    return found


def differences(before: dict[str, Entry], after: dict[str, Entry]) -> list[str]:
    """Paths added, removed or changed between two snapshots, sorted."""
    return sorted(rel for rel in before.keys() | after.keys() if before.get(rel) != after.get(rel))


@dataclass
class Guard:
    """Areas outside the workspace, as they were before the agent started."""

    areas: list[tuple[Path, Callable[[str], bool]]]
    before: list[dict[str, Entry]] = field(default_factory=list)

    @classmethod
    def take(cls, areas: list[tuple[Path, Callable[[str], bool]]]) -> Guard:
        return cls(areas, [snapshot(root, skip) for root, skip in areas])

    def changes(self) -> list[str]:
        """Absolute paths written outside the workspace since `take` (empty: none)."""
        changed = []
        for (root, skip), before in zip(self.areas, self.before, strict=True):
            changed += [str(Path(root) / rel) for rel in differences(before, snapshot(root, skip))]
        return changed


def guard_areas(box: Path, sandbox: Path, source_repo: Path | None) -> list[tuple[Path, Callable[[str], bool]]]:
    """The box (the workspace's parent, workspace excluded) and the local source repository, if any."""
    name = sandbox.name
    areas = [(box, lambda rel: rel == name or rel.startswith(name + "/"))]
    if source_repo is not None and source_repo.is_dir():
        areas.append((source_repo, lambda rel: rel in (".git/index", ".git/index.lock")))
    return areas


class WorkspaceWatch:
    """The workspace's files as checked out; `changed()` says whether the agent has edited any yet."""

    def __init__(self, workdir: Path, excluded: Callable[[str], bool]):
        self.workdir = Path(workdir)
        self._skip = lambda rel: rel == ".git" or rel.startswith(".git/") or excluded(rel)
        self.before = self._scan()

    def _scan(self) -> dict[str, Entry]:
        return snapshot(self.workdir, self._skip, files_only=True)

    def changed(self) -> list[str]:
        return differences(self.before, self._scan())

    def earliest_change_ns(self) -> int | None:
        """The earliest mtime among changed files (a deleted file: its folder's mtime)."""
        times = []
        for rel in self.changed():
            path = self.workdir / rel
            while not path.exists() and path != self.workdir:
                path = path.parent
            times.append(path.lstat().st_mtime_ns)
        return min(times) if times else None
