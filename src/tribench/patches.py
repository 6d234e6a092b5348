"""Agent patches: applied whole, or refused with the tree untouched (DESIGN.md, "no partial application").

Checks run cheapest and safest first, and the tree is written only after all of them pass:
1. an empty or whitespace-only patch is refused ("empty patch");
2. every path *as written in the patch text* (`diff --git`, `---`/`+++`, `rename`/`copy` lines)
   is refused if absolute, with a `..` component, or inside `.git` ("unsafe path: <path>");
3. every path *as git will apply it* (`git apply --numstat`) gets the same checks, plus: no
   parent folder may be a symlink leading out of the worktree;
4. `git apply --check`, then `git apply --binary`. If the real apply still fails, the tree is
   reset to the commit, so a failed arm is always the plain parent.
git itself also refuses paths beyond a symlink that the same patch creates; that reason is
reported as "does not apply: ...".
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from pathlib import Path

from tribench.gitcmd import git

EMPTY_PATCH = "empty patch"
UNSAFE_PATH = "unsafe path"
DOES_NOT_APPLY = "does not apply"

_HUNK = re.compile(r"^@@ -\d+(?:,(\d+))? \+\d+(?:,(\d+))? @@")
_NAME_LINES = ("rename from ", "rename to ", "copy from ", "copy to ")
_ESCAPES = {"a": 7, "b": 8, "t": 9, "n": 10, "v": 11, "f": 12, "r": 13, '"': 34, "\\": 92}


def _patch_bytes(patch: str) -> bytes:
    try:
        return patch.encode("utf-8", errors="surrogateescape")
    except UnicodeEncodeError:
        return patch.encode("utf-8", errors="surrogatepass")


def patch_hash(patch: str) -> str:
    """sha256 of the patch text exactly as given (the key of the agent arm's results)."""
    return hashlib.sha256(_patch_bytes(patch)).hexdigest()


def check_patch(worktree: Path, patch: str) -> str | None:
    """None if `patch` applies cleanly and safely to `worktree`, else the reason. Writes nothing."""
    if not patch.strip():
        return EMPTY_PATCH
    for name in _names_in_text(patch):
        if _unsafe_name(name):
            return f"{UNSAFE_PATH}: {name}"
    data = _git_input(patch)
    listed = git("apply", "--numstat", "-z", "-", cwd=worktree, input=data)
    if not listed.ok:
        return f"{DOES_NOT_APPLY}: {listed.reason()}"
    for name in _numstat_names(listed.stdout):
        if _unsafe_name(name) or _leaves_worktree(Path(worktree), name):
            return f"{UNSAFE_PATH}: {name}"
    checked = git("apply", "--check", "--binary", "--whitespace=nowarn", "-", cwd=worktree, input=data)
    if not checked.ok:
        return f"{DOES_NOT_APPLY}: {checked.reason()}"
    return None


def apply_patch(worktree: Path, patch: str) -> str | None:
    """Apply `patch` to the working tree of `worktree` (not the index); None on success, else the reason.

    On any failure the worktree is left exactly at its commit.
    """
    reason = check_patch(worktree, patch)
    if reason is not None:
        return reason
    applied = git("apply", "--binary", "--whitespace=nowarn", "-", cwd=worktree, input=_git_input(patch))
    if applied.ok:
        return None
    # --check passed, so this is rare (disk full, a file changed meanwhile); never leave half a patch.
    restore(worktree)
    return f"{DOES_NOT_APPLY}: {applied.reason()}"


def compiled_paths_touched(patch: str, globs: list[str]) -> list[str]:
    """Paths of `patch` matching any of `globs` (fnmatch on the whole path, or on the file name).

    Engine suites measure source overlays that share the installed compiled kernels: a patch
    to a compiled source would be silently ignored there, so it is refused as `needs_build`.
    """
    import fnmatch

    touched: list[str] = []
    for name in _names_in_text(patch):
        name = name.removeprefix("a/").removeprefix("b/")
        if name == "/dev/null" or name in touched:
            continue
        if any(fnmatch.fnmatchcase(name, g) or fnmatch.fnmatchcase(name.rsplit("/", 1)[-1], g) for g in globs):
            touched.append(name)
    return touched


def restore(worktree: Path) -> None:
    """Back to the commit: tracked files reset, everything else (ignored files too) removed."""
    git("reset", "--hard", "--quiet", cwd=worktree)
    git("clean", "-fdxq", cwd=worktree)


def _git_input(patch: str) -> bytes:
    data = _patch_bytes(patch)
    # A patch cut off after its last line's newline is the commonest agent output defect; git
    # calls it "corrupt patch" although the change is complete.
    return data if data.endswith(b"\n") else data + b"\n"


def _unsafe_name(name: str) -> bool:
    """Absolute, `..`, `.git` or an empty component (`a//b`); `/dev/null` is the no-file marker."""
    if name == "/dev/null":
        return False
    if name.startswith("/"):
        return True
    parts = name.split("/")
    return any(p in ("", "..") or p.lower() == ".git" for p in parts)


def _leaves_worktree(worktree: Path, name: str) -> bool:
    """True if a parent folder of `name` resolves (through symlinks) outside the worktree."""
    root = worktree.resolve()
    parent = (root / name).parent
    return not parent.resolve().is_relative_to(root)


def _numstat_names(output: bytes) -> Iterator[str]:
    """Paths of `git apply --numstat -z`: `A\\tD\\tpath\\0`, or `A\\tD\\t\\0old\\0new\\0` for a rename."""
    items = output.split(b"\0")
    i = 0
    while i < len(items):
        fields = items[i].split(b"\t", 2)
        if len(fields) < 3:
            i += 1
            continue
        if fields[2]:
            yield fields[2].decode("utf-8", errors="surrogateescape")
            i += 1
        else:
            for raw in items[i + 1:i + 3]:
                yield raw.decode("utf-8", errors="surrogateescape")
            i += 3


def _names_in_text(patch: str) -> Iterator[str]:
    """Every file name a header line of the patch mentions, hunks skipped by their line counts."""
    old_left = new_left = 0
    for line in patch.split("\n"):
        line = line.removesuffix("\r")
        if old_left > 0 or new_left > 0:
            tag = line[:1]
            if tag in (" ", ""):
                old_left, new_left = old_left - 1, new_left - 1
                continue
            if tag in ("-", "+", "\\"):
                old_left -= tag == "-"
                new_left -= tag == "+"
                continue
            old_left = new_left = 0  # counts were wrong: read the line as a header
        hunk = _HUNK.match(line)
        if hunk:
            old_left = int(hunk.group(1) or 1)
            new_left = int(hunk.group(2) or 1)
        elif line.startswith("diff --git "):
            yield from _git_header_names(line[len("diff --git "):])
        elif line.startswith(("--- ", "+++ ")):
            yield _traditional_name(line[4:])
        elif line.startswith(_NAME_LINES):
            yield _unquote(line.split(" ", 2)[2])[0]


def _traditional_name(text: str) -> str:
    if text.startswith('"'):
        return _unquote(text)[0]
    return text.split("\t", 1)[0].rstrip()


def _git_header_names(text: str) -> list[str]:
    """The two names of `diff --git a/X b/Y`, quoted or not; ambiguous spaces give the whole text."""
    if text.startswith('"'):
        first, rest = _unquote(text)
        rest = rest.lstrip(" ")
        return [first, _unquote(rest)[0] if rest.startswith('"') else rest]
    if ' "' in text:
        first, _, rest = text.partition(' "')
        return [first, _unquote('"' + rest)[0]]
    half = len(text) // 2
    if len(text) % 2 == 1 and text[half] == " ":
        return [text[:half], text[half + 1:]]
    # Unequal names with spaces: checking the whole text is conservative (".." still shows).
    return [text]


def _unquote(text: str) -> tuple[str, str]:
    """git's C-style quoting (`"a/t\\303\\251st"`) -> (name, rest of the line)."""
    if not text.startswith('"'):
        return text, ""
    out = bytearray()
    i = 1
    while i < len(text):
        char = text[i]
        if char == '"':
            return out.decode("utf-8", errors="surrogateescape"), text[i + 1:]
        if char == "\\" and i + 1 < len(text):
            nxt = text[i + 1]
            if nxt in _ESCAPES:
                out.append(_ESCAPES[nxt])
                i += 2
                continue
            if re.match(r"[0-7]{3}", text[i + 1:i + 4]):
                out.append(int(text[i + 1:i + 4], 8) & 0xFF)
                i += 4
                continue
        out.extend(char.encode("utf-8", errors="surrogateescape"))
        i += 1
    return out.decode("utf-8", errors="surrogateescape"), ""  # unterminated: the name as read
