"""Patch capture: what the agent changed, as one `git diff` against the parent.

In the sandbox: `git add -A` (new, modified, deleted files, modes, binaries), then
`git diff --cached --binary --no-renames <parent>`. Diffing the index against the parent (not
HEAD) also captures work the agent committed. The exclude list (DEFAULT_EXCLUDES plus
`--exclude`) keeps the agent's own bookkeeping out; its patterns follow .gitignore (a bare name
matches at any depth, a leading `/` anchors at the root) and become `:(exclude,glob)` pathspecs,
so an excluded file is left out whether it is new, modified or committed.
"""

from __future__ import annotations

import fnmatch
import hashlib
from dataclasses import dataclass
from pathlib import Path

from tribench.gitcmd import git


@dataclass(frozen=True)
class Excludes:
    """The agent's scratch files (patterns as in .gitignore)."""

    patterns: tuple[str, ...]

    def pathspecs(self) -> list[str]:
        specs = []
        for pattern in self.patterns:
            anchored = pattern.startswith("/") or "/" in pattern.rstrip("/")
            body = pattern.strip("/")
            base = body if anchored else f"**/{body}"
            specs += [f":(exclude,glob){base}", f":(exclude,glob){base}/**"]
        return specs

    def match(self, relpath: str) -> bool:
        """True if `relpath` (with `/`) is, or is inside, an excluded path."""
        parts = relpath.split("/")
        for pattern in self.patterns:
            body = pattern.strip("/")
            if pattern.startswith("/") or "/" in body:
                depth = body.count("/") + 1
                if len(parts) >= depth and fnmatch.fnmatchcase("/".join(parts[:depth]), body):
                    return True
            elif any(fnmatch.fnmatchcase(part, body) for part in parts):
                return True
        return False


@dataclass(frozen=True)
class CapturedPatch:
    data: bytes  # the patch exactly as git wrote it (what patch.diff holds)
    files: list[str]  # paths added, modified or deleted, sorted

    @property
    def empty(self) -> bool:
        return not self.data.strip()

    @property
    def text(self) -> str:
        """As a prediction's `model_patch` (undecodable bytes kept, as tribench.patches expects)."""
        return self.data.decode("utf-8", errors="surrogateescape")

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


class CaptureError(Exception):
    """git could not stage or diff the sandbox (the agent broke .git, the disk is full, ...)."""


def capture_patch(sandbox: Path, parent: str, excludes: Excludes) -> CapturedPatch:
    """Stage everything the agent left (minus excludes) and diff it against `parent`."""
    specs = ["--", ".", *excludes.pathspecs()]
    added = git("add", "-A", *specs, cwd=sandbox)
    if not added.ok:
        raise CaptureError(f"git add -A in the sandbox failed: {added.reason()}")
    diff = git("diff", "--cached", "--binary", "--no-color", "--no-ext-diff", "--no-renames", parent, *specs,
               cwd=sandbox)
    names = git("diff", "--cached", "--name-only", "-z", "--no-renames", parent, *specs, cwd=sandbox)
    if not (diff.ok and names.ok):
        raise CaptureError(f"git diff against the parent failed: {(diff if not diff.ok else names).reason()}")
    files = sorted(name.decode("utf-8", errors="surrogateescape") for name in names.stdout.split(b"\0") if name)
    return CapturedPatch(diff.stdout, files)
