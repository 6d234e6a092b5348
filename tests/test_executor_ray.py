"""The Ray executor on a real local Ray cluster: same records as a local run, and no loss when a worker dies.

Scaling out must not change what is measured. A unit (one task, its three arms interleaved on
one machine) runs as one Ray task in the cluster's Python; its records and logs come back to
the client, which alone writes the results tree. The failures this prevents:

- results that differ by executor: the demo suite measured on Ray must give the local
  executor's verdict classes, statuses, owners and trial counts, with every trial log copied
  into the client's logs tree (not left in a dead worker's scratch folder) and the executor
  named in each record and in the report;
- a task asking for GPUs the cluster does not have, which Ray would queue forever: refused
  before anything is measured or written;
- a worker killed mid-campaign (`kill -9`, as an OOM killer or a lost node would): its unit is
  reported lost, never half-written; `--resume` measures it again and keeps the finished
  tasks as they were, so every (task, agent) record exists exactly once, with all its trials.

The cluster is real (`ray.init(address="local", num_cpus=2)`, the CLI's `--address local`):
no mocks. Conditions are polled with deadlines, never slept on.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import ray  # the `test` extra installs it: a missing ray fails here, it is never skipped

from executor_demo import config, local_reference, shape, trial_logs
from tribench.campaign import run_campaign
from tribench.demo import build_demo_suite
from tribench.errors import UserError
from tribench.executors import make_executor
from tribench.report import ANALYSIS_FILENAME, write_reports
from tribench.store import load_results


@pytest.fixture(scope="module")
def cluster():
    """One private local cluster for the in-process tests; executors reuse it and leave it up."""
    ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level="WARNING")
    yield
    ray.shutdown()


def test_demo_suite_on_ray_gets_the_local_executors_verdicts_statuses_and_trials(cluster, tmp_path_factory, tmp_path):
    suite, local = local_reference(tmp_path_factory)
    report = run_campaign(suite.tasks_path, suite.predictions_path, config(tmp_path, "ray"),
                          executor=make_executor("ray", jobs=1))
    assert not report.lost and not report.warnings
    assert {key: found[0] for key, found in shape(local.records).items()} == suite.expected  # the yardstick holds
    assert shape(report.records) == shape(local.records)
    assert {r.executor for r in report.records} == {"ray"}
    on_disk = load_results(tmp_path / "results")
    assert not on_disk.errors and shape(on_disk.records) == shape(local.records)
    # Every log the records name was shipped home, into this run's logs tree.
    logs = trial_logs(on_disk.records)
    assert logs and all(p.is_file() and p.is_relative_to(tmp_path / "logs") for p in logs)
    for task_id in {r.instance.task_id for r in on_disk.records}:
        execution = json.loads((tmp_path / "logs" / "demo" / task_id / "execution.json").read_text())
        assert execution["executor"] == "ray" and execution["wall_s"] > 0 and execution["gpu_seconds"] == 0
    # The report names the executor of every task.
    text = write_reports(on_disk.records, tmp_path).analysis.read_text()
    assert "| Executor |" in text and "- **Executors.** ray: 8 record(s)." in text
    assert all(f"| {row_source} | ray |" in text for row_source in {r.source for r in on_disk.records})


def test_task_needing_a_gpu_the_cluster_lacks_is_refused_before_anything_is_written(cluster, tmp_path):
    tasks = tmp_path / "tasks.jsonl"
    tasks.write_text(json.dumps({"id": "needs-gpu", "repo": str(tmp_path), "human_commit": "0" * 40,
                                 "mode": "command", "perf_command": "true", "resources": {"gpus": 1}}) + "\n")
    with pytest.raises(UserError, match="needs GPU=1"):
        run_campaign(tasks, None, config(tmp_path, "ray"), executor=make_executor("ray"))
    assert not (tmp_path / "results").exists() and not (tmp_path / "logs").exists()


def _ray_worker_running_a_unit(ancestor: int) -> int | None:
    """pid of a Ray worker below `ancestor` that is running a unit (its title is `ray::tribench:<task>`)."""
    parents = {}
    titles = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            titles[int(entry)] = Path(f"/proc/{entry}/cmdline").read_bytes().split(b"\0")[0].decode(errors="replace")
        except OSError:
            continue
        parents[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
    for pid, title in titles.items():
        if not title.startswith("ray::tribench:"):
            continue
        up = pid
        while up > 1 and up != ancestor:
            up = parents.get(up, 1)
        if up == ancestor:
            return pid
    return None


def test_killed_ray_worker_then_resume_loses_and_duplicates_nothing(tmp_path):
    suite = build_demo_suite(tmp_path / "suite")
    # The three standalone tasks: a killed worker's trial process ends by itself (a serving
    # task's server would outlive it; see the executor's notes).
    rows = [json.loads(line) for line in suite.tasks_path.read_text().splitlines()]
    tasks = tmp_path / "tasks.jsonl"
    tasks.write_text("".join(json.dumps(r) + "\n" for r in rows if r["mode"] == "standalone"))
    results = tmp_path / "results"
    argv = [sys.executable, "-m", "tribench", "run", str(tasks), "--patches", str(suite.predictions_path),
            "--results", str(results), "--run-name", "kill", "--trials", "2", "--executor", "ray",
            "--address", "local", "--jobs", "2", "--ray-max-retries", "0"]
    env = {**os.environ, "COLUMNS": "200"}
    runner = subprocess.Popen(argv, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True, start_new_session=True)
    killed = None
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and killed is None:  # wait for the condition, not for a time
            assert runner.poll() is None, "the campaign ended before a worker could be killed"
            if list(results.rglob("benchmark_result.json")):  # the first unit is in
                killed = _ray_worker_running_a_unit(runner.pid)
                if killed is not None:
                    os.kill(killed, signal.SIGKILL)
            time.sleep(0.05)
        assert killed is not None, "no Ray worker was running a unit"
        output, _ = runner.communicate(timeout=180)
    finally:
        if runner.poll() is None:
            os.killpg(runner.pid, signal.SIGKILL)
            runner.wait()
    assert runner.returncode == 1, output
    assert "were lost by the ray executor" in output and "--resume" in output
    first = {p: p.read_bytes() for p in results.rglob("benchmark_result.json")}
    assert 2 <= len(first) <= 4  # 3 tasks x 2 agents; the killed unit's two records are missing

    again = subprocess.run([*argv, "--resume"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "already recorded with the same inputs, kept" in again.stdout
    records = load_results(results).records
    keys = [(r.instance.task_id, r.result.agent_name) for r in records]
    assert len(keys) == len(set(keys)) == 6
    for path, data in first.items():  # the finished tasks were kept, byte for byte
        assert path.read_bytes() == data
    for record in records:
        for arm in record.result.arms.values():
            if arm.status.value == "ok":
                assert [t.index for t in arm.trials] == [0, 1], (record.instance.task_id, arm.arm)
                assert all(Path(t.log).is_file() for t in arm.trials)
    assert not (tmp_path / ANALYSIS_FILENAME).exists()  # `run` writes records, the report is another command
