"""`tribench demo` and `tribench calibrate` on the embedded suite, through the real CLI.

The demo is a new user's first contact: one command must build the suite, measure every arm,
and end with the verdict each demo patch was designed for (classes, not numbers), a report,
exports and a dry-run upload. Calibration on the same suite must give no beats/loses verdict
between the baseline and itself: otherwise the verdicts above would be noise.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tribench.constants import Arm, Status
from tribench.demo import build_demo_suite
from tribench.store import load_results

OUTCOME_STATUSES = {s.value for s in Status}


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    out = tmp_path_factory.mktemp("demo") / "tribench-demo"
    done = subprocess.run([sys.executable, "-m", "tribench", "demo", "--out", str(out)],
                          capture_output=True, text=True, timeout=600)
    return out, done


def test_demo_exits_zero_and_prints_headline_and_report_path(demo_run):
    out, done = demo_run
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Agent matches or beats human" in done.stdout
    assert str(out / "COMPREHENSIVE_BENCHMARK_ANALYSIS.md") in done.stdout.replace("\n", "")


def test_every_demo_patch_gets_its_designed_outcome(demo_run):
    out, done = demo_run
    expected = build_demo_suite(out.parent / "rebuilt").expected
    records = load_results(out / "results").records
    seen = {}
    for record in records:
        result = record.result
        key = (record.instance.task_id, result.agent_name)
        outcome = expected[key]
        if outcome in OUTCOME_STATUSES:
            seen[key] = result.arm(Arm.AGENT).status.value
        else:
            seen[key] = result.verdict.verdict.value if result.verdict.verdict else None
        assert result.arm(Arm.BASELINE).ok and result.arm(Arm.HUMAN).ok, key
    assert seen == expected


def test_demo_dir_holds_inputs_results_logs_reports_and_exports(demo_run):
    out, _ = demo_run
    for name in ("tasks.jsonl", "predictions.jsonl", "COMPREHENSIVE_BENCHMARK_ANALYSIS.md", "METRIC_ANALYSIS.md",
                 "exports/data/train-00000-of-00001.parquet", "exports/README.md", "exports/schema_v2_results.json"):
        assert (out / name).is_file(), name
    assert any((out / "logs").rglob("*.log"))
    first = json.loads((out / "predictions.jsonl").read_text().splitlines()[0])
    assert set(first) == {"instance_id", "model_name_or_path", "model_patch"}


def test_calibration_on_demo_suite_gives_no_false_verdicts(tmp_path):
    suite = build_demo_suite(tmp_path / "suite")
    done = subprocess.run([sys.executable, "-m", "tribench", "calibrate", str(suite.tasks_path),
                           "--results", str(tmp_path / "results"), "--trials", "3"],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    calibration = json.loads((tmp_path / "calibration.json").read_text())
    tasks = calibration["tasks"]
    assert {t["task_id"] for t in tasks} == {json.loads(l)["id"] for l in suite.tasks_path.read_text().splitlines()}
    for task in tasks:
        assert task["noise_floor_pct"] is not None, task
        assert task["verdict"] not in ("beats", "loses"), task
        assert not task["false_verdict"]
