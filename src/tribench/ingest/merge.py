"""Many legacy sources of one task -> ONE canonical record per (commit, agent).

Priority (highest first), after the seed's own "Merge Logic" (METRIC_ANALYSIS.md: Docker
reruns replace failed Modal/Separate results; Modal results and the modal/merged export rows
come next, the raw Modal file before the export row derived from it; the separate pipeline
fills what nothing else has):

| priority | source | data_source label |
|---|---|---|
| 0 | rerun file, `reruns/<set>/<c8>_result.json` (all three arms) | docker |
| 1 | Docker pipeline per-arm file, `results/<c8>_<arm>_result.json` | docker |
| 2 | Modal pipeline result, `results/modal/<commit>/benchmark_result.json` | modal |
| 3 | export row, `hf_export/*.csv` (`:row N`) | the row's `data_source` (modal, merged, docker, separate, ...) |
| 4 | separate pipeline file, `results/separate_{agent,baseline}/...` | separate |

Ties inside one priority are broken by path, so the result never depends on the order of
the command line.

- Per arm: the highest-priority source with a *measured* arm; if none measured it, the
  highest-priority source with a failed arm (so its status and error are kept); else missing.
- Instance fields, agent, dates and claimed improvements: the first source, in priority
  order, that states them.
- Commits: 8-character hashes are unified on the full hash when any source knows it.
- Agent: stated by the source (CSV `agent_name`), else inferred from evidence in the file or
  its tree (patch path `runs/<repo>/<agent>/`, results tree `*_3way_<agent>`); names are
  matched case- and `_`/`-`-insensitively because the seed spells one agent both ways. A
  source with no agent evidence joins the task's only agent, if it has exactly one.
- Duplicates (two export rows of one task, in one CSV or across CSVs; two files of one kind
  for the same arm): the most complete one is kept (most values, then latest date, then
  path), the others are dropped and named in a DUPLICATE_TASK flag.
- `record.source` is the label shared by the sources of the chosen arms, or "merged" when
  the arms come from differently labelled sources.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from tribench import __version__
from tribench.compare import build_result
from tribench.constants import ARMS, Arm, Flag, Mode, Status
from tribench.ingest.audit import ImprovementAudit
from tribench.ingest.classify import assign_owners
from tribench.ingest.source import LegacySource, SourceKind, agent_key, is_full_hash
from tribench.metrics import METRICS
from tribench.model import ArmResult, BenchmarkRecord, FlagEntry, Instance

MERGED_LABEL = "merged"
# The seed's benchmark types and modes, mapped to tribench's modes.
_LEGACY_MODES = {
    "serving": Mode.SERVING, "standalone": Mode.STANDALONE, "throughput": Mode.STANDALONE,
    "latency": Mode.STANDALONE, "prefix_caching": Mode.STANDALONE, "command": Mode.COMMAND,
}


@dataclass
class TaskGroup:
    """The sources of one (commit, agent), in priority order, and the duplicates dropped."""

    commit: str
    agent: str  # agent key; "" when no source gives any evidence
    sources: list[LegacySource] = field(default_factory=list)
    duplicate_flags: list[FlagEntry] = field(default_factory=list)


def priority(source: LegacySource) -> tuple[int, str]:
    return (int(source.kind), source.path)


def unify_commits(sources: list[LegacySource]) -> None:
    """Set `commit_full` on every source whose short hash names exactly one known full hash."""
    known = sorted({c for s in sources for c in (s.commit_full, s.commit) if is_full_hash(c)})
    for source in sources:
        if source.commit_full is None and is_full_hash(source.commit):
            source.commit_full = source.commit
        if source.commit_full is None:
            matches = [full for full in known if full.startswith(source.commit)]
            if len(matches) == 1:
                source.commit_full = matches[0]


def _agent_of(source: LegacySource) -> str | None:
    return agent_key(source.agent_name) if source.agent_name else source.agent_hint


def group_sources(sources: list[LegacySource]) -> list[TaskGroup]:
    by_commit: dict[str, list[LegacySource]] = defaultdict(list)
    for source in sources:
        by_commit[source.best_commit].append(source)
    groups: dict[tuple[str, str], TaskGroup] = {}
    for commit, items in sorted(by_commit.items()):
        agents = sorted({a for s in items if (a := _agent_of(s))})
        for source in sorted(items, key=priority):
            agent = _agent_of(source) or (agents[0] if len(agents) == 1 else "")
            groups.setdefault((commit, agent), TaskGroup(commit, agent)).sources.append(source)
    for group in groups.values():
        _drop_duplicates(group)
    return [groups[key] for key in sorted(groups)]


def _duplicate_key(source: LegacySource) -> tuple[object, ...]:
    # A CSV row, a rerun or a Modal file speaks for the whole task; a per-arm file for its arm only.
    whole_task = source.kind in (SourceKind.CSV, SourceKind.RERUN, SourceKind.MODAL)
    return (source.kind,) if whole_task else (source.kind, *sorted(source.arms))


def _completeness(source: LegacySource) -> tuple[int, int, str]:
    values = len(source.cells) or sum(len(a.metrics) for a in source.arms.values())
    measured = sum(a.ok for a in source.arms.values())
    return (measured, values, str(source.result.get("benchmark_date") or ""))


def _drop_duplicates(group: TaskGroup) -> None:
    buckets: dict[tuple[object, ...], list[LegacySource]] = defaultdict(list)
    for source in group.sources:
        buckets[_duplicate_key(source)].append(source)
    dropped: set[str] = set()
    for bucket in buckets.values():
        if len(bucket) < 2:
            continue
        ranked = sorted(sorted(bucket, key=priority), key=_completeness, reverse=True)
        kept, rest = ranked[0], ranked[1:]
        dropped |= {s.path for s in rest}
        group.duplicate_flags.append(FlagEntry(flag=Flag.DUPLICATE_TASK, detail=_duplicate_detail(kept, rest)))
    group.sources = [s for s in group.sources if s.path not in dropped]


def _flat(source: LegacySource) -> dict[str, object]:
    if source.cells:
        return dict(source.cells)
    return {f"{arm.value}.{m}": v for arm, a in source.arms.items() for m, v in a.metrics.items()}


def _duplicate_detail(kept: LegacySource, dropped: list[LegacySource]) -> str:
    parts = []
    for other in dropped:
        a, b = _flat(kept), _flat(other)
        differ = sorted(k for k in a.keys() | b.keys() if a.get(k) != b.get(k))
        shown = ", ".join(differ[:8]) + (f" (+{len(differ) - 8} more)" if len(differ) > 8 else "")
        parts.append(f"dropped {other.path}" + (f" (differs in: {shown})" if differ else " (identical)"))
    return f"{len(dropped) + 1} sources of one kind for this task: kept {kept.path} (most complete); " + "; ".join(parts)


def _choose_arm(arm: Arm, sources: list[LegacySource]) -> tuple[ArmResult, LegacySource | None]:
    candidates = [(s.arms[arm], s) for s in sources if arm in s.arms]
    chosen = next((c for c in candidates if c[0].ok), None) or next(
        (c for c in candidates if c[0].status != Status.MISSING), None)
    if chosen is None:
        return ArmResult(arm=arm), None
    return chosen[0].model_copy(deep=True), chosen[1]


def _first(sources: list[LegacySource], pick) -> object:
    """The first value, in priority order, that a source states (None, "" and [] state nothing)."""
    return next((v for s in sources if (v := pick(s)) not in (None, "", [])), None)


def _mode(arms: dict[Arm, ArmResult], sources: list[LegacySource]) -> str | None:
    """The mode the measured arms' metrics show; else the first declared legacy mode."""
    measured = {METRICS[m].mode for a in arms.values() if a.ok for m in a.metrics
                if m in METRICS and METRICS[m].comparable}
    if len(measured) == 1:
        return measured.pop().value
    declared = _first(sources, lambda s: _LEGACY_MODES.get((s.declared_mode or "").lower()))
    return declared.value if declared else None


def _instance(group: TaskGroup, arms: dict[Arm, ArmResult]) -> Instance:
    sources = group.sources
    names = sorted({k for s in sources for k in s.instance})
    fields = {name: _first(sources, lambda s, n=name: s.instance.get(n)) for name in names}
    parents = sorted({s.parent_commit for s in sources if s.parent_commit}, key=lambda p: (-len(p), p))
    return Instance(
        commit_hash=group.commit,
        parent_commit=parents[0] if parents else None,
        benchmark_mode=_mode(arms, sources),
        **{k: v for k, v in fields.items() if v is not None},
    )


def _reported(sources: list[LegacySource]) -> dict[str, float]:
    reported: dict[str, float] = {}
    for source in sources:
        for key, value in source.reported.items():
            reported.setdefault(key, value)
    return dict(sorted(reported.items()))


def _agent(group: TaskGroup) -> tuple[str | None, str | None]:
    stated = next((s for s in group.sources if s.agent_name), None)
    if stated:
        return stated.agent_name, stated.agent_model
    return group.agent or None, _first(group.sources, lambda s: s.agent_model)


def _audit_flags(group: TaskGroup, audit: ImprovementAudit) -> list[FlagEntry]:
    return [FlagEntry(flag=Flag.IMPROVEMENT_MISMATCH, detail=f"{entry.source}: {entry.describe()}")
            for source in group.sources for entry in audit.disagreements_of(source.path)]


def _apart_flags(chosen: dict) -> list[FlagEntry]:
    """Measured arms taken from different pipelines were measured apart: say so (never hidden)."""
    kinds = {arm: source.label for arm, (result, source) in chosen.items()
             if source is not None and result is not None and result.ok}
    if len(set(kinds.values())) < 2:
        return []
    detail = ", ".join(f"{arm.value} from {label}" for arm, label in kinds.items())
    return [FlagEntry(flag=Flag.ARMS_MEASURED_APART, detail=f"arms measured by different pipelines: {detail}")]


def build_record(group: TaskGroup, audit: ImprovementAudit) -> BenchmarkRecord:
    chosen = {arm: _choose_arm(arm, group.sources) for arm in ARMS}
    arms = assign_owners({arm: result for arm, (result, _) in chosen.items()})
    labels = sorted({source.label for _, source in chosen.values() if source is not None})
    label = labels[0] if len(labels) == 1 else (MERGED_LABEL if labels else group.sources[0].label)
    agent_name, agent_model = _agent(group)
    instance = _instance(group, arms)
    result = build_result(
        instance, arms,
        agent_name=agent_name, agent_model=agent_model,
        benchmark_date=_first(group.sources, lambda s: s.result.get("benchmark_date")),
        has_agent_patch=_first(group.sources, lambda s: s.result.get("has_agent_patch")),
        patch_path=_first(group.sources, lambda s: s.result.get("patch_path")),
        reported_improvements=_reported(group.sources),
    )
    result.flags += group.duplicate_flags + _audit_flags(group, audit) + _apart_flags(chosen)
    return BenchmarkRecord(
        harness_version=__version__, source=label, sources=[s.path for s in group.sources],
        instance=instance, result=result,
    )
