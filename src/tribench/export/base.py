"""The exporter interface: one class per output format, each turning the export data into files.

Modelled on hyperfine's `Exporter` (src/export/mod.rs): a format only serializes; writing,
atomicity, hashing and the report are done once, by `tribench.export.export_records`. A file's
content is an iterable of byte chunks, so a large export (100,000 records: about 750 MB of JSON)
streams to disk instead of being held whole in memory.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property
from itertools import islice
from typing import Any, ClassVar

from tribench.model import BenchmarkRecord
from tribench.paths import slug
from tribench.schema import COLUMN_NAMES

CHUNK_ROWS = 2000  # rows (or records) serialized per written chunk


@dataclass(frozen=True)
class ExportFile:
    """One file of the export: its path relative to the export folder (POSIX) and its content."""

    path: str
    chunks: Iterable[bytes]


def batched(items: Iterable[Any], size: int = CHUNK_ROWS) -> Iterator[list[Any]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def agent_label(agent_name: str | None, agent_model: str | None) -> str:
    """File-safe name of an agent: `claude_code__sonnet-4.5`; one agent, one label."""
    name = slug(agent_name or "unknown-agent")
    return f"{name}__{slug(agent_model)}" if agent_model else name


@dataclass
class ExportData:
    """What every exporter serializes: the records and their flat rows, in the export order.

    A row is a tuple of values in `schema.COLUMN_NAMES` order: a tuple is a tenth of the memory
    of the same row as a dict, which matters at 100,000 rows.
    """

    records: list[BenchmarkRecord]
    rows: list[tuple[Any, ...]]

    def row_dicts(self) -> Iterator[dict[str, Any]]:
        names = COLUMN_NAMES
        for values in self.rows:
            yield dict(zip(names, values))

    @cached_property
    def columns(self) -> dict[str, list[Any]]:
        """Column-major view of the rows (for Parquet): one list per schema column."""
        if not self.rows:
            return {name: [] for name in COLUMN_NAMES}
        return {name: list(values) for name, values in zip(COLUMN_NAMES, zip(*self.rows), strict=True)}

    @cached_property
    def agent_labels(self) -> list[str]:
        """The agent label of each row."""
        index_name, index_model = COLUMN_NAMES.index("agent_name"), COLUMN_NAMES.index("agent_model")
        return [agent_label(row[index_name], row[index_model]) for row in self.rows]

    @cached_property
    def agents(self) -> Counter[str]:
        """Rows per agent label."""
        return Counter(self.agent_labels)

    @cached_property
    def tasks(self) -> int:
        index = COLUMN_NAMES.index("commit_hash")
        return len({row[index] for row in self.rows})


class Exporter(ABC):
    """One output format. `owns` are glob patterns (relative to the export folder) of every file
    the format may write: files matching them that the current export did not write are stale
    (e.g. the JSONL of an agent no longer in the results) and are removed."""

    name: ClassVar[str]
    owns: ClassVar[tuple[str, ...]]

    @abstractmethod
    def serialize(self, data: ExportData) -> list[ExportFile]:
        """The files of this format for `data`; same data, same bytes."""
