"""The environment fingerprint recorded with every arm (DESIGN.md, protocol 5)."""

from __future__ import annotations

import functools
import os
import platform
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


def _gpu() -> str | None:
    """The GPU model and driver when nvidia-smi answers; None on machines without one."""
    import shutil
    import subprocess

    if not shutil.which("nvidia-smi"):
        return None
    try:
        out = subprocess.run(["nvidia-smi", "--query-gpu=name,driver_version", "--format=csv,noheader"],
                             capture_output=True, text=True, timeout=10, check=True).stdout.strip()
    except (subprocess.SubprocessError, OSError):
        return None
    return out or None


@functools.cache
def fingerprint() -> dict[str, str]:
    info = {
        "harness": f"tribench {__version__}",
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu": _cpu_model(),
        "cpu_count": str(len(os.sched_getaffinity(0))),
        "hostname": platform.node(),
    }
    gpu = _gpu()
    if gpu:
        info["gpu"] = gpu
    return info
