"""A stand-in coding agent: a real executable that behaves like an agent CLI, for tests/test_agent*.py.

Installed in a temporary bin folder under the real binary names (`claude`, `codex`) by small
wrappers that call `agent_standin.py --as claude|codex ...`, it checks the argv the real
adapter built (an unexpected command line exits 64 and says why), reads the prompt the way that
CLI does (stdin), edits the workspace, and prints a trajectory in that CLI's format, including
the cost/usage lines the adapters parse. `--as generic` takes `--prompt-file --workdir ...`
(the `--agent-cmd` path).

What it does is chosen by, in order: `--mode` (generic), a `standin-mode: NAME` line in the
prompt (a task's description), STANDIN_MODE, else `edit`:
    edit     append a line to the first target file (else README.md); write state into $HOME
    full     edit + a new file, a deleted file, a binary file and agent scratch files
    hang     edit, start a child process, then never exit (the budget must kill both)
    outside  edit, and write next to the workspace (or to --escape-to PATH)
    nothing  read the prompt, change nothing
    break    make the benchmark script (the first *.py of the timed command) exit 3
    fail     change nothing and exit 3
Every trajectory's first event carries the value of ANTHROPIC_API_KEY, as a careless agent's
debug output might: tribench must redact it from everything under runs/.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

USAGE = {"input_tokens": 1234, "output_tokens": 567, "cache_read_input_tokens": 89}
COST_USD = 0.0421
CODEX_TURNS = ({"input_tokens": 1000, "cached_input_tokens": 100, "output_tokens": 200},
               {"input_tokens": 500, "cached_input_tokens": 0, "output_tokens": 50})
MODES = ("edit", "full", "hang", "outside", "nothing", "break", "fail")


def fail_argv(why: str, argv: list[str]) -> None:
    print(f"standin: unexpected argv ({why}): {argv}", file=sys.stderr)
    sys.exit(64)


def parse_claude(argv: list[str]) -> dict:
    for flag in ("-p", "--verbose", "--dangerously-skip-permissions"):
        if flag not in argv:
            fail_argv(f"missing {flag}", argv)
    if argv[argv.index("--output-format") + 1] != "stream-json":
        fail_argv("output format is not stream-json", argv)
    model = argv[argv.index("--model") + 1] if "--model" in argv else None
    return {"prompt": sys.stdin.read(), "workdir": Path.cwd(), "model": model}


def parse_codex(argv: list[str]) -> dict:
    if argv[:2] != ["exec", "--json"] or argv[-1] != "-":
        fail_argv("expected `exec --json ... -`", argv)
    if argv[argv.index("--sandbox") + 1] != "workspace-write":
        fail_argv("sandbox is not workspace-write", argv)
    workdir = Path(argv[argv.index("--cd") + 1])
    if workdir.resolve() != Path.cwd().resolve():
        fail_argv("--cd is not the current directory", argv)
    model = argv[argv.index("--model") + 1] if "--model" in argv else None
    return {"prompt": sys.stdin.read(), "workdir": workdir, "model": model}


def parse_generic(argv: list[str]) -> dict:
    parser = argparse.ArgumentParser()
    for name in ("--prompt-file", "--workdir", "--model", "--trajectory", "--mode", "--escape-to"):
        parser.add_argument(name)
    args = parser.parse_args(argv)
    return {"prompt": Path(args.prompt_file).read_text(), "workdir": Path(args.workdir), "model": args.model or None,
            "trajectory": args.trajectory, "mode": args.mode, "escape_to": args.escape_to}


def choose_mode(run: dict) -> str:
    found = re.search(r"standin-mode:\s*(\w+)", run["prompt"])
    mode = run.get("mode") or (found.group(1) if found else None) or os.environ.get("STANDIN_MODE") or "edit"
    if mode not in MODES:
        print(f"standin: unknown mode {mode}", file=sys.stderr)
        sys.exit(65)
    return mode


def target_file(workdir: Path, prompt: str) -> Path:
    for listed in re.findall(r"^- `([^`]+)`", prompt, re.MULTILINE):
        if (workdir / listed).is_file():
            return workdir / listed
    return workdir / "README.md"


def edit(workdir: Path, prompt: str) -> str:
    target = target_file(workdir, prompt)
    comment = "# tuned by the stand-in agent\n" if target.suffix == ".py" else "\nTuned by the stand-in agent.\n"
    with open(target, "a", encoding="utf-8") as handle:
        handle.write(comment)
    state = Path(os.environ["HOME"]) / ".config" / "standin" / "state.json"
    state.parent.mkdir(parents=True, exist_ok=True)
    state.write_text(json.dumps({"api_key": os.environ.get("ANTHROPIC_API_KEY", "")}))
    return str(target.relative_to(workdir))


def full(workdir: Path) -> None:
    (workdir / "NEW.md").write_text("a new file\n")
    (workdir / "obsolete.txt").unlink()
    (workdir / "assets").mkdir(exist_ok=True)
    (workdir / "assets" / "blob.bin").write_bytes(bytes(range(256)) * 4)
    for scratch in (".aider.chat.history.md", "pkg/__pycache__/mod.cpython-311.pyc", "trajectory.json",
                    ".claude/settings.local.json"):
        (workdir / scratch).parent.mkdir(parents=True, exist_ok=True)
        (workdir / scratch).write_text("agent scratch\n")


def break_benchmark(workdir: Path, prompt: str) -> str:
    block = prompt.split("this command is timed:", 1)[-1]
    for word in block.split():
        if word.endswith(".py") and (workdir / word).is_file():
            with open(workdir / word, "a", encoding="utf-8") as handle:
                handle.write("\nraise SystemExit(3)  # broken by the stand-in agent\n")
            return word
    raise SystemExit("standin: no benchmark script in the prompt")


def hang() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    print(json.dumps({"type": "system", "subtype": "child", "pid": child.pid, "agent_pid": os.getpid()}), flush=True)
    while True:  # the behaviour under test: an agent that never finishes
        time.sleep(1)


def act(mode: str, run: dict) -> list[str]:
    """Do what `mode` says in the workspace; the steps, for the trajectory."""
    workdir, prompt, steps = run["workdir"], run["prompt"], []
    if mode in ("edit", "full", "hang", "outside"):
        steps.append(f"edited {edit(workdir, prompt)}")
    if mode == "full":
        full(workdir)
        steps.append("added NEW.md and assets/blob.bin, deleted obsolete.txt")
    if mode == "outside":
        escape = Path(run.get("escape_to") or workdir.parent / "escaped.txt")
        escape.write_text("written outside the workspace\n")
        steps.append(f"wrote {escape}")
    if mode == "break":
        steps.append(f"broke {break_benchmark(workdir, prompt)}")
    return steps


def main() -> None:
    kind, argv = sys.argv[2], sys.argv[3:]  # agent_standin.py --as KIND ...
    run = {"claude": parse_claude, "codex": parse_codex, "generic": parse_generic}[kind](argv)
    if not run["prompt"].strip():
        fail_argv("empty prompt", argv)
    mode = choose_mode(run)
    emit = EMITTERS[kind](run)
    emit("init", {"argv": argv, "model": run["model"], "mode": mode, "cwd": os.getcwd(), "home": os.environ["HOME"],
                  "debug_api_key": os.environ.get("ANTHROPIC_API_KEY", ""), "prompt_chars": len(run["prompt"])})
    if mode == "hang":
        act("edit", run)
        emit("step", {"text": "edited; now hanging"})
        hang()
    for step in act(mode, run):
        emit("step", {"text": step})
    emit("final", {"is_error": mode == "fail"})
    sys.exit(3 if mode == "fail" else 0)


def claude_emitter(run: dict):
    def emit(kind: str, data: dict) -> None:
        if kind == "init":
            event = {"type": "system", "subtype": "init", "session_id": "standin", **data}
        elif kind == "step":
            event = {"type": "assistant", "message": {"content": [{"type": "text", "text": data["text"]}]}}
        else:
            event = {"type": "result", "subtype": "error_during_execution" if data["is_error"] else "success",
                     "is_error": data["is_error"], "num_turns": 3, "result": "done", "total_cost_usd": COST_USD,
                     "usage": USAGE}
        print(json.dumps(event), flush=True)
    return emit


def codex_emitter(run: dict):
    def emit(kind: str, data: dict) -> None:
        if kind == "init":
            events = [{"type": "thread.started", "thread_id": "th_standin", **data}, {"type": "turn.started"}]
        elif kind == "step":
            events = [{"type": "item.completed", "item": {"type": "agent_message", "text": data["text"]}}]
        else:
            events = [{"type": "turn.completed", "usage": CODEX_TURNS[0]}, {"type": "turn.started"},
                      {"type": "turn.completed", "usage": CODEX_TURNS[1]}]
        for event in events:
            print(json.dumps(event), flush=True)
        print(f"codex progress: {kind}", file=sys.stderr, flush=True)
    return emit


def generic_emitter(run: dict):
    trajectory = Path(run["trajectory"]) if run.get("trajectory") else None

    def emit(kind: str, data: dict) -> None:
        if trajectory is not None:
            with open(trajectory, "a", encoding="utf-8") as handle:
                handle.write(json.dumps({"event": kind, **data}) + "\n")
        if kind == "final":
            print(json.dumps({"total_cost_usd": 0.5, "usage": {"input_tokens": 10, "output_tokens": 20}}), flush=True)
        else:
            print(f"standin {kind}: {data.get('text', '')}", flush=True)
    return emit


EMITTERS = {"claude": claude_emitter, "codex": codex_emitter, "generic": generic_emitter}

if __name__ == "__main__":
    main()
