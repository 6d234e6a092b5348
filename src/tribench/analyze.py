"""The analysis stage: headline numbers, a leaderboard per agent, per-task rows, data quality.

Definitions (DESIGN.md, "Outcomes and who owns a failure"), all computed from the records:
- *total tasks*: distinct human commits.
- *pairs*: task × agent records; with several agents every count below is over pairs.
- *evaluable*: baseline and human measured under identical conditions (`Result.evaluable`).
- *agent matches or beats human*: evaluable tasks whose verdict is beats or matches, over
  evaluable tasks. An agent failure is in the denominator: failing is not matching.
- *agent failure rate*: evaluable tasks whose failure is agent-owned, over evaluable tasks.
- *infra* and *task* failures are counted apart and never charged to the agent.
- *no verdict*: evaluable, no agent failure, but no agent-vs-human value (agent arm missing,
  or measured under other conditions): in the denominator, never counted as a match.
- *human–agent comparable*: human and agent both measured under the same conditions, whatever
  the baseline — the seed's wider "evaluable for agent vs human" count, shown for comparability.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from tribench.constants import DEFAULT_TOLERANCE_PCT, Arm, Flag, Owner, Status, Verdict, VerdictMethod
from tribench.model import BenchmarkRecord, FlagEntry


@dataclass
class Headline:
    agent: str
    total_tasks: int = 0
    pairs: int = 0
    evaluable: int = 0
    comparable: int = 0
    beats: int = 0
    matches: int = 0
    loses: int = 0
    inconclusive: int = 0
    no_verdict: int = 0
    agent_failures: int = 0
    infra_failures: int = 0
    task_failures: int = 0
    point_estimate_verdicts: int = 0

    @property
    def matches_or_beats(self) -> int:
        return self.beats + self.matches

    @property
    def matches_or_beats_pct(self) -> float | None:
        return _pct(self.matches_or_beats, self.evaluable)

    @property
    def agent_failure_rate_pct(self) -> float | None:
        return _pct(self.agent_failures, self.evaluable)


@dataclass
class TaskRow:
    commit: str
    commit_short: str
    subject: str
    agent: str
    source: str
    mode: str
    primary_metric: str
    human_improvement: float | None
    agent_improvement: float | None
    agent_vs_human: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    verdict: str
    point_verdict: str
    method: str
    trials: str
    status: str
    owner: str
    failure: str  # "<arm> <status> (<owner>)" of the first failed arm, "" when none failed
    evaluable: bool
    flags: list[str]
    executor: str = ""  # local, ray, modal; "" for ingested legacy records


@dataclass
class Summary:
    overall: Headline
    leaderboard: list[Headline]
    rows: list[TaskRow]
    flag_counts: dict[str, int]
    quality: list[tuple[str, str, str]] = field(default_factory=list)  # (commit, flag, detail)
    records: list[BenchmarkRecord] = field(default_factory=list)
    tolerance_pct: float = DEFAULT_TOLERANCE_PCT

    @property
    def agents(self) -> list[str]:
        return [h.agent for h in self.leaderboard]

    @property
    def executors(self) -> dict[str, int]:
        """Records per executor that measured them (local, ray, modal; "ingested" for legacy data)."""
        return dict(sorted(Counter(r.executor or "ingested" for r in self.records).items()))


def _pct(part: int, whole: int) -> float | None:
    return part / whole * 100.0 if whole else None


def agent_label(record: BenchmarkRecord) -> str:
    result = record.result
    name = result.agent_name or "unknown-agent"
    return f"{name} ({result.agent_model})" if result.agent_model else name


def _tally(agent: str, records: list[BenchmarkRecord]) -> Headline:
    head = Headline(agent=agent, total_tasks=len({r.instance.commit_hash for r in records}), pairs=len(records))
    for record in records:
        result = record.result
        owner = result.failure_owner
        head.infra_failures += owner == Owner.INFRA
        head.task_failures += owner == Owner.TASK
        if result.verdict.improvement is not None:
            head.comparable += 1
        if not result.evaluable:
            continue
        head.evaluable += 1
        if owner == Owner.AGENT:
            head.agent_failures += 1
            continue
        verdict = result.verdict.verdict
        if verdict is not None:
            head.point_estimate_verdicts += result.verdict.method == VerdictMethod.POINT_ESTIMATE
        head.beats += verdict == Verdict.BEATS
        head.matches += verdict == Verdict.MATCHES
        head.loses += verdict == Verdict.LOSES
        head.inconclusive += verdict == Verdict.INCONCLUSIVE
        head.no_verdict += verdict is None
    return head


def _row(record: BenchmarkRecord, flags: list[FlagEntry]) -> TaskRow:
    result, verdict = record.result, record.result.verdict
    metric = verdict.primary_metric or ""
    trials = "/".join(str(result.arm(a).n_trials) for a in (Arm.BASELINE, Arm.HUMAN, Arm.AGENT))
    statuses = "/".join(result.arm(a).status.value for a in (Arm.BASELINE, Arm.HUMAN, Arm.AGENT))
    return TaskRow(
        commit=record.instance.commit_hash,
        commit_short=record.instance.commit_short,
        subject=record.instance.commit_subject or "",
        agent=agent_label(record),
        source=record.source,
        mode=result.benchmark_mode or "",
        primary_metric=metric,
        human_improvement=result.human_improvement.get(metric),
        agent_improvement=result.agent_improvement.get(metric),
        agent_vs_human=verdict.improvement,
        ci_low=verdict.ci_low,
        ci_high=verdict.ci_high,
        p_value=verdict.p_value,
        verdict=verdict.verdict.value if verdict.verdict else "",
        point_verdict=verdict.point_verdict.value if verdict.point_verdict else "",
        method=verdict.method.value if verdict.method else "",
        trials=trials,
        status=statuses,
        owner=result.failure_owner.value,
        failure=_failure(record),
        evaluable=result.evaluable,
        flags=sorted({f.flag.value for f in flags}),
        executor=record.executor or "",
    )


def _failure(record: BenchmarkRecord) -> str:
    for arm in (Arm.BASELINE, Arm.HUMAN, Arm.AGENT):
        result = record.result.arm(arm)
        if result.status not in (Status.OK, Status.MISSING):
            return f"{arm.value} {result.status.value} ({result.owner.value})"
    return ""


def _duplicates(records: list[BenchmarkRecord]) -> dict[int, FlagEntry]:
    """The same task for the same agent in several records (e.g. two sources): flag all copies."""
    by_key: dict[tuple[str, str], list[int]] = defaultdict(list)
    for index, record in enumerate(records):
        by_key[record.key].append(index)
    found = {}
    for (commit, _agent), indexes in by_key.items():
        if len(indexes) > 1:
            where = ", ".join(records[i].source for i in indexes)
            for i in indexes:
                found[i] = FlagEntry(flag=Flag.DUPLICATE_TASK, detail=f"{commit[:8]} recorded {len(indexes)} times ({where})")
    return found


def gpu_models(record: BenchmarkRecord) -> set[str]:
    """GPU models the record's arms were measured on ("no GPU" for a fingerprinted arm without
    one); empty for records without a fingerprint (legacy data)."""
    return {arm.env.get("gpu_model") or _first_gpu_name(arm.env.get("gpu")) or "no GPU"
            for arm in record.result.arms.values() if arm.env}


def _first_gpu_name(gpu: str | None) -> str | None:
    """The model in the first fingerprint's `gpu` key (`NAME, DRIVER` per line), for older records."""
    names = sorted({line.split(",")[0].strip() for line in (gpu or "").splitlines() if line.strip()})
    return "; ".join(names) or None


def _mixed_gpus(records: list[BenchmarkRecord]) -> dict[int, FlagEntry]:
    """Tasks measured on different GPU models (issue: scale-out executors): each task's arms
    shared one machine, but verdicts across tasks then mix machines. Flags every record of such
    a campaign, and any record whose own arms ran on different models."""
    per_record = [gpu_models(r) for r in records]
    seen = Counter(model for models in per_record for model in models)
    found = {}
    for index, models in enumerate(per_record):
        if len(models) > 1:
            found[index] = FlagEntry(flag=Flag.MIXED_GPU_MODELS,
                                     detail=f"this task's arms ran on different GPU models: {', '.join(sorted(models))}")
        elif models and len(seen) > 1:
            tally = ", ".join(f"{model} ({count} arm(s))" for model, count in sorted(seen.items()))
            found[index] = FlagEntry(flag=Flag.MIXED_GPU_MODELS,
                                     detail=f"measured on {next(iter(models))}; the records span {len(seen)} GPU models: {tally}")
    return found


def summarize(records: Iterable[BenchmarkRecord]) -> Summary:
    """Everything `analyze`, `report` and `upload --dry-run` show, from the records alone."""
    records = sorted(records, key=lambda r: (agent_label(r), r.instance.commit_hash, r.source))
    duplicates = _duplicates(records)
    mixed = _mixed_gpus(records)
    by_agent: dict[str, list[BenchmarkRecord]] = defaultdict(list)
    rows, quality, counts = [], [], Counter()
    for index, record in enumerate(records):
        by_agent[agent_label(record)].append(record)
        flags = list(record.result.flags)
        if index in duplicates and not record.result.has_flag(Flag.DUPLICATE_TASK):
            flags.append(duplicates[index])
        if index in mixed and not record.result.has_flag(Flag.MIXED_GPU_MODELS):
            flags.append(mixed[index])
        rows.append(_row(record, flags))
        for entry in flags:
            counts[entry.flag.value] += 1
            quality.append((record.instance.commit_short, entry.flag.value, entry.detail))
    overall = _tally("all agents", records)
    leaderboard = sorted(
        (_tally(agent, recs) for agent, recs in by_agent.items()),
        key=lambda h: (-(h.matches_or_beats_pct or 0.0), h.agent),
    )
    tolerances = {r.result.verdict.tolerance_pct for r in records if r.result.verdict.tolerance_pct is not None}
    tolerance = tolerances.pop() if len(tolerances) == 1 else DEFAULT_TOLERANCE_PCT
    return Summary(overall, leaderboard, rows, dict(sorted(counts.items())), quality, records, tolerance)


def fmt_pct(value: float | None, digits: int = 1, signed: bool = True) -> str:
    if value is None:
        return "—"
    return f"{value:+.{digits}f}%" if signed else f"{value:.{digits}f}%"


def fmt_ci(low: float | None, high: float | None) -> str:
    if low is None or high is None:
        return "—"
    return f"[{low:+.1f}, {high:+.1f}]"
