"""A small, real results tree for the export and publish tests (built, never hand-written).

Every record goes through `tribench.compare.build_result` and `tribench.store.write_record`, as
ingest and run produce them. The tree covers what an export has to get right:

- a serving task measured with 5 trials per arm (bootstrap verdict, output_throughput),
- a standalone task with one trial per arm (point-estimate verdict), an agent exactly equal to
  the human (agent_vs_human = 0.0, a value) and a metric whose baseline is 0.0 (improvement
  null, with a reason),
- a task whose agent patch failed (agent-owned failure, no agent numbers, a raw output tail),
- a second agent on the serving task (two agents: per-agent JSONL files),
- None metadata (no subject, no PR) and non-ASCII text.
"""

from __future__ import annotations

from pathlib import Path

from tribench import stats
from tribench.compare import build_result
from tribench.constants import Arm, Status
from tribench.model import ArmResult, BenchmarkRecord, Instance, Trial
from tribench.store import write_record

SERVING = "1" * 40
STANDALONE = "2" * 40
FAILED = "3" * 40
SERVE_CMD = "vllm bench serve --model m --num-prompts 100"
LATENCY_CMD = "vllm bench latency --model m"


def measured(arm: Arm, series: dict[str, list[float]], **fields: object) -> ArmResult:
    """An arm measured with one trial per value of each series; metrics are the medians."""
    n = len(next(iter(series.values())))
    trials = [Trial(index=i, metrics={m: values[i] for m, values in series.items()}) for i in range(n)]
    medians = {m: stats.median(values) for m, values in series.items()}
    return ArmResult(arm=arm, status=Status.OK, trials=trials, metrics=medians, **fields)


def serving_series(scale: float) -> dict[str, list[float]]:
    base = [1.0, 1.01, 0.99, 1.0, 1.02]
    series = {}
    for family, value in (("ttft", 100.0), ("tpot", 10.0), ("itl", 9.0)):
        for stat, factor in (("mean", 1.0), ("median", 0.9), ("p99", 2.0)):
            series[f"{family}_{stat}"] = [value * factor * scale * b for b in base]
    series["output_throughput"] = [2000.0 / scale * b for b in base]
    return series


def record(instance: Instance, arms: dict[Arm, ArmResult], source: str, agent: str, model: str,
           **fields: object) -> BenchmarkRecord:
    result = build_result(instance, arms, agent_name=agent, agent_model=model,
                          benchmark_date="2026-01-14", **fields)
    return BenchmarkRecord(harness_version="0.1.0", source=source, instance=instance, result=result)


def serving_records() -> list[BenchmarkRecord]:
    instance = Instance(commit_hash=SERVING, commit_subject="[Perf] Faster sampler — résumé",
                        repo="vllm-project/vllm", pr_url="https://example.invalid/pull/1",
                        parent_commit="0" * 40, files_changed=["vllm/a.py", "vllm/b.py"],
                        models=["meta-llama/Llama-3.1-8B-Instruct"], perf_command=SERVE_CMD,
                        benchmark_mode="serving", gpu_config="H100:1", task_id="vllm-001")
    common = {"model": "meta-llama/Llama-3.1-8B-Instruct", "command": SERVE_CMD}
    claude = {Arm.BASELINE: measured(Arm.BASELINE, serving_series(1.0), **common),
              Arm.HUMAN: measured(Arm.HUMAN, serving_series(0.8), **common),
              Arm.AGENT: measured(Arm.AGENT, serving_series(0.6), patch_hash="abc123", **common)}
    codex = {Arm.BASELINE: measured(Arm.BASELINE, serving_series(1.0), **common),
             Arm.HUMAN: measured(Arm.HUMAN, serving_series(0.8), **common),
             Arm.AGENT: measured(Arm.AGENT, serving_series(1.2), **common)}
    return [record(instance, claude, "modal", "claude_code", "sonnet-4.5", has_agent_patch=True),
            record(instance, codex, "codex_run", "codex", "gpt-5", has_agent_patch=True)]


def standalone_record() -> BenchmarkRecord:
    # No subject, no PR, no parent: None metadata must stay None, not become "".
    instance = Instance(commit_hash=STANDALONE, perf_command=LATENCY_CMD, benchmark_mode="standalone")
    arms = {Arm.BASELINE: measured(Arm.BASELINE, {"latency_avg": [200.0], "throughput": [0.0]}),
            Arm.HUMAN: measured(Arm.HUMAN, {"latency_avg": [150.0], "throughput": [500.0]}),
            Arm.AGENT: measured(Arm.AGENT, {"latency_avg": [150.0], "throughput": [500.0]})}
    return record(instance, arms, "modal", "claude_code", "sonnet-4.5", has_agent_patch=True)


def failed_agent_record() -> BenchmarkRecord:
    instance = Instance(commit_hash=FAILED, commit_subject="Fuse kernels", perf_command=SERVE_CMD,
                        benchmark_mode="serving", repo="vllm-project/vllm")
    arms = {Arm.BASELINE: measured(Arm.BASELINE, serving_series(1.0)),
            Arm.HUMAN: measured(Arm.HUMAN, serving_series(0.9)),
            Arm.AGENT: ArmResult(arm=Arm.AGENT, status=Status.PATCH_FAILED, error="patch does not apply",
                                 raw_output="error: patch failed: vllm/a.py:12\n")}
    return record(instance, arms, "modal", "claude_code", "sonnet-4.5", has_agent_patch=False)


def all_records() -> list[BenchmarkRecord]:
    return [*serving_records(), standalone_record(), failed_agent_record()]


def build_results_tree(root: Path) -> Path:
    """`root/results/<source>/<commit>/benchmark_result.json` for every record; returns the results dir."""
    results = Path(root) / "results"
    for item in all_records():
        write_record(results, item)
    return results
