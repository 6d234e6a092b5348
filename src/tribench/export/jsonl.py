"""`exports/tribench_results.jsonl`: one flat row per task and agent (the Parquet's rows).

With several agents, `exports/by_agent/<agent>.jsonl` holds each agent's rows too, as the seed
published one JSONL per agent. Each row is encoded once and reused for both files.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator

from tribench.export.base import ExportData, Exporter, ExportFile, batched

FILENAME = "tribench_results.jsonl"
BY_AGENT_DIR = "by_agent"


def _chunks(lines: list[str]) -> Iterator[bytes]:
    for batch in batched(lines):
        yield "".join(batch).encode("utf-8")


class JsonlExporter(Exporter):
    name = "jsonl"
    owns = (FILENAME, f"{BY_AGENT_DIR}/*.jsonl")

    def serialize(self, data: ExportData) -> list[ExportFile]:
        # allow_nan=False: NaN is not JSON; the record model never holds one, so this only fires on a bug.
        encode = json.JSONEncoder(ensure_ascii=False, allow_nan=False).encode
        lines = [encode(row) + "\n" for row in data.row_dicts()]
        files = [ExportFile(FILENAME, _chunks(lines))]
        if len(data.agents) > 1:
            by_agent: dict[str, list[str]] = defaultdict(list)
            for label, line in zip(data.agent_labels, lines, strict=True):
                by_agent[label].append(line)
            files += [ExportFile(f"{BY_AGENT_DIR}/{label}.jsonl", _chunks(by_agent[label]))
                      for label in sorted(by_agent)]
        return files
