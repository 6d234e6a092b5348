"""The demo suite as the yardstick of the executor tests: one local run, and what to compare.

An executor may change where a task runs, never what is recorded. `shape()` is what must be
equal between executors for every (task, agent): the outcome class (verdict, or the agent
arm's status), every arm's status and owner, its trial count and its metric names. The numbers
themselves differ from run to run; the verdict classes must not (the demo's patches are
designed with margins that noise does not cross).
"""

from __future__ import annotations

from pathlib import Path

from tribench.campaign import CampaignReport, run_campaign
from tribench.constants import ARMS
from tribench.demo import DemoSuite, build_demo_suite
from tribench.execute import LocalExecutor, RunConfig
from tribench.model import BenchmarkRecord

# The suite's own trial count: its "matches" design (two streaming servers paced by the same
# model step) needs it; at 2 trials the interval of that one comparison can straddle ±5%.
TRIALS = 5
# These tests compare executors, not the demo's margins: on a loaded 2-core machine the
# "matches" interval (about [-4%, +1%] when quiet) can touch ±5% in either run. At ±10% it
# stays a match, while beats (+45%) and loses (-65% and worse) keep their classes.
TOLERANCE_PCT = 10.0

_LOCAL: dict[str, tuple[DemoSuite, CampaignReport]] = {}


def config(root: Path, executor: str, *, trials: int | None = TRIALS, run: str = "demo") -> RunConfig:
    return RunConfig(run=run, results_dir=root / "results", logs_dir=root / "logs", cache_dir=root / "cache",
                     trials=trials, executor=executor, tolerance_pct=TOLERANCE_PCT)


def local_reference(tmp_path_factory) -> tuple[DemoSuite, CampaignReport]:
    """The demo suite measured by the local executor, once per test session."""
    if "run" not in _LOCAL:
        root = tmp_path_factory.mktemp("local-reference")
        suite = build_demo_suite(root / "suite")
        report = run_campaign(suite.tasks_path, suite.predictions_path, config(root, "local"),
                              executor=LocalExecutor())
        _LOCAL["run"] = (suite, report)
    return _LOCAL["run"]


def outcome(record: BenchmarkRecord) -> str:
    verdict = record.result.verdict.verdict
    return verdict.value if verdict else record.result.arm("agent").status.value


def shape(records: list[BenchmarkRecord]) -> dict[tuple[str, str], tuple]:
    found = {}
    for record in records:
        arms = tuple((arm.value, record.result.arm(arm).status.value, record.result.arm(arm).owner.value,
                      record.result.arm(arm).n_trials, tuple(sorted(record.result.arm(arm).metrics)))
                     for arm in ARMS)
        found[(record.instance.task_id, record.result.agent_name)] = (outcome(record), arms)
    return found


def trial_logs(records: list[BenchmarkRecord]) -> list[Path]:
    return [Path(t.log) for r in records for a in r.result.arms.values() for t in a.trials + a.warmups]
