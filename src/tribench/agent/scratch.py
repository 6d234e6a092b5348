"""One task's private area, outside runs/ and outside the workspace, removed when the task ends.

    <tmp>/tribench-agent-XXXX/
        box/<repo>/          the sandbox (the agent's workspace)
        box/DO-NOT-EDIT...   a sentinel: the box is watched, the agent must not write there
        home/                the agent's HOME (and XDG folders): its logins, config, caches
        tmp/                 its TMPDIR
        raw/                 its log and trajectory as written, before redaction
        prompt.md            the prompt it is given

Everything the agent may write besides its workspace lands here, and only redacted copies of
the log and trajectory leave it.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from tribench.agent.guard import SENTINEL_NAME
from tribench.files import remove_tree

_GITCONFIG = "[user]\n\tname = tribench agent\n\temail = agent@tribench.invalid\n"


@dataclass
class Scratch:
    root: Path
    box: Path
    home: Path
    tmp: Path
    raw: Path
    prompt: Path

    @classmethod
    def create(cls, prompt: str, parent_dir: Path | None = None) -> Scratch:
        if parent_dir is not None:
            Path(parent_dir).mkdir(parents=True, exist_ok=True)
        root = Path(tempfile.mkdtemp(prefix="tribench-agent-", dir=parent_dir)).resolve()
        area = cls(root, root / "box", root / "home", root / "tmp", root / "raw", root / "prompt.md")
        for folder in (area.box, area.home, area.tmp, area.raw):
            folder.mkdir()
        (area.box / SENTINEL_NAME).write_text("tribench watches this folder: an agent that writes here is refused.\n")
        # Agents that commit need an identity; the user's ~/.gitconfig is out of reach by design.
        (area.home / ".gitconfig").write_text(_GITCONFIG)
        area.prompt.write_text(prompt, encoding="utf-8")
        return area

    def remove(self) -> None:
        """Remove the area, even files an agent or a build made read-only; links are never followed."""
        remove_tree(self.root)
