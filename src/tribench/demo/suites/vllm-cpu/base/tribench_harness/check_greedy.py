"""Correctness before timing: greedy tokens of a fixed prompt set, printed as JSON lines.

    <engine python> tribench_harness/check_greedy.py MODEL

Greedy decoding (temperature 0) with a fixed seed is deterministic, so an arm whose code
changes what the model generates prints different token ids, and tribench marks it
`incorrect` and does not time it. tribench compares the command's whole output with the
baseline's, so the engine runs in a child process whose console (log lines with times and
process ids) goes to a file; only the token ids reach stdout. A failed child exits non-zero
with the tail of its console on stderr.
"""

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

PROMPTS = [
    "ba be bi bo bu", "dan den din don dun dain", "fa fe fi", "ka ke ki ko ku kai kou",
    "la le li lo lu", "ma me mi mo mu mai", "na ne ni no nu nai nou", "pa pe pi po",
]
MAX_TOKENS = 24


def generate(model: str, out: Path) -> None:
    from vllm import LLM, SamplingParams

    llm = LLM(model=model, dtype="float32", seed=0, enforce_eager=True, max_model_len=512)
    params = SamplingParams(temperature=0.0, max_tokens=MAX_TOKENS, ignore_eos=True, seed=0)
    outputs = llm.generate(PROMPTS, params, use_tqdm=False)
    lines = [json.dumps({"prompt": p, "token_ids": list(o.outputs[0].token_ids)}) for p, o in zip(PROMPTS, outputs)]
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main(argv: list[str]) -> int:
    if len(argv) == 4 and argv[1] == "--child":
        generate(argv[2], Path(argv[3]))
        return 0
    if len(argv) != 2:
        print(__doc__.splitlines()[2].strip(), file=sys.stderr)
        return 2
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    with tempfile.TemporaryDirectory(prefix="tribench-greedy-") as tmp:
        out, console = Path(tmp) / "tokens.jsonl", Path(tmp) / "console.log"
        with open(console, "wb") as handle:
            done = subprocess.run([sys.executable, __file__, "--child", argv[1], str(out)], env=env,
                                  stdout=handle, stderr=subprocess.STDOUT, check=False)
        if done.returncode != 0 or not out.is_file():
            tail = console.read_text(encoding="utf-8", errors="replace").splitlines()[-30:]
            print("\n".join(tail), file=sys.stderr)
            return done.returncode or 3
        sys.stdout.write(out.read_text(encoding="utf-8"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
