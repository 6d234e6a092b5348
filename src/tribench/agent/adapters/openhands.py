"""OpenHands CLI (`openhands --headless`).

Invocation, from the OpenHands headless-mode docs (https://docs.openhands.dev/openhands/usage/cli/headless)
and the CLI's README (https://github.com/OpenHands/OpenHands-CLI):
    LLM_MODEL=M openhands --headless --json --override-with-envs -f prompt.md      (cwd: the workspace)
- `--headless` runs without the UI and always approves actions; `-f` reads the task from a file;
- `--json` streams one JSON event per line (the trajectory) on stdout;
- `--override-with-envs` makes it use LLM_MODEL / LLM_API_KEY / LLM_BASE_URL from the
  environment (by default it ignores them and reads ~/.openhands, which is a scratch folder here).
`--model M` is passed as LLM_MODEL (a model name, not a secret); LLM_API_KEY comes from the
environment. Cost: the largest `accumulated_cost` and token counts any event reports.
"""

from __future__ import annotations

from tribench.agent.adapters.base import AgentInput, Adapter, Invocation, Usage, json_lines, number


class OpenHands(Adapter):
    name = "openhands"
    binary = "openhands"
    install = "uv tool install openhands --python 3.12  (https://docs.openhands.dev/openhands/usage/cli/installation)"

    def invocation(self, run: AgentInput) -> Invocation:
        argv = [run.binary, "--headless", "--json", "--override-with-envs", "-f", str(run.prompt_file)]
        trajectory = run.scratch / "trajectory.jsonl"
        return Invocation(argv=argv, stdout=trajectory, stderr=run.scratch / "agent.log",
                          env={"LLM_MODEL": run.model} if run.model else {},
                          trajectory=trajectory, trajectory_name="trajectory.jsonl")

    def usage(self, log_text: str, trajectory_text: str | None) -> Usage:
        usage = Usage()
        for event in json_lines(trajectory_text):
            for found in _walk(event):
                cost = number(found.get("accumulated_cost"))
                if cost is not None:
                    usage.cost_usd = max(cost, usage.cost_usd or 0.0)
                tokens = found.get("accumulated_token_usage")
                if isinstance(tokens, dict):
                    usage.input_tokens = _max(usage.input_tokens, tokens.get("prompt_tokens"))
                    usage.output_tokens = _max(usage.output_tokens, tokens.get("completion_tokens"))
        return usage


def _walk(value):
    """Every dict nested in an event (metrics sit at different depths across versions)."""
    if isinstance(value, dict):
        yield value
        for child in value.values():
            yield from _walk(child)
    elif isinstance(value, list):
        for child in value:
            yield from _walk(child)


def _max(current: int | None, value) -> int | None:
    found = number(value)
    return current if found is None else max(int(found), current or 0)
