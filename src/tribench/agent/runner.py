"""`tribench agent run`: every task's agent, in its sandbox, into runs/ and predictions.jsonl.

    runs/<agent>/<model>/<run id>/run.json              what was run (written first)
    runs/<agent>/<model>/<run id>/predictions.jsonl     {instance_id, model_name_or_path, model_patch}
    runs/<agent>/<model>/<run id>/<task>/prompt.md      the prompt as given
                                       .../agent.log    the agent's output (credentials redacted)
                                       .../trajectory.* its trajectory, when it writes one (redacted)
                                       .../patch.diff   the submitted change
                                       .../meta.json    status, timings, files, size, cost, tokens

Resume: a rerun of the same agent, model, budget, template and excludes continues the latest
matching run folder and keeps every task whose meta.json is final for the same inputs (task,
parent, prompt) and whose patch.diff still has the recorded hash; `force` starts a new folder.
predictions.jsonl is rewritten after every task, so an interrupted run still leaves one.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from tribench.agent.adapters import AgentInput
from tribench.agent.capture import CaptureError, CapturedPatch, Excludes, capture_patch
from tribench.agent.constants import (AGENT_LOG_FILENAME, META_FILENAME, PATCH_FILENAME, PREDICTIONS_FILENAME,
                                      PROMPT_FILENAME, REFUSED_PATCH_FILENAME, RUN_FILENAME, AgentStatus)
from tribench.agent.guard import Guard, WorkspaceWatch, guard_areas
from tribench.agent.leak import workspace_leaks
from tribench.agent.meta import RunInfo, TaskMeta, read_meta, write_json_model
from tribench.agent.plan import AgentRunConfig, Plan, TaskPlan, make_plan
from tribench.agent.redact import Redactor
from tribench.agent.sandbox import SandboxError, create_sandbox, seal_problems
from tribench.agent.scratch import Scratch
from tribench.agent.supervise import agent_env, supervise
from tribench.gitcmd import is_url
from tribench.paths import agent_run_dir, agent_runs_dir, agent_task_dir, slug
from tribench.store import atomic_write_bytes, atomic_write_text


@dataclass
class AgentRunReport:
    run_dir: Path
    predictions_path: Path
    metas: list[TaskMeta] = field(default_factory=list)
    resumed: list[str] = field(default_factory=list)  # task ids kept from an earlier attempt


@dataclass
class _Context:
    config: AgentRunConfig
    binary: str
    run_dir: Path
    excludes: Excludes
    redactor: Redactor
    lock: threading.Lock = field(default_factory=threading.Lock)
    stop: threading.Event = field(default_factory=threading.Event)  # set on Ctrl-C: agents are killed


def run_agents(config: AgentRunConfig, *, on_task: Callable[[TaskMeta, bool], None] | None = None) -> AgentRunReport:
    """Run the agent on every task (validated first); `on_task(meta, resumed)` is called as each ends."""
    binary = config.adapter.locate(os.environ.get("PATH"))
    plan = make_plan(config)
    run_dir = _run_dir(config, plan)
    ctx = _Context(config, binary, run_dir, Excludes(config.excludes), Redactor.from_env())
    report = AgentRunReport(run_dir, run_dir / PREDICTIONS_FILENAME)
    done: dict[str, TaskMeta] = {}

    def one(task_plan: TaskPlan) -> None:
        task_dir = agent_task_dir(run_dir, task_plan.task.id)
        old = read_meta(task_dir / META_FILENAME)
        resumed = old is not None and old.finished(task_dir, task_plan.input_key)
        meta = old if resumed else run_task(task_plan, ctx)
        with ctx.lock:
            done[task_plan.task.id] = meta
            if resumed:
                report.resumed.append(task_plan.task.id)
            _write_predictions(report.predictions_path, plan, done, run_dir)
        if on_task:
            on_task(meta, resumed)

    pool = ThreadPoolExecutor(max_workers=max(1, config.jobs), thread_name_prefix="agent")
    try:
        list(pool.map(one, plan.tasks))  # list(): re-raise the first exception of a worker
    except BaseException:
        # Ctrl-C (or a bug) in one place: kill every running agent, start no new one.
        ctx.stop.set()
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
    report.metas = [done[p.task.id] for p in plan.tasks]
    _write_predictions(report.predictions_path, plan, done, run_dir)
    return report


def _run_dir(config: AgentRunConfig, plan: Plan) -> Path:
    """The latest run folder with the same run key (resume), or a new one; run.json written first."""
    parent = agent_runs_dir(config.runs_dir, config.agent_name, config.model)
    if not config.force and parent.is_dir():
        for candidate in sorted((p for p in parent.iterdir() if p.is_dir()), reverse=True):
            try:
                info = json.loads((candidate / RUN_FILENAME).read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            if info.get("run_key") == plan.run_key:
                return candidate
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    run_dir, n = agent_run_dir(config.runs_dir, config.agent_name, config.model, stamp), 1
    while run_dir.exists():  # two runs in the same second
        n += 1
        run_dir = agent_run_dir(config.runs_dir, config.agent_name, config.model, f"{stamp}-{n}")
    run_dir.mkdir(parents=True)
    redactor = Redactor.from_env()
    write_json_model(run_dir / RUN_FILENAME, RunInfo(
        run_key=plan.run_key, agent=config.agent_name, model=config.model,
        model_name_or_path=config.model_name_or_path, command=[redactor.text(a) for a in plan.command],
        time_budget_s=config.time_budget_s, prompt_template=str(config.prompt_template or "default"),
        prompt_template_sha256=plan.template_sha256, excludes=list(config.excludes),
        tasks_path=str(Path(config.tasks_path).resolve()), started_at=_now()))
    return run_dir


def _write_predictions(path: Path, plan: Plan, done: dict[str, TaskMeta], run_dir: Path) -> None:
    """Every submitted patch of the run folder, in task-file order; tasks left out by --task keep theirs."""
    rows = []
    for task_id in plan.all_ids:
        task_dir = agent_task_dir(run_dir, task_id)
        meta = done.get(task_id) or read_meta(task_dir / META_FILENAME)
        if meta is None or not meta.submitted or not (task_dir / PATCH_FILENAME).is_file():
            continue
        data = (task_dir / PATCH_FILENAME).read_bytes()
        if hashlib.sha256(data).hexdigest() != meta.patch_sha256:
            continue  # edited since: never submit a patch that is not the agent's
        rows.append(json.dumps({"instance_id": meta.task_id, "model_name_or_path": meta.model_name_or_path,
                                "model_patch": data.decode("utf-8", errors="surrogateescape")}))
    atomic_write_text(path, "".join(row + "\n" for row in rows))


def run_task(task_plan: TaskPlan, ctx: _Context) -> TaskMeta:
    """One task from a clean task folder: sandbox, leak check, agent, guard, capture, meta.json."""
    task_dir = agent_task_dir(ctx.run_dir, task_plan.task.id)
    for name in (PROMPT_FILENAME, AGENT_LOG_FILENAME, PATCH_FILENAME, REFUSED_PATCH_FILENAME, META_FILENAME):
        (task_dir / name).unlink(missing_ok=True)
    for old in task_dir.glob("trajectory.*"):
        old.unlink()
    task_dir.mkdir(parents=True, exist_ok=True)
    atomic_write_text(task_dir / PROMPT_FILENAME, ctx.redactor.text(task_plan.prompt))
    config = ctx.config
    meta = TaskMeta(task_id=task_plan.task.id, model_name_or_path=config.model_name_or_path,
                    input_key=task_plan.input_key, status=AgentStatus.ERROR, parent=task_plan.parent,
                    started_at=_now(), time_budget_s=config.time_budget_s, credential_vars=ctx.redactor.names)
    area = None
    try:
        area = Scratch.create(task_plan.prompt, config.scratch_dir)
        _attempt(task_plan, ctx, area, meta, task_dir)
    except (SandboxError, CaptureError, OSError, RuntimeError) as exc:
        meta.status, meta.reason = AgentStatus.ERROR, ctx.redactor.text(f"{type(exc).__name__}: {exc}")
    finally:
        if area is not None and not config.keep_scratch:
            area.remove()
    write_json_model(task_dir / META_FILENAME, meta)
    return meta


def _attempt(task_plan: TaskPlan, ctx: _Context, area: Scratch, meta: TaskMeta, task_dir: Path) -> None:
    config, task = ctx.config, task_plan.task
    sandbox = create_sandbox(task_plan.mirror, task_plan.parent, area.box / slug(_repo_name(task.repo)))
    problems = seal_problems(sandbox, task_plan.parent, task_plan.human)
    problems += [leak.describe() for leak in workspace_leaks(sandbox, task_plan.change, config.leak_threshold)]
    if problems:
        meta.status, meta.leaks = AgentStatus.LEAK_REFUSED, problems
        meta.reason = "the workspace would show the agent the human change; the agent was not started"
        return
    invocation = config.adapter.invocation(AgentInput(
        binary=ctx.binary, prompt_file=area.prompt, workdir=sandbox, scratch=area.raw, home=area.home,
        model=config.model, target_files=tuple(task.target_files)))
    meta.argv = [ctx.redactor.text(arg) for arg in invocation.argv]
    source = None if is_url(task.repo) else Path(task.repo).expanduser().resolve()
    guard = Guard.take(guard_areas(area.box, sandbox, source))
    watch = WorkspaceWatch(sandbox, ctx.excludes.match)
    outcome = supervise(invocation, cwd=sandbox, env=agent_env(area.home, area.tmp, invocation.env),
                        budget_s=config.time_budget_s, watch=watch, stop=ctx.stop)
    meta.duration_s, meta.timed_out, meta.exit_code = outcome.duration_s, outcome.timed_out, outcome.exit_code
    meta.time_to_first_edit_s, meta.first_edit_method = outcome.first_edit_s, outcome.first_edit_method
    meta.outside_writes = guard.changes()
    _copy_logs(invocation, ctx, meta, task_dir)
    _settle(capture_patch(sandbox, task_plan.parent, ctx.excludes), ctx, meta, task_dir)


def _copy_logs(invocation, ctx: _Context, meta: TaskMeta, task_dir: Path) -> None:
    """Redacted copies of the log and trajectory; cost and tokens parsed from them."""
    log_text = traj_text = None
    if invocation.stderr.is_file():
        ctx.redactor.copy(invocation.stderr, task_dir / AGENT_LOG_FILENAME)
        log_text = invocation.stderr.read_text(encoding="utf-8", errors="replace")
    if invocation.trajectory is not None and invocation.trajectory.is_file():
        ctx.redactor.copy(invocation.trajectory, task_dir / invocation.trajectory_name)
        traj_text = invocation.trajectory.read_text(encoding="utf-8", errors="replace")
        meta.trajectory = invocation.trajectory_name
    usage = ctx.config.adapter.usage(log_text or "", traj_text)
    meta.cost_usd, meta.input_tokens, meta.output_tokens = usage.cost_usd, usage.input_tokens, usage.output_tokens
    meta.cached_input_tokens, meta.turns = usage.cached_input_tokens, usage.turns


def _settle(patch: CapturedPatch, ctx: _Context, meta: TaskMeta, task_dir: Path) -> None:
    """The status, and where the patch goes: submitted, kept as refused, or (a credential in it) dropped."""
    meta.files_changed, meta.patch_bytes = patch.files, len(patch.data)
    meta.patch_sha256 = None if patch.empty else patch.sha256
    secrets = ctx.redactor.found_in(patch.text)
    if meta.outside_writes:
        meta.status = AgentStatus.OUTSIDE_WRITE
        meta.reason = f"wrote {len(meta.outside_writes)} path(s) outside its workspace; its patch is refused"
        if not patch.empty and not secrets:
            atomic_write_bytes(task_dir / REFUSED_PATCH_FILENAME, patch.data)
    elif patch.empty:
        meta.status, meta.reason = AgentStatus.NO_PATCH, _stopped(meta) + "; the workspace is unchanged"
    elif secrets:
        meta.status = AgentStatus.SECRET_IN_PATCH
        meta.reason = f"the change contains the value of {', '.join(secrets)}; it is neither written nor submitted"
    else:
        atomic_write_bytes(task_dir / PATCH_FILENAME, patch.data)
        meta.submitted = True
        meta.status = (AgentStatus.TIMEOUT if meta.timed_out else
                       AgentStatus.OK if meta.exit_code == 0 else AgentStatus.AGENT_FAILED)
        meta.reason = None if meta.status == AgentStatus.OK else _stopped(meta) + "; its change is submitted"


def _stopped(meta: TaskMeta) -> str:
    if meta.timed_out:
        return f"the time budget ({meta.time_budget_s:g}s) ran out and its process tree was killed"
    return f"the agent exited with {meta.exit_code}"


def _repo_name(repo: str) -> str:
    return repo.rstrip("/").rsplit("/", 1)[-1].rsplit(":", 1)[-1].removesuffix(".git") or "repo"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
