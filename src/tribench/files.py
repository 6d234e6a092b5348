"""File-system helpers shared by the stages that own folders: locks and forced removal."""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import stat
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def locked(lock_file: Path) -> Iterator[None]:
    """An exclusive lock between threads and processes: flock on `lock_file` (created if needed)."""
    lock_file = Path(lock_file)
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_file, "a") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def remove_tree(path: Path) -> None:
    """Remove a tree that a build or an agent may have made read-only; links are removed, never followed."""
    path = Path(path)
    if path.is_symlink() or path.is_file():
        path.unlink()
        return

    def make_writable(_func, failed: str, _exc) -> None:
        for folder in (failed, os.path.dirname(failed)):
            if os.path.isdir(folder) and not os.path.islink(folder):
                with contextlib.suppress(OSError):
                    os.chmod(folder, os.stat(folder).st_mode | stat.S_IRWXU)

    for _ in range(2):
        shutil.rmtree(path, onerror=make_writable)
        if not path.exists():
            return
    shutil.rmtree(path)  # a third failure is real: let it raise
