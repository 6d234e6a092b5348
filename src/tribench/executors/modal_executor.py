"""The Modal executor: each task unit is one call of a Modal Function, in its own container.

    tribench run TASKS.jsonl --patches P.jsonl --executor modal --gpu H100 --max-containers 16

- **GPU pinned exactly.** `--gpu H100` (or the task's `resources.gpu_type`) is sent as `H100!`,
  the spelling Modal never serves with another model (modal_prices.toml says why); spellings
  that allow a substitute (`B200+`) or name no single model (`A100`) are refused.
- **Image from the task's `environment`** (base image, Python, apt, pip, commands, env), plus
  git, tribench's own requirements and the client's tribench source; one Modal Function per
  distinct (image, GPU, timeout).
- **Per-task timeout** from the task's `resources.timeout_s`, else derived from its timeouts and
  trial count (`unit_timeout`).
- **Retries of infrastructure failures only** (`--retries`, Modal `Retries`): the container
  raises only OSError/MemoryError (remote.py); preemption and container crashes are Modal's.
- **Concurrency cap**: `--max-containers` (Modal `max_containers`, and as many client threads).
- **GPU-seconds and cost per task** in each unit's `execution.json` (modal_prices.toml).

`call="local"` runs each unit's Function body in this process through Modal's own
`Function.local()` (no credentials, no container): the same work order, scratch folders, packed
result and unpacking as a remote call, which is how the tests run it on the demo suite.
Credentials are checked with Modal's client (`modal.Client.from_env`) before anything is
measured or written.
"""

from __future__ import annotations

import hashlib
import json
import sys
import tomllib
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files
from typing import Any, Literal

from tribench.constants import ExecutorName
from tribench.errors import UserError
from tribench.execute import TaskUnit, planned_trials
from tribench.executors import require
from tribench.executors.remote import WorkOrder, lost_unit, run_unit, unpack_unit_result
from tribench.gitcmd import is_url
from tribench.taskspec import EnvironmentSpec, TaskSpec

PRICES_FILENAME = "modal_prices.toml"
PRICES_FORMAT = 1
MAX_TIMEOUT_S = 24 * 3600  # Modal's longest Function timeout
_TIMEOUT_MARGIN_S = 900  # clone, worktrees and Modal's own start, on top of the task's own limits


@dataclass(frozen=True)
class GpuRequest:
    type: str  # key of the price table, e.g. "H100"
    modal: str  # exact spelling sent to Modal, e.g. "H100!" or "H100!:2"
    count: int
    usd_per_second: float | None


@cache
def load_price_table() -> dict[str, Any]:
    """modal_prices.toml, validated: {as_of, source, currency, gpu: {TYPE: {modal, usd_per_second?}}}."""
    where = f"tribench/executors/{PRICES_FILENAME}"
    data = tomllib.loads((files("tribench.executors") / PRICES_FILENAME).read_text(encoding="utf-8"))
    if data.get("format_version") != PRICES_FORMAT:
        raise UserError(f"format_version {data.get('format_version')!r} is not {PRICES_FORMAT}", path=where)
    for name, entry in data.get("gpu", {}).items():
        if not isinstance(entry.get("modal"), str):
            raise UserError("expected a `modal` spelling", path=where, field=f"gpu.{name}")
    return data


def pin_gpu(spec: str) -> GpuRequest:
    """`H100`, `h100:2`, `H100!` -> the exact Modal request; UserError for a type that is not exact."""
    table = load_price_table()["gpu"]
    name, _, count_text = spec.strip().partition(":")
    try:
        count = int(count_text) if count_text else 1
    except ValueError:
        raise UserError(f"GPU count in {spec!r} is not a number; e.g. H100:2") from None
    if count < 1:
        raise UserError(f"GPU count in {spec!r} must be at least 1")
    upper = name.upper()
    if upper.endswith("+"):
        raise UserError(f"{name} lets Modal substitute a newer GPU; pass {upper[:-1]} to measure on exactly one "
                        "model")
    key = upper.rstrip("!")
    if key == "A100":
        raise UserError("A100 may be a 40 GB or an 80 GB card; pass A100-40GB or A100-80GB")
    if key not in table:
        raise UserError(f"unknown Modal GPU type {name!r}; known: {', '.join(table)} "
                        f"(tribench/executors/{PRICES_FILENAME})")
    entry = table[key]
    exact = entry["modal"] if count == 1 else f"{entry['modal']}:{count}"
    return GpuRequest(key, exact, count, entry.get("usd_per_second"))


def unit_timeout(task: TaskSpec, trials: int | None, n_agents: int, infra_retries: int) -> int:
    """Seconds a Modal call may run: the task's `resources.timeout_s`, else every limit the
    task could use up (setup, correctness, warm-ups, trials with infra retries, server starts)
    plus a margin, capped at Modal's 24 hours."""
    if task.resources and task.resources.timeout_s:
        return min(int(task.resources.timeout_s), MAX_TIMEOUT_S)
    limits, arms, blocks = task.timeouts, 2 + n_agents, trials or task.trials
    per_block = limits.trial * (1 + infra_retries) + (limits.server_start if task.server_command else 0.0)
    total = arms * (limits.setup + limits.trial + task.warmups * limits.trial + blocks * per_block)
    return int(min(total + _TIMEOUT_MARGIN_S, MAX_TIMEOUT_S))


def tribench_requirements() -> list[str]:
    """tribench's own runtime requirements (no extras), from the installed distribution."""
    from importlib.metadata import PackageNotFoundError, requires

    try:
        return [r for r in (requires("tribench") or []) if "extra ==" not in r]
    except PackageNotFoundError:  # running from a source tree
        return ["pydantic>=2.6", "typer>=0.12", "rich>=13", "numpy>=1.26", "scipy>=1.11", "jinja2>=3.1"]


def build_image(modal, spec: EnvironmentSpec | None):
    """The container image for a task's environment spec (lazy: Modal builds it on first use)."""
    spec = spec or EnvironmentSpec()
    python = spec.python or f"{sys.version_info.major}.{sys.version_info.minor}"
    if spec.base_image:
        image = modal.Image.from_registry(spec.base_image, add_python=python)
    else:
        image = modal.Image.debian_slim(python_version=python)
    image = image.apt_install("git", *spec.apt).pip_install(*tribench_requirements())
    if spec.pip:
        image = image.pip_install(*spec.pip)
    if spec.commands:
        image = image.run_commands(*spec.commands)
    if spec.env:
        image = image.env(spec.env)
    return image.add_local_python_source("tribench")  # the client's tribench: the same version measures


@dataclass
class ModalExecutor:
    gpu: str | None = None  # `--gpu`: overrides every task's resources.gpu_type
    max_containers: int = 16
    retries: int = 2  # Modal Retries of infrastructure failures per unit
    app_name: str = "tribench"
    call: Literal["remote", "local"] = "remote"
    name: str = ExecutorName.MODAL
    _functions: dict[str, Any] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if self.max_containers < 1:
            raise UserError("--max-containers must be at least 1")
        if self.retries < 0:
            raise UserError("--retries must be 0 or more")
        if self.call not in ("remote", "local"):
            raise UserError(f"call must be remote or local, not {self.call!r}")
        if self.gpu:
            pin_gpu(self.gpu)  # a bad --gpu fails before anything else

    # -- before any work ---------------------------------------------------------------------

    def check(self, units: list[TaskUnit]) -> None:
        modal = _import_modal()
        for unit in units:
            self.gpu_for(unit.task)
        if self.call == "local":
            return
        _check_credentials(modal)
        for unit in units:
            if not is_url(unit.task.repo):
                raise UserError(f"task {unit.task.id!r}: repo {unit.task.repo} is a local path, which a Modal "
                                "container cannot read; give a git URL (the task file's `repo`)")

    def gpu_for(self, task: TaskSpec) -> GpuRequest | None:
        resources = task.resources
        if self.gpu:
            return pin_gpu(self.gpu)
        if resources and resources.gpu_type:
            return pin_gpu(f"{resources.gpu_type}:{resources.gpus or 1}")
        if resources and resources.gpus:
            raise UserError(f"task {task.id!r} asks for {resources.gpus} GPU(s) of no type: set resources.gpu_type "
                            "or pass --gpu")
        return None

    # -- the run ------------------------------------------------------------------------------

    def run(self, units, on_result, progress) -> None:
        modal = _import_modal()
        units = list(units)
        app = modal.App(self.app_name)
        calls = [(unit, self._function(modal, app, unit)) for unit in units]
        if self.call == "local":
            for unit, function in calls:
                on_result(self._call(unit, lambda order, f=function: f.local(order)))
                progress(planned_trials(unit))
            return
        with app.run(), ThreadPoolExecutor(self.max_containers) as pool:
            futures = {pool.submit(self._call, unit, function.remote): unit for unit, function in calls}
            for future in as_completed(futures):
                on_result(future.result())
                progress(planned_trials(futures[future]))

    def function_options(self, modal, unit: TaskUnit) -> dict[str, Any]:
        """The `App.function` options of a unit: image, exact GPU, timeout, retries, cap, cpu, memory."""
        task, config = unit.task, unit.config
        gpu = self.gpu_for(task)
        return {
            "image": build_image(modal, task.environment),
            "gpu": gpu.modal if gpu else None,
            "timeout": unit_timeout(task, config.trials, len(unit.predictions), config.infra_retries),
            "retries": modal.Retries(max_retries=self.retries, backoff_coefficient=2.0, initial_delay=10.0),
            "max_containers": self.max_containers,
            "cpu": task.resources.cpus if task.resources else None,
            "memory": task.resources.memory_mb if task.resources else None,
        }

    def _function(self, modal, app, unit: TaskUnit):
        """One Modal Function per distinct (environment, GPU, timeout, cpu, memory)."""
        options = self.function_options(modal, unit)
        plain = {k: v for k, v in options.items() if k not in ("image", "retries")}
        environment = unit.task.environment.model_dump() if unit.task.environment else None
        digest = hashlib.sha256(json.dumps([environment, plain], sort_keys=True).encode()).hexdigest()[:12]
        if digest not in self._functions:
            # serialized: the Function is made at run time, not at a module's top level.
            self._functions[digest] = app.function(serialized=True, name=f"measure-{digest}", **options)(run_unit)
        return self._functions[digest]

    def _call(self, unit: TaskUnit, invoke):
        """Run one unit (remote or local call), unpacked here; a failed call is a lost unit."""
        gpu = self.gpu_for(unit.task)
        env = {"modal_gpu_requested": gpu.modal} if gpu else {}
        order = WorkOrder.from_unit(unit, executor=self.name, gpus=gpu.count if gpu else 0, env=env)
        try:
            blob = invoke(order.model_dump_json())
        except Exception as exc:  # noqa: BLE001 - whatever Modal raised once its retries were spent
            return lost_unit(unit, f"the Modal call failed after {self.retries} retr"
                                   f"{'y' if self.retries == 1 else 'ies'}: {type(exc).__name__}: {exc}")
        return unpack_unit_result(blob, unit.config, execution=self._pricing(gpu))

    def _pricing(self, gpu: GpuRequest | None) -> dict[str, Any]:
        """Client-side facts for execution.json; remote.unpack_unit_result turns them into cost_usd."""
        table = load_price_table()
        return {"modal_call": self.call, "modal_gpu_requested": gpu.modal if gpu else None,
                "usd_per_gpu_second": gpu.usd_per_second if gpu else None,
                "price_table": f"{PRICES_FILENAME} as of {table['as_of']} ({table['source']})",
                "currency": table["currency"]}


def _import_modal():
    try:
        return require("modal", "modal")
    except UserError:
        raise
    except Exception as exc:  # noqa: BLE001 - modal reads ~/.modal.toml on import
        raise UserError(f"the modal package could not load its configuration: {exc}") from None


def _check_credentials(modal) -> None:
    """Modal's own credential check (token from MODAL_TOKEN_ID/SECRET or ~/.modal.toml)."""
    try:
        modal.Client.from_env()
    except (modal.exception.AuthError, modal.exception.InvalidError) as exc:
        raise UserError(f"Modal has no usable credentials ({exc}). Run `modal token new`, or set MODAL_TOKEN_ID "
                        "and MODAL_TOKEN_SECRET; nothing was measured or written") from None
