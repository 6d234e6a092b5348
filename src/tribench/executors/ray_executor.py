"""The Ray executor: each task unit is one Ray task on one node of a cluster.

    tribench run TASKS.jsonl --patches P.jsonl --executor ray --address auto --jobs 8

`--address` is a Ray address (`auto`: the cluster `ray start` made on this machine or named by
RAY_ADDRESS; `ray://host:10001`; `local`, the default: a private one-machine cluster started
for this run and stopped after it). Workers run in the cluster's Python environment, which
must have the same tribench installed. A unit asks Ray for the task's `resources` (cpus, gpus,
memory; 1 CPU by default) and at most `--jobs` units are in flight. Ray re-runs a unit whose
worker died (`max_retries`, infra only: see remote.py); a unit lost anyway is reported, not
recorded, and `--resume` measures it again.

Ray does not pin cores: on a shared node, reserve `resources.cpus` per task so that timed
trials of two units do not share cores.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from typing import Any

from tribench.constants import ExecutorName
from tribench.errors import UserError
from tribench.execute import TaskUnit, planned_trials
from tribench.executors import require
from tribench.executors.remote import INFRA_EXCEPTIONS, WorkOrder, lost_unit, run_unit, unpack_unit_result
from tribench.gitcmd import is_url

LOCAL_ADDRESS = "local"


@dataclass
class RayExecutor:
    address: str = LOCAL_ADDRESS
    jobs: int = 1
    max_retries: int = 1  # re-runs of a unit whose worker or node died (Ray `max_retries`)
    num_cpus: int | None = None  # size of a `local` cluster (default: this machine's cores)
    name: str = ExecutorName.RAY
    _started: bool = field(default=False, repr=False)

    def __post_init__(self) -> None:
        if self.jobs < 1:
            raise UserError("--jobs must be at least 1")
        if self.max_retries < 0:
            raise UserError("--ray-max-retries must be 0 or more")

    # -- before any work ---------------------------------------------------------------------

    def check(self, units: list[TaskUnit]) -> None:
        """Connect (or start the local cluster), then refuse units the cluster cannot run."""
        ray = self._connect()
        try:
            self._check_units(ray, units)
        except BaseException:
            self._disconnect(ray)  # a private cluster started for nothing is stopped at once
            raise

    def _check_units(self, ray, units: list[TaskUnit]) -> None:
        nodes = [n for n in ray.nodes() if n.get("Alive")]
        totals: dict[str, float] = {}
        for node in nodes:
            for key, value in node.get("Resources", {}).items():
                totals[key] = max(totals.get(key, 0.0), value)  # what one node offers at most
        for unit in units:
            need = self._resources(unit)
            short = [f"{k}={v:g} (largest node: {totals.get(k, 0):g})" for k, v in need.items()
                     if v > totals.get(k, 0.0)]
            if short:
                raise UserError(f"task {unit.task.id!r} needs {', '.join(short)}: no node of the Ray cluster at "
                                f"{self.address} has that much; lower `resources` or add a node")
            if len(nodes) > 1 and not is_url(unit.task.repo):
                raise UserError(f"task {unit.task.id!r}: repo {unit.task.repo} is a local path, and this Ray "
                                f"cluster has {len(nodes)} nodes that may not see it; give a git URL")

    def _connect(self):
        ray = require("ray", "ray")
        if ray.is_initialized():
            return ray
        os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")  # no usage report from a benchmark run
        options: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False,
                                   "logging_level": logging.WARNING, "configure_logging": True}
        if self.address == LOCAL_ADDRESS:
            options.update(address="local", num_cpus=self.num_cpus or len(os.sched_getaffinity(0)))
        else:
            options.update(address=self.address)
        try:
            ray.init(**options)
        except (ConnectionError, RuntimeError, ValueError) as exc:
            reason = str(exc).rstrip(".")
            raise UserError(f"cannot connect to the Ray cluster at {self.address!r}: {reason}. Start one with "
                            "`ray start --head`, or pass --address local for a private one-machine cluster") from None
        self._started = True
        return ray

    @staticmethod
    def _resources(unit: TaskUnit) -> dict[str, float]:
        spec = unit.task.resources
        need = {"CPU": spec.cpus if spec else 1.0, "GPU": float(spec.gpus) if spec else 0.0}
        if spec and spec.gpu_type:
            # Ray's accelerator_type resources (`accelerator_type:H100`) pin the GPU model.
            need[f"accelerator_type:{spec.gpu_type}"] = 0.001
        return need

    # -- the run ------------------------------------------------------------------------------

    def run(self, units, on_result, progress) -> None:
        ray = self._connect()
        try:
            self._run(ray, list(units), on_result, progress)
        finally:
            self._disconnect(ray)

    def _disconnect(self, ray) -> None:
        """Leave the cluster; a `local` one (started by this executor) stops with it."""
        if self._started:
            ray.shutdown()
            self._started = False

    def _run(self, ray, units: list[TaskUnit], on_result, progress) -> None:
        remote = ray.remote(run_unit)
        queue = list(reversed(units))
        in_flight: dict[Any, TaskUnit] = {}
        while queue or in_flight:
            while queue and len(in_flight) < self.jobs:
                unit = queue.pop()
                in_flight[self._submit(ray, remote, unit)] = unit
            done, _ = ray.wait(list(in_flight), num_returns=1)
            for ref in done:
                unit = in_flight.pop(ref)
                on_result(self._collect(ray, ref, unit))
                progress(planned_trials(unit))

    def _submit(self, ray, remote, unit: TaskUnit):
        need = self._resources(unit)
        custom = {k: v for k, v in need.items() if k not in ("CPU", "GPU")}
        spec = unit.task.resources
        order = WorkOrder.from_unit(unit, executor=self.name, cache_dir=unit.config.cache_dir,
                                    gpus=int(need["GPU"]))
        options: dict[str, Any] = {"num_cpus": need["CPU"], "num_gpus": need["GPU"], "max_retries": self.max_retries,
                                   "retry_exceptions": list(INFRA_EXCEPTIONS), "name": f"tribench:{unit.task.id}"}
        if custom:
            options["resources"] = custom
        if spec and spec.memory_mb:
            options["memory"] = spec.memory_mb * (1 << 20)
        return remote.options(**options).remote(order.model_dump_json())

    def _collect(self, ray, ref, unit: TaskUnit):
        try:
            blob = ray.get(ref)
        except ray.exceptions.RayError as exc:
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            return lost_unit(unit, f"Ray lost the unit after {self.max_retries} retr"
                                   f"{'y' if self.max_retries == 1 else 'ies'}: {type(exc).__name__}: {reason}")
        return unpack_unit_result(blob, unit.config, execution={"ray_address": self.address})

