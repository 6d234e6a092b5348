"""Scale benchmark of the record pipeline: build, write, load, analyze and export N records.

Not a test: run it by hand and read the numbers.

    python benchmarks/pipeline_scale.py              # 100,000 records
    python benchmarks/pipeline_scale.py --n 10000 --workdir /tmp/scale

Records are synthetic but real: each goes through `compare.build_result` and `store.write_record`
exactly as ingest does for a legacy (single-trial) result, over two agents (two sources), with
serving (TTFT/TPOT/ITL + output throughput), standalone (latency + throughput) and failed-agent
tasks. Every stage is timed on its own; peak memory is the process's ru_maxrss. The headline is
the last line, `pipeline_records_per_s=<records / total seconds>`.

Target (issue, "Exports"): under 10 s and 1.5 GB for 100,000 records on 2 cores.
"""

from __future__ import annotations

import argparse
import gc
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from tribench.compare import build_result
from tribench.constants import Arm, Status
from tribench.export import export_records
from tribench.model import ArmResult, BenchmarkRecord, Instance
from tribench.store import load_results, sync, write_record

T = TypeVar("T")
AGENTS = (("claude_code", "sonnet-4.5", "run_claude"), ("codex", "gpt-5", "run_codex"))
SERVING = [f"{f}_{s}" for f in ("ttft", "tpot", "itl") for s in ("mean", "median", "p99")]


def peak_mb() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return usage / 1024 / 1024 if sys.platform == "darwin" else usage / 1024  # bytes on macOS, KiB on Linux


def _arm(arm: Arm, metrics: dict[str, float], model: str) -> ArmResult:
    # Legacy ingest keeps a single run as the arm's summary, without a trial list.
    return ArmResult(arm=arm, status=Status.OK, metrics=metrics, model=model)


def synthetic_record(i: int, agent: tuple[str, str, str]) -> BenchmarkRecord:
    name, model, source = agent
    commit = f"{i:040x}"
    serving = i % 20 < 12
    scale_h, scale_a = 1.0 - (i % 7) / 50, 1.0 - (i % 11) / 40
    if serving:
        base = {m: 10.0 + (i % 97) + k for k, m in enumerate(SERVING)} | {"output_throughput": 2000.0 + i % 500}
        arm_metrics = lambda s: {m: (v * s if m != "output_throughput" else v / s) for m, v in base.items()}  # noqa: E731
    else:
        base = {"latency_avg": 1000.0 + i % 300, "throughput": 5000.0 + i % 800}
        arm_metrics = lambda s: {"latency_avg": base["latency_avg"] * s, "throughput": base["throughput"] / s}  # noqa: E731
    llm = "meta-llama/Llama-3.1-8B-Instruct"
    arms = {Arm.BASELINE: _arm(Arm.BASELINE, arm_metrics(1.0), llm), Arm.HUMAN: _arm(Arm.HUMAN, arm_metrics(scale_h), llm)}
    if i % 20 == 19:
        arms[Arm.AGENT] = ArmResult(arm=Arm.AGENT, status=Status.PATCH_FAILED, error="patch does not apply")
    else:
        arms[Arm.AGENT] = _arm(Arm.AGENT, arm_metrics(scale_a), llm)
    instance = Instance(commit_hash=commit, commit_subject=f"[Perf] synthetic task {i}", repo="vllm-project/vllm",
                        perf_command="vllm bench serve" if serving else "vllm bench latency",
                        benchmark_mode="serving" if serving else "standalone", files_changed=["vllm/x.py"])
    result = build_result(instance, arms, agent_name=name, agent_model=model, has_agent_patch=i % 20 != 19)
    return BenchmarkRecord(harness_version="0.1.0", source=source, instance=instance, result=result)


def timed(label: str, stages: dict[str, float], work: Callable[[], T]) -> T:
    start = time.perf_counter()
    value = work()
    stages[label] = time.perf_counter() - start
    print(f"{label:<14} {stages[label]:8.2f} s   peak {peak_mb():8.0f} MB", flush=True)
    return value


def analyze_stage(records: list[BenchmarkRecord]) -> object:
    try:
        from tribench.analyze import summarize
    except ImportError:
        print("analyze        skipped: tribench.analyze.summarize is not available yet")
        return None
    return summarize(records)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="records to generate (default 100000)")
    parser.add_argument("--workdir", type=Path, default=None, help="where to write (default: a temp folder)")
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="tribench-scale-"))
    results, exports = workdir / "results", workdir / "exports"
    per_agent = args.n // len(AGENTS)
    stages: dict[str, float] = {}
    print(f"{args.n} records -> {workdir}")

    # Ingest builds and writes one record at a time; so does this (no list of 100,000 records).
    build_s = write_s = 0.0
    for agent in AGENTS:
        for i in range(per_agent):
            start = time.perf_counter()
            record = synthetic_record(i, agent)
            middle = time.perf_counter()
            write_record(results, record, durable=False)  # as ingest does: one sync per batch
            build_s += middle - start
            write_s += time.perf_counter() - middle
    start = time.perf_counter()
    sync()
    write_s += time.perf_counter() - start
    stages["build records"], stages["write tree"] = build_s, write_s
    print(f"{'build records':<14} {build_s:8.2f} s   (build_result per record)")
    print(f"{'write tree':<14} {write_s:8.2f} s   peak {peak_mb():8.0f} MB (atomic write per file, one sync)", flush=True)
    gc.collect()
    loaded = timed("load tree", stages, lambda: load_results(results))
    if loaded.errors:
        raise SystemExit(f"{len(loaded.errors)} records failed to load, first: {loaded.errors[0]}")
    timed("analyze", stages, lambda: analyze_stage(loaded.records))
    report = timed("export", stages, lambda: export_records(loaded.records, exports))

    total = sum(stages.values())
    n = report.n_records
    for item in report.files:
        print(f"  {item.relpath:<42} {item.size / 1e6:9.1f} MB")
    print(f"total          {total:8.2f} s   ({n} records, peak {peak_mb():.0f} MB)")
    print(f"export_records_per_s={n / stages['export']:.0f}")
    print(f"pipeline_records_per_s={n / total:.0f}")


if __name__ == "__main__":
    main()
