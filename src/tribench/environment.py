"""The environment fingerprint recorded with every arm (DESIGN.md, protocol 5)."""

from __future__ import annotations

import functools
import os
import platform
import re
import sys

from tribench import __version__


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


# Queried per visible GPU (`nvidia-smi --query-gpu=...`); clocks are the maxima, which do not move
# with load, so two tasks' fingerprints compare the machines, not the moment.
_GPU_FIELDS = ("name", "driver_version", "memory.total", "clocks.max.sm", "clocks.max.memory")
_CUDA_VERSION = re.compile(r"CUDA Version:\s*([0-9.]+)")


def _nvidia_smi(*args: str) -> str | None:
    import shutil
    import subprocess

    if not shutil.which("nvidia-smi"):
        return None
    try:
        return subprocess.run(["nvidia-smi", *args], capture_output=True, text=True, timeout=10,
                              check=True).stdout.strip() or None
    except (subprocess.SubprocessError, OSError):
        return None


def parse_gpu_query(csv_text: str) -> dict[str, str]:
    """Fingerprint keys from `nvidia-smi --query-gpu=<_GPU_FIELDS> --format=csv,noheader` output.

    `gpu_model` names the model once per distinct model (`NVIDIA H100 80GB HBM3`, or
    `NVIDIA A100-SXM4-80GB; NVIDIA H100 80GB HBM3` on a mixed machine); values nvidia-smi cannot
    read (`[N/A]`, `[Not Supported]`) are left out.
    """
    rows = [[cell.strip() for cell in line.split(",")] for line in csv_text.splitlines() if line.strip()]
    rows = [row for row in rows if len(row) == len(_GPU_FIELDS)]
    if not rows:
        return {}

    def column(name: str) -> list[str]:
        values = [row[_GPU_FIELDS.index(name)] for row in rows]
        return [v for v in dict.fromkeys(values) if v and not v.startswith("[")]

    info = {"gpu_model": "; ".join(column("name")), "gpu_count": str(len(rows)),
            "gpu_driver": "; ".join(column("driver_version")), "gpu_memory": "; ".join(column("memory.total"))}
    sm, memory = column("clocks.max.sm"), column("clocks.max.memory")
    if sm or memory:
        info["gpu_clocks_max"] = ", ".join(part for part in (
            f"sm {'; '.join(sm)}" if sm else "", f"memory {'; '.join(memory)}" if memory else "") if part)
    return {key: value for key, value in info.items() if value}


def parse_cuda_version(smi_text: str) -> str | None:
    """The driver's CUDA version from the banner of plain `nvidia-smi` (`CUDA Version: 12.4`)."""
    found = _CUDA_VERSION.search(smi_text or "")
    return found.group(1) if found else None


@functools.cache
def _gpu(visible: str | None) -> dict[str, str]:
    """GPU keys for the GPUs this process may use (CUDA_VISIBLE_DEVICES), empty without nvidia-smi.

    Cached per visible set: a Ray worker process serves tasks given different GPUs.
    """
    if visible is not None and not visible.strip():
        return {}  # CUDA_VISIBLE_DEVICES="" hides every GPU
    select = ["-i", visible.strip()] if visible else []
    legacy = _nvidia_smi("--query-gpu=name,driver_version", "--format=csv,noheader", *select)
    if not legacy:
        return {}
    info = {"gpu": legacy}  # the first fingerprint's key, kept as it was
    info.update(parse_gpu_query(_nvidia_smi(f"--query-gpu={','.join(_GPU_FIELDS)}", "--format=csv,noheader",
                                            *select) or ""))
    cuda = parse_cuda_version(_nvidia_smi() or "")
    if cuda:
        info["cuda"] = cuda
    return info


@functools.cache
def _host() -> dict[str, str]:
    return {
        "harness": f"tribench {__version__}",
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu": _cpu_model(),
        "cpu_count": str(len(os.sched_getaffinity(0))),
        "hostname": platform.node(),
    }


def engine_fingerprint(engine: str | None) -> dict[str, str]:
    """Facts of a task's installed engine (e.g. `engine: vLLM 0.32.0 (CPU)`, `engine_torch`,
    `model_config_hash`); {} for tasks without one. Issue "Real vLLM on CPU"."""
    if not engine:
        return {}
    from tribench.engines import engine_facts  # optional stage: loaded only for engine tasks

    return engine_facts(engine)


def fingerprint() -> dict[str, str]:
    """The machine this process measures on: host, CPU, and the GPUs it may use (model, driver,
    CUDA, max clocks) when nvidia-smi answers. Computed where the task runs, so a remote
    executor's records carry the remote machine's fingerprint."""
    return {**_host(), **_gpu(os.environ.get("CUDA_VISIBLE_DEVICES"))}
