"""The agent registry: `--agent NAME` -> its adapter, imported only when chosen.

| name        | executable  | headless invocation (sources in each module)                          |
|-------------|-------------|-----------------------------------------------------------------------|
| claude-code | claude      | claude -p --output-format stream-json --verbose --dangerously-skip-permissions < prompt |
| codex       | codex       | codex exec --json --sandbox workspace-write --skip-git-repo-check --cd W - < prompt |
| openhands   | openhands   | openhands --headless --json --override-with-envs -f prompt            |
| trae        | trae-cli    | trae-cli run --file prompt --working-dir W --trajectory-file T        |
| aider       | aider       | aider --message-file prompt --yes-always --no-auto-commits ...        |
| (--agent-cmd) | yours     | sh -c '<template with {prompt_file} {workdir} {model} ...>'           |
"""

from __future__ import annotations

import difflib
from importlib import import_module

from tribench.agent.adapters.base import AgentInput, Adapter, Invocation, Usage
from tribench.agent.adapters.command import CommandAdapter, check_template
from tribench.errors import UserError

__all__ = ["ADAPTERS", "AgentInput", "Adapter", "CommandAdapter", "Invocation", "Usage", "check_template",
           "get_adapter"]

# name -> "module:class"; modules are imported on first use (STYLE.md, 31).
ADAPTERS: dict[str, str] = {
    "claude-code": "tribench.agent.adapters.claude_code:ClaudeCode",
    "codex": "tribench.agent.adapters.codex:Codex",
    "openhands": "tribench.agent.adapters.openhands:OpenHands",
    "trae": "tribench.agent.adapters.trae:Trae",
    "aider": "tribench.agent.adapters.aider:Aider",
}


def get_adapter(name: str) -> Adapter:
    """The adapter registered as `name`; an unknown name is a UserError with the closest match."""
    if name not in ADAPTERS:
        close = difflib.get_close_matches(name, list(ADAPTERS), n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise UserError(f"unknown agent {name!r}; known: {', '.join(ADAPTERS)}, or use --agent-cmd.{hint}",
                        field="--agent")
    module, _, cls = ADAPTERS[name].partition(":")
    adapter = getattr(import_module(module), cls)()
    if not isinstance(adapter, Adapter) or adapter.name != name:
        raise TypeError(f"{ADAPTERS[name]} is not the Adapter registered as {name!r}")
    return adapter
