"""`tribench agent run` then `tribench run`, through the real CLI, on the embedded demo suite.

The stage exists to feed `tribench run`: its predictions.jsonl must be measured as agent arms
with nothing in between. The stand-in agent runs as `claude` on the demo's four tasks (one task
gets a description that makes it break the benchmark script, a designed failure); then the
predictions are measured with two trials. Every agent arm must be `ok`, except the broken one,
which must be the agent's `crash`; baseline and human stay `ok`; the fake key appears in no file
of runs/, results/ or logs/.
"""

from __future__ import annotations

import json

from agentkit import FAKE_KEY, cli, env_with, files_containing, install_standin

from tribench.constants import Arm, Status
from tribench.demo import build_demo_suite
from tribench.store import load_results

BROKEN = "words-regex"


def test_agent_run_then_run_measures_the_agents_arms(tmp_path):
    suite = build_demo_suite(tmp_path / "suite")
    rows = [json.loads(line) for line in suite.tasks_path.read_text().splitlines()]
    for row in rows:  # the demo's rows have no description; one gets a designed failure
        if row["id"] == BROKEN:
            row["description"] = "Splitting text into words is slow.\nstandin-mode: break"
    tasks = tmp_path / "tasks.jsonl"
    tasks.write_text("".join(json.dumps(row) + "\n" for row in rows))
    env = env_with(install_standin(tmp_path / "bin"), ANTHROPIC_API_KEY=FAKE_KEY)

    agent = cli("agent", "run", str(tasks), "--agent", "claude-code", "--model", "standin", "--jobs", "2",
                "--time-budget", "60s", "--runs", str(tmp_path / "runs"), env=env, cwd=tmp_path)
    assert agent.returncode == 0, agent.stdout + agent.stderr
    predictions = next((tmp_path / "runs" / "claude-code" / "standin").glob("*/predictions.jsonl"))
    assert len(predictions.read_text().splitlines()) == 4

    measured = cli("run", str(tasks), "--patches", str(predictions), "--results", str(tmp_path / "results"),
                   "--trials", "2", env=env, cwd=tmp_path)
    assert measured.returncode == 0, measured.stdout + measured.stderr
    records = load_results(tmp_path / "results").records
    arms = {r.instance.task_id: r.result for r in records if r.result.agent_name == "claude-code/standin"}
    assert set(arms) == {row["id"] for row in rows}
    for task_id, result in arms.items():
        assert result.arm(Arm.BASELINE).status == Status.OK and result.arm(Arm.HUMAN).status == Status.OK
        expected = Status.CRASH if task_id == BROKEN else Status.OK
        assert result.arm(Arm.AGENT).status == expected, (task_id, result.arm(Arm.AGENT))
    assert files_containing(tmp_path / "runs", FAKE_KEY) == []
    assert files_containing(tmp_path / "results", FAKE_KEY) == []
    assert files_containing(tmp_path / "logs", FAKE_KEY) == []
