"""`tribench parse FILE`: canonical metrics as JSON, or a non-zero exit that names file and reason.

The story: `tribench parse` is how a user checks, before a three-arm run of hours, that
tribench reads their benchmark's output the way they think. It must print exactly what the
pipeline would record, and when it cannot attribute a number it must fail like the pipeline
does — non-zero, with the file and the reason on stderr — rather than print an empty result
that looks like success. The real entry point (`tribench.cli:main`) runs in a subprocess, so
the exit code and the one error boundary are the ones a user gets.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from typer.testing import CliRunner

from tribench.cli import app

BENCH = "bench-outputs"


def tribench(*args: str) -> subprocess.CompletedProcess[str]:
    code = "import sys; from tribench.cli import main; sys.argv[0] = 'tribench'; main()"
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                          env={**os.environ, "COLUMNS": "400"}, timeout=120)


def test_parse_prints_parser_source_and_canonical_metrics_as_json(fixtures_dir):
    done = tribench("parse", str(fixtures_dir / BENCH / "vllm_cpu_0.32.0_bench_latency.json"))
    assert done.returncode == 0, done.stderr
    printed = json.loads(done.stdout)
    assert printed["parser"] == "vllm-latency"
    assert printed["source"] == "json"
    assert printed["metrics"]["latency_avg"] == 102.87020359992312
    assert printed["unknown_labels"] == []


def test_parse_of_an_unattributable_file_exits_non_zero_naming_file_and_reason(tmp_path):
    path = tmp_path / "client.log"
    path.write_text("Starting main benchmark run...\nTraffic request rate: 10.0\n")
    done = tribench("parse", str(path), "--parser", "vllm-serve")
    assert done.returncode == 2
    assert done.stdout == ""
    assert str(path) in done.stderr
    assert "no `==== Serving Benchmark Result ====` block" in done.stderr


def test_parse_with_index_picks_one_line_of_a_jsonl_file(fixtures_dir):
    path = fixtures_dir / BENCH / "vllm_benchmark_serving_v0.9_2025-05-30_results.jsonl"
    refused = tribench("parse", str(path))
    assert refused.returncode == 2 and "--index" in refused.stderr
    done = tribench("parse", str(path), "--index", "-1")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["metrics"]["ttft_mean"] == 4386.739448253334


def test_parse_reports_unknown_labels_on_stderr_and_in_the_json(fixtures_dir):
    result = CliRunner().invoke(app, ["parse", str(fixtures_dir / BENCH / "vllm_cpu_0.32.0_bench_serve_run2.json")])
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    assert printed["unknown_labels"] == ["rtfx"]
    assert printed["metrics"]["ttft_p99"] == 169.33113363980283
    assert "rtfx" in result.stderr


def test_parse_accepts_generic_specs_and_declared_custom_metrics(tmp_path):
    path = tmp_path / "out.txt"
    path.write_text("frames per second: 59.94\n")
    spec = r"regex:fps=frames per second: ([0-9.]+)"
    refused = tribench("parse", str(path), "--parser", spec)
    assert refused.returncode == 2 and "unknown metric 'fps'" in refused.stderr
    done = tribench("parse", str(path), "--parser", spec, "--custom", "fps")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"parser": spec, "source": "text", "metrics": {"fps": 59.94},
                                       "unknown_labels": []}
