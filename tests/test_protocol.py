"""The measurement protocol itself: order, retries, parallelism, tolerance, task files.

DESIGN.md promises arms interleaved in rotated blocks (B H A, H A B, A B H) so drift hits all
arms equally; infra failures retried before they are recorded; parallel jobs that never time
two trials on the same cores unless asked; a noise floor from calibration that widens the
verdict's tolerance; and task files validated with errors that name the file and the field.
Each test pins one of these promises on a real repository and real processes.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from test_run import commit_file, config, git, make_patch, task_row, toy_repo, write_jsonl  # noqa: F401

from tribench.campaign import run_campaign
from tribench.constants import Arm, Mode, Status, Verdict
from tribench.errors import UserError
from tribench.execute import LocalExecutor
from tribench.taskspec import load_tasks


def test_arms_rotate_within_blocks(toy_repo, tmp_path):
    tasks = write_jsonl(tmp_path / "tasks.jsonl", [task_row("toy", toy_repo["repo"], toy_repo["human"])])
    predictions = write_jsonl(tmp_path / "preds.jsonl", [
        {"instance_id": "toy", "model_name_or_path": "a", "model_patch": toy_repo["patches"]["beats"]}])
    record = run_campaign(tasks, predictions, config(tmp_path)).records[0]
    started = []
    for arm in (Arm.BASELINE, Arm.HUMAN, Arm.AGENT):
        started += [(t.started_at, t.block, arm.value) for t in record.result.arm(arm).trials]
    order = [(block, arm) for _, block, arm in sorted(started)]
    assert order == [(0, "baseline"), (0, "human"), (0, "agent"),
                     (1, "human"), (1, "agent"), (1, "baseline"),
                     (2, "agent"), (2, "baseline"), (2, "human")]


FLAKY = "if [ -f flaked ]; then {python} bench.py; else touch flaked; exit 3; fi"


def test_infra_failure_is_retried_before_it_is_recorded(toy_repo, tmp_path):
    row = task_row("toy", toy_repo["repo"], toy_repo["human"], perf_command=FLAKY.format(python=sys.executable))
    tasks = write_jsonl(tmp_path / "tasks.jsonl", [row])
    retried = run_campaign(tasks, None, config(tmp_path)).records[0].result
    assert retried.arm(Arm.BASELINE).ok and len(retried.arm(Arm.BASELINE).trials) == 3


def test_without_retries_the_infra_failure_is_recorded_as_infra(toy_repo, tmp_path):
    row = task_row("toy", toy_repo["repo"], toy_repo["human"], perf_command=FLAKY.format(python=sys.executable))
    tasks = write_jsonl(tmp_path / "tasks.jsonl", [row])
    settings = config(tmp_path)
    settings.infra_retries = 0
    result = run_campaign(tasks, None, settings).records[0].result
    assert result.arm(Arm.BASELINE).status == Status.CRASH
    assert result.failure_owner.value == "infra"


def test_parallel_jobs_get_disjoint_cores(toy_repo, tmp_path):
    cores = LocalExecutor(jobs=1).cores
    if len(cores) < 2:
        pytest.fail("this test needs a machine with at least 2 cores (CI has 2)")
    probe = f"{sys.executable} -c \"import os, json; print(json.dumps({{'wall_time_s': 0.1, 'cores': sorted(os.sched_getaffinity(0))}}))\""
    rows = [task_row(name, toy_repo["repo"], toy_repo["human"], mode="command", perf_command=probe,
                     metric_source=None, trials=1) for name in ("one", "two")]
    tasks = write_jsonl(tmp_path / "tasks.jsonl", rows)
    report = run_campaign(tasks, None, config(tmp_path), executor=LocalExecutor(jobs=2))
    seen = {}
    for record in report.records:
        log = Path(record.result.arm(Arm.BASELINE).trials[0].log).read_text()
        seen[record.instance.task_id] = tuple(json.loads(log.strip().splitlines()[-1])["cores"])
    assert len(seen["one"]) == len(seen["two"]) == len(cores) // 2
    assert not set(seen["one"]) & set(seen["two"])


def test_more_jobs_than_cores_is_refused_unless_asked(tmp_path):
    cores = len(LocalExecutor().cores)
    with pytest.raises(UserError, match="share-cores"):
        LocalExecutor(jobs=cores + 1)
    assert len(LocalExecutor(jobs=cores + 1, share_cores=True).core_sets()) == cores + 1


def test_noise_floor_widens_the_tolerance(toy_repo, tmp_path):
    # The agent is 8% slower than the human: a loss at ±5%, a match once the floor is 10%.
    slower = make_patch_against(toy_repo, "def cost():\n    return 54.0\n")
    tasks = write_jsonl(tmp_path / "tasks.jsonl", [task_row("toy", toy_repo["repo"], toy_repo["human"])])
    predictions = write_jsonl(tmp_path / "preds.jsonl", [
        {"instance_id": "toy", "model_name_or_path": "a", "model_patch": slower}])
    plain = run_campaign(tasks, predictions, config(tmp_path, "plain")).records[0].result.verdict
    settings = config(tmp_path, "floored")
    settings.noise_floors = {"toy": 10.0}
    floored = run_campaign(tasks, predictions, settings).records[0].result.verdict
    assert plain.verdict == Verdict.LOSES and plain.tolerance_pct == 5.0
    assert floored.verdict == Verdict.MATCHES and floored.tolerance_pct == 10.0


def make_patch_against(toy_repo, text: str) -> str:
    repo = toy_repo["repo"]
    git(repo, "checkout", "-q", toy_repo["parent"])
    patch = make_patch(repo, "work.py", text)
    git(repo, "checkout", "-q", "main")
    return patch


def test_toml_task_file_is_read_like_jsonl(tmp_path):
    path = tmp_path / "tasks.toml"
    path.write_text('[[task]]\nid = "t"\nrepo = "."\nhuman_commit = "abc"\nmode = "serving"\n'
                    'server_command = "serve --port {port}"\nclient_command = "bench --port {port}"\n')
    (task,) = load_tasks(path)
    assert task.mode == Mode.SERVING and task.trials == 5 and task.warmups == 1


def test_seed_shaped_row_gets_its_mode_from_the_command(tmp_path):
    row = {"commit_hash": "22d33baca2c0c639cfd45c48e99803e56c3efa74", "parent_commit": "b0e96aae",
           "perf_command": "python benchmarks/benchmark_latency.py --model m", "repo": "vllm-project/vllm",
           "models": "['m']", "files_changed": "['vllm/a.py' 'vllm/b.py']"}
    (task,) = load_tasks(write_jsonl(tmp_path / "tasks.jsonl", [row]))
    assert task.mode == Mode.STANDALONE and task.id == "22d33bac" and task.parent == "b0e96aae"
    assert task.models == ["m"] and task.files_changed == ["vllm/a.py", "vllm/b.py"]


@pytest.mark.parametrize("row, field", [
    ({"id": "x", "repo": ".", "human_commit": "a", "mode": "serving", "server_command": "s"}, "client_command"),
    ({"id": "x", "repo": ".", "human_commit": "a", "mode": "warp", "perf_command": "p"}, "mode"),
    ({"id": "x", "repo": ".", "human_commit": "a", "mode": "command", "perf_command": "p", "trials": 0}, "trials"),
])
def test_bad_task_rows_name_file_and_field(tmp_path, row, field):
    with pytest.raises(UserError) as excinfo:
        load_tasks(write_jsonl(tmp_path / "tasks.jsonl", [row]))
    assert "tasks.jsonl" in str(excinfo.value) and field in str(excinfo.value)
