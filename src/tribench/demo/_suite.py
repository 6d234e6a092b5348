"""A demo suite's definition: `suites/<name>/suite.toml` in the package data, validated.

The definition says which files make the first commit, which diffs make the human commits,
what each task row holds, and which patch each demo agent submits with the outcome it is
designed to produce. The files are read with importlib.resources, so an installed wheel (or a
zip) works like the source tree.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from importlib.resources import files
from importlib.resources.abc import Traversable
from typing import Any

from tribench.constants import Status, Verdict
from tribench.errors import UserError

# History of suite.toml (the `format_version` key):
#   1: first version ([git], [base], [[task]] with spec and agents).
SUITE_FORMAT_VERSION = 1

SUITE_FILENAME = "suite.toml"
# Task-row fields that the builder fills in from the built repository, never from suite.toml.
BUILDER_FIELDS = frozenset({"id", "repo", "human_commit", "parent", "subject", "files_changed"})

# The outcomes a demo patch can be designed to produce: a verdict when the agent arm is
# measured, the arm's status when it is not.
EXPECTED_OUTCOMES: frozenset[str] = frozenset(
    {Verdict.BEATS, Verdict.MATCHES, Verdict.LOSES,
     Status.PATCH_FAILED, Status.CRASH, Status.INCORRECT, Status.TIMEOUT, Status.NEEDS_BUILD}
)

# Package data globs skip dotfiles, so `base/dot-gitignore` stands for `.gitignore`.
_DOT_PREFIX = "dot-"
_SKIPPED_NAMES = frozenset({"__pycache__", ".DS_Store"})
_SKIPPED_SUFFIXES = (".pyc", ".pyo")


@dataclass(frozen=True)
class AgentPatch:
    """One demo agent's patch for one task."""

    agent: str  # the prediction's model_name_or_path, e.g. "demo/agent-alpha"
    patch: str  # path of the .diff inside the suite folder
    expected: str  # the designed outcome, one of EXPECTED_OUTCOMES
    why: str  # what the patch does, and why it produces that outcome


@dataclass(frozen=True)
class TaskDefinition:
    """One task: the human commit that makes it, its task-row fields, and the agents' patches."""

    id: str
    diff: str  # path of the human commit's diff inside the suite folder
    message: str  # the human commit's message; its first line is the task's subject
    date: str  # author and committer date of the human commit (ISO 8601)
    spec: dict[str, Any]  # TaskSpec fields other than repo, human_commit, parent, subject, files_changed
    agents: tuple[AgentPatch, ...]


@dataclass(frozen=True)
class SuiteDefinition:
    name: str
    description: str
    author_name: str
    author_email: str
    branch: str
    base_message: str
    base_date: str
    tasks: tuple[TaskDefinition, ...]
    root: Traversable  # the suite folder in the package data

    def read_text(self, relative: str) -> str:
        """A file of the suite folder, by its `/`-separated path."""
        return _child(self.root, relative).read_text(encoding="utf-8")

    def base_files(self) -> Iterator[tuple[str, bytes]]:
        """(path in the repository, content) of every file of the first commit, sorted by path."""
        yield from sorted(_walk(self.root / "base", ""))

    @property
    def expected(self) -> dict[tuple[str, str], str]:
        return {(task.id, patch.agent): patch.expected for task in self.tasks for patch in task.agents}


def suites_root() -> Traversable:
    return files("tribench.demo") / "suites"


def available_suites() -> list[str]:
    """Names of the demo suites shipped in the package, sorted."""
    return sorted(
        entry.name for entry in suites_root().iterdir()
        if entry.is_dir() and (entry / SUITE_FILENAME).is_file()
    )


def load_suite(name: str) -> SuiteDefinition:
    """The validated definition of the suite `name`; UserError names the file and field."""
    if name not in available_suites():
        raise UserError(f"no demo suite named {name!r}; available: {', '.join(available_suites())}")
    root = suites_root() / name
    where = f"tribench/demo/suites/{name}/{SUITE_FILENAME}"
    try:
        data = tomllib.loads((root / SUITE_FILENAME).read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise UserError(f"not valid TOML: {exc}", path=where) from None
    version = data.get("format_version")
    if version != SUITE_FORMAT_VERSION:
        raise UserError(f"format_version {version!r} is not {SUITE_FORMAT_VERSION}; update tribench",
                        path=where, field="format_version")
    git, base = _table(data, "git", where), _table(data, "base", where)
    raw_tasks = data.get("task")
    if not isinstance(raw_tasks, list) or not raw_tasks:
        raise UserError("expected at least one [[task]]", path=where, field="task")
    tasks = tuple(_task(raw, f"task[{n}]", root, where) for n, raw in enumerate(raw_tasks))
    ids = [task.id for task in tasks]
    if len(set(ids)) != len(ids):
        raise UserError(f"duplicate task ids in {ids}", path=where, field="task.id")
    return SuiteDefinition(
        name=name,
        description=str(data.get("description", "")),
        author_name=_text(git, "author_name", where, "git"),
        author_email=_text(git, "author_email", where, "git"),
        branch=_text(git, "branch", where, "git"),
        base_message=_text(base, "message", where, "base"),
        base_date=_text(base, "date", where, "base"),
        tasks=tasks,
        root=root,
    )


def _task(raw: Any, field: str, root: Traversable, where: str) -> TaskDefinition:
    if not isinstance(raw, dict):
        raise UserError("expected a table", path=where, field=field)
    spec = raw.get("spec")
    if not isinstance(spec, dict):
        raise UserError("expected a [task.spec] table", path=where, field=f"{field}.spec")
    if owned := sorted(BUILDER_FIELDS & spec.keys()):
        raise UserError(f"{owned} are set by the builder; remove them", path=where, field=f"{field}.spec")
    agents = raw.get("agents")
    if not isinstance(agents, dict) or not agents:
        raise UserError("expected [task.agents.\"<name>\"] tables", path=where, field=f"{field}.agents")
    patches = []
    for agent, entry in agents.items():
        sub = f"{field}.agents.{agent}"
        if not isinstance(entry, dict):
            raise UserError("expected a table", path=where, field=sub)
        expected = _text(entry, "expected", where, sub)
        if expected not in EXPECTED_OUTCOMES:
            raise UserError(f"expected {expected!r} is not one of {sorted(EXPECTED_OUTCOMES)}",
                            path=where, field=f"{sub}.expected")
        patch = _text(entry, "patch", where, sub)
        _require_file(root, patch, where, f"{sub}.patch")
        patches.append(AgentPatch(agent=agent, patch=patch, expected=expected,
                                  why=str(entry.get("why", ""))))
    diff = _text(raw, "diff", where, field)
    _require_file(root, diff, where, f"{field}.diff")
    return TaskDefinition(
        id=_text(raw, "id", where, field),
        diff=diff,
        message=_text(raw, "message", where, field),
        date=_text(raw, "date", where, field),
        spec=dict(spec),
        agents=tuple(patches),
    )


def _table(data: dict[str, Any], key: str, where: str) -> dict[str, Any]:
    value = data.get(key)
    if not isinstance(value, dict):
        raise UserError(f"expected a [{key}] table", path=where, field=key)
    return value


def _text(table: dict[str, Any], key: str, where: str, field: str) -> str:
    value = table.get(key)
    if not isinstance(value, str) or not value.strip():
        raise UserError(f"expected a non-empty string {key!r}", path=where, field=f"{field}.{key}")
    return value


def _child(root: Traversable, relative: str) -> Traversable:
    node = root
    for part in relative.split("/"):
        node = node / part
    return node


def _require_file(root: Traversable, relative: str, where: str, field: str) -> None:
    if relative.startswith("/") or ".." in relative.split("/") or not _child(root, relative).is_file():
        raise UserError(f"{relative!r} is not a file of the suite folder", path=where, field=field)


def _walk(node: Traversable, prefix: str) -> Iterator[tuple[str, bytes]]:
    for entry in node.iterdir():
        name = entry.name
        if name in _SKIPPED_NAMES or name.endswith(_SKIPPED_SUFFIXES):
            continue
        if name.startswith(_DOT_PREFIX):
            name = "." + name[len(_DOT_PREFIX):]
        path = f"{prefix}{name}"
        if entry.is_dir():
            yield from _walk(entry, path + "/")
        else:
            yield path, entry.read_bytes()
