"""The serving result both vLLM and SGLang print and save: label and key alias tables, block reader.

Console text is read only inside a result block: from the title line
`============ Serving Benchmark Result ============` to the closing rule of `=`. Each line
inside is a section heading (`-----Time to First Token-----`), blank, or `Label: value`; the
label (case and spacing ignored) is looked up in `SERVING_LABELS`, never inferred from the
line's position. A label that is known but not a metric (`Backend:`) is skipped, an unknown one
is reported in `unknown_labels`, and any other line inside a block is an error: a number that
cannot be attributed is never guessed at.

A block printed twice (one system printed it again as a summary) is fine when every label
that appears in both gives the same value; two values for one metric are an ambiguity error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from tribench.parsers._base import (Collector, Document, Options, ParsedMetrics, ParseError, Parser, SourceKind,
                                    is_number, no_index_for_text, pick_object)

TITLE = re.compile(r"^\s*=+\s*Serving Benchmark Result\s*=+\s*$")
_CLOSING_RULE = re.compile(r"^\s*=+\s*$")
_SECTION = re.compile(r"^\s*-{3,}.*$")
_LABEL = re.compile(r"^\s*(?P<label>[^:]+?)\s*:\s*(?P<value>.*?)\s*$")

# Latency families: the label's spelling (vLLM `E2EL`, SGLang `E2E Latency`) -> registry family.
_LABEL_FAMILIES = {"ttft": "ttft", "tpot": "tpot", "itl": "itl", "e2el": "e2el", "e2e latency": "e2el"}
_KEY_FAMILIES = {"ttft": "ttft", "tpot": "tpot", "itl": "itl", "e2el": "e2el", "e2e_latency": "e2el"}
# Statistic as printed (`P99.9` from --metric-percentiles 99.9) -> registry statistic. Only the
# percentiles the registry has; another one (P10) is reported as an unknown label.
_STATS = {"mean": "mean", "median": "median", "std": "std",
          **{f"p{p}": f"p{p.replace('.', '')}" for p in ("25", "50", "75", "90", "95", "99", "99.9")}}


def _latency_table(families: dict[str, str], pattern: str) -> dict[str, str]:
    return {pattern.format(stat=printed_stat, family=printed_family): f"{family}_{stat}"
            for printed_family, family in families.items() for printed_stat, stat in _STATS.items()}


# Label (lower case, single spaces, no colon) -> canonical metric, in the unit the label names.
SERVING_LABELS: dict[str, str] = {
    "successful requests": "successful_requests",
    "failed requests": "failed_requests",
    "benchmark duration (s)": "benchmark_duration",
    "total input tokens": "total_input_tokens",
    "total generated tokens": "total_output_tokens",
    "request throughput (req/s)": "request_throughput",
    "request goodput (req/s)": "request_goodput",
    "input token throughput (tok/s)": "input_throughput",
    "output token throughput (tok/s)": "output_throughput",
    "peak output token throughput (tok/s)": "max_output_throughput",
    "peak concurrent requests": "max_concurrent_requests",
    # vLLM v0.6-v0.10 print `Total Token throughput`, later ones and SGLang `Total token
    # throughput`; case is ignored. SGLang 2024 printed `Total throughput`.
    "total token throughput (tok/s)": "total_throughput",
    "total throughput (tok/s)": "total_throughput",
    **_latency_table(_LABEL_FAMILIES, "{stat} {family} (ms)"),
}

# Labels inside a block that are settings or counts we deliberately do not keep.
IGNORED_LABELS = frozenset({
    "backend", "traffic request rate", "max request concurrency", "maximum request concurrency",
    "request rate configured (rps)", "burstiness factor",
    "total generated tokens (retokenized)",  # SGLang's re-count of total_output_tokens
})

# `--save-result` / `--output-file` JSON key -> canonical metric (keys in the unit they name).
SERVING_KEYS: dict[str, str] = {
    "duration": "benchmark_duration",
    "completed": "successful_requests",
    "failed": "failed_requests",
    "total_input_tokens": "total_input_tokens",
    "total_output_tokens": "total_output_tokens",
    "request_throughput": "request_throughput",
    "request_goodput": "request_goodput",
    "request_goodput:": "request_goodput",  # vLLM v0.7-v0.9 wrote the key with its colon
    "input_throughput": "input_throughput",
    "output_throughput": "output_throughput",
    "total_token_throughput": "total_throughput",
    "total_throughput": "total_throughput",
    "max_output_tokens_per_s": "max_output_throughput",
    "max_concurrent_requests": "max_concurrent_requests",
    **_latency_table(_KEY_FAMILIES, "{stat}_{family}_ms"),
}
_PERCENTILE_LIST_KEY = re.compile(r"^percentiles_(?P<family>\w+?)_ms$")

# Settings echoed into the result JSON; `--metadata k=v` pairs land beside them as strings.
IGNORED_KEYS = frozenset({
    "date", "backend", "endpoint_type", "label", "model_id", "tokenizer_id", "num_prompts",
    "request_rate", "burstiness", "max_concurrency", "dataset_name", "sharegpt_output_len",
    "random_input_len", "random_output_len", "random_range_ratio", "total_output_tokens_retokenized",
    "total_input_text_tokens", "total_input_vision_tokens",
})

# Keys only SGLang's bench_serving writes: they tell its result files from vLLM's.
SGLANG_KEYS = frozenset({"mean_e2e_latency_ms", "total_output_tokens_retokenized"})


def normalize_label(label: str) -> str:
    return " ".join(label.lower().split()).rstrip(":")


def visible_lines(text: str) -> list[str]:
    """The lines as a terminal shows them: a progress bar's `\\r` overwrites are dropped."""
    return [line.rstrip("\r").rsplit("\r", 1)[-1] for line in text.split("\n")]


@dataclass
class Block:
    """One result block: where it starts, and its `Label: value` lines with their numbers."""

    start: int
    entries: list[tuple[int, str, str]] = field(default_factory=list)  # (line, label, value)

    @property
    def labels(self) -> set[str]:
        return {normalize_label(label) for _, label, _ in self.entries}


def find_blocks(doc: Document) -> list[Block]:
    blocks: list[Block] = []
    current: Block | None = None
    for number, line in enumerate(visible_lines(doc.text), start=1):
        if current is None:
            if TITLE.match(line):
                current = Block(start=number)
            continue
        if _CLOSING_RULE.match(line):
            blocks.append(current)
            current = None
        elif TITLE.match(line):
            raise ParseError(f"result block of line {current.start} is not closed before the next one",
                             path=doc.name, field=f"line {number}")
        elif not line.strip() or _SECTION.match(line):
            continue
        elif match := _LABEL.match(line):
            current.entries.append((number, match["label"], match["value"]))
        else:
            raise ParseError(f"cannot attribute {line.strip()!r} inside the result block of line "
                             f"{current.start}: it is not a `Label: value` line", path=doc.name,
                             field=f"line {number}")
    if current is not None:
        raise ParseError(f"result block of line {current.start} has no closing `=====` rule; the "
                         "output looks truncated", path=doc.name, field=f"line {current.start}")
    return blocks


def collect_blocks(col: Collector, blocks: list[Block]) -> None:
    for block in blocks:
        for number, label, value in block.entries:
            key = normalize_label(label)
            metric = SERVING_LABELS.get(key)
            where = f"line {number} ({label.strip()})"
            if metric is not None:
                if not value:
                    raise ParseError(f"label {label.strip()!r} has no value", path=col.doc.name,
                                     field=where)
                col.add(metric, value, where=where)
            elif key not in IGNORED_LABELS:
                col.note_unknown(label.strip())


def collect_json(col: Collector, record: dict[str, Any], where: str) -> None:
    prefix = f"{where}: " if where else ""
    for key, value in record.items():
        metric = SERVING_KEYS.get(key)
        if metric is not None:
            col.add(metric, value, where=f"{prefix}{key}")
        elif match := _PERCENTILE_LIST_KEY.match(key):
            _collect_percentile_list(col, key, match["family"], value, prefix)
        elif key not in IGNORED_KEYS and is_number(value):
            col.note_unknown(key)
        # Other keys are metadata (strings) or raw samples (lists): not metrics.


def _collect_percentile_list(col: Collector, key: str, family: str, value: Any, prefix: str) -> None:
    """`percentiles_ttft_ms: [[99.0, 161.3], ...]`, as some vLLM versions save them."""
    if not isinstance(value, list):
        return
    for item in value:
        if not (isinstance(item, list) and len(item) == 2 and is_number(item[0])):
            raise ParseError(f"expected [percentile, value] pairs, found {item!r}", path=col.doc.name,
                             field=f"{prefix}{key}")
        p = float(item[0])
        p_word = str(int(p)) if p.is_integer() else str(p)
        metric = SERVING_KEYS.get(f"p{p_word}_{family}_ms")
        if metric is None:
            col.note_unknown(f"{key}[{p_word}]")
        else:
            col.add(metric, item[1], where=f"{prefix}{key}[{p_word}]")


def looks_like_serving_json(record: dict[str, Any]) -> bool:
    return "request_throughput" in record or "mean_ttft_ms" in record


class ServingParser(Parser):
    """The serving benchmark of vLLM or SGLang: result JSON, else the text block(s)."""

    uses_index = True
    sglang = False
    no_block_hint = ""

    def __init__(self, name: str, description: str):
        self.name = name
        self.description = description

    def _claims_record(self, record: dict[str, Any]) -> bool:
        is_sglang = bool(SGLANG_KEYS & record.keys())
        return looks_like_serving_json(record) and is_sglang == self.sglang

    def _claims_block(self, block: Block) -> bool:
        return ("backend" in block.labels) == self.sglang

    def detect(self, doc: Document) -> bool:
        if doc.is_json:
            records = doc.dict_records()
            return bool(records) and all(self._claims_record(r) for _, r in records)
        return any(self._claims_block(b) for b in find_blocks(doc))

    def parse(self, doc: Document, options: Options) -> ParsedMetrics:
        col = Collector(doc)
        if doc.is_json:
            where, record = pick_object(doc, options)
            if not looks_like_serving_json(record):
                raise ParseError("no `request_throughput` or `mean_ttft_ms` key: not the result file "
                                 "of a serving benchmark", path=doc.name, field=where or None)
            collect_json(col, record, where)
            return col.result(self.name, SourceKind.JSON)
        no_index_for_text(doc, options)
        blocks = find_blocks(doc)
        if blocks:
            collect_blocks(col, blocks)
        elif not self._legacy(col):
            raise ParseError(f"no `==== Serving Benchmark Result ====` block{self.no_block_hint}: "
                             "is this the benchmark client's output?", path=doc.name)
        return col.result(self.name, SourceKind.TEXT)

    def _legacy(self, col: Collector) -> bool:
        return False
