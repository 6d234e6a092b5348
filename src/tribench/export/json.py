"""`exports/schema_v2_results.json`: every canonical record, with the schema versions.

One record per line inside the `records` array: the file stays valid JSON, diffs line by line
between two exports, and is produced by pydantic's serializer (fast) rather than `json.dumps`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from tribench.constants import EXPORT_SCHEMA_VERSION, SCHEMA_VERSION
from tribench.export.base import ExportData, Exporter, ExportFile, batched

FILENAME = "schema_v2_results.json"


def _chunks(data: ExportData) -> Iterator[bytes]:
    header = json.dumps({
        "export_schema_version": EXPORT_SCHEMA_VERSION,
        "record_schema_version": SCHEMA_VERSION,
        "n_records": len(data.records),
    })
    yield f'{header[:-1]}, "records": [\n'.encode()
    separator = b""
    for batch in batched(data.records):
        yield separator + ",\n".join(record.model_dump_json() for record in batch).encode("utf-8")
        separator = b",\n"
    yield b"\n]}\n"


class JsonExporter(Exporter):
    name = "json"
    owns = (FILENAME,)

    def serialize(self, data: ExportData) -> list[ExportFile]:
        return [ExportFile(FILENAME, _chunks(data))]
