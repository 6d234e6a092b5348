"""Any other agent: a command template (`--agent-cmd`), run with `sh -c` in the workspace.

    tribench agent run tasks.jsonl --agent-cmd 'my-agent --task {prompt_file} --repo {workdir}'

Placeholders (each replaced by a shell-quoted value): `{prompt_file}`, `{workdir}`, `{model}`
(empty when --model is not given), `{trajectory_file}` (a file in the scratch folder the agent
may write; it is copied to runs/ as trajectory.jsonl), `{home}` (the per-task HOME). The prompt is
also fed on stdin. stdout and stderr go to agent.log. Credentials stay in the environment: write
`$MY_KEY` in the template, never the value (the command is recorded in meta.json).
Cost: if the agent prints (or writes to {trajectory_file}) a JSON line with `total_cost_usd`
(or `cost_usd`) and `usage: {input_tokens, output_tokens}`, like Claude Code's result line, it
is recorded.
"""

from __future__ import annotations

import shlex
import shutil
import string
from pathlib import Path

from tribench.agent.adapters.base import AgentInput, Adapter, Invocation, Usage, json_lines, number
from tribench.errors import UserError

PLACEHOLDERS = ("prompt_file", "workdir", "model", "trajectory_file", "home")


class CommandAdapter(Adapter):
    install = "give an absolute path, or put the program on PATH"

    def __init__(self, template: str, name: str):
        self.template = template
        self.name = name
        self.binary = _program(template)

    def locate(self, path_env: str | None) -> str:
        """The template's program must exist: a bare name on PATH, or a path."""
        if "/" in self.binary:
            if not Path(self.binary).is_file():
                raise UserError(f"the --agent-cmd program {self.binary} does not exist", field="--agent-cmd")
            return self.binary
        if shutil.which(self.binary, path=path_env) is None:
            raise UserError(f"the --agent-cmd program `{self.binary}` is not on PATH; {self.install}",
                            field="--agent-cmd")
        return self.binary

    def invocation(self, run: AgentInput) -> Invocation:
        trajectory = run.scratch / "trajectory.jsonl"
        values = {"prompt_file": run.prompt_file, "workdir": run.workdir, "model": run.model or "",
                  "trajectory_file": trajectory, "home": run.home}
        command = self.template.format(**{k: shlex.quote(str(v)) for k, v in values.items()})
        log = run.scratch / "agent.log"
        return Invocation(argv=["sh", "-c", command], stdin=run.prompt_file, stdout=log, stderr=log,
                          trajectory=trajectory, trajectory_name="trajectory.jsonl")

    def usage(self, log_text: str, trajectory_text: str | None) -> Usage:
        usage = Usage()
        reports = [m for m in [*json_lines(log_text), *json_lines(trajectory_text)]
                   if "total_cost_usd" in m or "cost_usd" in m or isinstance(m.get("usage"), dict)]
        if reports:
            final = reports[-1]
            usage.cost_usd = number(final.get("total_cost_usd", final.get("cost_usd")))
            tokens = final.get("usage") if isinstance(final.get("usage"), dict) else {}
            usage.add_tokens("input_tokens", tokens.get("input_tokens"))
            usage.add_tokens("output_tokens", tokens.get("output_tokens"))
        return usage


def check_template(template: str) -> None:
    """Unknown placeholders, unbalanced braces or an empty command are UserErrors, before any task runs."""
    try:
        fields = [f for _, f, _, _ in string.Formatter().parse(template) if f is not None]
    except ValueError as exc:
        raise UserError(f"--agent-cmd is not a valid template ({exc}); write a literal brace as {{{{ or }}}}",
                        field="--agent-cmd") from None
    unknown = sorted({f for f in fields if f not in PLACEHOLDERS})
    if unknown:
        raise UserError(f"--agent-cmd uses unknown placeholder(s) {unknown}; known: "
                        f"{', '.join('{' + p + '}' for p in PLACEHOLDERS)}", field="--agent-cmd")
    _program(template)


def _program(template: str) -> str:
    try:
        words = shlex.split(template)
    except ValueError as exc:
        raise UserError(f"--agent-cmd cannot be parsed as a shell command: {exc}", field="--agent-cmd") from None
    words = [w for w in words if "=" not in w.split("/")[0]]  # skip leading VAR=value assignments
    if not words:
        raise UserError("--agent-cmd is empty", field="--agent-cmd")
    return words[0]
