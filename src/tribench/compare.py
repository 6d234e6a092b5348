"""From three arms to a result: comparisons, verdict, ownership of failure and data-quality flags.

Both ingest (legacy files) and run (fresh measurements) build their records through
`build_result`, so a number means the same thing whatever its origin.
"""

from __future__ import annotations

from tribench import stats
from tribench.constants import (
    ARMS,
    DEFAULT_TOLERANCE_PCT,
    IMPLAUSIBLE_CHANGE_PCT,
    Arm,
    Flag,
    Mode,
    Owner,
    Status,
    VerdictMethod,
)
from tribench.metrics import METRICS, direction_of
from tribench.model import (
    COMPARISONS,
    ArmResult,
    FlagEntry,
    Instance,
    MetricComparison,
    Result,
    VerdictResult,
)

# Preferred primary metrics per mode, most trusted first: TTFT is the noisiest serving metric
# (17-21% CV over 8 runs on the CPU build, issue #4), so TPOT leads.
PRIMARY_METRIC_PREFERENCE: dict[str, tuple[str, ...]] = {
    Mode.SERVING: ("tpot_mean", "itl_mean", "ttft_mean", "output_throughput", "throughput",
                   "request_throughput", "total_throughput"),
    Mode.STANDALONE: ("latency_avg", "throughput", "elapsed_time", "request_rate"),
    Mode.COMMAND: ("wall_time",),
}


def compare_metric(reference: ArmResult, candidate: ArmResult, metric: str) -> MetricComparison:
    """Candidate vs reference on one metric, with interval and rank test when trials allow."""
    ref_samples, cand_samples = reference.samples(metric), candidate.samples(metric)
    comparison = MetricComparison(metric=metric, n_reference=len(ref_samples), n_candidate=len(cand_samples))
    direction = direction_of(metric)
    if direction is None:
        comparison.reason = "metric has no better direction" if metric in METRICS else "unknown metric"
        return comparison
    if not ref_samples or not cand_samples:
        comparison.reason = "metric missing in an arm"
        return comparison
    value, reason = stats.improvement(stats.median(ref_samples), stats.median(cand_samples), direction)
    comparison.improvement, comparison.reason = value, reason
    if value is None:
        return comparison
    interval = stats.bootstrap_ci(ref_samples, cand_samples, direction)
    if interval is not None:
        comparison.ci_low, comparison.ci_high = interval
    comparison.p_value = stats.mann_whitney_p(ref_samples, cand_samples)
    return comparison


def _compare_arms(reference: ArmResult, candidate: ArmResult) -> dict[str, MetricComparison]:
    if not (reference.ok and candidate.ok):
        return {}
    shared = [m for m in reference.metrics if m in candidate.metrics]
    return {m: compare_metric(reference, candidate, m) for m in shared}


def primary_metric_for(mode: str | None, human: ArmResult, agent: ArmResult, requested: str | None) -> str | None:
    if requested:
        return requested
    available = [m for m in human.metrics if m in agent.metrics] or list(human.metrics)
    preference = PRIMARY_METRIC_PREFERENCE.get(mode or "", ()) or tuple(
        name for names in PRIMARY_METRIC_PREFERENCE.values() for name in names
    )
    for name in preference:
        if name in available:
            return name
    comparable = [m for m in available if direction_of(m) is not None]
    return comparable[0] if comparable else None


def decide_verdict(
    comparisons: dict[str, MetricComparison],
    human: ArmResult,
    agent: ArmResult,
    metric: str | None,
    tolerance_pct: float,
) -> VerdictResult:
    verdict = VerdictResult(primary_metric=metric, tolerance_pct=tolerance_pct)
    if not human.ok:
        verdict.reason = f"human arm not measured ({human.status.value})"
        return verdict
    if not agent.ok:
        verdict.reason = f"agent arm not measured ({agent.status.value})"
        return verdict
    comparison = comparisons.get(metric or "")
    if comparison is None or comparison.improvement is None:
        why = comparison.reason if comparison else "primary metric missing in an arm"
        verdict.reason = f"no agent-vs-human value for {metric}: {why}"
        return verdict
    verdict.improvement = comparison.improvement
    verdict.p_value = comparison.p_value
    verdict.point_verdict = stats.point_verdict(comparison.improvement, tolerance_pct)
    if comparison.ci_low is not None and comparison.ci_high is not None:
        verdict.method = VerdictMethod.BOOTSTRAP
        verdict.ci_low, verdict.ci_high = comparison.ci_low, comparison.ci_high
        verdict.verdict = stats.verdict_from_ci(comparison.ci_low, comparison.ci_high, tolerance_pct)
    else:
        verdict.method = VerdictMethod.POINT_ESTIMATE
        verdict.verdict = stats.verdict_from_point(comparison.improvement, tolerance_pct)
        verdict.reason = (
            f"single trial per arm (n={comparison.n_reference}/{comparison.n_candidate}): "
            "point-estimate rule, no confidence interval"
        )
    return verdict


def _condition_differences(a: ArmResult, b: ArmResult) -> list[tuple[Flag, str]]:
    """How two measured arms' conditions differ (model, command, mode); empty if identical."""
    found = []
    if a.model and b.model and a.model != b.model:
        found.append((Flag.MODEL_MISMATCH, f"{a.arm}={a.model}, {b.arm}={b.model}"))
    if a.command and b.command and a.command != b.command:
        found.append((Flag.COMMAND_MISMATCH, f"{a.arm} and {b.arm} ran different commands"))
    mode_a, mode_b = _metric_mode(a), _metric_mode(b)
    if mode_a and mode_b and mode_a != mode_b:
        found.append((Flag.MODE_MISMATCH, f"{a.arm}={mode_a}, {b.arm}={mode_b}"))
    return found


# The agent's code never ran (environment broken, image missing): DESIGN.md charges the agent
# with crash, timeout, no_metrics, incorrect and patch_failed only.
_NOT_AGENT_OWNED = (Status.SETUP_FAILED, Status.NEEDS_BUILD)


def _owners(arms: dict[Arm, ArmResult]) -> dict[Arm, Owner]:
    """Each failed arm's owner per DESIGN.md's table; the agent only when baseline and human are ok."""
    def failed(arm: Arm) -> bool:
        return arms[arm].status not in (Status.OK, Status.MISSING)

    owners = {arm: Owner.NONE for arm in ARMS}
    if failed(Arm.BASELINE):
        owners[Arm.BASELINE] = Owner.INFRA
    if failed(Arm.HUMAN):
        owners[Arm.HUMAN] = Owner.INFRA if failed(Arm.BASELINE) else Owner.TASK
    if failed(Arm.AGENT):
        healthy = not failed(Arm.BASELINE) and not failed(Arm.HUMAN)
        agent_status = arms[Arm.AGENT].status
        if agent_status == Status.PATCH_FAILED or (healthy and agent_status not in _NOT_AGENT_OWNED):
            owners[Arm.AGENT] = Owner.AGENT
        else:
            owners[Arm.AGENT] = owners[Arm.BASELINE] if failed(Arm.BASELINE) else (
                owners[Arm.HUMAN] if failed(Arm.HUMAN) else Owner.INFRA)
    return owners


def assign_owners(arms: dict[Arm, ArmResult]) -> dict[Arm, ArmResult]:
    """Sets every arm's `owner` (DESIGN.md, "Outcomes and who owns a failure")."""
    arms = {a: arms.get(a) or ArmResult(arm=a) for a in ARMS}
    for arm, owner in _owners(arms).items():
        arms[arm].owner = owner
    return arms


def failure_owner(arms: dict[Arm, ArmResult]) -> Owner:
    """The task's owner of failure: a baseline failure is infra, a human one the task's, then the agent's."""
    arms = {a: arms.get(a) or ArmResult(arm=a) for a in ARMS}
    owners = _owners(arms)
    return next((owners[a] for a in ARMS if owners[a] != Owner.NONE), Owner.NONE)


def quality_flags(arms: dict[Arm, ArmResult], comparisons: dict[str, dict[str, MetricComparison]]) -> list[FlagEntry]:
    flags: list[FlagEntry] = []
    present = [arms[a] for a in ARMS if arms[a].status != Status.MISSING]
    for i, first in enumerate(present):
        for second in present[i + 1:]:
            flags += [FlagEntry(flag=f, detail=d) for f, d in _condition_differences(first, second)]
    missing = [a.value for a in ARMS if arms[a].status == Status.MISSING]
    if missing:
        flags.append(FlagEntry(flag=Flag.MISSING_ARM, detail="not measured: " + ", ".join(missing)))
    for name, by_metric in comparisons.items():
        for metric, comparison in by_metric.items():
            if comparison.improvement is not None and abs(comparison.improvement) > IMPLAUSIBLE_CHANGE_PCT:
                flags.append(FlagEntry(
                    flag=Flag.IMPLAUSIBLE_VALUE,
                    detail=f"{name}.{metric} = {comparison.improvement:+.1f}% (beyond ±{IMPLAUSIBLE_CHANGE_PCT:.0f}%)",
                ))
    unknown = sorted({m for r in present for m in r.unknown_metrics})
    if unknown:
        flags.append(FlagEntry(flag=Flag.UNKNOWN_METRIC, detail="not in the registry: " + ", ".join(unknown)))
    measured = [r for r in present if r.ok]
    if measured and all(r.n_trials == 1 for r in measured):
        flags.append(FlagEntry(flag=Flag.SINGLE_TRIAL, detail="one trial per arm: no confidence interval"))
    return flags


def _metric_mode(arm: ArmResult) -> str | None:
    """The mode an arm's metrics say it ran in (serving metrics vs standalone metrics)."""
    modes = {METRICS[m].mode for m in arm.metrics if m in METRICS and METRICS[m].direction is not None}
    modes.discard(Mode.COMMAND)
    return modes.pop().value if len(modes) == 1 else None


def build_result(
    instance: Instance,
    arms: dict[Arm, ArmResult],
    *,
    tolerance_pct: float = DEFAULT_TOLERANCE_PCT,
    primary_metric: str | None = None,
    **fields: object,
) -> Result:
    """The full result of a task from its arms; `fields` fills the result's metadata."""
    arms = {a: arms.get(a) or ArmResult(arm=a) for a in ARMS}
    comparisons: dict[str, dict[str, MetricComparison]] = {}
    for name, (ref, cand) in COMPARISONS.items():
        # Identical conditions are the protocol (DESIGN.md, 1): arms measured under different
        # conditions are recorded but never compared.
        differ = arms[ref].ok and arms[cand].ok and _condition_differences(arms[ref], arms[cand])
        comparisons[name] = {} if differ else _compare_arms(arms[ref], arms[cand])
    flags = quality_flags(arms, comparisons)
    baseline_human_differ = bool(_condition_differences(arms[Arm.BASELINE], arms[Arm.HUMAN]))
    mode = instance.benchmark_mode
    metric = primary_metric_for(mode, arms[Arm.HUMAN], arms[Arm.AGENT], primary_metric)
    verdict = decide_verdict(comparisons["agent_vs_human"], arms[Arm.HUMAN], arms[Arm.AGENT], metric, tolerance_pct)
    if verdict.verdict is None and arms[Arm.HUMAN].ok and arms[Arm.AGENT].ok:
        differences = _condition_differences(arms[Arm.HUMAN], arms[Arm.AGENT])
        if differences:
            verdict.reason = "human and agent measured under different conditions: " + "; ".join(d for _, d in differences)
    all_ok = all(arms[a].ok for a in ARMS)
    any_ok = any(arms[a].ok for a in ARMS)
    return Result(
        status="success" if all_ok else ("partial" if any_ok else "error"),
        benchmark_mode=mode,
        arms=arms,
        comparisons=comparisons,
        verdict=verdict,
        flags=flags,
        evaluable=arms[Arm.BASELINE].ok and arms[Arm.HUMAN].ok and not baseline_human_differ,
        failure_owner=failure_owner(arms),
        **fields,
    )
