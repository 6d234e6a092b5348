"""Real adapters driving a real agent executable: every way an agent run can end.

The stand-in agent (tests/agent_standin.py) is installed on PATH as `claude` and `codex`, so
the real Claude Code and Codex adapters build their real argv (the stand-in exits 64 on an
unexpected one), feed the prompt the real way, and parse the stand-in's stream-json / JSONL
events for cost and tokens. One run of six tasks covers the outcomes, each chosen by a
`standin-mode:` line in the task's description: an edit (ok), a change with new, deleted and
binary files plus agent scratch files (only the real change is captured), an agent that hangs
with a child process (killed at the budget, tree and all), one that writes outside its
workspace (patch refused), one that does nothing (no_patch) and one that fails. The generic
--agent-cmd path and a missing binary go through the real CLI. Throughout, a fake
ANTHROPIC_API_KEY that the stand-in prints must appear in no file under runs/.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from agentkit import (FAKE_KEY, STANDIN, cli, config, env_with, files_containing, make_repo, run, use_standin,
                      write_tasks)
from gitrepo import run_git

from tribench.agent.constants import AgentStatus, FirstEditMethod
from tribench.patches import apply_patch

BUDGET_S = 5.0
MODES = ("edit", "full", "hang", "outside", "nothing", "fail")


@pytest.fixture(scope="module")
def claude_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("claude")
    fixture = make_repo(tmp / "source")
    rows = [{"id": mode, "description": f"total() is slow.\nstandin-mode: {mode}",
             **({"target_files": ["pkg/mod.py"]} if mode == "edit" else {})} for mode in MODES]
    tasks = write_tasks(tmp / "tasks.jsonl", fixture, rows)
    with pytest.MonkeyPatch.context() as monkeypatch:
        use_standin(monkeypatch, tmp / "bin")
        cfg = config(tmp, tasks, model="standin-model", time_budget="5s", time_budget_s=BUDGET_S, jobs=3)
        results = run(cfg)
    return fixture, cfg, results


def checkout_parent(fixture, dest: Path) -> Path:
    run_git(dest.parent, "clone", "--quiet", str(fixture.repo.path), str(dest))
    run_git(dest, "checkout", "--quiet", "--detach", fixture.parent)
    return dest


def events(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.startswith("{")]


def test_claude_code_edit_is_submitted_with_cost_tokens_and_the_real_argv(claude_run, tmp_path):
    fixture, _, results = claude_run
    meta, task_dir = results["edit"], results["_report"].run_dir / "edit"
    assert meta.status == AgentStatus.OK and meta.exit_code == 0 and meta.submitted
    assert meta.files_changed == ["pkg/mod.py"]  # the task's target file
    assert (meta.cost_usd, meta.input_tokens, meta.output_tokens) == (0.0421, 1234, 567)
    assert (meta.cached_input_tokens, meta.turns) == (89, 3)
    assert meta.argv[1:] == ["-p", "--output-format", "stream-json", "--verbose", "--dangerously-skip-permissions",
                             "--model", "standin-model"]
    init = events(task_dir / "trajectory.jsonl")[0]
    assert init["model"] == "standin-model" and init["mode"] == "edit"
    assert init["home"] != os.environ.get("HOME") and not Path(init["home"]).exists()  # scratch HOME, removed
    assert 0 <= meta.time_to_first_edit_s <= meta.duration_s
    assert meta.first_edit_method in (FirstEditMethod.POLL, FirstEditMethod.MTIME)
    prompt = (task_dir / "prompt.md").read_text()
    assert "total() is slow." in prompt and "`pkg/mod.py`" in prompt and "python bench.py" in prompt
    parent = checkout_parent(fixture, tmp_path / "parent")
    assert apply_patch(parent, (task_dir / "patch.diff").read_text()) is None
    assert (parent / "pkg" / "mod.py").read_text().endswith("# tuned by the stand-in agent\n")


def test_patch_has_new_deleted_and_binary_files_but_no_agent_scratch(claude_run, tmp_path):
    fixture, _, results = claude_run
    meta, task_dir = results["full"], results["_report"].run_dir / "full"
    assert meta.status == AgentStatus.OK
    assert meta.files_changed == ["NEW.md", "README.md", "assets/blob.bin", "obsolete.txt"]
    patch = (task_dir / "patch.diff").read_bytes()
    assert b"GIT binary patch" in patch and b"deleted file mode" in patch and b"new file mode" in patch
    assert meta.patch_bytes == len(patch)
    parent = checkout_parent(fixture, tmp_path / "parent")
    assert apply_patch(parent, patch.decode()) is None
    assert (parent / "assets" / "blob.bin").read_bytes() == bytes(range(256)) * 4
    assert not (parent / "obsolete.txt").exists()
    scratch = (".aider.chat.history.md", "trajectory.json", ".claude", "pkg/__pycache__")
    assert not any((parent / p).exists() for p in scratch)


def test_hanging_agent_and_its_child_are_killed_at_the_budget(claude_run):
    _, _, results = claude_run
    meta, task_dir = results["hang"], results["_report"].run_dir / "hang"
    assert meta.status == AgentStatus.TIMEOUT and meta.timed_out and meta.exit_code is None
    assert BUDGET_S <= meta.duration_s < BUDGET_S + 8  # killed at the deadline, not left to run
    assert "time budget (5s) ran out" in meta.reason
    assert meta.submitted and meta.files_changed == ["README.md"]  # what it did before the deadline counts
    assert meta.first_edit_method == FirstEditMethod.POLL  # seen while it ran
    child = next(e["pid"] for e in events(task_dir / "trajectory.jsonl") if e.get("subtype") == "child")
    assert not _alive(child), f"the agent's child {child} outlived the budget"


def _alive(pid: int) -> bool:
    """A process that exists and is not a zombie (an orphan may wait for a reaper)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in ("Z", "X")


def test_writing_outside_the_workspace_refuses_the_patch(claude_run):
    _, _, results = claude_run
    meta, task_dir = results["outside"], results["_report"].run_dir / "outside"
    assert meta.status == AgentStatus.OUTSIDE_WRITE and not meta.submitted
    assert [Path(p).name for p in meta.outside_writes] == ["escaped.txt"]
    assert not (task_dir / "patch.diff").exists() and (task_dir / "refused.diff").is_file()


@pytest.mark.parametrize(("task", "exit_code"), [("nothing", 0), ("fail", 3)])
def test_agent_that_changes_nothing_gets_no_patch(claude_run, task, exit_code):
    _, _, results = claude_run
    meta = results[task]
    assert meta.status == AgentStatus.NO_PATCH and meta.exit_code == exit_code
    assert not meta.submitted and meta.patch_bytes == 0 and meta.files_changed == []
    assert not (results["_report"].run_dir / task / "patch.diff").exists()


def test_predictions_hold_exactly_the_submitted_patches(claude_run):
    _, _, results = claude_run
    report = results["_report"]
    rows = [json.loads(line) for line in report.predictions_path.read_text().splitlines()]
    assert [r["instance_id"] for r in rows] == ["edit", "full", "hang"]
    for row in rows:
        assert row["model_name_or_path"] == "claude-code/standin-model"
        assert row["model_patch"] == (report.run_dir / row["instance_id"] / "patch.diff").read_text()


def test_credentials_never_reach_any_file_under_runs(claude_run):
    _, cfg, results = claude_run
    assert files_containing(cfg.runs_dir, FAKE_KEY) == []
    assert results["edit"].credential_vars == ["ANTHROPIC_API_KEY"]
    trajectory = (results["_report"].run_dir / "edit" / "trajectory.jsonl").read_text()
    assert '"debug_api_key": "<ANTHROPIC_API_KEY>"' in trajectory  # the stand-in printed it: redacted


def test_rerun_keeps_finished_tasks_and_force_starts_over(claude_run, monkeypatch):
    _, cfg, results = claude_run
    use_standin(monkeypatch, cfg.runs_dir.parent / "bin")
    again = run(cfg)
    assert again["_report"].run_dir == results["_report"].run_dir
    assert sorted(again["_report"].resumed) == ["edit", "full", "hang", "nothing", "outside"]  # "fail" reran
    assert again["edit"].started_at == results["edit"].started_at
    only_one = run(cfg.__class__(**{**cfg.__dict__, "only": ("fail",)}))  # --task: the others keep their patches
    rows = only_one["_report"].predictions_path.read_text().splitlines()
    assert [json.loads(r)["instance_id"] for r in rows] == ["edit", "full", "hang"]
    forced = run(cfg.__class__(**{**cfg.__dict__, "force": True, "only": ("nothing",)}))
    assert forced["_report"].run_dir != results["_report"].run_dir and forced["_report"].resumed == []


def test_codex_adapter_reads_the_prompt_on_stdin_and_sums_turn_usage(tmp_path, monkeypatch):
    fixture = make_repo(tmp_path / "source")
    tasks = write_tasks(tmp_path / "tasks.jsonl", fixture, [{"id": "c1"}])
    use_standin(monkeypatch, tmp_path / "bin")
    results = run(config(tmp_path, tasks, agent="codex", model="gpt-standin"))
    meta, task_dir = results["c1"], results["_report"].run_dir / "c1"
    assert meta.status == AgentStatus.OK and meta.model_name_or_path == "codex/gpt-standin"
    assert meta.argv[1:6] == ["exec", "--json", "--sandbox", "workspace-write", "--skip-git-repo-check"]
    assert meta.argv[-3:] == ["--model", "gpt-standin", "-"]
    assert (meta.input_tokens, meta.output_tokens, meta.cached_input_tokens, meta.turns) == (1500, 250, 100, 2)
    assert meta.cost_usd is None  # codex reports tokens only
    assert "codex progress: init" in (task_dir / "agent.log").read_text()


def test_generic_agent_cmd_through_the_cli_and_an_escape_into_the_source_repo(tmp_path):
    fixture = make_repo(tmp_path / "source")
    tasks = write_tasks(tmp_path / "tasks.jsonl", fixture, [
        {"id": "generic-edit", "description": "standin-mode: edit"},
        {"id": "escapes-to-source", "description": "standin-mode: outside"}])
    target = fixture.repo.path / "pkg" / "mod.py"
    template = (f"{sys.executable} {STANDIN} --as generic --prompt-file {{prompt_file}} --workdir {{workdir}} "
                f"--trajectory {{trajectory_file}} --model {{model}} --escape-to {target}")
    done = cli("agent", "run", str(tasks), "--agent-cmd", template, "--agent-name", "my-agent", "--model", "m",
               "--runs", str(tmp_path / "runs"), "--cache", str(tmp_path / "cache"), "--time-budget", "30s",
               env=env_with(None, ANTHROPIC_API_KEY=FAKE_KEY))
    assert done.returncode == 0, done.stdout + done.stderr
    run_dir = next((tmp_path / "runs" / "my-agent" / "m").iterdir())
    edit = json.loads((run_dir / "generic-edit" / "meta.json").read_text())
    assert edit["status"] == "ok" and edit["cost_usd"] == 0.5 and edit["input_tokens"] == 10
    assert edit["argv"][:2] == ["sh", "-c"] and edit["trajectory"] == "trajectory.jsonl"
    escaped = json.loads((run_dir / "escapes-to-source" / "meta.json").read_text())
    assert escaped["status"] == "outside_write" and escaped["outside_writes"] == [str(target.resolve())]
    rows = (run_dir / "predictions.jsonl").read_text().splitlines()
    assert [json.loads(r)["model_name_or_path"] for r in rows] == ["my-agent/m"]
    assert files_containing(tmp_path / "runs", FAKE_KEY) == []


def test_ctrl_c_kills_the_running_agents_and_leaves_the_task_to_rerun(tmp_path):
    fixture = make_repo(tmp_path / "source")
    tasks = write_tasks(tmp_path / "tasks.jsonl", fixture, [{"id": "hangs", "description": "standin-mode: hang"}])
    template = f"{sys.executable} {STANDIN} --as generic --prompt-file {{prompt_file}} --workdir {{workdir}}"
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    process = subprocess.Popen([sys.executable, "-m", "tribench", "agent", "run", str(tasks), "--agent-cmd", template,
                                "--runs", str(tmp_path / "runs"), "--cache", str(tmp_path / "cache"),
                                "--scratch-dir", str(scratch), "--time-budget", "10m"],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        started = _poll(lambda: _child_event(scratch), deadline_s=60)  # the agent is running, with its child
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=30)
    finally:
        process.kill()
    assert process.returncode == 130, output
    assert "interrupted" in output
    assert not _alive(started["agent_pid"]) and not _alive(started["pid"])
    assert list(scratch.iterdir()) == []  # its sandbox and HOME are gone
    run_dir = next((tmp_path / "runs" / "custom" / "default").iterdir())
    assert not (run_dir / "hangs" / "meta.json").exists()  # not finished: a rerun runs it


def _child_event(scratch: Path) -> dict | None:
    for log in scratch.glob("*/raw/agent.log"):
        for line in log.read_text().splitlines():
            if '"subtype": "child"' in line:
                return json.loads(line)
    return None


def _poll(condition, deadline_s: float):
    """Wait for `condition()` to return something, checking every 50 ms, failing after the deadline."""
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if (found := condition()) is not None:
            return found
        threading.Event().wait(0.05)
    raise AssertionError(f"condition not met within {deadline_s}s")


def test_missing_agent_binary_names_it_and_how_to_install(tmp_path):
    fixture = make_repo(tmp_path / "source")
    tasks = write_tasks(tmp_path / "tasks.jsonl", fixture, [{"id": "t"}])
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    done = cli("agent", "run", str(tasks), "--agent", "codex", "--runs", str(tmp_path / "runs"),
               env={**os.environ, "PATH": str(empty)})
    assert done.returncode == 2
    err = " ".join(done.stderr.split())
    assert "needs `codex`, which is not on PATH" in err and "npm install -g @openai/codex" in err
    unknown = cli("agent", "run", str(tasks), "--agent", "claude")
    assert unknown.returncode == 2 and "Did you mean 'claude-code'?" in " ".join(unknown.stderr.split())
    assert subprocess.run([sys.executable, str(STANDIN), "--as", "claude"], input="x", capture_output=True,
                          text=True).returncode == 64  # the stand-in refuses an argv the adapter would not build


HEADLESS_FLAGS = {  # the flags without which each CLI would stop to ask a question or not write files
    "claude-code": ["-p", "--dangerously-skip-permissions", "stream-json"],
    "codex": ["exec", "--json", "workspace-write", "-"],
    "openhands": ["--headless", "--json", "--override-with-envs", "-f"],
    "trae": ["run", "--file", "--working-dir", "--trajectory-file"],
    "aider": ["--message-file", "--yes-always", "--no-auto-commits", "--no-gitignore"],
}


@pytest.mark.parametrize("name", sorted(HEADLESS_FLAGS))
def test_every_registered_adapter_builds_a_headless_command_and_names_its_install(name, tmp_path):
    from tribench.agent import get_adapter
    from tribench.agent.adapters import AgentInput
    from tribench.errors import UserError

    adapter = get_adapter(name)
    run_input = AgentInput(binary=f"/opt/bin/{adapter.binary}", prompt_file=tmp_path / "prompt.md",
                           workdir=tmp_path / "box" / "repo", scratch=tmp_path / "raw", home=tmp_path / "home",
                           model="prov/model-x", target_files=("pkg/mod.py",))
    invocation = adapter.invocation(run_input)
    assert invocation.argv[0] == f"/opt/bin/{adapter.binary}"
    assert all(flag in invocation.argv for flag in HEADLESS_FLAGS[name]), invocation.argv
    assert "model-x" in " ".join(invocation.argv) + " ".join(invocation.env.values())
    assert not any(k for k in invocation.env if "KEY" in k or "TOKEN" in k)  # keys stay in the user's env
    for path in (invocation.stdout, invocation.stderr, invocation.trajectory):
        assert path is None or path.is_relative_to(tmp_path / "raw")  # never inside the workspace
    with pytest.raises(UserError) as missing:
        adapter.locate(str(tmp_path))  # a PATH without it
    assert f"`{adapter.binary}`" in str(missing.value) and adapter.install in str(missing.value)


def test_usage_parsers_read_what_aider_trae_and_openhands_print():
    from tribench.agent import get_adapter

    aider_log = ("Main model: anthropic/claude-sonnet-4 with diff edit format\n"
                 "Tokens: 2.1k sent, 340 received. Cost: $0.01 message, $0.01 session.\n"
                 "Applied edit to pkg/mod.py\n"
                 "Tokens: 3.5k sent, 120 received. Cost: $0.02 message, $0.03 session.\n")
    aider = get_adapter("aider").usage(aider_log, None)
    assert (aider.input_tokens, aider.output_tokens, aider.cost_usd, aider.turns) == (5600, 460, 0.03, 2)
    trajectory = json.dumps({"task": "t", "llm_interactions": [
        {"response": {"content": "a", "usage": {"input_tokens": 100, "output_tokens": 20}}},
        {"response": {"content": "b", "usage": {"input_tokens": 150, "output_tokens": 30}}}], "agent_steps": []})
    trae = get_adapter("trae").usage("", trajectory)
    assert (trae.input_tokens, trae.output_tokens, trae.turns) == (250, 50, 2)
    events_text = "\n".join(json.dumps(e) for e in [
        {"type": "action", "llm_metrics": {"accumulated_cost": 0.12,
                                          "accumulated_token_usage": {"prompt_tokens": 900, "completion_tokens": 80}}},
        {"type": "observation", "content": "ok"},
        {"type": "action", "llm_metrics": {"accumulated_cost": 0.2,
                                          "accumulated_token_usage": {"prompt_tokens": 1500, "completion_tokens": 95}}}])
    openhands = get_adapter("openhands").usage("", "banner line\n" + events_text)
    assert (openhands.cost_usd, openhands.input_tokens, openhands.output_tokens) == (0.2, 1500, 95)
