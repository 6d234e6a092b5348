"""What every parser shares: the result record, the error, the input document, the collector.

A parser never writes into a metrics dict directly: it hands each (field or label, value) to a
`Collector`, which resolves the name through the metric registry (canonical name *and* unit
scale), refuses a value that is not a number, and refuses the same metric given twice with
different values (DESIGN.md: "a number that cannot be attributed is an error, never a guess").
"""

from __future__ import annotations

import json
import math
import re
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from functools import cached_property
from typing import Any

from tribench.errors import UserError
from tribench.metrics import METRICS, UnknownMetricError, canonical_metric, to_float

# Unit printed by a tool -> unit of the registry. The tools print seconds where the registry
# keeps milliseconds (vLLM bench latency, SGLang bench_one_batch, the legacy serving script).
_UNIT_FACTORS = {("s", "ms"): 1000.0, ("ms", "s"): 0.001, ("token/s", "tok/s"): 1.0}


class SourceKind(StrEnum):
    """Where the numbers came from: a structured file, or console text matched by label."""

    JSON = "json"
    TEXT = "text"


class ParseError(UserError):
    """Output that cannot be turned into metrics; `path` is the file, `field` the label or key."""


@dataclass(frozen=True)
class ParsedMetrics:
    """The canonical metrics of one benchmark output.

    parser: the concrete parser that read it (never "auto"), or the `json:`/`regex:` spec.
    source: `json` (a structured result file) or `text` (console output matched by label).
    metrics: canonical metric name -> value in the registry's unit (ms, tok/s, req/s, s, count).
    unknown_labels: labels or numeric keys the parser saw but does not know; reported, not used.
    name: the file the output came from, or "<stdin>".
    """

    parser: str
    source: SourceKind
    metrics: dict[str, float]
    unknown_labels: list[str] = field(default_factory=list)
    name: str = "<stdin>"

    def as_dict(self) -> dict[str, Any]:
        return {"parser": self.parser, "source": str(self.source), "metrics": dict(self.metrics),
                "unknown_labels": list(self.unknown_labels)}


@dataclass(frozen=True)
class Options:
    """What the caller may add to pick one result out of several.

    index: which result object of a JSONL/array file, or which measured run of a sweep
        (0-based; negative counts from the end, -1 is the last).
    select: which benchmark (pytest-benchmark name) or command (hyperfine) of a file.
    custom_metrics: metric names outside the registry that a task declared (generic specs only).
    """

    index: int | None = None
    select: str | None = None
    custom_metrics: frozenset[str] = frozenset()


_JSON_START = re.compile(r'\s*(?:\{\s*(?:"|\}|\Z)|\[\s*(?:[{\[\]"]|\Z))')


class Document:
    """One benchmark output: its name, its text, and its JSON value when it is JSON.

    Text that starts like a JSON object or array of objects (`{"`, `[{`, `[` then a newline)
    is JSON: a single value, or JSONL with one value a line. If it does not decode, that is an
    error (a truncated result file), never a fall-back to text matching. Anything else, logs
    that begin with `[W1125 06:54:00]` or `[2025-05-30 ...]` included, is console text.
    """

    def __init__(self, text: str, name: str):
        self.text = text
        self.name = name

    @cached_property
    def is_json(self) -> bool:
        return _JSON_START.match(self.text) is not None

    @cached_property
    def records(self) -> list[tuple[str, Any]]:
        """The JSON values of the document, each with where it is ("line 3", "[1]", "")."""
        if not self.is_json:
            return []
        try:
            value = json.loads(self.text)
        except json.JSONDecodeError as whole_error:
            return self._jsonl_records(whole_error)
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            return [(f"[{i}]", v) for i, v in enumerate(value)]
        return [("", value)]

    @cached_property
    def value(self) -> Any:
        """The whole JSON value; a JSONL file is the list of its lines' values."""
        records = self.records
        if len(records) == 1 and records[0][0] == "":
            return records[0][1]
        return [value for _, value in records]

    def _jsonl_records(self, whole_error: json.JSONDecodeError) -> list[tuple[str, Any]]:
        records: list[tuple[str, Any]] = []
        for number, line in enumerate(self.text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                records.append((f"line {number}", json.loads(line)))
            except json.JSONDecodeError as exc:
                if not records:
                    # The first value itself is broken: one (pretty-printed) JSON value, cut off.
                    raise ParseError(f"not valid JSON ({whole_error.msg} at line {whole_error.lineno}, "
                                     f"column {whole_error.colno}); the file looks truncated",
                                     path=self.name) from None
                raise ParseError(f"not valid JSON ({exc.msg}, column {exc.colno}) in a JSONL file",
                                 path=self.name, field=f"line {number}") from None
        return records

    def dict_records(self) -> list[tuple[str, dict[str, Any]]]:
        return [(where, value) for where, value in self.records if isinstance(value, dict)]


def pick(doc: Document, items: list[tuple[str, Any]], index: int | None, *, what: str) -> tuple[str, Any]:
    """One of several results: the only one, or the one `index` names; several is an error."""
    if not items:
        raise ParseError(f"no {what} found", path=doc.name)
    if index is None:
        if len(items) == 1:
            return items[0]
        listing = ", ".join(where or str(i) for i, (where, _) in enumerate(items))
        raise ParseError(f"{len(items)} {what}s ({listing}); pass --index N (0-based, -1 for the "
                         "last) to choose one", path=doc.name)
    try:
        return items[index]
    except IndexError:
        raise ParseError(f"--index {index} is out of range: there are {len(items)} {what}s",
                         path=doc.name, field="index") from None


def pick_object(doc: Document, options: Options, *, what: str = "result object") -> tuple[str, dict[str, Any]]:
    """The JSON object of a result file; of several (JSONL, array), the one `--index` names."""
    where, record = pick(doc, doc.records, options.index, what=what)
    if not isinstance(record, dict):
        raise ParseError(f"expected a JSON object, found {type(record).__name__}", path=doc.name,
                         field=where or None)
    return where, record


def no_index_for_text(doc: Document, options: Options) -> None:
    if options.index is not None:
        raise ParseError("--index picks one object of a JSONL/array result file, and this is "
                         "console text", path=doc.name, field="index")


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


class Collector:
    """Canonical metrics gathered from one output, with where each came from."""

    def __init__(self, doc: Document, custom_metrics: frozenset[str] = frozenset()):
        self.doc = doc
        self.custom_metrics = custom_metrics
        self.metrics: dict[str, float] = {}
        self.origin: dict[str, str] = {}
        self.unknown: list[str] = []

    def add(self, metric: str, value: Any, *, where: str, unit: str | None = None) -> None:
        """Record `value` for `metric`, a registry name or alias.

        The unit of the value is `unit` when given (the unit the tool prints, converted to the
        registry's), else the one the alias implies (`avg_latency` is in seconds). `where` names
        the label or key in the output, for the error messages. Values that say "no value"
        (null, "N/A", NaN) are skipped, as the registry's `to_float` defines them.
        """
        canonical, scale = self._resolve(metric, where)
        if unit is not None:
            scale *= self._unit_factor(canonical, unit)
        try:
            number = to_float(value)
        except ValueError:
            raise ParseError(f"{value!r} is not a number", path=self.doc.name, field=where) from None
        if number is None:
            return
        if scale != 1.0:
            # In decimal, so that 0.00599 s is 5.99 ms and not 5.989999999999999.
            number = float(Decimal(repr(number)) * Decimal(repr(scale)))
        number += 0.0  # turns the -0.00 SGLang prints for an empty TPOT into 0.0
        previous = self.metrics.get(canonical)
        if previous is not None and not math.isclose(previous, number, rel_tol=1e-9, abs_tol=1e-12):
            raise ParseError(f"ambiguous {canonical}: {self.origin[canonical]} gives {previous:g} but "
                             f"{where} gives {number:g}; keep one result in the output, or pass "
                             "--parser json:/regex: to say which", path=self.doc.name, field=where)
        self.metrics.setdefault(canonical, number)
        self.origin.setdefault(canonical, where)

    @staticmethod
    def _unit_factor(canonical: str, unit: str) -> float:
        spec = METRICS.get(canonical)
        if spec is None or spec.unit == unit:
            return 1.0  # a declared custom metric is taken as the tool prints it
        try:
            return _UNIT_FACTORS[(unit, spec.unit)]
        except KeyError:
            raise ValueError(f"no conversion from {unit} to {spec.unit} for {canonical}") from None

    def _resolve(self, metric: str, where: str) -> tuple[str, float]:
        try:
            alias = canonical_metric(metric)
        except UnknownMetricError:
            if metric in self.custom_metrics:
                return metric, 1.0
            raise ParseError(f"unknown metric {metric!r}: use a registry name, or declare it in the "
                             "task's [metrics] table", path=self.doc.name, field=where) from None
        return alias.canonical, alias.scale

    def note_unknown(self, label: str) -> None:
        if label not in self.unknown:
            self.unknown.append(label)

    def result(self, parser: str, source: SourceKind) -> ParsedMetrics:
        if not self.metrics:
            hint = f" (unknown labels: {', '.join(self.unknown)})" if self.unknown else ""
            raise ParseError(f"{parser} found no metric in this output{hint}", path=self.doc.name)
        return ParsedMetrics(parser=parser, source=source, metrics=dict(self.metrics),
                             unknown_labels=list(self.unknown), name=self.doc.name)


class Parser(ABC):
    """One benchmark tool's output format. Subclasses are registered in `_registry`.

    `detect` must be cheap and specific: `auto` runs every parser's `detect`, and two parsers
    that claim the same output are an error, not a choice.
    """

    name: str = ""
    description: str = ""
    uses_index: bool = False
    uses_select: bool = False

    @abstractmethod
    def detect(self, doc: Document) -> bool: ...

    @abstractmethod
    def parse(self, doc: Document, options: Options) -> ParsedMetrics: ...

    def check_options(self, doc: Document, options: Options) -> None:
        if options.index is not None and not self.uses_index:
            raise ParseError(f"--index does not apply to {self.name}", path=doc.name, field="index")
        if options.select is not None and not self.uses_select:
            raise ParseError(f"--select applies to pytest-benchmark and hyperfine, not {self.name}",
                             path=doc.name, field="select")
