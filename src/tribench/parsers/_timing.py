"""What pytest-benchmark and hyperfine share: named timings, one of which a result is made of.

Both tools time several named things (benchmarks, commands) in one file, each with a spread of
samples in seconds. tribench compares one thing per task, so a file with one entry gives its
metrics, and a file with several needs `--select NAME`; guessing which one was meant would
attribute another benchmark's time. The metric is the median (`wall_time`): it is what the
tools' own comparisons rank by least disturbed by a slow outlier round; mean, min, max and
standard deviation come beside it as `wall_time_mean`, `_min`, `_max`, `_std`.
"""

from __future__ import annotations

from typing import Any

from tribench.parsers._base import Collector, Document, ParseError

_TIME_KEYS = {"median": "wall_time", "mean": "wall_time_mean", "min": "wall_time_min",
              "max": "wall_time_max", "stddev": "wall_time_std"}


def select_named(doc: Document, entries: list[tuple[list[str], str, dict[str, Any]]],
                 select: str | None, *, what: str) -> tuple[str, dict[str, Any]]:
    """The entry (names it answers to, where, value) that `select` names, or the only one."""
    if not entries:
        raise ParseError(f"no {what} in this file", path=doc.name)
    if select is None:
        if len(entries) == 1:
            return entries[0][1], entries[0][2]
        names = ", ".join(repr(names[0]) for names, _, _ in entries)
        raise ParseError(f"{len(entries)} {what}s ({names}); pass --select NAME to choose one",
                         path=doc.name, field="select")
    found = [(where, value) for names, where, value in entries if select in names]
    if not found:
        names = ", ".join(repr(names[0]) for names, _, _ in entries)
        raise ParseError(f"no {what} named {select!r}; the file has {names}", path=doc.name,
                         field="select")
    if len(found) > 1:
        raise ParseError(f"{len(found)} {what}s are named {select!r}", path=doc.name, field="select")
    return found[0]


def collect_times(col: Collector, stats: dict[str, Any], where: str) -> None:
    missing = [key for key in ("median", "mean") if key not in stats]
    if missing:
        raise ParseError(f"no {' or '.join(missing)} in the timing", path=col.doc.name, field=where)
    for key, metric in _TIME_KEYS.items():
        if key in stats:
            col.add(metric, stats[key], where=f"{where}.{key}", unit="s")
