"""Generic extraction for tools without a parser: a JSON path or a regular expression.

The spec is the task's `metric_source` (taskspec.py):

- `json:<dotted.path>=<metric>[,<dotted.path>=<metric>...]`, e.g.
  `json:results.0.median=wall_time,results.0.max=wall_time_max`. A path step indexes a list
  when the value there is a list (`0`, or `-1` for the last) and names a key otherwise; a JSONL
  file is the list of its lines. Keys that contain `.`, `,` or `=` cannot be reached. In
  console output (log lines, then the result printed as JSON), every JSON object or array that
  starts a line is read, those without the path are passed over, and two that give one metric
  different values are an ambiguity error.
- `regex:<metric>=<pattern>`, one capturing group, matched per line (`re.MULTILINE`), e.g.
  `regex:wall_time=^elapsed: ([0-9.]+) s$`. Every match must give the same value.

`<metric>` is a registry name or alias, which fixes the unit: `latency_avg` takes milliseconds,
its alias `avg_latency` seconds (see metrics.py). A name outside the registry is accepted only
when the task declared it as a custom metric; it is stored as found.
"""

from __future__ import annotations

import json
import re
from typing import Any

from tribench.errors import UserError
from tribench.metrics import UnknownMetricError, canonical_metric, to_float
from tribench.parsers._base import Collector, Document, Options, ParsedMetrics, ParseError, Parser, SourceKind

JSON_PREFIX = "json:"
REGEX_PREFIX = "regex:"


def _check_metric(metric: str, spec: str, custom_metrics: frozenset[str]) -> None:
    if not metric:
        raise UserError(f"no metric name in {spec!r}", field="metric_source")
    try:
        canonical_metric(metric)
    except UnknownMetricError:
        if metric not in custom_metrics:
            raise UserError(f"unknown metric {metric!r} in {spec!r}: use a registry name "
                            "(`tribench` metrics), or declare it in the task's [metrics] table",
                            field="metric_source") from None


class JsonPathParser(Parser):
    """`json:<path>=<metric>,...`: numbers at dotted paths of a JSON (or JSONL) document."""

    description = "json:<dotted.path>=<metric>[,...]"
    uses_index = False

    def __init__(self, spec: str, custom_metrics: frozenset[str] = frozenset()):
        self.name = spec
        self.custom_metrics = custom_metrics
        self.pairs: list[tuple[list[str], str]] = []
        for part in spec[len(JSON_PREFIX):].split(","):
            path, sep, metric = part.strip().rpartition("=")
            if not sep or not path:
                raise UserError(f"{part.strip()!r} in {spec!r} is not `<dotted.path>=<metric>`",
                                field="metric_source")
            _check_metric(metric.strip(), spec, custom_metrics)
            self.pairs.append((path.strip().split("."), metric.strip()))

    def detect(self, doc: Document) -> bool:
        return bool(_json_values(doc))

    def parse(self, doc: Document, options: Options) -> ParsedMetrics:
        values = _json_values(doc)
        if not values:
            raise ParseError(f"no JSON object in this output for {self.name}", path=doc.name)
        col = Collector(doc, self.custom_metrics)
        for steps, metric in self.pairs:
            path = ".".join(steps)
            found = 0
            for where, value in values:
                # In console output only the JSON values that have the path count; a result
                # file is one value, where a missing path is the error to report.
                if where and not _has_path(value, steps):
                    continue
                found += 1
                self._add(col, doc, metric, _walk(doc, value, steps), f"{where}: {path}" if where else path)
            if not found:
                _walk(doc, values[-1][1], steps)  # raises, naming the keys that are there
        return col.result(self.name, SourceKind.JSON)

    @staticmethod
    def _add(col: Collector, doc: Document, metric: str, value: Any, where: str) -> None:
        try:
            missing = to_float(value) is None
        except ValueError:
            missing = False  # not a number: the collector names it
        if missing:
            raise ParseError(f"the value is {value!r}, not a number", path=doc.name, field=where)
        col.add(metric, value, where=where)


def _json_values(doc: Document) -> list[tuple[str, Any]]:
    """The document's JSON value; in console text, every JSON object or array a line starts.

    A command often prints log lines and then its result as JSON (one line, or indented).
    Several such values are all read, and two values for one metric are an ambiguity error.
    """
    if doc.is_json:
        return [("", doc.value)]
    decoder = json.JSONDecoder()
    values: list[tuple[str, Any]] = []
    offset, end_of_last = 0, 0
    for number, line in enumerate(doc.text.split("\n"), start=1):
        start = offset + len(line) - len(line.lstrip())
        offset += len(line) + 1
        if start < end_of_last or doc.text[start:start + 1] not in ("{", "["):
            continue
        try:
            value, end_of_last = decoder.raw_decode(doc.text, start)
        except json.JSONDecodeError:
            continue
        if isinstance(value, (dict, list)):
            values.append((f"line {number}", value))
    return values


def _has_path(value: Any, steps: list[str]) -> bool:
    for step in steps:
        if isinstance(value, list):
            try:
                value = value[int(step)]
            except (ValueError, IndexError):
                return False
        elif isinstance(value, dict) and step in value:
            value = value[step]
        else:
            return False
    return True


def _walk(doc: Document, value: Any, steps: list[str]) -> Any:
    for depth, step in enumerate(steps):
        here = ".".join(steps[:depth]) or "the top level"
        if isinstance(value, list):
            try:
                value = value[int(step)]
            except (ValueError, IndexError):
                raise ParseError(f"{step!r} is not an index of the {len(value)}-item list at {here}",
                                 path=doc.name, field=".".join(steps)) from None
        elif isinstance(value, dict):
            if step not in value:
                keys = ", ".join(list(map(str, value))[:12])
                raise ParseError(f"no key {step!r} at {here} (keys: {keys})", path=doc.name,
                                 field=".".join(steps))
            value = value[step]
        else:
            raise ParseError(f"{here} is a {type(value).__name__}, not an object or a list",
                             path=doc.name, field=".".join(steps))
    if isinstance(value, (dict, list)):
        raise ParseError(f"the value is a {type(value).__name__}, not a number", path=doc.name,
                         field=".".join(steps))
    return value


class RegexParser(Parser):
    """`regex:<metric>=<pattern>`: the one group of a pattern, matched line by line."""

    description = "regex:<metric>=<pattern with one group>"

    def __init__(self, spec: str, custom_metrics: frozenset[str] = frozenset()):
        self.name = spec
        self.custom_metrics = custom_metrics
        metric, sep, pattern = spec[len(REGEX_PREFIX):].partition("=")
        if not sep or not pattern:
            raise UserError(f"{spec!r} is not `regex:<metric>=<pattern>`", field="metric_source")
        self.metric = metric.strip()
        _check_metric(self.metric, spec, custom_metrics)
        try:
            self.pattern = re.compile(pattern, re.MULTILINE)
        except re.error as exc:
            raise UserError(f"bad pattern in {spec!r}: {exc}", field="metric_source") from None
        if self.pattern.groups != 1:
            raise UserError(f"the pattern of {spec!r} has {self.pattern.groups} groups; it needs "
                            "exactly one, around the number (use (?:...) for the others)",
                            field="metric_source")

    def detect(self, doc: Document) -> bool:
        return self.pattern.search(doc.text) is not None

    def parse(self, doc: Document, options: Options) -> ParsedMetrics:
        col = Collector(doc, self.custom_metrics)
        matches = list(self.pattern.finditer(doc.text))
        if not matches:
            raise ParseError(f"pattern {self.pattern.pattern!r} matched nothing", path=doc.name,
                             field=self.metric)
        for match in matches:
            line = doc.text.count("\n", 0, match.start()) + 1
            col.add(self.metric, match.group(1), where=f"line {line} ({self.metric})")
        return col.result(self.name, SourceKind.TEXT)


def spec_parser(spec: str, custom_metrics: frozenset[str] = frozenset()) -> Parser | None:
    """The parser a `json:`/`regex:` spec describes, or None for a registry name."""
    if spec.startswith(JSON_PREFIX):
        return JsonPathParser(spec, custom_metrics)
    if spec.startswith(REGEX_PREFIX):
        return RegexParser(spec, custom_metrics)
    return None
