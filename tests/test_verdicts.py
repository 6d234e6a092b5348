"""Verdicts and improvements: the numbers every headline is built from.

The seed tallied its headline by hand and compared single runs. These tests pin the rules of
DESIGN.md: the seed formula (0 is a value, b = 0 is null with a reason), the CI-based verdict
with its tolerance, the point-estimate fallback at n=1 that says so, failure ownership, and
refusing to compare arms measured under different conditions.
"""

from __future__ import annotations

import pytest

from tribench import stats
from tribench.compare import build_result
from tribench.constants import Arm, Direction, Flag, Owner, PointVerdict, Status, Verdict, VerdictMethod
from tribench.model import ArmResult, Instance, Trial


def arm(name: Arm, values: list[float] | None, metric: str = "latency_avg", **kw) -> ArmResult:
    if values is None:
        return ArmResult(arm=name, **kw)
    trials = [Trial(index=i, metrics={metric: v}) for i, v in enumerate(values)]
    return ArmResult(arm=name, status=Status.OK, trials=trials,
                     metrics={metric: stats.median(values)}, **kw)


INSTANCE = Instance(commit_hash="a" * 40, benchmark_mode="standalone")


def test_improvement_follows_seed_formula_both_directions():
    assert stats.improvement(100.0, 90.0, Direction.LOWER) == (10.0, None)
    assert stats.improvement(100.0, 110.0, Direction.HIGHER) == (10.0, None)


def test_zero_improvement_is_a_value_not_missing():
    value, reason = stats.improvement(50.0, 50.0, Direction.LOWER)
    assert value == 0.0 and reason is None


def test_zero_reference_gives_null_with_reason():
    value, reason = stats.improvement(0.0, 5.0, Direction.LOWER)
    assert value is None and "0" in reason


@pytest.mark.parametrize("low, high, expected", [
    (6.0, 20.0, Verdict.BEATS), (-4.0, 4.0, Verdict.MATCHES),
    (-30.0, -6.0, Verdict.LOSES), (-10.0, 3.0, Verdict.INCONCLUSIVE), (2.0, 8.0, Verdict.INCONCLUSIVE),
])
def test_verdict_from_interval_uses_tolerance(low, high, expected):
    assert stats.verdict_from_ci(low, high, 5.0) == expected


def test_clear_speedup_with_trials_beats_with_bootstrap_interval():
    arms = {Arm.BASELINE: arm(Arm.BASELINE, [100, 101, 99, 100, 102]),
            Arm.HUMAN: arm(Arm.HUMAN, [50, 51, 49, 50, 50]),
            Arm.AGENT: arm(Arm.AGENT, [25, 26, 24, 25, 25])}
    result = build_result(INSTANCE, arms)
    verdict = result.verdict
    assert verdict.method == VerdictMethod.BOOTSTRAP
    assert verdict.verdict == Verdict.BEATS and verdict.ci_low > 5.0
    assert verdict.improvement == pytest.approx(50.0)
    assert verdict.p_value is not None and verdict.p_value < 0.05
    assert result.human_improvement["latency_avg"] == pytest.approx(50.0)
    assert result.evaluable and result.status == "success"


def test_identical_arms_match():
    same = [50.0, 50.5, 49.5, 50.2, 49.8]
    arms = {Arm.BASELINE: arm(Arm.BASELINE, [100.0] * 5), Arm.HUMAN: arm(Arm.HUMAN, same),
            Arm.AGENT: arm(Arm.AGENT, list(same))}
    assert build_result(INSTANCE, arms).verdict.verdict == Verdict.MATCHES


def test_single_trial_uses_point_estimate_and_says_so():
    arms = {Arm.BASELINE: arm(Arm.BASELINE, [100.0]), Arm.HUMAN: arm(Arm.HUMAN, [50.0]),
            Arm.AGENT: arm(Arm.AGENT, [56.0])}
    result = build_result(INSTANCE, arms)
    assert result.verdict.method == VerdictMethod.POINT_ESTIMATE
    assert result.verdict.verdict == Verdict.LOSES
    assert result.verdict.point_verdict == PointVerdict.LOSS
    assert "single trial" in result.verdict.reason
    assert result.has_flag(Flag.SINGLE_TRIAL)


def test_agent_not_charged_when_baseline_broke():
    arms = {Arm.BASELINE: ArmResult(arm=Arm.BASELINE, status=Status.SERVER_FAILED),
            Arm.HUMAN: arm(Arm.HUMAN, [50.0]),
            Arm.AGENT: ArmResult(arm=Arm.AGENT, status=Status.CRASH)}
    result = build_result(INSTANCE, arms)
    assert result.failure_owner == Owner.INFRA
    assert not result.evaluable


def test_human_failure_is_the_tasks():
    arms = {Arm.BASELINE: arm(Arm.BASELINE, [100.0]),
            Arm.HUMAN: ArmResult(arm=Arm.HUMAN, status=Status.TIMEOUT),
            Arm.AGENT: ArmResult(arm=Arm.AGENT, status=Status.CRASH)}
    assert build_result(INSTANCE, arms).failure_owner == Owner.TASK


def test_agent_crash_with_healthy_arms_is_the_agents():
    arms = {Arm.BASELINE: arm(Arm.BASELINE, [100.0]), Arm.HUMAN: arm(Arm.HUMAN, [50.0]),
            Arm.AGENT: ArmResult(arm=Arm.AGENT, status=Status.CRASH, error="Traceback")}
    result = build_result(INSTANCE, arms)
    assert result.failure_owner == Owner.AGENT and result.evaluable
    assert result.verdict.verdict is None and "agent arm not measured" in result.verdict.reason


def test_model_mismatch_is_recorded_never_compared():
    arms = {Arm.BASELINE: arm(Arm.BASELINE, [10.0], model="Qwen/Qwen2.5-7B"),
            Arm.HUMAN: arm(Arm.HUMAN, [50.0], model="meta-llama/Llama-3-8B"),
            Arm.AGENT: arm(Arm.AGENT, [50.0], model="meta-llama/Llama-3-8B")}
    result = build_result(INSTANCE, arms)
    assert result.has_flag(Flag.MODEL_MISMATCH)
    assert result.human_improvement == {} and result.agent_improvement == {}
    assert not result.evaluable
    # Human and agent share their model: that comparison stays valid.
    assert result.agent_vs_human["latency_avg"] == pytest.approx(0.0)


def test_implausible_change_is_flagged():
    arms = {Arm.BASELINE: arm(Arm.BASELINE, [1.0]), Arm.HUMAN: arm(Arm.HUMAN, [1.0]),
            Arm.AGENT: arm(Arm.AGENT, [1.0])}
    arms[Arm.HUMAN] = arm(Arm.HUMAN, [5.0], metric="throughput")
    arms[Arm.BASELINE] = arm(Arm.BASELINE, [1.0], metric="throughput")
    arms[Arm.AGENT] = arm(Arm.AGENT, [5.0], metric="throughput")
    result = build_result(INSTANCE, arms)
    assert result.has_flag(Flag.IMPLAUSIBLE_VALUE)


def test_seed_fields_always_written_and_round_trip():
    from tribench.model import BenchmarkRecord

    arms = {Arm.HUMAN: arm(Arm.HUMAN, [50.0]), Arm.AGENT: arm(Arm.AGENT, [50.0])}
    record = BenchmarkRecord(harness_version="test", source="x", instance=INSTANCE,
                             result=build_result(INSTANCE, arms))
    data = record.model_dump(mode="json")
    for key in ("baseline_metrics", "human_metrics", "agent_metrics",
                "human_improvement", "agent_improvement", "agent_vs_human"):
        assert key in data["result"]
    assert data["result"]["baseline_metrics"] == {}
    assert BenchmarkRecord.model_validate(data) == record
