"""The engine registry, the install record (`engine.json`) and the install lock."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from tribench.errors import UserError
from tribench.files import locked

ENGINES_DIR_ENV = "TRIBENCH_ENGINES_DIR"
ENGINE_FILE = "engine.json"
# History of engine.json (the `format_version` key):
#   1: name, version, python, site_packages, model, facts, install_s, size_bytes.
ENGINE_FORMAT_VERSION = 1


def engines_dir() -> Path:
    return Path(os.environ.get(ENGINES_DIR_ENV) or Path.home() / ".cache" / "tribench" / "engines")


@dataclass
class EngineInstall:
    """One installed engine, as `engine.json` records it."""

    name: str  # registry name, e.g. "vllm-cpu"
    root: Path  # <engines dir>/<name>-<version>
    python: Path  # the venv's interpreter: every engine command runs with it
    site_packages: Path  # where the engine's package (and its compiled kernels) lies
    model: Path  # the generated model folder
    facts: dict[str, str] = field(default_factory=dict)  # recorded into every arm's environment
    install_s: float | None = None  # wall time of the install that made it
    size_bytes: int | None = None  # size of the venv and models


class Engine(Protocol):
    name: str
    version: str

    def install(self, root: Path, log: Path) -> EngineInstall: ...


def _registry() -> dict[str, Engine]:
    from tribench.engines.vllm_cpu import VllmCpu

    engines: list[Engine] = [VllmCpu()]
    return {e.name: e for e in engines}


def get_engine(name: str) -> Engine:
    engines = _registry()
    if name not in engines:
        raise UserError(f"unknown engine {name!r}; known engines: {', '.join(sorted(engines))}")
    return engines[name]


def engine_root(engine: Engine, base: Path | None = None) -> Path:
    return (base or engines_dir()) / f"{engine.name}-{engine.version}"


def installed(name: str, base: Path | None = None) -> EngineInstall | None:
    """The engine's install record when it is complete and its interpreter exists, else None."""
    engine = get_engine(name)
    path = engine_root(engine, base) / ENGINE_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if data.get("format_version") != ENGINE_FORMAT_VERSION:
        return None
    found = EngineInstall(
        name=data["name"], root=Path(data["root"]), python=Path(data["python"]),
        site_packages=Path(data["site_packages"]), model=Path(data["model"]), facts=dict(data["facts"]),
        install_s=data.get("install_s"), size_bytes=data.get("size_bytes"))
    return found if found.python.is_file() and found.model.is_dir() else None


def install(name: str, *, base: Path | None = None, force: bool = False) -> EngineInstall:
    """Install `name` unless a complete install exists (or `force`); one installer at a time."""
    engine = get_engine(name)
    root = engine_root(engine, base)
    root.mkdir(parents=True, exist_ok=True)
    with locked(root / ".install.lock"):
        if not force and (done := installed(name, base)) is not None:
            return done
        (root / ENGINE_FILE).unlink(missing_ok=True)
        began = time.monotonic()
        result = engine.install(root, root / "install.log")
        result.install_s = round(time.monotonic() - began, 1)
        result.size_bytes = _size(root)
        write_record(result)
    return result


def write_record(result: EngineInstall) -> None:
    from tribench.store import atomic_write_text

    data = {"format_version": ENGINE_FORMAT_VERSION, "name": result.name, "root": str(result.root),
            "python": str(result.python), "site_packages": str(result.site_packages),
            "model": str(result.model), "facts": result.facts, "install_s": result.install_s,
            "size_bytes": result.size_bytes}
    atomic_write_text(result.root / ENGINE_FILE, json.dumps(data, indent=1, sort_keys=True) + "\n")


def engine_facts(name: str) -> dict[str, str]:
    """`engine.json`'s facts for the environment fingerprint; {"engine": "<name> (not installed)"} if absent."""
    try:
        found = installed(name)
    except UserError:
        return {"engine": f"{name} (unknown engine)"}
    return dict(found.facts) if found else {"engine": f"{name} (not installed)"}


def run_step(argv: list[str], log: Path, *, what: str, cwd: Path | None = None,
             env: dict[str, str] | None = None) -> str:
    """Run one install step, appending its output to `log`; UserError naming the step and log on failure."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as handle:
        handle.write(f"\n$ {' '.join(argv)}\n".encode())
        handle.flush()
        done = subprocess.run(argv, cwd=cwd, env={**os.environ, **(env or {})}, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, check=False)
        handle.write(done.stdout)
    if done.returncode != 0:
        tail = done.stdout.decode("utf-8", "replace").strip().splitlines()[-15:]
        raise UserError(f"engine install step failed ({what}, exit {done.returncode}); log: {log}\n"
                        + "\n".join(tail))
    return done.stdout.decode("utf-8", "replace")


def _size(root: Path) -> int:
    total = 0
    for folder, _dirs, names in os.walk(root):
        for name in names:
            with contextlib.suppress(OSError):
                path = os.path.join(folder, name)
                if not os.path.islink(path):
                    total += os.stat(path).st_size
    return total
