"""Legacy outcomes -> `Status`, and who owns a failed arm.

The seed's files say `"success"` or `"error"` plus a free-text `error`, and keep the tail of
the run's output. The rules below, tried in order, were built from every error string in the
seed's results tree (fixtures/isobench) and the output lines that explain them:

| # | evidence | status | example in the fixtures |
|---|---|---|---|
| 1 | status success/ok and at least one metric | ok | |
| 2 | status success/ok, no metric | no_metrics | |
| 3 | output: the Docker image could not be pulled | setup_failed | "manifest unknown" (separate_agent, "No metrics in agent output": nothing ran) |
| 4 | error says "timed out" / "timeout" | timeout | runner report: "timed out after 5400 seconds" |
| 5 | error or output: the patch did not apply | patch_failed | |
| 6 | error "crashed after applying patch", output shows a failure the patch cannot cause | setup_failed | "undefined symbol: cuTensorMapEncodeTiled" in the image's `_C.abi3.so`; "Unknown RoPE scaling type llama3" (the parent's vLLM cannot load the model) |
| 7 | error "crashed after applying patch" otherwise | crash | "NameError: name 'vllm_ops' is not defined" |
| 8 | error mentions the server | server_failed | "Server crashed during startup" |
| 9 | error says no metrics | no_metrics | "No throughput metrics in output", "No latency metrics in output" |
| 10 | any other error | crash | |

Rule 6 matters for ownership: DESIGN.md charges the agent with crashes of *its* code only, and
these crashes happen in the unpatched environment (the same RoPE error crashes the human arm).

Owners follow DESIGN.md's table through `compare.assign_owners` (baseline: infra; human:
task; agent: the agent's only while baseline and human are not failed), except that a setup
failure of the agent arm is the environment's (infra), as `compare.failure_owner` says.
"""

from __future__ import annotations

import re

from tribench.compare import assign_owners as compare_assign_owners
from tribench.constants import Arm, Owner, Status
from tribench.model import ArmResult

_SUCCESS = {"success", "ok", "succeeded", "completed", "done"}
_IMAGE_MISSING = re.compile(r"manifest unknown|pull access denied|docker: Error response from daemon", re.I)
_TIMEOUT = re.compile(r"timed out|timeout", re.I)
_PATCH_FAILED = re.compile(
    r"patch (?:failed|does not apply)|failed to apply|Hunk #\d+ FAILED|can't find file to patch|corrupt patch", re.I
)
_AFTER_PATCH = re.compile(r"after applying (?:the )?patch", re.I)
_SERVER = re.compile(r"server", re.I)
_NO_METRICS = re.compile(r"\bno\b.*\bmetrics\b", re.I)
# Failures of the environment the agent's (Python) patch cannot cause (rule 6).
_ENVIRONMENT = [
    (re.compile(r"undefined symbol", re.I), "compiled extension does not load in this environment"),
    (re.compile(r"Unknown RoPE scaling type", re.I), "the arm's vLLM cannot load the task's model"),
    (re.compile(r"No module named '(?:vllm|transformers)[\w.]*'|Could not find Python with vLLM", re.I),
     "the image lacks vLLM or its dependencies"),
]


def _matching_line(pattern: re.Pattern[str], text: str) -> str | None:
    for line in text.splitlines():
        if pattern.search(line):
            return line.strip()[:200]
    return None


def classify(status: object, error: object, has_metrics: bool, output: object = None) -> tuple[Status, str | None]:
    """The `Status` of a legacy arm and the error text to keep (legacy error + evidence)."""
    legacy = str(status or "").strip().lower()
    err = str(error or "").strip()
    out = output if isinstance(output, str) else ""
    if legacy in _SUCCESS:
        return (Status.OK, err or None) if has_metrics else (Status.NO_METRICS, err or "success without any metric")
    evidence = _matching_line(_IMAGE_MISSING, out)
    if evidence:
        return Status.SETUP_FAILED, _join(err, f"image not available: {evidence}")
    if _TIMEOUT.search(err):
        return Status.TIMEOUT, err
    evidence = _matching_line(_PATCH_FAILED, err) or _matching_line(_PATCH_FAILED, out)
    if evidence:
        return Status.PATCH_FAILED, _join(err, evidence)
    if _AFTER_PATCH.search(err):
        for pattern, why in _ENVIRONMENT:
            evidence = _matching_line(pattern, out)
            if evidence:
                return Status.SETUP_FAILED, _join(err, f"{why}: {evidence}")
        return Status.CRASH, err
    if _SERVER.search(err):
        return Status.SERVER_FAILED, err
    if _NO_METRICS.search(err) or not err:
        return Status.NO_METRICS, err or f"status {legacy or 'missing'} without metrics"
    return Status.CRASH, err


def _join(error: str, evidence: str) -> str:
    return f"{error} ({evidence})" if error else evidence


def assign_owners(arms: dict[Arm, ArmResult]) -> dict[Arm, ArmResult]:
    """Every arm's owner: the shared rule of `compare.assign_owners`, plus setup failures.

    An agent arm whose code never ran (image missing, environment broken) is the environment's
    failure, as `compare.failure_owner` says for the task: never charged to the agent.
    """
    arms = compare_assign_owners(arms)
    agent = arms[Arm.AGENT]
    if agent.status in (Status.SETUP_FAILED, Status.NEEDS_BUILD):
        agent.owner = Owner.INFRA
    return arms
