"""Credentials stay in the environment: their values never reach a file under runs/.

Agents need their API keys (ANTHROPIC_API_KEY, CODEX_API_KEY, LLM_API_KEY, ...), so the
environment passes them through; tribench never puts one on a command line or in a file. What
an agent prints (a debug line, a config dump) is redacted on the way from the scratch area to
runs/: every value of a variable named like a credential is replaced by `<NAME>`
(DESIGN.md, "Tokens never reach results, logs or exports").
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

_SECRET_NAME = re.compile(r"TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY", re.IGNORECASE)
_MIN_SECRET_LEN = 8  # shorter values would blank out ordinary words


@dataclass
class Redactor:
    """The credential values of one environment, longest first (a key that contains another)."""

    secrets: list[tuple[str, str]] = field(default_factory=list)  # (variable name, value)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Redactor:
        env = os.environ if env is None else env
        found = [(name, value) for name, value in env.items()
                 if _SECRET_NAME.search(name) and len(value) >= _MIN_SECRET_LEN]
        return cls(sorted(found, key=lambda item: -len(item[1])))

    @property
    def names(self) -> list[str]:
        """Names of the credential variables passed to the agent (names only, for meta.json)."""
        return sorted({name for name, _ in self.secrets})

    def text(self, text: str) -> str:
        for name, value in self.secrets:
            text = text.replace(value, f"<{name}>")
        return text

    def data(self, data: bytes) -> bytes:
        for name, value in self.secrets:
            data = data.replace(value.encode("utf-8", errors="surrogateescape"), f"<{name}>".encode())
        return data

    def found_in(self, text: str) -> list[str]:
        """Names of the credentials whose value occurs in `text`."""
        return sorted({name for name, value in self.secrets if value in text})

    def copy(self, source: Path, target: Path) -> None:
        """Copy a file the agent wrote (log, trajectory) with every credential value replaced."""
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(self.data(source.read_bytes()))
