"""The leak check: an agent must never be shown the human change it is compared with.

Before an agent starts, its prompt and its workspace are searched for the human commit:

- **the diff**: the human commit's *distinctive added lines* (at least 12 characters, at least 6
  of them letters or digits, not merely moved from a removed line). The prompt leaks when the
  fraction of them found in it (whitespace-insensitive, with or without the diff's `+`) reaches
  the threshold; the workspace leaks when that fraction of them is found *as diff lines* (with
  their `+`) in its files, i.e. a patch of the change lies in the tree.
- **the message**: the subject (4 words or more) found anywhere, or the threshold fraction of
  the message's 6-word shingles found in the prompt; in the workspace, the subject or a long
  body line (40 characters or more) found in a file.
- **the commit id** (prompt only): a 7+ hex-digit prefix of the human sha.

Quoting code that the parent already has (the slow loop) is allowed: only added lines count.
A leak is reported with the threshold, the fraction and what matched.
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from tribench.gitcmd import git

_MIN_LINE_CHARS = 12
_MIN_LINE_ALNUM = 6
_MIN_SUBJECT_WORDS = 4
_SHINGLE_WORDS = 6
_MIN_BODY_LINE_CHARS = 40
_SHOWN = 5  # matched excerpts reported per leak
_WORD = re.compile(r"[a-z0-9_]+")
_HEX = re.compile(r"\b[0-9a-fA-F]{7,64}\b")
_DIFF_MARK = re.compile(r"^\s*[+-]", re.MULTILINE)


@dataclass(frozen=True)
class HumanChange:
    """The human commit as the leak check sees it (read from the mirror, never shown to the agent)."""

    sha: str
    message: str
    diff: str

    @classmethod
    def read(cls, mirror: Path, parent: str, human: str) -> HumanChange:
        message = git("log", "-1", "--format=%B", human, cwd=mirror)
        diff = git("diff", "--no-color", "--no-ext-diff", "--no-renames", parent, human, cwd=mirror)
        for result in (message, diff):
            if not result.ok:
                raise RuntimeError(f"cannot read the human commit {human} from {mirror}: {result.reason()}")
        return cls(human, message.stdout.decode("utf-8", "replace"), diff.stdout.decode("utf-8", "replace"))

    def added_lines(self) -> list[str]:
        """Distinctive added lines, as written in the diff without their `+` (order kept, no repeats)."""
        removed = {line[1:].strip() for line in self.diff.splitlines()
                   if line.startswith("-") and not line.startswith("---")}
        seen: dict[str, None] = {}
        for line in self.diff.splitlines():
            if not line.startswith("+") or line.startswith("+++"):
                continue
            text = line[1:].rstrip()
            core = text.strip()
            if (len(core) >= _MIN_LINE_CHARS and sum(c.isalnum() for c in core) >= _MIN_LINE_ALNUM
                    and core not in removed):
                seen.setdefault(text, None)
        return list(seen)

    @property
    def subject(self) -> str:
        return self.message.strip().splitlines()[0] if self.message.strip() else ""


@dataclass
class Leak:
    where: str  # "prompt" or "workspace"
    what: str  # "human diff", "commit message", "commit subject" or "human commit id"
    threshold: float | None  # None: any match is a leak (subject, commit id)
    fraction: float | None
    matched: list[str] = field(default_factory=list)

    def describe(self) -> str:
        share = f"{self.fraction:.0%} of it found (threshold {self.threshold:.0%})" if self.fraction is not None \
            else "found (any match refuses)"
        shown = "; ".join(repr(m[:80]) for m in self.matched[:_SHOWN])
        return f"{self.where} contains the {self.what}: {share}; matched: {shown}"


def prompt_leaks(prompt: str, change: HumanChange, threshold: float) -> list[Leak]:
    """Every way `prompt` reveals the human change (empty: none)."""
    leaks = []
    flat = " ".join(_DIFF_MARK.sub("", prompt).split())
    lines = change.added_lines()
    matched = [line for line in lines if " ".join(line.split()) in flat]
    if lines and matched and len(matched) / len(lines) >= threshold:
        leaks.append(Leak("prompt", "human diff", threshold, len(matched) / len(lines), matched))
    leaks.extend(_message_leaks(prompt, change, threshold))
    ids = [token for token in _HEX.findall(prompt) if change.sha.lower().startswith(token.lower())]
    if ids:
        leaks.append(Leak("prompt", "human commit id", None, None, ids))
    return leaks


def _message_leaks(prompt: str, change: HumanChange, threshold: float) -> list[Leak]:
    words = _WORD.findall(prompt.lower())
    text = f" {' '.join(words)} "
    subject = _WORD.findall(change.subject.lower())
    if len(subject) >= _MIN_SUBJECT_WORDS and f" {' '.join(subject)} " in text:
        return [Leak("prompt", "commit subject", None, None, [change.subject])]
    message = _WORD.findall(change.message.lower())
    shingles = _shingles(message)
    if not shingles:
        return []
    in_prompt = _shingles(words)
    found = [s for s in shingles if s in in_prompt]
    fraction = len(found) / len(shingles)
    if found and fraction >= threshold:
        return [Leak("prompt", "commit message", threshold, fraction, [" ".join(s) for s in found])]
    return []


def _shingles(words: list[str]) -> set[tuple[str, ...]]:
    return {tuple(words[i:i + _SHINGLE_WORDS]) for i in range(len(words) - _SHINGLE_WORDS + 1)}


def workspace_leaks(sandbox: Path, change: HumanChange, threshold: float) -> list[Leak]:
    """Files of the sandbox that hold the human diff (as diff lines) or the commit message."""
    leaks = []
    raw = [f"+{line}" for line in change.added_lines()]
    matched = _grep(sandbox, raw, ignore_case=False)
    if raw and matched and len(matched) / len(raw) >= threshold:
        leaks.append(Leak("workspace", "human diff", threshold, len(matched) / len(raw), matched))
    phrases = [change.subject] if len(_WORD.findall(change.subject.lower())) >= _MIN_SUBJECT_WORDS else []
    phrases += [line.strip() for line in change.message.strip().splitlines()[1:]
                if len(line.strip()) >= _MIN_BODY_LINE_CHARS]
    if found := _grep(sandbox, phrases, ignore_case=True):
        leaks.append(Leak("workspace", "commit message", None, None, found))
    return leaks


def _grep(sandbox: Path, patterns: list[str], *, ignore_case: bool) -> list[str]:
    """The patterns found (fixed strings) in the sandbox's files, tracked or not; .git excluded."""
    if not patterns:
        return []
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", suffix=".patterns") as handle:
        handle.write("\n".join(patterns) + "\n")
        handle.flush()
        flags = ["-i"] if ignore_case else []
        found = git("grep", "--untracked", "-I", "-F", "-o", "-h", *flags, "-f", handle.name, cwd=sandbox)
    if found.returncode not in (0, 1):  # 1 is "no match"; an error must not pass for "no leak"
        raise RuntimeError(f"git grep in {sandbox} failed: {found.reason()}")
    hits = {line.lower() if ignore_case else line for line in found.stdout.decode("utf-8", "replace").splitlines()}
    return [p for p in patterns if (p.lower() if ignore_case else p) in hits]
