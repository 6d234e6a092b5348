"""SGLang's benchmark outputs: `python -m sglang.bench_serving` and `sglang.bench_one_batch`.

bench_serving prints the same `Serving Benchmark Result` block as vLLM (read by `_serving`),
with a `Backend:` line that tells the two apart, `Mean E2E Latency (ms)` for vLLM's E2EL and,
in 2024, `Total throughput (tok/s)`; its `--output-file` JSONL has `mean_e2e_latency_ms` and
`total_output_tokens_retokenized`, which vLLM's files lack.

bench_one_batch (formerly bench_latency) runs one static batch without a server and prints,
for a warm-up run and then for each (batch, input, output) point of the sweep:

    Warmup ...
    Prefill. latency: 0.03121 s, throughput:  16403.28 token/s
    Decode 0. Batch size: 1, latency: 0.00612 s, throughput:    163.40 token/s
    Decode.  median latency: 0.00598 s, median throughput:    167.22 token/s
    Total. latency:  0.410 s, throughput:   1404.88 token/s
    Benchmark ...
    (the same lines again, once per point)

Only the lines after `Benchmark ...` are measured; the warm-up's are never used. A sweep of
several points needs `--index`. `--result-filename` JSONL (one object per point:
prefill_latency, median_decode_latency, total_latency in seconds) is read the same way.
No real output of it is among the fixtures: tests/data/sglang_bench_one_batch_constructed.txt
is built from the format strings of `python/sglang/bench_one_batch.py`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from tribench.parsers import _serving
from tribench.parsers._base import (Collector, Document, Options, ParsedMetrics, ParseError, Parser, SourceKind,
                                    is_number, pick, pick_object)


class SglangServeParser(_serving.ServingParser):
    sglang = True


SERVE = SglangServeParser("sglang-serve", "SGLang bench_serving: --output-file JSONL, else the "
                          "`Serving Benchmark Result` block with its `Backend:` line")

_NUM = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?"
_MEASURED_MARKER = re.compile(r"^\s*Benchmark \.\.\.\s*$")
_PREFILL = re.compile(rf"^\s*Prefill\. latency:\s*(?P<lat>{_NUM}) s, throughput:\s*(?P<tp>{_NUM}) token/s\s*$")
_DECODE_STEP = re.compile(r"^\s*Decode \d+\. Batch size: (?P<bs>\d+), latency:")
_DECODE = re.compile(rf"^\s*Decode\.\s+median latency:\s*(?P<lat>{_NUM}) s, "
                     rf"median throughput:\s*(?P<tp>{_NUM}) token/s\s*$")
_TOTAL = re.compile(rf"^\s*Total\. latency:\s*(?P<lat>{_NUM}) s, throughput:\s*(?P<tp>{_NUM}) token/s\s*$")

# (JSONL key or text line kind) -> (metric, unit printed)
_ONE_BATCH = {
    "prefill_latency": ("prefill_latency", "s"),
    "prefill_throughput": ("prefill_throughput", "tok/s"),
    "median_decode_latency": ("decode_latency_median", "s"),
    "median_decode_throughput": ("decode_throughput_median", "tok/s"),
    "total_latency": ("total_latency", "s"),
    # (input + output) * batch / total latency: the offline run's total tokens per second.
    "overall_throughput": ("throughput", "tok/s"),
}
_ONE_BATCH_SETTINGS = frozenset({"run_name", "batch_size", "input_len", "output_len"})


@dataclass
class _Run:
    """One measured point of bench_one_batch's text: its first line and its values by key."""

    line: int
    batch_size: str = "?"
    values: dict[str, tuple[str, int]] = field(default_factory=dict)  # key -> (value, line)
    closed: bool = False


class SglangOneBatchParser(Parser):
    name = "sglang-one-batch"
    description = "SGLang bench_one_batch: --result-filename JSONL, else the lines after `Benchmark ...`"
    uses_index = True

    def detect(self, doc: Document) -> bool:
        if doc.is_json:
            return any("prefill_latency" in r for _, r in doc.dict_records())
        lines = _serving.visible_lines(doc.text)
        return any(_PREFILL.match(line) for line in lines) and any(_TOTAL.match(line) for line in lines)

    def parse(self, doc: Document, options: Options) -> ParsedMetrics:
        col = Collector(doc)
        if doc.is_json:
            where, record = pick_object(doc, options, what="result line")
            self._collect_json(col, record, f"{where}: " if where else "")
            return col.result(self.name, SourceKind.JSON)
        runs = self._runs(doc)
        listing = [(f"run at line {r.line} (batch size {r.batch_size})", r) for r in runs]
        _, run = pick(doc, listing, options.index, what="measured run")
        for key, (value, number) in run.values.items():
            metric, unit = _ONE_BATCH[key]
            col.add(metric, value, where=f"line {number} ({key})", unit=unit)
        return col.result(self.name, SourceKind.TEXT)

    @staticmethod
    def _collect_json(col: Collector, record: dict[str, Any], prefix: str) -> None:
        for key, value in record.items():
            if key in _ONE_BATCH:
                metric, unit = _ONE_BATCH[key]
                col.add(metric, value, where=f"{prefix}{key}", unit=unit)
            elif key not in _ONE_BATCH_SETTINGS and is_number(value):
                col.note_unknown(key)

    def _runs(self, doc: Document) -> list[_Run]:
        lines = _serving.visible_lines(doc.text)
        start = next((i for i, line in enumerate(lines) if _MEASURED_MARKER.match(line)), None)
        if start is None:
            raise ParseError("no `Benchmark ...` line: the warm-up run cannot be told from the "
                             "measured one; pass the full bench_one_batch output", path=doc.name)
        runs: list[_Run] = []
        for number, line in enumerate(lines[start + 1:], start=start + 2):
            self._read_line(doc, runs, number, line)
        if runs and not runs[-1].closed:
            raise ParseError("the last measured run has no `Total. latency` line; the output looks "
                             "truncated", path=doc.name, field=f"line {runs[-1].line}")
        if not runs:
            raise ParseError("no `Prefill. latency` line after `Benchmark ...`: every point was "
                             "skipped, or the run failed", path=doc.name)
        return runs

    @staticmethod
    def _read_line(doc: Document, runs: list[_Run], number: int, line: str) -> None:
        if match := _PREFILL.match(line):
            if runs and not runs[-1].closed:
                raise ParseError(f"the run of line {runs[-1].line} has no `Total. latency` line",
                                 path=doc.name, field=f"line {number}")
            runs.append(_Run(line=number, values={"prefill_latency": (match["lat"], number),
                                                  "prefill_throughput": (match["tp"], number)}))
            return
        current = runs[-1] if runs and not runs[-1].closed else None
        step, decode, total = _DECODE_STEP.match(line), _DECODE.match(line), _TOTAL.match(line)
        if (decode or total) and current is None:
            raise ParseError("a result line without the `Prefill. latency` line of its run",
                             path=doc.name, field=f"line {number}")
        if step and current is not None:
            current.batch_size = step["bs"]
        elif decode:
            current.values["median_decode_latency"] = (decode["lat"], number)
            current.values["median_decode_throughput"] = (decode["tp"], number)
        elif total:
            current.values["total_latency"] = (total["lat"], number)
            current.values["overall_throughput"] = (total["tp"], number)
            current.closed = True


ONE_BATCH = SglangOneBatchParser()
