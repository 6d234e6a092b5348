"""The embedded demo suite keeps its promises, checked with real git and real processes.

`tribench demo` runs the suite that `tribench.demo.build_demo_suite` builds: a small codebase
(minitext) made into a local git repository, four human performance commits, and two demo
agents whose patches are each designed to produce one outcome (`DemoSuite.expected`). The
demo is only worth something if those designs hold on the machine that runs it, so this
module checks each of them directly, without tribench's run engine:

- the repository is the same on every build (same commit hashes), so results of two demo
  runs describe the same code;
- the task and prediction files are valid input for `tribench run`, and every (task, agent)
  has a designed outcome, every outcome appearing at least once;
- every human commit really is much faster than its parent, and the patches designed to beat,
  match or lose against the human do so with a wide margin;
- the patch designed not to apply does not apply (and every other one does), the incorrect
  patch changes the correctness digest (and no other does), the crashing patch exits non-zero,
  and the hanging patch is still running when a short timeout kills it.

Timings are medians of a few interleaved runs, compared with generous ratios (the designs
differ by 2x or more), so a busy machine cannot flip them.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import statistics
import subprocess
import time
import tomllib
import urllib.request
from functools import cache
from importlib.resources import files
from pathlib import Path

import pytest

from tribench.constants import Mode
from tribench.demo import EXPECTED_OUTCOMES, DemoSuite, available_suites, build_demo_suite
from tribench.demo._suite import load_suite
from tribench.errors import UserError
from tribench.taskspec import TaskSpec, load_predictions, load_tasks

ROUNDS = 3  # interleaved runs per arm for a timing comparison
HANG_TIMEOUT_S = 3.0

_DEFINITION = load_suite("demo")
TASK_IDS = [task.id for task in _DEFINITION.tasks]
PAIRS = sorted(_DEFINITION.expected)
TIMED_PAIRS = [pair for pair in PAIRS if _DEFINITION.expected[pair] in ("beats", "matches", "loses")]


def _git(cwd: Path, *args: str, stdin: str | None = None, check: bool = True) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull)
    done = subprocess.run(["git", *args], cwd=cwd, env=env, input=stdin, capture_output=True, text=True)
    if check and done.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed in {cwd}: {done.stderr}")
    return done


def _run(command: str, cwd: Path, task: TaskSpec, timeout_s: float) -> subprocess.CompletedProcess | None:
    """Run `command` as tribench would (sh -c, own session); None if it outlived `timeout_s`."""
    process = subprocess.Popen(command, shell=True, cwd=cwd, env={**os.environ, **task.env},
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               start_new_session=True)
    try:
        stdout, stderr = process.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        _kill_group(process)
        return None
    return subprocess.CompletedProcess(command, process.returncode, stdout, stderr)


def _kill_group(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.communicate()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def suite(tmp_path_factory: pytest.TempPathFactory) -> DemoSuite:
    return build_demo_suite(tmp_path_factory.mktemp("demo"))


@pytest.fixture(scope="module")
def tasks(suite: DemoSuite) -> dict[str, TaskSpec]:
    return {task.id: task for task in load_tasks(suite.tasks_path)}


@pytest.fixture(scope="module")
def arm_dir(suite: DemoSuite, tasks: dict[str, TaskSpec], tmp_path_factory: pytest.TempPathFactory):
    """(task id, arm) -> a worktree of that arm: "baseline", "human", or an agent's applied patch."""
    patches = {(p.instance_id, p.model_name_or_path): p.model_patch
               for p in load_predictions(suite.predictions_path)}
    root = tmp_path_factory.mktemp("arms")

    @cache
    def make(task_id: str, arm: str) -> Path:
        task = tasks[task_id]
        path = root / f"{task_id}-{arm.replace('/', '_')}"
        commit = task.human_commit if arm == "human" else task.parent
        _git(suite.repo, "worktree", "add", "--detach", str(path), commit)
        if arm not in ("baseline", "human"):
            _git(path, "apply", "-", stdin=patches[(task_id, arm)])
        return path

    return make


def _latency_ms(task: TaskSpec, cwd: Path) -> float:
    done = _run(task.perf_command, cwd, task, task.timeouts.trial)
    assert done is not None and done.returncode == 0, f"{task.perf_command} in {cwd} failed: {done}"
    return json.loads(done.stdout)["latency_avg_ms"]


def _serving_tpot_ms(task: TaskSpec, cwd: Path) -> float:
    """Start the server, wait until healthy, run the client once; its mean TPOT (ms)."""
    port = _free_port()
    server = subprocess.Popen(task.server_command.replace("{port}", str(port)), shell=True, cwd=cwd,
                              env={**os.environ, **task.env}, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        _wait_healthy(server, port, task)
        done = _run(task.client_command.replace("{port}", str(port)), cwd, task, task.timeouts.trial)
        assert done is not None and done.returncode == 0, f"client failed in {cwd}: {done}"
        result = json.loads(done.stdout)
        assert result["completed"] == result["num_prompts"]
        return result["mean_tpot_ms"]
    finally:
        _kill_group(server)


def _wait_healthy(server: subprocess.Popen, port: int, task: TaskSpec) -> None:
    deadline = time.monotonic() + task.timeouts.server_start
    url = f"http://127.0.0.1:{port}{task.health_path}"
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        try:  # waits a little between polls, and notices a server that died
            server.wait(timeout=0.05)
        except subprocess.TimeoutExpired:
            continue
        raise AssertionError(f"server exited with {server.returncode}: {server.stderr.read()}")
    raise AssertionError(f"server not healthy on port {port} after {task.timeouts.server_start}s")


@pytest.fixture(scope="module")
def timings(tasks: dict[str, TaskSpec], arm_dir, suite: DemoSuite):
    """task id -> {arm: median primary metric}, the arms measured interleaved, ROUNDS times each."""

    @cache
    def measure(task_id: str) -> dict[str, float]:
        task = tasks[task_id]
        arms = ["baseline", "human"] + [agent for (tid, agent) in TIMED_PAIRS if tid == task_id]
        one = _serving_tpot_ms if task.mode == Mode.SERVING else _latency_ms
        samples: dict[str, list[float]] = {arm: [] for arm in arms}
        for _ in range(ROUNDS):
            for arm in arms:
                samples[arm].append(one(task, arm_dir(task_id, arm)))
        return {arm: statistics.median(values) for arm, values in samples.items()}

    return measure


# --- the build -------------------------------------------------------------------------------


def test_rebuilding_gives_identical_commit_hashes(suite: DemoSuite, tmp_path: Path) -> None:
    again = build_demo_suite(tmp_path / "again")
    assert again.commits == suite.commits
    assert _git(again.repo, "rev-parse", "HEAD").stdout == _git(suite.repo, "rev-parse", "HEAD").stdout

    def rows(path: Path) -> list[dict]:
        return [{k: v for k, v in json.loads(line).items() if k != "repo"} for line in path.read_text().splitlines()]

    assert rows(again.tasks_path) == rows(suite.tasks_path)
    assert again.predictions_path.read_text() == suite.predictions_path.read_text()


def test_rebuild_replaces_its_own_build_but_never_a_foreign_folder(tmp_path: Path) -> None:
    first = build_demo_suite(tmp_path / "out")
    (first.repo / "stray.txt").write_text("left by a previous run\n")
    second = build_demo_suite(tmp_path / "out")
    assert not (second.repo / "stray.txt").exists()

    foreign = tmp_path / "foreign" / "repo"
    foreign.mkdir(parents=True)
    (foreign / "precious.txt").write_text("not ours\n")
    with pytest.raises(UserError, match="not a demo suite build"):
        build_demo_suite(tmp_path / "foreign")
    assert (foreign / "precious.txt").read_text() == "not ours\n"


def test_unknown_suite_names_the_available_ones(tmp_path: Path) -> None:
    assert available_suites() == ["demo", "vllm-cpu"]
    with pytest.raises(UserError, match="available: demo"):
        build_demo_suite(tmp_path, name="no-such-suite")


def test_task_file_is_valid_and_each_task_builds_on_the_previous_commit(suite: DemoSuite) -> None:
    loaded = load_tasks(suite.tasks_path)
    assert [task.id for task in loaded] == TASK_IDS and len(loaded) >= 4
    previous = None
    for task in loaded:
        assert task.repo == str(suite.repo)
        assert len(task.human_commit) == 40 and task.human_commit == suite.commits[task.id]
        assert _git(suite.repo, "rev-parse", f"{task.human_commit}^").stdout.strip() == task.parent
        if previous is not None:
            assert task.parent == previous.human_commit
        changed = _git(suite.repo, "diff", "--name-only", task.parent, task.human_commit).stdout.split()
        assert task.files_changed == changed and changed
        assert task.correctness_command and task.subject
        assert task.timeouts.trial <= 10, "the hanging patch must be killed fast"
        previous = task
    modes = {task.mode for task in loaded}
    assert modes == {Mode.STANDALONE, Mode.SERVING}
    for task in loaded:
        if task.mode == Mode.SERVING:
            assert task.primary_metric == "tpot_mean" and task.metric_source == "vllm-serve"
        else:
            assert task.primary_metric == "latency_avg"
            assert task.metric_source == "json:latency_avg_ms=latency_avg"


def test_every_prediction_has_a_designed_outcome_and_every_outcome_is_exercised(suite: DemoSuite) -> None:
    predictions = load_predictions(suite.predictions_path)
    pairs = [(p.instance_id, p.model_name_or_path) for p in predictions]
    assert len(pairs) == len(set(pairs))
    assert set(pairs) == set(suite.expected)
    assert all(p.model_patch and p.model_patch.startswith("diff --git ") for p in predictions)
    agents = {agent for _, agent in pairs}
    assert len(agents) >= 2 and all((task, agent) in suite.expected for task in TASK_IDS for agent in agents)
    # needs_build is designed in the vllm-cpu suite (tests/test_engine_overlay.py): its tasks
    # measure overlays of installed kernels, which this suite's pure-Python codebase has none of.
    assert set(suite.expected.values()) == EXPECTED_OUTCOMES - {"needs_build"}


def test_expected_outcomes_are_read_from_suite_toml(suite: DemoSuite) -> None:
    # The docs and this test read the designs from one file; the builder must not drift from it.
    text = (files("tribench.demo") / "suites" / "demo" / "suite.toml").read_text(encoding="utf-8")
    data = tomllib.loads(text)
    designed = {(t["id"], agent): entry["expected"] for t in data["task"] for agent, entry in t["agents"].items()}
    assert suite.expected == designed


# --- the designs, checked directly --------------------------------------------------------------


@pytest.mark.parametrize("task_id,agent", PAIRS)
def test_patch_applies_to_its_parent_unless_designed_not_to(suite, tasks, arm_dir, task_id, agent) -> None:
    patch = next(p.model_patch for p in load_predictions(suite.predictions_path)
                 if (p.instance_id, p.model_name_or_path) == (task_id, agent))
    check = _git(arm_dir(task_id, "baseline"), "apply", "--check", "-", stdin=patch, check=False)
    if suite.expected[(task_id, agent)] == "patch_failed":
        assert check.returncode != 0 and "patch does not apply" in check.stderr
    else:
        assert check.returncode == 0, check.stderr


@pytest.mark.parametrize("task_id", TASK_IDS)
def test_human_commit_is_much_faster_than_its_parent(timings, task_id) -> None:
    measured = timings(task_id)
    assert measured["human"] < 0.6 * measured["baseline"], measured


@pytest.mark.parametrize("task_id,agent", TIMED_PAIRS)
def test_designed_verdict_has_a_wide_margin(suite, timings, task_id, agent) -> None:
    # Designs: beats ~0.55x the human's time, matches 1.0x, loses 1.7x or more; tribench's
    # verdict tolerance is 5%, so these bounds leave room for noise on both sides.
    measured = timings(task_id)
    ratio = measured[agent] / measured["human"]
    outcome = suite.expected[(task_id, agent)]
    if outcome == "beats":
        assert ratio < 0.8, measured
    elif outcome == "loses":
        assert ratio > 1.25, measured
        assert measured[agent] < measured["baseline"], "a partial fix is still better than the baseline"
    else:
        assert 0.9 < ratio < 1.1, measured


@pytest.mark.parametrize("task_id", TASK_IDS)
def test_only_the_incorrect_patch_changes_the_correctness_digest(suite, tasks, arm_dir, task_id) -> None:
    task = tasks[task_id]

    def digest(arm: str) -> str:
        done = _run(task.correctness_command, arm_dir(task_id, arm), task, task.timeouts.trial)
        assert done is not None and done.returncode == 0, done
        assert done.stdout.strip()
        return done.stdout

    reference = digest("baseline")
    assert digest("human") == reference
    for (tid, agent), outcome in suite.expected.items():
        if tid != task_id or outcome in ("patch_failed", "timeout"):
            continue
        if outcome == "incorrect":
            assert digest(agent) != reference
        else:  # the crashing patch too: it crashes only on the benchmark's many documents
            assert digest(agent) == reference, (agent, outcome)


def test_crashing_patch_exits_non_zero_with_a_traceback(suite, tasks, arm_dir) -> None:
    crashing = [pair for pair, outcome in suite.expected.items() if outcome == "crash"]
    assert crashing
    for task_id, agent in crashing:
        task = tasks[task_id]
        done = _run(task.perf_command, arm_dir(task_id, agent), task, task.timeouts.trial)
        assert done is not None and done.returncode != 0
        assert "Traceback" in done.stderr


def test_hanging_patch_is_still_running_when_the_timeout_kills_it(suite, tasks, arm_dir) -> None:
    # tribench runs the correctness command first, then the timed command: both must hang,
    # so the outcome is `timeout` whichever comes first.
    hanging = [pair for pair, outcome in suite.expected.items() if outcome == "timeout"]
    assert hanging
    for task_id, agent in hanging:
        task, path = tasks[task_id], arm_dir(task_id, agent)
        started = time.monotonic()
        assert _run(task.correctness_command, path, task, HANG_TIMEOUT_S) is None
        assert time.monotonic() - started < HANG_TIMEOUT_S + 2, "the kill must end it at once"
        if task.mode == Mode.SERVING:
            port = _free_port()
            server = subprocess.Popen(task.server_command.replace("{port}", str(port)), shell=True, cwd=path,
                                      env={**os.environ, **task.env}, stdout=subprocess.DEVNULL,
                                      stderr=subprocess.PIPE, text=True, start_new_session=True)
            try:
                _wait_healthy(server, port, task)
                client = task.client_command.replace("{port}", str(port))
                assert _run(client, path, task, HANG_TIMEOUT_S) is None
            finally:
                _kill_group(server)
