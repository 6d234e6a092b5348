"""Benchmark output parsers: one module per tool family, behind one registry.

`parse_file(path)` and `parse_text(text)` turn what a benchmark printed or saved into canonical
metrics (metrics.py names, in its units: ms, tok/s, req/s, s). Structured result files come
first (vLLM `--save-result`, `--output-json`, SGLang `--output-file`, pytest-benchmark,
hyperfine), console text is the fall-back, always matched by label through an alias table,
never by position; a number that cannot be attributed is an error (`ParseError`), never a
guess. Parsers (`available_parsers()`):

    auto              detect which parser below applies; ambiguity is an error
    vllm-serve        vllm bench serve / benchmark_serving.py (every format since 2023)
    vllm-latency      vllm bench latency / benchmark_latency.py
    vllm-throughput   vllm bench throughput / benchmark_throughput.py
    sglang-serve      python -m sglang.bench_serving
    sglang-one-batch  python -m sglang.bench_one_batch
    pytest-benchmark  --benchmark-json
    hyperfine         --export-json
    json:<path>=<metric>[,...]   regex:<metric>=<pattern>    (generic; see `generic`)

A file with several results takes `index` (JSONL objects, sweep points) or `select`
(benchmark / command name). Parser modules load on first use: importing this package is cheap.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from tribench.parsers._base import Document, Options, ParsedMetrics, ParseError, Parser, SourceKind

__all__ = ["ParseError", "ParsedMetrics", "SourceKind", "available_parsers", "check_source_spec",
           "parse_file", "parse_output", "parse_text"]


def available_parsers() -> list[str]:
    """The registered parser names (the generic `json:` / `regex:` specs come beside them)."""
    from tribench.parsers._registry import REGISTRY

    return REGISTRY.names()


def _resolve(spec: str, custom_metrics: frozenset[str]) -> Parser:
    from tribench.parsers._registry import REGISTRY
    from tribench.parsers.generic import spec_parser

    return spec_parser(spec, custom_metrics) or REGISTRY.get(spec)


def check_source_spec(spec: str, custom_metrics: Iterable[str] = ()) -> None:
    """Raise UserError now if `spec` (a task's `metric_source`) could never parse anything."""
    _resolve(spec, frozenset(custom_metrics))


def parse_text(text: str, parser: str = "auto", *, name: str = "<stdin>", index: int | None = None,
               select: str | None = None, custom_metrics: Iterable[str] = ()) -> ParsedMetrics:
    """Canonical metrics of one benchmark output given as text; ParseError names `name`."""
    if not text.strip():
        raise ParseError("the output is empty: the benchmark printed nothing", path=name)
    options = Options(index=index, select=select, custom_metrics=frozenset(custom_metrics))
    chosen = _resolve(parser, options.custom_metrics)
    doc = Document(text, name)
    chosen.check_options(doc, options)
    return chosen.parse(doc, options)


def parse_file(path: str | Path, parser: str = "auto", *, index: int | None = None,
               select: str | None = None, custom_metrics: Iterable[str] = ()) -> ParsedMetrics:
    """Canonical metrics of one benchmark output file (result JSON, JSONL, or console log)."""
    path = Path(path)
    if not path.is_file():
        raise ParseError("no such file" if not path.exists() else "not a file", path=path)
    # Logs can carry stray bytes (progress bars cut mid-character): keep the rest readable.
    text = path.read_bytes().decode("utf-8", errors="replace")
    return parse_text(text, parser, name=str(path), index=index, select=select,
                      custom_metrics=custom_metrics)


def parse_output(text_or_path: str | Path, source_spec: str | None = None,
                 custom_metrics: Iterable[str] = (), *, name: str | None = None) -> ParsedMetrics:
    """What `tribench run` calls: a `Path` is read as a file, a `str` is the output itself.

    `source_spec` is the task's `metric_source` (a parser name or a `json:`/`regex:` spec;
    None means `auto`); `custom_metrics` are the metric names the task declares.
    """
    spec = source_spec or "auto"
    if isinstance(text_or_path, Path):
        return parse_file(text_or_path, spec, custom_metrics=custom_metrics)
    return parse_text(text_or_path, spec, name=name or "<stdin>", custom_metrics=custom_metrics)
