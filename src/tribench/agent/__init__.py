"""The agent stage: run coding agents on tasks, leak-proof, and turn what they did into predictions.

    tasks ─▶ agent ─▶ patches (predictions.jsonl) ─▶ run ─▶ ...

Per task: a sandbox clone at the parent that cannot reveal the human commit (`sandbox`), a
prompt from a template (`prompt`) that is leak-checked with the workspace (`leak`), the agent's
CLI run headless through its adapter (`adapters`) under a wall-clock budget with a scratch HOME
(`supervise`, `scratch`), writes outside the workspace detected (`guard`), the change captured as
a git diff (`capture`), credentials redacted (`redact`), and meta.json written (`meta`). The
orchestration, resume and predictions.jsonl are in `runner`.

Public API: `AgentRunConfig`, `run_agents`, `get_adapter`, `AgentStatus`.
"""

from tribench.agent.adapters import ADAPTERS, CommandAdapter, get_adapter
from tribench.agent.constants import AgentStatus
from tribench.agent.plan import AgentRunConfig
from tribench.agent.runner import AgentRunReport, run_agents

__all__ = ["ADAPTERS", "AgentRunConfig", "AgentRunReport", "AgentStatus", "CommandAdapter", "get_adapter",
           "run_agents"]
