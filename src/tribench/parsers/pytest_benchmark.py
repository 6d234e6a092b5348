"""pytest-benchmark's `--benchmark-json` file.

`{"benchmarks": [{"name", "fullname", "stats": {"median", "mean", "min", "max", "stddev",
...}}], "machine_info", "commit_info", "version"}`, times in seconds. A benchmark is chosen by
`name` or `fullname` (`tests/test_x.py::test_y`); see `_timing` for which statistic is kept.
"""

from __future__ import annotations

from tribench.parsers._base import Collector, Document, Options, ParsedMetrics, ParseError, Parser, SourceKind
from tribench.parsers._timing import collect_times, select_named


class PytestBenchmarkParser(Parser):
    name = "pytest-benchmark"
    description = "pytest-benchmark --benchmark-json: benchmarks[].stats, one benchmark (--select NAME)"
    uses_select = True

    def detect(self, doc: Document) -> bool:
        if not doc.is_json or not isinstance(doc.value, dict):
            return False
        benchmarks = doc.value.get("benchmarks")
        return isinstance(benchmarks, list) and all(isinstance(b, dict) and "stats" in b for b in benchmarks)

    def parse(self, doc: Document, options: Options) -> ParsedMetrics:
        value = doc.value if doc.is_json else None
        benchmarks = value.get("benchmarks") if isinstance(value, dict) else None
        if not isinstance(benchmarks, list):
            raise ParseError("no `benchmarks` list: not a pytest-benchmark --benchmark-json file",
                             path=doc.name)
        entries = []
        for i, bench in enumerate(benchmarks):
            if not isinstance(bench, dict) or not isinstance(bench.get("stats"), dict):
                raise ParseError("a benchmark without a `stats` object", path=doc.name,
                                 field=f"benchmarks[{i}]")
            names = [str(bench.get("name")), str(bench.get("fullname"))]
            entries.append((names, f"benchmarks[{i}].stats", bench["stats"]))
        where, stats = select_named(doc, entries, options.select, what="benchmark")
        col = Collector(doc)
        collect_times(col, stats, where)
        return col.result(self.name, SourceKind.JSON)


PARSER = PytestBenchmarkParser()
