"""What an ingest did: every file ingested or reported with its reason, and what was written."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from tribench.errors import UserError
from tribench.ingest.audit import ImprovementAudit


class Outcome(StrEnum):
    SKIPPED = "skipped"  # not a result file (markdown, logs, runner summaries): nothing to ingest
    FAILED = "failed"  # a result file (or CSV row) that could not be read: bad input


@dataclass(frozen=True)
class Reported:
    """A file (or `<file>:row N`) that was not ingested, and why."""

    path: str
    outcome: Outcome
    reason: str
    field: str | None = None

    @classmethod
    def from_error(cls, exc: UserError, fallback_path: str) -> Reported:
        return cls(exc.path or fallback_path, Outcome.FAILED, exc.message, exc.field)


@dataclass(frozen=True)
class Ingested:
    """A file whose data went into records: its shape and how many sources (arms files, rows) it gave."""

    path: str
    shape: str
    sources: int


@dataclass
class IngestReport:
    ingested: list[Ingested] = field(default_factory=list)
    reported: list[Reported] = field(default_factory=list)
    records: list[Path] = field(default_factory=list)
    audit: ImprovementAudit = field(default_factory=ImprovementAudit)

    @property
    def skipped(self) -> list[Reported]:
        return [r for r in self.reported if r.outcome == Outcome.SKIPPED]

    @property
    def failed(self) -> list[Reported]:
        return [r for r in self.reported if r.outcome == Outcome.FAILED]

    def accounted_files(self) -> set[str]:
        """Files that were ingested or reported (row problems count for their file)."""
        return {i.path for i in self.ingested} | {r.path.split(":row ")[0] for r in self.reported}
