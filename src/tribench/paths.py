"""Every artifact path tribench reads or writes is built here, and only here."""

from __future__ import annotations

import re
from pathlib import Path

from tribench.constants import RESULT_FILENAME

_UNSAFE = re.compile(r"[^A-Za-z0-9._+-]+")


def slug(text: str) -> str:
    """A file-system-safe name: `anthropic/claude 4` -> `anthropic_claude_4`."""
    cleaned = _UNSAFE.sub("_", text.strip()).strip("._")
    return cleaned or "unnamed"


def record_path(results_dir: Path, source: str, commit: str) -> Path:
    """`results/<source>/<commit>/benchmark_result.json` (DESIGN.md, "Data, schema")."""
    return Path(results_dir) / slug(source) / slug(commit) / RESULT_FILENAME


def trial_log_path(logs_dir: Path, run: str, task: str, arm: str, trial: str | int) -> Path:
    """`logs/<run>/<task>/<arm>/<trial>.log` (issue #3, Measurement)."""
    return Path(logs_dir) / slug(run) / slug(task) / slug(arm) / f"{slug(str(trial))}.log"


def exports_dir(results_dir: Path) -> Path:
    """Exports sit beside the results tree, as in the seed layout."""
    return Path(results_dir).resolve().parent / "exports"


def reports_dir(results_dir: Path) -> Path:
    return Path(results_dir).resolve().parent


def figures_dir(results_dir: Path) -> Path:
    return reports_dir(results_dir) / "figures"
