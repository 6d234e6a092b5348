"""TRAE Agent (`trae-cli run`).

Invocation, from bytedance/trae-agent `trae_agent/cli.py` (the `run` command's click options)
and its README:
    trae-cli run --file prompt.md --working-dir WORKDIR --trajectory-file SCRATCH/trajectory.json
                 --console-type simple [--provider P] [--model M]
- `--file` reads the task from a file; `--working-dir` must be absolute (it is);
- `--trajectory-file` is where it records every LLM interaction and agent step (JSON);
- `--model provider/name` is split at the first `/` into `--provider provider --model name`.
Configuration: trae-cli needs its YAML config; its own `--config-file` option reads
TRAE_CONFIG_FILE from the environment, so point that at your (absolute) config file. Keys come
from that file or the environment, never from tribench.
Tokens: the sum of `llm_interactions[*].response.usage.{input_tokens,output_tokens}`.
"""

from __future__ import annotations

import json

from tribench.agent.adapters.base import AgentInput, Adapter, Invocation, Usage


class Trae(Adapter):
    name = "trae"
    binary = "trae-cli"
    install = ("git clone https://github.com/bytedance/trae-agent && cd trae-agent && uv sync --all-extras "
               "(then put .venv/bin on PATH and set TRAE_CONFIG_FILE)")

    def invocation(self, run: AgentInput) -> Invocation:
        trajectory = run.scratch / "trajectory.json"
        argv = [run.binary, "run", "--file", str(run.prompt_file), "--working-dir", str(run.workdir),
                "--trajectory-file", str(trajectory), "--console-type", "simple"]
        if run.model:
            provider, _, model = run.model.partition("/") if "/" in run.model else ("", "", run.model)
            argv += (["--provider", provider] if provider else []) + ["--model", model]
        log = run.scratch / "agent.log"
        return Invocation(argv=argv, stdout=log, stderr=log, trajectory=trajectory, trajectory_name="trajectory.json")

    def usage(self, log_text: str, trajectory_text: str | None) -> Usage:
        usage = Usage()
        try:
            data = json.loads(trajectory_text or "")
        except ValueError:
            return usage
        interactions = data.get("llm_interactions") if isinstance(data, dict) else None
        for item in interactions if isinstance(interactions, list) else []:
            response = item.get("response") if isinstance(item, dict) else None
            tokens = response.get("usage") if isinstance(response, dict) else None
            if isinstance(tokens, dict):
                usage.add_tokens("input_tokens", tokens.get("input_tokens"))
                usage.add_tokens("output_tokens", tokens.get("output_tokens"))
        usage.turns = len(interactions) if isinstance(interactions, list) and interactions else None
        return usage
