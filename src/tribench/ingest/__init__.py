"""Legacy ingest: the seed system's result files -> canonical records (DESIGN.md, "Data, schema").

    report = ingest_paths([Path("omniperf_results_3way_claude_code")], Path("results"))

One module per legacy shape (`docker_arm`, `separate`, `rerun`, `modal`, `csv_export`), `discover` to
find files and route them, `merge` to build one record per (commit, agent) with a declared
priority, and `audit` to check the sources' own improvement numbers against ours. Every file
under the given paths is either ingested or reported with its reason; bad input never stops
the rest.
"""

from __future__ import annotations

from pathlib import Path

from tribench.ingest.audit import AUDIT_TOLERANCE_PP, AuditEntry, ImprovementAudit, audit_improvements
from tribench.ingest.discover import discover
from tribench.ingest.merge import build_record, group_sources, unify_commits
from tribench.ingest.summary import IngestReport, Ingested, Outcome, Reported
from tribench.paths import record_path
from tribench.store import sync, write_record

__all__ = [
    "AUDIT_TOLERANCE_PP", "AuditEntry", "ImprovementAudit", "IngestReport", "Ingested", "Outcome",
    "Reported", "audit_improvements", "ingest_paths",
]


def ingest_paths(paths: list[Path], results_dir: Path) -> IngestReport:
    """Ingest every legacy file under `paths` into `results_dir`; see `IngestReport`.

    Deterministic: the same inputs write byte-identical records (no clock, sorted inputs).
    """
    found = discover([Path(p) for p in paths])
    unify_commits(found.sources)
    groups = group_sources(found.sources)
    # Every claimed improvement is audited, dropped duplicates included; the other files of
    # the task explain the disagreements.
    audit = audit_improvements(found.sources, context=found.sources)
    report = IngestReport(ingested=found.ingested, reported=found.reported, audit=audit)
    claimed: dict[Path, str] = {}
    for group in groups:
        record = build_record(group, audit)
        target = record_path(results_dir, record.source, record.instance.commit_hash)
        if target in claimed:
            # The store path has no agent: never let one agent's record overwrite another's.
            report.reported.append(Reported(
                ", ".join(s.path for s in group.sources), Outcome.FAILED,
                f"record for agent {group.agent!r} would overwrite agent {claimed[target]!r}'s at {target}; "
                "ingest the two agents' files into separate --results folders"))
            continue
        claimed[target] = group.agent
        report.records.append(write_record(results_dir, record, durable=False))
    sync()  # one flush for the whole batch instead of an fsync per record
    return report
