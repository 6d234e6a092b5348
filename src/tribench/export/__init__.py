"""The export stage: the results tree as files others read (JSON, JSONL, Parquet, dataset card).

    exports/
      schema_v2_results.json                 every canonical record            (export.json)
      tribench_results.jsonl                 one flat row per task and agent   (export.jsonl)
      by_agent/<agent>.jsonl                 the same, per agent, if several
      data/train-00000-of-00001.parquet      the flat rows, Hub layout         (export.parquet)
      README.md                              dataset card, features from schema (export.card)

The row layout is `tribench.schema`; every file carries `constants.EXPORT_SCHEMA_VERSION`. Each
file is written atomically and streamed (`store.atomic_write_chunks`); same records, same bytes for the JSON,
JSONL and card files. Importing this package loads no pyarrow.
"""

from __future__ import annotations

import fnmatch
import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from tribench.errors import UserError
from tribench.export.base import ExportData, Exporter, ExportFile
from tribench.export.card import CardExporter
from tribench.export.json import JsonExporter
from tribench.export.jsonl import JsonlExporter
from tribench.export.parquet import ParquetExporter
from tribench.export.rows import flat_row, sort_key
from tribench.model import BenchmarkRecord
from tribench.paths import exports_dir
from tribench.schema import COLUMN_NAMES
from tribench.store import atomic_write_chunks, load_results

EXPORTERS: tuple[Exporter, ...] = (JsonExporter(), JsonlExporter(), ParquetExporter(), CardExporter())

__all__ = ["EXPORTERS", "ExportData", "ExportFile", "ExportReport", "ExportedFile", "Exporter",
           "build_export_data", "export_records", "export_results", "flat_row"]


@dataclass(frozen=True)
class ExportedFile:
    path: Path
    relpath: str
    size: int
    sha256: str


@dataclass
class ExportReport:
    out_dir: Path
    files: list[ExportedFile]
    n_records: int
    agents: dict[str, int]
    tasks: int
    removed: list[str] = field(default_factory=list)  # stale files of a previous export
    errors: list[UserError] = field(default_factory=list)  # result files that did not load


def build_export_data(records: list[BenchmarkRecord]) -> ExportData:
    ordered = sorted(records, key=sort_key)
    # flat_row is written by hand for speed (export/rows.py): never let it drift from the schema.
    if ordered and tuple(flat_row(ordered[0])) != COLUMN_NAMES:
        raise AssertionError("flat_row's columns differ from tribench.schema.COLUMN_NAMES")
    return ExportData(ordered, [tuple(flat_row(record).values()) for record in ordered])


class _Digest:
    """Size and sha256 of the bytes streamed through `tee`."""

    def __init__(self) -> None:
        self.sha256 = hashlib.sha256()
        self.size = 0

    def tee(self, chunks: Iterable[bytes]) -> Iterator[bytes]:
        for chunk in chunks:
            self.sha256.update(chunk)
            self.size += len(chunk)
            yield chunk


def _stale_files(out_dir: Path, written: set[str]) -> list[Path]:
    patterns = [pattern for exporter in EXPORTERS for pattern in exporter.owns]
    stale = []
    for path in sorted(p for p in out_dir.rglob("*") if p.is_file()):
        rel = path.relative_to(out_dir).as_posix()
        if rel not in written and any(fnmatch.fnmatchcase(rel, pattern) for pattern in patterns):
            stale.append(path)
    return stale


def export_records(records: list[BenchmarkRecord], out_dir: Path) -> ExportReport:
    """Write every format for `records` under `out_dir`; remove files a previous export left."""
    out_dir = Path(out_dir)
    data = build_export_data(records)
    files: list[ExportedFile] = []
    for exporter in EXPORTERS:
        for item in exporter.serialize(data):
            target, digest = out_dir / item.path, _Digest()
            atomic_write_chunks(target, digest.tee(item.chunks))
            files.append(ExportedFile(target, item.path, digest.size, digest.sha256.hexdigest()))
    stale = _stale_files(out_dir, {f.relpath for f in files})
    for path in stale:
        path.unlink()
    return ExportReport(out_dir, files, len(data.records), dict(data.agents), data.tasks,
                        removed=[p.relative_to(out_dir).as_posix() for p in stale])


def export_results(results_dir: Path, out_dir: Path | None = None) -> ExportReport:
    """Load the results tree and export it (default: `exports/` beside the results folder).

    Result files that do not load are reported in `ExportReport.errors` and left out; a tree
    with no loadable record is a UserError (there would be nothing to publish).
    """
    loaded = load_results(Path(results_dir))
    if not loaded.records:
        detail = f" ({len(loaded.errors)} file(s) failed to load, first: {loaded.errors[0]})" if loaded.errors else ""
        raise UserError(f"no benchmark records to export{detail}; run `tribench ingest` or `tribench run` first",
                        path=results_dir)
    report = export_records(loaded.records, Path(out_dir) if out_dir else exports_dir(results_dir))
    report.errors = loaded.errors
    return report
