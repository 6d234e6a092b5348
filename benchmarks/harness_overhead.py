"""Harness overhead of `tribench run` on the embedded demo suite (issue #3). Not a test.

overhead = wall time of the whole run / summed wall time of the commands it ran to completion
or timeout (setup, correctness checks, warm-ups, trials, serving clients). Servers are not
summed: they run beside their client, and waiting for their health is harness time.
A second ratio counts only the measured trials and warm-ups. Target: overhead below 1.15.

    python benchmarks/harness_overhead.py [--trials N]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from tribench import process
from tribench.campaign import run_campaign
from tribench.demo import build_demo_suite
from tribench.execute import RunConfig


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=None)
    args = parser.parse_args()
    command_seconds = 0.0
    original_run = process.run

    def timed_run(*a, **kw):
        nonlocal command_seconds
        result = original_run(*a, **kw)
        command_seconds += result.duration_s
        return result

    process.run = timed_run  # count every command the harness runs, wherever it is called from
    with tempfile.TemporaryDirectory(prefix="tribench-overhead-") as tmp:
        root = Path(tmp)
        suite = build_demo_suite(root / "suite")
        config = RunConfig(run="overhead", results_dir=root / "results", logs_dir=root / "logs",
                           cache_dir=root / "cache", trials=args.trials)
        began = time.perf_counter()
        report = run_campaign(suite.tasks_path, suite.predictions_path, config)
        wall = time.perf_counter() - began
    process.run = original_run
    trial_seconds = 0.0
    seen = set()
    for record in report.records:
        for arm in record.result.arms.values():
            for trial in arm.trials + arm.warmups:
                if trial.log not in seen:  # baseline and human trials are shared by every agent's record
                    seen.add(trial.log)
                    trial_seconds += trial.duration_s or 0.0
    print(f"run wall time:              {wall:8.2f} s")
    print(f"commands' summed wall time: {command_seconds:8.2f} s")
    print(f"trials + warm-ups only:     {trial_seconds:8.2f} s")
    print(f"overhead vs trials only:    {wall / trial_seconds:8.3f}")
    print(f"harness_overhead={wall / command_seconds:.3f}")


if __name__ == "__main__":
    main()
