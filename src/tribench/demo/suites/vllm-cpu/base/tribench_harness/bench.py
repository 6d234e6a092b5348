"""Run one `vllm bench` command and print its structured result (JSON) on stdout.

    <engine python> tribench_harness/bench.py serve|latency|throughput [vllm bench options...]

tribench parses structured output first (DESIGN.md, protocol 6): this adds the result-file
options (`--save-result --result-dir/--result-filename` for serve, `--output-json` for latency
and throughput) and prints the result file's JSON alone: tribench's trial log is the command's
stdout and stderr together, and only a log that *is* the JSON is parsed as structured output.
vLLM's console goes to `<arm area>/console/<kind>-<n>.log` beside the worktree (kept with the
arm). vLLM runs from this worktree (PYTHONPATH), so the arm's own code is measured. A failed
benchmark exits with its exit code and prints the console's tail on stderr, and no JSON.
"""

import os
import subprocess
import sys
import tempfile
from pathlib import Path


def _console_path(worktree: Path, kind: str) -> Path:
    folder = worktree.parent / "console"
    folder.mkdir(exist_ok=True)
    n = len(list(folder.glob(f"{kind}-*.log")))
    return folder / f"{kind}-{n}.log"


def main(argv: list[str]) -> int:
    if len(argv) < 2 or argv[1] not in ("serve", "latency", "throughput"):
        print(__doc__.splitlines()[2].strip(), file=sys.stderr)
        return 2
    kind, options = argv[1], argv[2:]
    worktree = Path(__file__).resolve().parent.parent
    env = {**os.environ, "PYTHONPATH": str(worktree)}
    with tempfile.TemporaryDirectory(prefix="tribench-vllm-bench-") as tmp:
        result = Path(tmp) / "result.json"
        if kind == "serve":
            options += ["--save-result", "--result-dir", tmp, "--result-filename", result.name]
        else:
            options += ["--output-json", str(result)]
        argv = [sys.executable, "-m", "vllm.entrypoints.cli.main", "bench", kind, *options]
        console = _console_path(worktree, kind)
        with open(console, "wb") as handle:
            done = subprocess.run(argv, env=env, stdout=handle, stderr=subprocess.STDOUT, check=False)
        if done.returncode != 0 or not result.is_file():
            tail = console.read_text(encoding="utf-8", errors="replace").splitlines()[-30:]
            print("\n".join(tail) + f"\nvllm bench {kind} failed (exit {done.returncode}); console: {console}",
                  file=sys.stderr)
            return done.returncode or 3
        print(result.read_text(encoding="utf-8").strip())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
