"""`tribench parse`: one benchmark output file in, its canonical metrics out, as JSON."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from tribench.cli.app import app


@app.command()
def parse(
    file: Path = typer.Argument(..., help="A result file (JSON, JSONL) or a console log."),
    parser: str = typer.Option(
        "auto", "--parser", "-p",
        help="Parser name (see the list below), or `json:<dotted.path>=<metric>[,...]` or "
        "`regex:<metric>=<pattern>`.",
    ),
    index: int | None = typer.Option(
        None, "--index", help="Which result of a JSONL file or of a sweep (0-based, -1: the last)."
    ),
    select: str | None = typer.Option(
        None, "--select", help="Which benchmark (pytest-benchmark) or command (hyperfine)."
    ),
    custom: list[str] = typer.Option(
        [], "--custom", help="A metric outside the registry that json:/regex: may name (repeatable)."
    ),
) -> None:
    """Print the canonical metrics of a benchmark output as JSON.

    Parsers: auto, vllm-serve, vllm-latency, vllm-throughput, sglang-serve, sglang-one-batch,
    pytest-benchmark, hyperfine. Exits non-zero, naming the file and the label, when a number
    cannot be attributed.

    Example: tribench parse results/r1.json --parser vllm-serve
    """
    from tribench.parsers import parse_file

    result = parse_file(file, parser, index=index, select=select, custom_metrics=custom)
    typer.echo(json.dumps(result.as_dict(), indent=2))
    if result.unknown_labels:
        typer.echo(f"note: not metrics tribench knows, left out: {', '.join(result.unknown_labels)}",
                   err=True)
