"""vLLM's benchmark outputs: `bench serve`, `bench latency`, `bench throughput`.

Each parser reads the structured file first (`--save-result`, `--output-json`) and the console
text as a fall-back. The formats, by version (fixtures in shared/fixtures/bench-outputs/):

- serve, before v0.4 (2023): no result block; `Total time: X s`, `Throughput: X requests/s`,
  `Average latency: X s`, `Average latency per token: X s`, `Average latency per output token:
  X s`, anywhere in the output.
- serve, v0.4 on: the `Serving Benchmark Result` block (see `_serving`), padded with the
  tool's `{:<40} {:<10}` format or stripped; `--save-result` JSON with `mean_ttft_ms`-style keys,
  `"request_goodput:"` with a colon in v0.7-v0.9, `"request_rate": "inf"`, `--metadata` pairs
  merged at the top level, and one object per line when `--append-result` was used. A file of
  several objects needs `--index` (0-based, -1 for the last): picking one silently could
  attribute a stale run's numbers.
- latency: `--output-json` {avg_latency, latencies, percentiles{"10": ...}} in seconds;
  text `Avg latency: X seconds` and `P% percentile latency: X seconds`. Kept in ms.
- throughput: `--output-json` {elapsed_time, num_requests, total_num_tokens,
  requests_per_second, tokens_per_second}; text `Throughput: X requests/s, Y total tokens/s,
  Z output tokens/s` (before v0.6: `Throughput: X requests/s, Y tokens/s`, Y also counting the
  prompt). An offline run's requests/s is `request_rate`, its total tokens/s `throughput`.
"""

from __future__ import annotations

import re
from typing import Any

from tribench.parsers import _serving
from tribench.parsers._base import (Collector, Document, Options, ParsedMetrics, ParseError, Parser, SourceKind,
                                    is_number, no_index_for_text, pick_object)

_NUM = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?"

# Serving before v0.4: (line pattern, metric, unit printed).
_LEGACY_SERVE = [
    (re.compile(rf"^Total time:\s*(?P<v>{_NUM})\s*s\s*$"), "benchmark_duration", "s"),
    (re.compile(rf"^Throughput:\s*(?P<v>{_NUM})\s*requests/s\s*$"), "request_throughput", "req/s"),
    (re.compile(rf"^Average latency:\s*(?P<v>{_NUM})\s*s\s*$"), "e2el_mean", "s"),
    (re.compile(rf"^Average latency per token:\s*(?P<v>{_NUM})\s*s\s*$"), "latency_per_token_mean", "s"),
    (re.compile(rf"^Average latency per output token:\s*(?P<v>{_NUM})\s*s\s*$"),
     "latency_per_output_token_mean", "s"),
]


def _lines(doc: Document) -> list[tuple[int, str]]:
    return list(enumerate(_serving.visible_lines(doc.text), start=1))


def _collect_lines(col: Collector, lines: list[tuple[int, str]],
                   patterns: list[tuple[re.Pattern[str], str, str]]) -> bool:
    """Add every line that matches one of `patterns`; whether any did."""
    found = False
    for number, line in lines:
        for pattern, metric, unit in patterns:
            if match := pattern.match(line):
                col.add(metric, match["v"], where=f"line {number} ({line.split(':')[0].strip()})", unit=unit)
                found = True
    return found


class VllmServeParser(_serving.ServingParser):
    no_block_hint = " and no pre-v0.4 `Throughput: X requests/s` lines"

    def detect(self, doc: Document) -> bool:
        return super().detect(doc) or (not doc.is_json and _is_legacy_serve(doc))

    def _legacy(self, col: Collector) -> bool:
        return _collect_lines(col, _lines(col.doc), _LEGACY_SERVE)


def _is_legacy_serve(doc: Document) -> bool:
    lines = [line for _, line in _lines(doc)]
    return (any(_LEGACY_SERVE[1][0].match(line) for line in lines)
            and any(_LEGACY_SERVE[2][0].match(line) for line in lines))


_AVG_LATENCY = re.compile(rf"^Avg latency:\s*(?P<v>{_NUM})\s*seconds\s*$")
_PCT_LATENCY = re.compile(rf"^(?P<p>{_NUM})% percentile latency:\s*(?P<v>{_NUM})\s*seconds\s*$")


class VllmLatencyParser(Parser):
    name = "vllm-latency"
    description = "vLLM bench latency / benchmark_latency.py: --output-json, else `Avg latency:` lines"
    uses_index = True

    def detect(self, doc: Document) -> bool:
        if doc.is_json:
            return any("avg_latency" in r for _, r in doc.dict_records())
        return any(_AVG_LATENCY.match(line) for _, line in _lines(doc))

    def parse(self, doc: Document, options: Options) -> ParsedMetrics:
        col = Collector(doc)
        if doc.is_json:
            where, record = pick_object(doc, options)
            self._collect_json(col, record, f"{where}: " if where else "")
            return col.result(self.name, SourceKind.JSON)
        no_index_for_text(doc, options)
        for number, line in _lines(doc):
            if match := _AVG_LATENCY.match(line):
                col.add("latency_avg", match["v"], where=f"line {number} (Avg latency)", unit="s")
            elif match := _PCT_LATENCY.match(line):
                label = f"{match['p']}% percentile latency"
                self._percentile(col, match["p"], match["v"], where=f"line {number} ({label})", label=label)
        return col.result(self.name, SourceKind.TEXT)

    def _collect_json(self, col: Collector, record: dict[str, Any], prefix: str) -> None:
        if "avg_latency" not in record:
            raise ParseError("no `avg_latency` key: not a vLLM bench latency --output-json file",
                             path=col.doc.name, field=prefix.rstrip(": ") or None)
        col.add("latency_avg", record["avg_latency"], where=f"{prefix}avg_latency", unit="s")
        percentiles = record.get("percentiles") or {}
        if not isinstance(percentiles, dict):
            raise ParseError("expected an object of percentile -> seconds", path=col.doc.name,
                             field=f"{prefix}percentiles")
        for p, value in percentiles.items():
            self._percentile(col, str(p), value, where=f"{prefix}percentiles.{p}", label=f"percentiles.{p}")
        for key, value in record.items():
            if key not in ("avg_latency", "percentiles") and is_number(value):
                col.note_unknown(key)

    @staticmethod
    def _percentile(col: Collector, p: str, value: Any, *, where: str, label: str) -> None:
        metric = f"latency_p{p.removesuffix('.0')}"
        if metric in _LATENCY_PERCENTILES:
            col.add(metric, value, where=where, unit="s")
        else:
            col.note_unknown(label)


_LATENCY_PERCENTILES = frozenset(f"latency_p{p}" for p in (10, 25, 50, 75, 90, 99))

_THROUGHPUT = re.compile(
    rf"^Throughput:\s*(?P<req>{_NUM})\s*requests/s,\s*(?P<tot>{_NUM})\s*(?:total )?tokens/s"
    rf"(?:,\s*(?P<out>{_NUM})\s*output tokens/s)?\s*$")
_THROUGHPUT_COUNTS = [
    (re.compile(rf"^Total num prompt tokens:\s*(?P<v>{_NUM})\s*$"), "total_input_tokens", "count"),
    (re.compile(rf"^Total num output tokens:\s*(?P<v>{_NUM})\s*$"), "total_output_tokens", "count"),
]
# --output-json key -> (metric, unit the key is in)
_THROUGHPUT_KEYS = {
    "elapsed_time": ("elapsed_time", "s"),
    "requests_per_second": ("request_rate", "req/s"),
    "tokens_per_second": ("throughput", "tok/s"),
}
_THROUGHPUT_SETTINGS = frozenset({"num_requests", "total_num_tokens"})


class VllmThroughputParser(Parser):
    name = "vllm-throughput"
    description = "vLLM bench throughput / benchmark_throughput.py: --output-json, else `Throughput:` line"
    uses_index = True

    def detect(self, doc: Document) -> bool:
        if doc.is_json:
            return any({"requests_per_second", "tokens_per_second"} <= r.keys() for _, r in doc.dict_records())
        return any(_THROUGHPUT.match(line) for _, line in _lines(doc))

    def parse(self, doc: Document, options: Options) -> ParsedMetrics:
        col = Collector(doc)
        if doc.is_json:
            where, record = pick_object(doc, options)
            prefix = f"{where}: " if where else ""
            for key, value in record.items():
                if key in _THROUGHPUT_KEYS:
                    metric, unit = _THROUGHPUT_KEYS[key]
                    col.add(metric, value, where=f"{prefix}{key}", unit=unit)
                elif key not in _THROUGHPUT_SETTINGS and is_number(value):
                    col.note_unknown(key)
            return col.result(self.name, SourceKind.JSON)
        no_index_for_text(doc, options)
        for number, line in _lines(doc):
            if match := _THROUGHPUT.match(line):
                where = f"line {number} (Throughput)"
                col.add("request_rate", match["req"], where=where, unit="req/s")
                col.add("throughput", match["tot"], where=where, unit="tok/s")
                if match["out"] is not None:
                    col.add("output_throughput", match["out"], where=where, unit="tok/s")
        _collect_lines(col, _lines(doc), _THROUGHPUT_COUNTS)
        return col.result(self.name, SourceKind.TEXT)


SERVE = VllmServeParser("vllm-serve", "vLLM bench serve / benchmark_serving.py: --save-result JSON, "
                        "else the `Serving Benchmark Result` block (or the pre-v0.4 lines)")
LATENCY = VllmLatencyParser()
THROUGHPUT = VllmThroughputParser()
