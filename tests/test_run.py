"""`tribench run` end to end on a tiny real repository: every way a task can go wrong.

The field's known failures are arms measured apart, crashes charged to the agent, and a hung
benchmark that stalls a whole campaign. Here a real git repository with a real "perf command"
(a Python script whose reported latency depends on the code of the arm) is measured through the
real workspace, process runner, parsers and store. Each bad input — a patch that does not
apply, a crash, garbage output, a hang, a server that never becomes healthy, a repository that
does not exist, a task file with a missing field — must end as a clear status while the other
tasks still run, and an interrupted run must resume without re-measuring or duplicating.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tribench.campaign import run_campaign
from tribench.constants import Arm, Owner, Status, Verdict
from tribench.errors import UserError
from tribench.execute import RunConfig
from tribench.store import load_results
from tribench.taskspec import load_tasks

GIT = ["git", "-c", "user.name=t", "-c", "user.email=t@localhost", "-c", "commit.gpgsign=false"]

BENCH = """\
import json, work
print("noise line before the result")
print(json.dumps({"latency_avg_ms": work.cost()}))
"""


def git(repo: Path, *args: str) -> str:
    return subprocess.run([*GIT, *args], cwd=repo, check=True, capture_output=True, text=True).stdout.strip()


def commit_file(repo: Path, name: str, text: str, message: str) -> str:
    (repo / name).write_text(text)
    git(repo, "add", name)
    git(repo, "commit", "-qm", message)
    return git(repo, "rev-parse", "HEAD")


def make_patch(repo: Path, name: str, text: str) -> str:
    original = (repo / name).read_text()
    (repo / name).write_text(text)
    patch = git(repo, "diff") + "\n"
    (repo / name).write_text(original)
    return patch


@pytest.fixture()
def toy_repo(tmp_path: Path) -> dict:
    repo = tmp_path / "toy"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    commit_file(repo, "bench.py", BENCH, "bench")
    parent = commit_file(repo, "work.py", "def cost():\n    return 100.0\n", "slow")
    human = commit_file(repo, "work.py", "def cost():\n    return 50.0\n", "fast")
    git(repo, "checkout", "-q", parent)
    patches = {
        "beats": make_patch(repo, "work.py", "def cost():\n    return 20.0\n"),
        "matches": make_patch(repo, "work.py", "def cost():\n    return 50.0  # same fix\n"),
        "crash": make_patch(repo, "work.py", "def cost():\n    raise RuntimeError('boom')\n"),
        "garbage": make_patch(repo, "bench.py", "print('no numbers here')\n"),
        "hang": make_patch(repo, "work.py", "def cost():\n    while True:\n        pass\n"),
    }
    git(repo, "checkout", "-q", "main")
    patches["no_apply"] = patches["beats"].replace("return 100.0", "return 999.0")
    return {"repo": repo, "parent": parent, "human": human, "patches": patches}


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def task_row(task_id: str, repo: Path, human: str, **extra) -> dict:
    row = {"id": task_id, "repo": str(repo), "human_commit": human, "mode": "standalone",
           "perf_command": f"{sys.executable} bench.py", "metric_source": "json:latency_avg_ms=latency_avg",
           "warmups": 0, "trials": 3, "timeouts": {"setup": 30, "server_start": 3, "trial": 3}}
    row.update(extra)
    return row


def config(tmp_path: Path, run: str = "t") -> RunConfig:
    return RunConfig(run=run, results_dir=tmp_path / "results", logs_dir=tmp_path / "logs",
                     cache_dir=tmp_path / "cache")


def by_agent(records) -> dict:
    return {r.result.agent_name: r for r in records}


def test_every_agent_outcome_gets_its_own_status_and_owner(toy_repo, tmp_path):
    tasks = write_jsonl(tmp_path / "tasks.jsonl", [task_row("toy", toy_repo["repo"], toy_repo["human"])])
    predictions = write_jsonl(tmp_path / "preds.jsonl", [
        {"instance_id": "toy", "model_name_or_path": name, "model_patch": patch}
        for name, patch in toy_repo["patches"].items()
    ])
    seen = []
    report = run_campaign(tasks, predictions, config(tmp_path), progress=lambda done, total: seen.append((done, total)))
    # The progress bar ends full even though failed arms stop being measured early.
    assert seen[-1][0] == seen[-1][1] == 3 * (2 + len(toy_repo["patches"]))
    records = by_agent(report.records)
    assert records["beats"].result.verdict.verdict == Verdict.BEATS
    assert records["matches"].result.verdict.verdict == Verdict.MATCHES
    expected = {"crash": Status.CRASH, "garbage": Status.NO_METRICS, "hang": Status.TIMEOUT,
                "no_apply": Status.PATCH_FAILED}
    for agent, status in expected.items():
        result = records[agent].result
        assert result.arm(Arm.AGENT).status == status, (agent, result.arm(Arm.AGENT).error)
        assert result.failure_owner == Owner.AGENT
        assert result.arm(Arm.AGENT).error
    # Baseline and human were measured once, interleaved, and shared by every agent's record.
    baseline = records["beats"].result.arm(Arm.BASELINE)
    assert [t.metrics["latency_avg"] for t in baseline.trials] == [100.0] * 3
    assert records["crash"].result.arm(Arm.BASELINE).trials == baseline.trials
    # Every trial has its own log under logs/<run>/<task>/<arm>/<trial>.log.
    for trial in baseline.trials:
        assert Path(trial.log).is_file() and Path(trial.log).parts[-4:-1] == ("t", "toy", "baseline")
    on_disk = load_results(tmp_path / "results")
    assert not on_disk.errors and len(on_disk.records) == len(toy_repo["patches"])


def test_hung_trial_is_killed_at_its_timeout_and_the_campaign_goes_on(toy_repo, tmp_path):
    rows = [task_row("hangs", toy_repo["repo"], toy_repo["human"], perf_command="python -c 'while True: pass'"),
            task_row("fine", toy_repo["repo"], toy_repo["human"])]
    report = run_campaign(write_jsonl(tmp_path / "tasks.jsonl", rows), None, config(tmp_path))
    results = {r.instance.task_id: r.result for r in report.records}
    assert results["hangs"].arm(Arm.BASELINE).status == Status.TIMEOUT
    assert results["hangs"].failure_owner == Owner.INFRA
    assert results["fine"].arm(Arm.HUMAN).status == Status.OK


def test_missing_repository_is_setup_failed_not_a_crash_of_the_run(toy_repo, tmp_path):
    rows = [task_row("ghost", tmp_path / "does-not-exist", "abc123"),
            task_row("fine", toy_repo["repo"], toy_repo["human"])]
    report = run_campaign(write_jsonl(tmp_path / "tasks.jsonl", rows), None, config(tmp_path))
    results = {r.instance.task_id: r.result for r in report.records}
    assert results["ghost"].arm(Arm.BASELINE).status == Status.SETUP_FAILED
    assert "does-not-exist" in results["ghost"].arm(Arm.BASELINE).error
    assert results["ghost"].failure_owner == Owner.INFRA
    assert results["fine"].arm(Arm.BASELINE).ok


SERVER_NEVER_HEALTHY = "python -c 'import time; time.sleep(30)'"


def test_server_that_never_becomes_healthy_is_server_failed(toy_repo, tmp_path):
    row = task_row("srv", toy_repo["repo"], toy_repo["human"], mode="serving", perf_command=None,
                   server_command=SERVER_NEVER_HEALTHY, client_command="true", trials=2)
    row["timeouts"]["server_start"] = 1
    report = run_campaign(write_jsonl(tmp_path / "tasks.jsonl", [row]), None, config(tmp_path))
    baseline = report.records[0].result.arm(Arm.BASELINE)
    assert baseline.status == Status.SERVER_FAILED
    assert "not healthy" in baseline.error


def test_task_file_with_missing_field_names_file_and_field(tmp_path):
    bad = write_jsonl(tmp_path / "tasks.jsonl", [{"id": "x", "repo": ".", "mode": "standalone", "perf_command": "true"}])
    with pytest.raises(UserError) as excinfo:
        load_tasks(bad)
    assert "tasks.jsonl" in str(excinfo.value) and "human_commit" in str(excinfo.value)


def test_resume_keeps_finished_trials_and_does_not_duplicate(toy_repo, tmp_path):
    tasks = write_jsonl(tmp_path / "tasks.jsonl", [task_row("toy", toy_repo["repo"], toy_repo["human"])])
    predictions = write_jsonl(tmp_path / "preds.jsonl", [
        {"instance_id": "toy", "model_name_or_path": "beats", "model_patch": toy_repo["patches"]["beats"]}])
    first = run_campaign(tasks, predictions, config(tmp_path))
    assert first.measured_trials == 9
    again = run_campaign(tasks, predictions, config(tmp_path), resume=True)
    assert again.measured_trials == 0
    assert again.records[0].result.arm(Arm.BASELINE).trials == first.records[0].result.arm(Arm.BASELINE).trials
    assert len(load_results(tmp_path / "results").records) == 1


GATED_BENCH = """\
import json, os, time, work
# The agent arm waits at the gate: the test kills the run while it waits.
while os.environ.get("TRIBENCH_ARM", "").startswith("agent") and os.path.exists(os.environ["GATE"]):
    time.sleep(0.05)
print(json.dumps({"latency_avg_ms": work.cost()}))
"""


def test_kill_9_mid_run_then_resume_finishes_without_loss_or_duplicates(toy_repo, tmp_path):
    import os
    import signal
    import time

    repo = toy_repo["repo"]
    human = commit_file(repo, "bench.py", GATED_BENCH, "gated bench")
    gate = tmp_path / "gate"
    gate.write_text("closed")
    row = task_row("toy", repo, human, timeouts={"setup": 30, "server_start": 3, "trial": 120})
    row["env"] = {"GATE": str(gate)}
    # The parent of `human` is the fast commit; its own bench is ungated, which is fine: only
    # the agent arm (patched on the parent... with the gated bench) waits.
    row["parent"] = human
    tasks = write_jsonl(tmp_path / "tasks.jsonl", [row])
    predictions = write_jsonl(tmp_path / "preds.jsonl", [
        {"instance_id": "toy", "model_name_or_path": "a", "model_patch": make_patch_at(repo, human)}])
    results = tmp_path / "results"
    argv = [sys.executable, "-m", "tribench", "run", str(tasks), "--patches", str(predictions),
            "--results", str(results), "--run-name", "k"]
    runner = subprocess.Popen(argv, cwd=tmp_path, start_new_session=True,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    state = results / ".state" / "k" / "toy.json"
    deadline = time.monotonic() + 120
    saved = {}
    while time.monotonic() < deadline:  # wait for the condition, not for a duration
        if state.is_file():
            saved = json.loads(state.read_text())["variants"]
            if len(saved.get("baseline", {}).get("trials", [])) >= 1 and len(saved.get("human", {}).get("trials", [])) >= 1:
                break
        assert runner.poll() is None, "the run ended before it could be interrupted"
        time.sleep(0.05)
    os.killpg(runner.pid, signal.SIGKILL)
    runner.wait()
    gate.unlink()
    assert not list(results.rglob("benchmark_result.json"))

    report = run_campaign(tasks, predictions, RunConfig(run="k", results_dir=results, logs_dir=tmp_path / "logs",
                                                        cache_dir=tmp_path / ".tribench-cache"), resume=True)
    # 3 arms x 3 trials in all; the two trials measured before the kill are not measured again.
    assert report.measured_trials == 9 - 2
    record = report.records[0]
    for arm in (Arm.BASELINE, Arm.HUMAN, Arm.AGENT):
        assert [t.index for t in record.result.arm(arm).trials] == [0, 1, 2], arm
    assert len(load_results(results).records) == 1


def make_patch_at(repo: Path, commit: str) -> str:
    """A harmless patch (a comment) against `commit`."""
    git(repo, "checkout", "-q", commit)
    patch = make_patch(repo, "work.py", (repo / "work.py").read_text() + "# agent was here\n")
    git(repo, "checkout", "-q", "main")
    return patch
