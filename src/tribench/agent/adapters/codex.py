"""OpenAI Codex CLI (`codex exec`), non-interactive.

Invocation, from OpenAI's non-interactive mode docs (https://developers.openai.com/codex/noninteractive)
and the `codex exec --json -` event stream (openai/codex `codex-rs/exec/src/exec_events.rs`):
    codex exec --json --sandbox workspace-write --skip-git-repo-check --cd WORKDIR [--model M] -  < prompt.md
- `exec` runs without the TUI; `-` reads the prompt on stdin;
- `--json` prints JSONL events (the trajectory) on stdout: `thread.started`, `item.*`, and one
  `turn.completed` per turn carrying `usage: {input_tokens, cached_input_tokens, output_tokens}`;
  progress goes to stderr (the log);
- `--sandbox workspace-write` allows edits in the workspace only (exec defaults to read-only;
  the older `--full-auto` alias is deprecated).
Credentials: CODEX_API_KEY (exec's documented key variable) or OPENAI_API_KEY, from the
environment; HOME (hence CODEX_HOME) is a per-task scratch folder, so no saved login is used.
Codex reports tokens, not cost.
"""

from __future__ import annotations

from tribench.agent.adapters.base import AgentInput, Adapter, Invocation, Usage, json_lines


class Codex(Adapter):
    name = "codex"
    binary = "codex"
    install = "npm install -g @openai/codex  (https://developers.openai.com/codex/cli)"

    def invocation(self, run: AgentInput) -> Invocation:
        argv = [run.binary, "exec", "--json", "--sandbox", "workspace-write", "--skip-git-repo-check",
                "--cd", str(run.workdir)]
        if run.model:
            argv += ["--model", run.model]
        argv.append("-")
        trajectory = run.scratch / "trajectory.jsonl"
        return Invocation(argv=argv, stdin=run.prompt_file, stdout=trajectory, stderr=run.scratch / "agent.log",
                          trajectory=trajectory, trajectory_name="trajectory.jsonl")

    def usage(self, log_text: str, trajectory_text: str | None) -> Usage:
        usage = Usage()
        turns = 0
        for event in json_lines(trajectory_text):
            if event.get("type") != "turn.completed":
                continue
            turns += 1
            tokens = event.get("usage") if isinstance(event.get("usage"), dict) else {}
            usage.add_tokens("input_tokens", tokens.get("input_tokens"))
            usage.add_tokens("output_tokens", tokens.get("output_tokens"))
            usage.add_tokens("cached_input_tokens", tokens.get("cached_input_tokens"))
        usage.turns = turns or None
        return usage
