"""Claude Code (`claude`), headless.

Invocation, from Anthropic's CLI reference and headless-mode docs
(https://docs.anthropic.com/en/docs/claude-code/cli-reference,
https://docs.anthropic.com/en/docs/claude-code/sdk/sdk-headless):
    claude -p --output-format stream-json --verbose --dangerously-skip-permissions [--model M]  < prompt.md
- `-p/--print` runs non-interactively; with no prompt argument it reads the prompt on stdin,
  which avoids the kernel's per-argument size limit for long prompts;
- `--output-format stream-json` prints one JSON message per line (the trajectory) ending with a
  `{"type": "result", "total_cost_usd": ..., "usage": {...}, "num_turns": ...}` line; in print
  mode it requires `--verbose`;
- `--dangerously-skip-permissions` lets it edit files and run the benchmark without asking
  (nobody is there to answer). As root, Claude Code refuses it unless `IS_SANDBOX=1` is set
  (anthropics/claude-code#3490): tribench does not set it for you, export it yourself if the
  machine is disposable.
Credentials: ANTHROPIC_API_KEY (or the Bedrock/Vertex variables) from the environment.
"""

from __future__ import annotations

from tribench.agent.adapters.base import AgentInput, Adapter, Invocation, Usage, json_lines, number


class ClaudeCode(Adapter):
    name = "claude-code"
    binary = "claude"
    install = "npm install -g @anthropic-ai/claude-code  (https://docs.anthropic.com/en/docs/claude-code)"

    def invocation(self, run: AgentInput) -> Invocation:
        argv = [run.binary, "-p", "--output-format", "stream-json", "--verbose", "--dangerously-skip-permissions"]
        if run.model:
            argv += ["--model", run.model]
        trajectory = run.scratch / "trajectory.jsonl"
        return Invocation(argv=argv, stdin=run.prompt_file, stdout=trajectory, stderr=run.scratch / "agent.log",
                          trajectory=trajectory, trajectory_name="trajectory.jsonl")

    def usage(self, log_text: str, trajectory_text: str | None) -> Usage:
        usage = Usage()
        results = [m for m in json_lines(trajectory_text) if m.get("type") == "result"]
        if not results:
            return usage
        final = results[-1]  # one per session; the last is the run's total
        usage.cost_usd = number(final.get("total_cost_usd"))
        tokens = final.get("usage") if isinstance(final.get("usage"), dict) else {}
        usage.add_tokens("input_tokens", tokens.get("input_tokens"))
        usage.add_tokens("output_tokens", tokens.get("output_tokens"))
        usage.add_tokens("cached_input_tokens", tokens.get("cache_read_input_tokens"))
        turns = number(final.get("num_turns"))
        usage.turns = int(turns) if turns is not None else None
        return usage
