"""Reading and writing the results tree: atomic writes, loud reads.

A record is written to a temporary file in the same folder and renamed over the target, so a
reader (or a crash) never sees half a file (DESIGN.md, "Never lose data").
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from tribench.constants import RESULT_FILENAME
from tribench.errors import UserError
from tribench.model import BenchmarkRecord
from tribench.paths import record_path


def atomic_write_chunks(path: Path, chunks: Iterable[bytes], *, durable: bool = True) -> None:
    """Write to a temporary file beside `path`, then rename over it: readers never see half a file.

    `durable` fsyncs before the rename (survives power loss, about 1 ms a file); batch writers
    pass False and call `sync()` once at the end.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            for chunk in chunks:
                handle.write(chunk)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_bytes(path: Path, data: bytes, *, durable: bool = True) -> None:
    atomic_write_chunks(path, (data,), durable=durable)


def atomic_write_text(path: Path, text: str, *, durable: bool = True) -> None:
    atomic_write_chunks(path, (text.encode("utf-8"),), durable=durable)


def sync() -> None:
    """Flush every batch write to disk at once (see `atomic_write_chunks(durable=False)`)."""
    os.sync()


def record_json(record: BenchmarkRecord) -> str:
    # pydantic's serializer: six times faster than json.dumps(model_dump()) (benchmarks/pipeline_scale.py).
    return record.model_dump_json(indent=2) + "\n"


def write_record(results_dir: Path, record: BenchmarkRecord, *, durable: bool = True) -> Path:
    path = record_path(results_dir, record.source, record.instance.commit_hash)
    atomic_write_text(path, record_json(record), durable=durable)
    return path


def read_record(path: Path) -> BenchmarkRecord:
    """One record; UserError naming the file (and the field) when it is not a valid record."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise UserError(f"cannot read: {exc.strerror}", path=path) from None
    try:
        # pydantic's own JSON parser: about twice as fast as json.loads + model_validate.
        return BenchmarkRecord.model_validate_json(data)
    except ValidationError as exc:
        if exc.errors()[0]["type"].startswith("json"):
            try:
                json.loads(data)
            except json.JSONDecodeError as bad:
                raise UserError(f"not valid JSON ({bad.msg} at line {bad.lineno})", path=path) from None
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"])
        raise UserError(f"{first['msg']} ({exc.error_count()} problem(s) in all)", path=path, field=field) from None


@dataclass
class LoadReport:
    records: list[BenchmarkRecord]
    errors: list[UserError]


def iter_record_paths(results_dir: Path) -> Iterator[Path]:
    yield from sorted(Path(results_dir).rglob(RESULT_FILENAME))


def load_results(results_dir: Path) -> LoadReport:
    """Every record under a results tree; bad files are reported, the rest still load."""
    results_dir = Path(results_dir)
    if not results_dir.is_dir():
        raise UserError(
            "results folder does not exist; run `tribench ingest PATH` or `tribench run` first",
            path=results_dir,
        )
    records, errors = [], []
    for path in iter_record_paths(results_dir):
        try:
            records.append(read_record(path))
        except UserError as exc:
            errors.append(exc)
    return LoadReport(records, errors)
