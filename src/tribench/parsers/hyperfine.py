"""hyperfine's `--export-json` file.

`{"results": [{"command", "mean", "stddev", "median", "min", "max", "user", "system",
"times": [...], "exit_codes": [...], "parameters"?}]}`, times in seconds. A command is chosen
by its `command` text (the `--command-name` when one was given). A non-zero exit code in
`exit_codes` (a run with `-i`) makes the timing a failed measurement, not a time (STYLE.md 17).
"""

from __future__ import annotations

from tribench.parsers._base import Collector, Document, Options, ParsedMetrics, ParseError, Parser, SourceKind
from tribench.parsers._timing import collect_times, select_named


class HyperfineParser(Parser):
    name = "hyperfine"
    description = "hyperfine --export-json: results[], one command (--select COMMAND)"
    uses_select = True

    def detect(self, doc: Document) -> bool:
        if not doc.is_json or not isinstance(doc.value, dict):
            return False
        results = doc.value.get("results")
        return (isinstance(results, list) and bool(results)
                and all(isinstance(r, dict) and "command" in r and "mean" in r for r in results))

    def parse(self, doc: Document, options: Options) -> ParsedMetrics:
        value = doc.value if doc.is_json else None
        results = value.get("results") if isinstance(value, dict) else None
        if not isinstance(results, list):
            raise ParseError("no `results` list: not a hyperfine --export-json file", path=doc.name)
        entries = []
        for i, result in enumerate(results):
            if not isinstance(result, dict) or "command" not in result:
                raise ParseError("a result without a `command`", path=doc.name, field=f"results[{i}]")
            entries.append(([str(result["command"])], f"results[{i}]", result))
        where, result = select_named(doc, entries, options.select, what="command")
        failed = [code for code in result.get("exit_codes") or [] if code != 0]
        if failed:
            raise ParseError(f"{result['command']!r} exited non-zero in {len(failed)} of "
                             f"{len(result['exit_codes'])} runs (exit codes {sorted(set(failed))}); a "
                             "failed run is not a time: fix the command, or drop hyperfine's -i",
                             path=doc.name, field=f"{where}.exit_codes")
        col = Collector(doc)
        collect_times(col, result, where)
        return col.result(self.name, SourceKind.JSON)


PARSER = HyperfineParser()
