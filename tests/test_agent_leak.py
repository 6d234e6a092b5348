"""The leak check: an agent is never started with the human change in front of it.

A task description written by someone who had the human commit open can quote it; a repository
can carry the change as a patch file or its message in a changelog. Then the "agent" result
measures copying, not optimising. The run must refuse, before any agent starts, and say what
matched and the threshold. Quoting the *slow* code that the parent already has is fine: that
is what a bottleneck description does.
"""

from __future__ import annotations

import difflib
import json

import pytest
from agentkit import (FAST_MOD, HUMAN_MESSAGE, SLOW_MOD, cli, config, env_with, install_standin, make_repo, run,
                      use_standin, write_tasks)

from tribench.agent.constants import AgentStatus
from tribench.agent.plan import make_plan
from tribench.errors import UserError


@pytest.fixture(scope="module")
def fixture(tmp_path_factory):
    return make_repo(tmp_path_factory.mktemp("leak") / "source")


def human_diff_text() -> str:
    return "".join(difflib.unified_diff(SLOW_MOD.splitlines(True), FAST_MOD.splitlines(True),
                                        "a/pkg/mod.py", "b/pkg/mod.py"))


def test_description_quoting_the_human_diff_is_refused_before_any_agent_starts(fixture, tmp_path):
    description = "total() is slow. Do it like this:\n```\n" + human_diff_text() + "```\n"
    tasks = write_tasks(tmp_path / "tasks.jsonl", fixture, [{"id": "quotes-diff", "description": description}])
    bin_dir = install_standin(tmp_path / "bin")
    done = cli("agent", "run", str(tasks), "--agent", "claude-code", "--runs", str(tmp_path / "runs"),
               "--cache", str(tmp_path / "cache"), env=env_with(bin_dir))
    assert done.returncode == 2, done.stdout + done.stderr
    err = " ".join(done.stderr.split())
    assert "refusing to start" in err and "quotes-diff" in err
    assert "human diff" in err and "threshold 20%" in err and "100% of it found" in err
    assert "values_as_integers_without_conversion" in err  # what matched is shown
    assert not (tmp_path / "runs").exists()  # no run folder, no agent started


@pytest.mark.parametrize(("what", "description"), [
    ("commit subject", "Please: mod: sum the integers in C instead of a Python loop."),
    ("commit message", "Note that total() converted every value to a string and back before adding it up."),
    ("human commit id", None),  # filled in below: a 10-digit prefix of the human sha
])
def test_description_revealing_the_message_or_commit_id_is_refused(fixture, tmp_path, what, description):
    description = description or f"The fix is upstream in {fixture.human[:10]}."
    tasks = write_tasks(tmp_path / "tasks.jsonl", fixture, [{"id": "t", "description": description}])
    with pytest.raises(UserError) as raised:
        make_plan(config(tmp_path, tasks))
    assert f"contains the {what}" in str(raised.value)


def test_quoting_the_slow_parent_code_and_pointing_at_files_is_allowed(fixture, tmp_path):
    description = "total() is slow; it does this for every element:\n" + SLOW_MOD
    tasks = write_tasks(tmp_path / "tasks.jsonl", fixture,
                        [{"id": "t", "description": description, "target_files": ["pkg/mod.py"]}])
    plan = make_plan(config(tmp_path, tasks))
    prompt = plan.tasks[0].prompt
    assert "result = result + int(str(value))" in prompt and "`pkg/mod.py`" in prompt
    # What the prompt must never carry, whatever the task file holds: subject and human sha.
    assert "sum the integers in C" not in prompt and fixture.human[:7] not in prompt


@pytest.mark.parametrize(("name", "content", "what"), [
    ("notes/next.patch", None, "human diff"),
    ("CHANGELOG.md", "## next\n\n" + HUMAN_MESSAGE, "commit message"),
])
def test_workspace_holding_the_human_change_is_refused_and_the_agent_never_runs(tmp_path, monkeypatch, name, content,
                                                                                   what):
    fixture = make_repo(tmp_path / "source", {name: content or human_diff_text()})
    tasks = write_tasks(tmp_path / "tasks.jsonl", fixture, [{"id": "leaky-tree"}])
    use_standin(monkeypatch, tmp_path / "bin")
    results = run(config(tmp_path, tasks, excludes=()))
    meta = results["leaky-tree"]
    assert meta.status == AgentStatus.LEAK_REFUSED
    assert any(f"workspace contains the {what}" in leak for leak in meta.leaks), meta.leaks
    task_dir = results["_report"].run_dir / "leaky-tree"
    assert not (task_dir / "agent.log").exists() and meta.argv == []  # never started
    assert results["_report"].predictions_path.read_text() == ""
    assert json.loads((task_dir / "meta.json").read_text())["status"] == "leak_refused"


def test_a_custom_prompt_template_is_used_and_cannot_reach_the_commit(fixture, tmp_path):
    tasks = write_tasks(tmp_path / "tasks.jsonl", fixture, [{"id": "t", "description": "total() is slow."}])
    template = tmp_path / "prompt.j2"
    template.write_text("Speed up `{{ perf_command }}` within {{ time_budget }}. {{ description }}\n")
    plan = make_plan(config(tmp_path, tasks, prompt_template=template, time_budget_s=5400.0))
    assert plan.tasks[0].prompt == "Speed up `python bench.py` within 90 minutes. total() is slow.\n"
    for name in ("subject", "human_commit", "files_changed", "id"):  # the answer, or a pointer to it
        template.write_text(f"{{{{ {name} }}}}\n")
        with pytest.raises(UserError, match="unknown variable"):
            make_plan(config(tmp_path, tasks, prompt_template=template))
