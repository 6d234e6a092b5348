"""Find every file under the given paths and hand it to the parser of its shape.

Every file ends up either as sources (ingested) or reported with a reason: skipped when it is
not a result file (markdown, logs, runner summaries), failed when it is bad input (truncated
JSON, unknown JSON shape, a CSV without `commit_hash`, a metric that is not a number).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tribench.errors import UserError
from tribench.ingest import csv_export, docker_arm, modal, rerun, separate
from tribench.ingest.source import LegacySource
from tribench.ingest.summary import Ingested, Outcome, Reported

_NOT_RESULTS = {
    ".md": "markdown", ".markdown": "markdown", ".txt": "text log", ".log": "text log",
    ".py": "script", ".sh": "script", ".png": "image", ".svg": "image", ".html": "html",
}


@dataclass
class Discovery:
    sources: list[LegacySource] = field(default_factory=list)
    ingested: list[Ingested] = field(default_factory=list)
    reported: list[Reported] = field(default_factory=list)


def iter_files(paths: list[Path]) -> Iterator[Path]:
    """Files under the paths, each once, in a stable order; a missing path is a user error."""
    seen: set[Path] = set()
    for path in paths:
        path = Path(path)
        if not path.exists():
            raise UserError("no such file or folder; pass the legacy results tree or its files", path=path)
        for found in sorted(path.rglob("*")) if path.is_dir() else [path]:
            if found.is_file() and found.resolve() not in seen:
                seen.add(found.resolve())
                yield found


def _runner_report_reason(data: dict[str, Any]) -> str:
    """The seed runner's summary: results without arm or metrics, so nothing can be attributed."""
    items = [r for r in data["results"] if isinstance(r, dict)]
    shown = "; ".join(
        f"{str(r.get('commit_hash', '?'))[:12]} {r.get('status', '?')}: {str(r.get('error') or '')[:90]}" for r in items[:3]
    )
    return (f"runner summary, not a result file: {len(items)} result(s) with no arm attribution "
            f"and no metrics ({shown})")


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise UserError(f"not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})", path=path) from None
    except UnicodeDecodeError as exc:
        raise UserError(f"not UTF-8 text ({exc.reason})", path=path) from None


def _json_file(path: Path, out: Discovery) -> None:
    data = _read_json(path)
    if isinstance(data, dict) and isinstance(data.get("results"), list) and "generated_at" in data:
        out.reported.append(Reported(str(path), Outcome.SKIPPED, _runner_report_reason(data)))
        return
    if isinstance(data, dict) and {"schema_version", "instance", "result"} <= set(data):
        out.reported.append(Reported(str(path), Outcome.SKIPPED,
                                     "already a tribench record (read it with `tribench analyze`), not a legacy file"))
        return
    if modal.matches(data):
        shape, source = modal.SHAPE, modal.parse(path, data)
    elif rerun.matches(data):
        shape, source = rerun.SHAPE, rerun.parse(path, data)
    elif docker_arm.matches(data):
        shape, source = docker_arm.SHAPE, docker_arm.parse(path, data)
    elif (shape := separate.shape_of(data)) is not None:
        source = separate.parse(path, data)
    else:
        keys = ", ".join(sorted(data)[:8]) if isinstance(data, dict) else type(data).__name__
        raise UserError(f"unknown JSON shape (top level: {keys}); not a legacy result file tribench knows", path=path)
    out.sources.append(source)
    out.ingested.append(Ingested(str(path), shape, 1))


def _csv_file(path: Path, out: Discovery) -> None:
    read = csv_export.read_export(path)
    out.reported += [Reported.from_error(e, str(path)) for e in read.problems]
    if read.sources:
        out.sources += read.sources
        out.ingested.append(Ingested(str(path), csv_export.SHAPE, len(read.sources)))
    elif not read.problems:
        out.reported.append(Reported(str(path), Outcome.SKIPPED, "export without rows"))


def discover(paths: list[Path]) -> Discovery:
    out = Discovery()
    for path in iter_files(paths):
        suffix = path.suffix.lower()
        try:
            if suffix == ".json":
                _json_file(path, out)
            elif suffix == ".csv":
                _csv_file(path, out)
            else:
                kind = _NOT_RESULTS.get(suffix, f"{suffix or 'no extension'} file")
                out.reported.append(Reported(str(path), Outcome.SKIPPED, f"not a result file: {kind}"))
        except UserError as exc:
            out.reported.append(Reported.from_error(exc, str(path)))
    return out
