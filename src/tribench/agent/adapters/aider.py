"""Aider (`aider --message-file`), scripted.

Invocation, from aider's scripting guide and options reference
(https://aider.chat/docs/scripting.html, https://aider.chat/docs/config/options.html):
    aider --message-file prompt.md --yes-always --no-auto-commits --no-dirty-commits --no-gitignore
          --no-check-update --no-analytics --no-pretty --no-stream --no-show-model-warnings
          --chat-history-file SCRATCH/trajectory.md --input-history-file SCRATCH/input.history
          [--model M] [TARGET_FILE ...]
- `--message-file` sends one message, applies the edits and exits; `--yes-always` answers every
  confirmation (adding files, running commands);
- `--no-auto-commits`/`--no-dirty-commits` keep the change in the working tree;
  `--no-gitignore` stops it adding `.aider*` to .gitignore (which would be part of the patch);
- the chat history (the trajectory) is written to the scratch folder, not the workspace;
- the task's `target_files` are added to the chat as positional files.
Aider prints `Tokens: 2.1k sent, 340 received. Cost: $0.01 message, $0.03 session.` after each
reply: tokens are summed, the cost is the last session total.
Credentials: ANTHROPIC_API_KEY / OPENAI_API_KEY / ... (whichever the model needs), from the environment.
"""

from __future__ import annotations

import re

from tribench.agent.adapters.base import AgentInput, Adapter, Invocation, Usage

_TOKENS = re.compile(r"Tokens:\s*([\d.]+)([kKmM]?)\s+sent,\s*([\d.]+)([kKmM]?)\s+received")
_COST = re.compile(r"Cost:\s*\$([\d.]+)\s+message,\s*\$([\d.]+)\s+session")
_SCALE = {"": 1, "k": 1_000, "m": 1_000_000}


class Aider(Adapter):
    name = "aider"
    binary = "aider"
    install = "python -m pip install aider-install && aider-install  (https://aider.chat/docs/install.html)"

    def invocation(self, run: AgentInput) -> Invocation:
        trajectory = run.scratch / "trajectory.md"
        argv = [run.binary, "--message-file", str(run.prompt_file), "--yes-always", "--no-auto-commits",
                "--no-dirty-commits", "--no-gitignore", "--no-check-update", "--no-analytics", "--no-pretty",
                "--no-stream", "--no-show-model-warnings", "--chat-history-file", str(trajectory),
                "--input-history-file", str(run.scratch / "input.history")]
        if run.model:
            argv += ["--model", run.model]
        argv += list(run.target_files)
        log = run.scratch / "agent.log"
        return Invocation(argv=argv, stdout=log, stderr=log, trajectory=trajectory, trajectory_name="trajectory.md")

    def usage(self, log_text: str, trajectory_text: str | None) -> Usage:
        usage = Usage()
        for sent, s_unit, received, r_unit in _TOKENS.findall(log_text):
            usage.add_tokens("input_tokens", float(sent) * _SCALE[s_unit.lower()])
            usage.add_tokens("output_tokens", float(received) * _SCALE[r_unit.lower()])
        costs = _COST.findall(log_text)
        if costs:
            usage.cost_usd = float(costs[-1][1])
            usage.turns = len(costs)
        return usage
